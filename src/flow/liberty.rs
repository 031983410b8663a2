//! The sky130 Liberty file: where to find it, and the trimmed copy the flow maps to.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::tools::{io_err, FlowError};

/// The library this flow targets (typical corner, 25 C, 1.80 V).
pub const LIB_FILE: &str = "sky130_fd_sc_hd__tt_025C_1v80.lib";

/// Cells the mapper must not use, by name fragment: `probe` cells carry metal on every layer
/// for probe points, `lpflow` cells serve multiple power domains (isolation, level shifting,
/// gated supplies). Yosys 0.23's ABC has no dont-use option, so they are removed from a copy.
pub const DONT_USE: &[&str] = &["__probe", "__lpflow_"];

/// A Liberty file ready for the flow.
#[derive(Clone, Debug)]
pub struct Liberty {
    /// Where it was found.
    pub source: PathBuf,
    /// Plain-text copy without the dont-use cells.
    pub path: PathBuf,
    /// Cells removed from the copy.
    pub removed: Vec<String>,
}

/// Find the Liberty file: `explicit` (`--liberty`), `$SEEDCHIP_LIBERTY`,
/// `$PDK_ROOT/sky130A/libs.ref/sky130_fd_sc_hd/lib/`, then `../shared/pdk/sky130_fd_sc_hd/`
/// (this repository's CI; `.lib` or `.lib.gz`).
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf, FlowError> {
    let mut looked = Vec::new();
    if let Some(p) = explicit {
        if p.is_file() {
            return Ok(p.to_path_buf());
        }
        looked.push(format!("--liberty {} (no such file)", p.display()));
        return Err(FlowError::NoLiberty { looked });
    }
    match std::env::var("SEEDCHIP_LIBERTY") {
        Ok(p) if Path::new(&p).is_file() => return Ok(PathBuf::from(p)),
        Ok(p) => looked.push(format!("$SEEDCHIP_LIBERTY = {p} (no such file)")),
        Err(_) => looked.push("$SEEDCHIP_LIBERTY (not set)".into()),
    }
    match std::env::var("PDK_ROOT") {
        Ok(root) => {
            let p = Path::new(&root)
                .join("sky130A/libs.ref/sky130_fd_sc_hd/lib")
                .join(LIB_FILE);
            if p.is_file() {
                return Ok(p);
            }
            looked.push(format!("{} (from $PDK_ROOT; no such file)", p.display()));
        }
        Err(_) => looked
            .push("$PDK_ROOT/sky130A/libs.ref/sky130_fd_sc_hd/lib/ ($PDK_ROOT not set)".into()),
    }
    let shared = Path::new("../shared/pdk/sky130_fd_sc_hd");
    for name in [format!("{LIB_FILE}.gz"), LIB_FILE.to_string()] {
        let p = shared.join(&name);
        if p.is_file() {
            return Ok(p);
        }
    }
    let here = std::env::current_dir()
        .map(|d| d.join(shared))
        .unwrap_or_else(|_| shared.to_path_buf());
    looked.push(format!("{}/{LIB_FILE}[.gz] (no such file)", here.display()));
    Err(FlowError::NoLiberty { looked })
}

fn read_text(path: &Path) -> Result<String, FlowError> {
    let bytes = std::fs::read(path).map_err(io_err("reading Liberty", path))?;
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut text = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .map_err(io_err("decompressing Liberty", path))?;
        Ok(text)
    } else {
        String::from_utf8(bytes).map_err(|_| FlowError::Parse {
            what: format!("Liberty file `{}` is not text", path.display()),
        })
    }
}

/// Locate the library and produce the trimmed copy (cached by content).
pub fn prepare(explicit: Option<&Path>) -> Result<Liberty, FlowError> {
    let source = locate(explicit)?;
    let text = read_text(&source)?;
    let key = blake3::hash(format!("{}\0{text}", DONT_USE.join(",")).as_bytes()).to_hex();
    let dir = seedchip_verif::verilator::cache_base().join("liberty");
    let path = dir.join(format!("{}-{}", &key[..16], LIB_FILE));
    let (trimmed, removed) = filter_cells(&text, |name| !DONT_USE.iter().any(|d| name.contains(d)));
    if !path.is_file() {
        std::fs::create_dir_all(&dir).map_err(io_err("creating", &dir))?;
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, &trimmed).map_err(io_err("writing", &tmp))?;
        std::fs::rename(&tmp, &path).map_err(io_err("installing", &path))?;
    }
    Ok(Liberty {
        source,
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

//! File lists (`files.f`), as simulators and synthesis tools read them: one source per line,
//! `+incdir+DIR`, `-I DIR`, `+define+NAME[=VALUE]`, `-D NAME[=VALUE]`, `-f NESTED.f`, and
//! `//` or `#` comments (to the end of the line). Paths are relative to the list's own directory.

use std::path::{Path, PathBuf};

use super::EquivError;

/// What a file list names.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileList {
    pub files: Vec<PathBuf>,
    pub defines: Vec<String>,
    pub include_dirs: Vec<PathBuf>,
}

/// Read `path` (and the lists it nests).
pub fn read(path: &Path) -> Result<FileList, EquivError> {
    let mut out = FileList::default();
    read_into(path, &mut out, 0)?;
    Ok(out)
}

fn read_into(path: &Path, out: &mut FileList, depth: u32) -> Result<(), EquivError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        EquivError::Usage(format!(
            "cannot read the file list `{}`: {e}",
            path.display()
        ))
    })?;
    if depth > 16 {
        return Err(EquivError::Usage(format!(
            "`{}`: file lists nested more than 16 deep (a list that includes itself?)",
            path.display()
        )));
    }
    let base = path.parent().unwrap_or(Path::new(""));
    let rel = |p: &str| base.join(p);
    for (n, raw) in text.lines().enumerate() {
        let line = raw.split("//").next().unwrap_or("").trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |why: &str| {
            EquivError::Usage(format!(
                "`{}` line {}: {why}: `{line}`",
                path.display(),
                n + 1
            ))
        };
        let mut words = line.split_whitespace();
        while let Some(w) = words.next() {
            if w.starts_with('#') {
                break; // a comment to the end of the line
            }
            let mut value = |flag: &str| -> Result<String, EquivError> {
                match w.strip_prefix(flag).filter(|v| !v.is_empty()) {
                    Some(v) => Ok(v.to_string()),
                    None => words
                        .next()
                        .map(str::to_string)
                        .ok_or_else(|| bad(&format!("{flag} needs a value"))),
                }
            };
            if let Some(dirs) = w.strip_prefix("+incdir+") {
                out.include_dirs
                    .extend(dirs.split('+').filter(|d| !d.is_empty()).map(rel));
            } else if let Some(defs) = w.strip_prefix("+define+") {
                out.defines
                    .extend(defs.split('+').filter(|d| !d.is_empty()).map(String::from));
            } else if w.starts_with("-I") {
                out.include_dirs.push(rel(&value("-I")?));
            } else if w.starts_with("-D") {
                out.defines.push(value("-D")?);
            } else if w.starts_with("-f") || w.starts_with("-F") {
                let nested = rel(&value(&w[..2])?);
                read_into(&nested, out, depth + 1)?;
            } else if w.starts_with('-') || w.starts_with('+') {
                return Err(bad("unknown option"));
            } else {
                out.files.push(rel(w));
            }
        }
    }
    Ok(())
}

/// Sources given on the command line, with every `.f` among them replaced by what it lists.
pub fn expand(paths: &[PathBuf]) -> Result<FileList, EquivError> {
    let mut out = FileList::default();
    for p in paths {
        if p.extension().is_some_and(|e| e == "f") {
            let l = read(p)?;
            out.files.extend(l.files);
            out.defines.extend(l.defines);
            out.include_dirs.extend(l.include_dirs);
        } else {
            out.files.push(p.clone());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_nest_define_include_and_resolve_paths_beside_themselves() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("sub")).unwrap();
        std::fs::write(
            d.join("top.f"),
            "// the design\n+incdir+inc+more\n-D WIDTH=8\n+define+FAST\na.v b.sv # two files\n-f sub/rest.f\n",
        )
        .unwrap();
        std::fs::write(d.join("sub/rest.f"), "-Iown\nc.v\n").unwrap();
        let l = read(&d.join("top.f")).unwrap();
        assert_eq!(
            l.files,
            vec![d.join("a.v"), d.join("b.sv"), d.join("sub").join("c.v")]
        );
        assert_eq!(l.defines, vec!["WIDTH=8", "FAST"]);
        assert_eq!(
            l.include_dirs,
            vec![d.join("inc"), d.join("more"), d.join("sub").join("own")]
        );
    }

    #[test]
    fn bad_lists_name_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("x.f"), "a.v\n-timescale 1ns\n").unwrap();
        let e = read(&d.join("x.f")).unwrap_err().to_string();
        assert!(e.contains("x.f` line 2: unknown option"), "{e}");
        std::fs::write(d.join("self.f"), "-f self.f\n").unwrap();
        let e = read(&d.join("self.f")).unwrap_err().to_string();
        assert!(e.contains("nested more than 16 deep"), "{e}");
        std::fs::write(d.join("dangling.f"), "-D\n").unwrap();
        let e = read(&d.join("dangling.f")).unwrap_err().to_string();
        assert!(e.contains("-D needs a value"), "{e}");
        let e = read(&d.join("missing.f")).unwrap_err().to_string();
        assert!(e.contains("cannot read the file list"), "{e}");
    }
}

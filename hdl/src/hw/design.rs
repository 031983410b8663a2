//! A design: a top module and every module under it, each emitted once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::emit;
use super::error::HdlError;
use super::module::{Module, ModuleRef};

/// One emitted Verilog file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerilogFile {
    /// `<module>.v`: one module per file, named after it (what lint tools expect).
    pub file_name: String,
    pub module: String,
    pub text: String,
}

/// The modules of a design in dependency order (sub-modules first, the top last).
pub struct Design {
    modules: Vec<ModuleRef>,
    files: Vec<VerilogFile>,
}

impl Design {
    /// Collect the hierarchy under `top`. Modules are identified by name: two different
    /// bodies under one name are an error, identical ones are emitted once.
    pub fn new(top: ModuleRef) -> Result<Design, HdlError> {
        let mut order: Vec<ModuleRef> = Vec::new();
        let mut by_name: HashMap<String, usize> = HashMap::new();
        let mut files: Vec<VerilogFile> = Vec::new();
        visit(&top, &mut order, &mut by_name, &mut files)?;
        Ok(Design {
            modules: order,
            files,
        })
    }

    pub fn top(&self) -> &Module {
        self.modules.last().expect("a design has a top")
    }

    pub fn modules(&self) -> &[ModuleRef] {
        &self.modules
    }

    pub fn files(&self) -> &[VerilogFile] {
        &self.files
    }

    /// The file list (`files.f`): one file name per line, sub-modules first. Paths are
    /// relative to the list's own directory (use `verilator -F`, or run tools from there).
    pub fn file_list(&self) -> String {
        self.files
            .iter()
            .map(|f| format!("{}\n", f.file_name))
            .collect()
    }

    /// Black-box stubs (`(* blackbox *)`, ports only) of every SRAM module, for a flow where
    /// hard macros replace the behavioural memories.
    pub fn sram_blackboxes(&self) -> Vec<VerilogFile> {
        self.modules
            .iter()
            .filter(|m| m.sram().is_some())
            .map(|m| VerilogFile {
                file_name: format!("{}.blackbox.v", m.name),
                module: m.name.clone(),
                text: emit::blackbox_text(m),
            })
            .collect()
    }

    /// Total instances of each module in the whole hierarchy (the top counts once).
    pub fn instance_totals(&self) -> Vec<(String, u64)> {
        let mut count: HashMap<String, u64> = HashMap::new();
        count.insert(self.top().name.clone(), 1);
        for m in self.modules.iter().rev() {
            let n = count.get(&m.name).copied().unwrap_or(0);
            for (child, k) in m.instance_counts() {
                *count.entry(child).or_default() += n * k as u64;
            }
        }
        self.modules
            .iter()
            .map(|m| (m.name.clone(), count.get(&m.name).copied().unwrap_or(0)))
            .collect()
    }

    /// Write every module and `files.f` into `dir` (created if missing). Returns the paths.
    pub fn write_to(&self, dir: &Path) -> Result<Vec<PathBuf>, HdlError> {
        let io = |path: &Path, source| HdlError::Io {
            path: path.display().to_string(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
        let mut written = Vec::new();
        for f in &self.files {
            let p = dir.join(&f.file_name);
            std::fs::write(&p, &f.text).map_err(|e| io(&p, e))?;
            written.push(p);
        }
        let list = dir.join("files.f");
        std::fs::write(&list, self.file_list()).map_err(|e| io(&list, e))?;
        written.push(list);
        Ok(written)
    }
}

fn visit(
    m: &ModuleRef,
    order: &mut Vec<ModuleRef>,
    by_name: &mut HashMap<String, usize>,
    files: &mut Vec<VerilogFile>,
) -> Result<(), HdlError> {
    if let Some(&i) = by_name.get(&m.name) {
        if Arc::ptr_eq(&order[i], m) || files[i].text == emit::module_text(m) {
            return Ok(());
        }
        return Err(HdlError::NameCollision {
            name: m.name.clone(),
        });
    }
    for child in m.submodules() {
        visit(&child, order, by_name, files)?;
    }
    by_name.insert(m.name.clone(), order.len());
    order.push(m.clone());
    files.push(VerilogFile {
        file_name: format!("{}.v", m.name),
        module: m.name.clone(),
        text: emit::module_text(m),
    });
    Ok(())
}

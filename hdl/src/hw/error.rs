//! Structural errors. Each names the module and the signal (or instance and port) at fault,
//! because the person reading it is looking at a generator, not at the Verilog.

use std::fmt;

/// One structural problem inside a module.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("`{signal}` is {expected} bits wide but is driven by a {found}-bit expression")]
    WidthMismatch {
        signal: String,
        expected: u32,
        found: u32,
    },
    #[error("ill-typed expression driving `{signal}`: {reason}")]
    BadExpr { signal: String, reason: String },
    #[error("`{signal}` is never driven")]
    Undriven { signal: String },
    #[error("`{signal}` has {} drivers: {}", drivers.len(), drivers.join(", "))]
    MultipleDrivers {
        signal: String,
        drivers: Vec<String>,
    },
    #[error("`{signal}` is {what}")]
    WrongDriver { signal: String, what: String },
    #[error("input `{signal}` is driven inside the module")]
    DrivenInput { signal: String },
    #[error("combinational loop: {}", path.join(" -> "))]
    CombLoop { path: Vec<String> },
    #[error("`{signal}` is not assigned on every path of its combinational block (would infer a latch); add a default or an otherwise arm")]
    Latch { signal: String },
    #[error("`{signal}` is declared but never read (name it `*unused*` if that is intended)")]
    Unused { signal: String },
    #[error("instance `{instance}` of `{module}`: input `{port}` is not connected")]
    UnconnectedInput {
        instance: String,
        module: String,
        port: String,
    },
    #[error("instance `{instance}` of `{module}`: output `{port}` is not connected (connect it or leave it open explicitly)")]
    UnconnectedOutput {
        instance: String,
        module: String,
        port: String,
    },
    #[error("instance `{instance}` of `{module}` has no port `{port}`")]
    UnknownPort {
        instance: String,
        module: String,
        port: String,
    },
    #[error("instance `{instance}`: port `{port}` connected twice")]
    DuplicateConnection { instance: String, port: String },
    #[error(
        "instance `{instance}`: port `{port}` is {expected} bits but is connected to {found} bits"
    )]
    PortWidthMismatch {
        instance: String,
        port: String,
        expected: u32,
        found: u32,
    },
    #[error(
        "instance `{instance}`: output `{port}` must connect to a whole signal, not an expression"
    )]
    OutputNotSignal { instance: String, port: String },
    #[error("instance `{instance}`: input `{port}` cannot be left open")]
    OpenInput { instance: String, port: String },
    #[error("a signal of another module is used here (in `{context}`)")]
    ForeignSignal { context: String },
    #[error("`{signal}` is the implicit clock/reset and cannot be read as data (in `{context}`)")]
    ImplicitAsData { signal: String, context: String },
    #[error("name `{name}` {reason}")]
    BadName { name: String, reason: String },
    #[error("`{name}` is declared twice")]
    DuplicateName { name: String },
    #[error("reset value of `{signal}`: {reason}")]
    BadReset { signal: String, reason: String },
    #[error("bad parameters: {reason}")]
    BadParameters { reason: String },
}

/// Everything wrong with one module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleError {
    pub module: String,
    pub problems: Vec<Problem>,
}

impl fmt::Display for ModuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.problems.as_slice() {
            [one] => write!(f, "module `{}`: {one}", self.module),
            many => {
                write!(f, "module `{}` has {} problems:", self.module, many.len())?;
                for p in many {
                    write!(f, "\n  - {p}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ModuleError {}

/// Errors of the construction layer as a whole.
#[derive(Debug, thiserror::Error)]
pub enum HdlError {
    #[error(transparent)]
    Module(#[from] ModuleError),
    #[error("two different modules are both named `{name}`; a module name must identify exactly one parameterisation")]
    NameCollision { name: String },
    #[error("{0}")]
    Unsupported(String),
    #[error("cannot write `{path}`")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

//! Signal types and handles.
//!
//! A [`Sig`] is a small copyable handle to a port, wire or register declared in one
//! [`ModuleBuilder`](super::ModuleBuilder). It carries its type so that expressions can be
//! width-checked as they are built, and its owner so that using a signal of another module is
//! caught instead of emitted.

use super::bits::Bits;

/// Width and signedness of a signal or expression. Signedness only decides how a value is
/// extended, compared and multiplied; the emitted Verilog keeps every declaration unsigned
/// and makes each signed operation explicit, so Verilog's context rules never change a result.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Ty {
    pub width: u32,
    pub signed: bool,
}

/// Unsigned type of `width` bits.
pub const fn uint(width: u32) -> Ty {
    Ty {
        width,
        signed: false,
    }
}

/// Signed (two's complement) type of `width` bits.
pub const fn sint(width: u32) -> Ty {
    Ty {
        width,
        signed: true,
    }
}

/// A single unsigned bit.
pub const fn bit() -> Ty {
    uint(1)
}

impl std::fmt::Display for Ty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", if self.signed { "s" } else { "u" }, self.width)
    }
}

/// Handle to a signal of one module under construction.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct Sig {
    pub(crate) owner: u32,
    pub(crate) index: u32,
    pub(crate) ty: Ty,
}

impl Sig {
    pub fn ty(&self) -> Ty {
        self.ty
    }

    pub fn width(&self) -> u32 {
        self.ty.width
    }

    pub fn is_signed(&self) -> bool {
        self.ty.signed
    }
}

/// What a declared signal is.
#[derive(Clone, Debug, PartialEq)]
pub enum SigKind {
    /// The implicit clock or reset input; becomes a port only when something uses it.
    Implicit,
    Input,
    Output,
    Wire,
    /// A flip-flop. `reset` is its value while `rst` is high; `None` marks a datapath
    /// register that is never read before it is written (checked by random-initial-value
    /// simulation, not by construction).
    Reg {
        reset: Option<Bits>,
    },
}

/// A declared signal.
#[derive(Clone, Debug)]
pub struct SigDecl {
    pub name: String,
    pub ty: Ty,
    pub kind: SigKind,
    /// One line written beside the declaration.
    pub doc: Option<String>,
}

impl SigDecl {
    pub fn is_port(&self) -> bool {
        matches!(self.kind, SigKind::Input | SigKind::Output)
    }

    pub fn is_reg(&self) -> bool {
        matches!(self.kind, SigKind::Reg { .. })
    }
}

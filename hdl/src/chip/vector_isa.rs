//! The VECTOR instruction family and the STORE epilogue, defined once: the operations, their
//! encodings, and the layouts of the parameter blocks they load. The decoder, the vector
//! unit's RTL, the reference model (`seedchip_verif::vector`), the assembler, the C header and
//! `docs/isa.md` all read these tables.
//!
//! Every lane value is an int32. A scratchpad operand is the row's first C int8 values,
//! sign-extended; a result written to the scratchpad is saturated to int8 (and the rest of the
//! row zero-filled, as LOAD does); accumulator rows are C int32 lanes.

/// Entries of the piecewise-linear table (`tload` / `pwl`).
pub const TABLE_ENTRIES: u32 = 16;
/// Words of the table block: base, segment shift, min, max, then (M, shift, y) per entry.
pub const TABLE_WORDS: u32 = 4 + 3 * TABLE_ENTRIES;
/// Rows of the requantisation block (`qload`): multiplier, shift, zero point, min, max.
pub const QPARAM_ROWS: u32 = 5;

/// Accumulator rows a `tload` reads on a chip with `cols` lanes (the words packed row-major,
/// `cols` per row).
pub fn table_rows(cols: u32) -> u32 {
    TABLE_WORDS.div_ceil(cols)
}

/// What a VECTOR instruction does to each row. Codes not listed are illegal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VectorOp {
    Add = 0,
    Sub = 1,
    Mul = 2,
    Max = 3,
    Min = 4,
    Shl = 5,
    Sra = 6,
    Rshr = 7,
    Relu = 8,
    Clamp = 9,
    Requant = 10,
    Pwl = 11,
    Rmax = 12,
    Rsum = 13,
    Rsumsq = 14,
    Qload = 15,
    Tload = 16,
}

/// How the vector unit computes an operation (which pipeline path it takes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VectorClass {
    /// Lane by lane, a single cycle of logic: add .. clamp.
    Simple,
    /// Through the lane multiplier: mul, requant, pwl.
    Multiply,
    /// One value per row from all lanes, broadcast to every lane of the result.
    Reduce,
    /// Loads unit state from accumulator rows; writes no row.
    Load,
}

impl VectorOp {
    pub const ALL: [VectorOp; 17] = [
        VectorOp::Add,
        VectorOp::Sub,
        VectorOp::Mul,
        VectorOp::Max,
        VectorOp::Min,
        VectorOp::Shl,
        VectorOp::Sra,
        VectorOp::Rshr,
        VectorOp::Relu,
        VectorOp::Clamp,
        VectorOp::Requant,
        VectorOp::Pwl,
        VectorOp::Rmax,
        VectorOp::Rsum,
        VectorOp::Rsumsq,
        VectorOp::Qload,
        VectorOp::Tload,
    ];

    pub fn code(self) -> u32 {
        self as u32
    }

    pub fn from_code(code: u64) -> Option<VectorOp> {
        VectorOp::ALL.into_iter().find(|o| o.code() as u64 == code)
    }

    /// The assembler's name (`vector op=requant ...`).
    pub fn mnemonic(self) -> &'static str {
        match self {
            VectorOp::Add => "add",
            VectorOp::Sub => "sub",
            VectorOp::Mul => "mul",
            VectorOp::Max => "max",
            VectorOp::Min => "min",
            VectorOp::Shl => "shl",
            VectorOp::Sra => "sra",
            VectorOp::Rshr => "rshr",
            VectorOp::Relu => "relu",
            VectorOp::Clamp => "clamp",
            VectorOp::Requant => "requant",
            VectorOp::Pwl => "pwl",
            VectorOp::Rmax => "rmax",
            VectorOp::Rsum => "rsum",
            VectorOp::Rsumsq => "rsumsq",
            VectorOp::Qload => "qload",
            VectorOp::Tload => "tload",
        }
    }

    pub fn class(self) -> VectorClass {
        use VectorOp::*;
        match self {
            Mul | Requant | Pwl => VectorClass::Multiply,
            Rmax | Rsum | Rsumsq => VectorClass::Reduce,
            Qload | Tload => VectorClass::Load,
            _ => VectorClass::Simple,
        }
    }

    /// Whether the operation reads operand `b` (`b_mode`, `b_row`, `b_acc`, `imm`).
    pub fn uses_b(self) -> bool {
        use VectorOp::*;
        matches!(self, Add | Sub | Mul | Max | Min | Shl | Sra | Rshr)
    }

    /// Whether the operation writes rows from `d_row`.
    pub fn writes(self) -> bool {
        self.class() != VectorClass::Load
    }

    /// Exactly what the operation computes, for `docs/isa.md`.
    pub fn doc(self) -> &'static str {
        match self {
            VectorOp::Add => "`a + b`, wrapping",
            VectorOp::Sub => "`a - b`, wrapping",
            VectorOp::Mul => "`a * b`, the low 32 bits of the product",
            VectorOp::Max => "`max(a, b)`",
            VectorOp::Min => "`min(a, b)`",
            VectorOp::Shl => "`a << (b & 31)`, wrapping",
            VectorOp::Sra => "`a >> (b & 31)`, arithmetic (rounds toward minus infinity)",
            VectorOp::Rshr => "`RoundingDivideByPOT(a, b & 31)`: `a / 2^(b & 31)` to nearest, ties away from zero",
            VectorOp::Relu => "`max(a, 0)`",
            VectorOp::Clamp => "`lo` if `a < lo`, else `hi` if `a > hi`, else `a`; `lo` = `imm[15:0]`, `hi` = `imm[31:16]` (int16 each). ReLU6 is `clamp` with `lo` = the zero point, `hi` = the quantised 6",
            VectorOp::Requant => "the requantisation below with lane i's parameters from the last `qload`",
            VectorOp::Pwl => "the piecewise-linear table from the last `tload`, lane by lane (below)",
            VectorOp::Rmax => "every lane: the row's largest lane, then `post`",
            VectorOp::Rsum => "every lane: the sum of the row's lanes (exact, saturated to int32), then `post`",
            VectorOp::Rsumsq => "every lane: the sum of the squares of the row's lanes, each lane first saturated to int16 (exact, saturated to int32), then `post`",
            VectorOp::Qload => "load the requantisation parameters from accumulator rows `a_row`.. (`rows` = 5, `a_acc` = 1; layout below); writes no row",
            VectorOp::Tload => "load the piecewise-linear table from accumulator rows `a_row`.. (`rows` = ceil(52 / C), `a_acc` = 1; layout below); writes no row",
        }
    }
}

/// Operand `b` of an element-wise VECTOR operation (`b_mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BMode {
    /// `imm` in every lane.
    Imm = 0,
    /// Row `b_row + m` for result row m.
    Row = 1,
    /// Row `b_row` for every result row (read once, when the instruction starts): a
    /// per-channel bias.
    Broadcast = 2,
}

impl BMode {
    pub const ALL: [BMode; 3] = [BMode::Imm, BMode::Row, BMode::Broadcast];

    pub fn from_code(code: u64) -> Option<BMode> {
        BMode::ALL.into_iter().find(|b| *b as u64 == code)
    }

    pub fn mnemonic(self) -> &'static str {
        match self {
            BMode::Imm => "imm",
            BMode::Row => "row",
            BMode::Broadcast => "bcast",
        }
    }
}

/// What a reduction does to its value before it is broadcast (`post`). `k` = `imm[5:0]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Post {
    None = 0,
    /// `floor(2^k / s)`, saturated to INT32_MAX; INT32_MAX for `s <= 0`.
    Recip = 1,
    /// `floor(sqrt(s))`; 0 for `s <= 0`.
    Isqrt = 2,
    /// `recip(isqrt(s))`.
    Rsqrt = 3,
}

impl Post {
    pub const ALL: [Post; 4] = [Post::None, Post::Recip, Post::Isqrt, Post::Rsqrt];

    pub fn from_code(code: u64) -> Option<Post> {
        Post::ALL.into_iter().find(|p| *p as u64 == code)
    }

    pub fn mnemonic(self) -> &'static str {
        match self {
            Post::None => "none",
            Post::Recip => "recip",
            Post::Isqrt => "isqrt",
            Post::Rsqrt => "rsqrt",
        }
    }
}

/// A STORE's treatment of accumulator rows on the way out (`epilogue`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Epilogue {
    /// The rows as they are (int32 lanes).
    None = 0,
    /// Requantised with the `qload` parameters; one byte per lane (the low byte of the result).
    Int8 = 1,
    /// Requantised with the `qload` parameters; two bytes per lane, little-endian.
    Int16 = 2,
}

impl Epilogue {
    pub const ALL: [Epilogue; 3] = [Epilogue::None, Epilogue::Int8, Epilogue::Int16];

    pub fn from_code(code: u64) -> Option<Epilogue> {
        Epilogue::ALL.into_iter().find(|e| *e as u64 == code)
    }

    pub fn mnemonic(self) -> &'static str {
        match self {
            Epilogue::None => "none",
            Epilogue::Int8 => "int8",
            Epilogue::Int16 => "int16",
        }
    }

    /// Bytes each lane becomes in DRAM.
    pub fn lane_bytes(self) -> u32 {
        match self {
            Epilogue::None => 4,
            Epilogue::Int8 => 1,
            Epilogue::Int16 => 2,
        }
    }
}

/// Symbolic values the assembler accepts for a field (`op=requant`, `b_mode=bcast`, ...).
pub fn symbols(field: &str) -> Vec<(&'static str, u64)> {
    match field {
        "op" => VectorOp::ALL
            .iter()
            .map(|o| (o.mnemonic(), o.code() as u64))
            .collect(),
        "b_mode" => BMode::ALL
            .iter()
            .map(|b| (b.mnemonic(), *b as u64))
            .collect(),
        "post" => Post::ALL
            .iter()
            .map(|p| (p.mnemonic(), *p as u64))
            .collect(),
        "epilogue" => Epilogue::ALL
            .iter()
            .map(|e| (e.mnemonic(), *e as u64))
            .collect(),
        _ => Vec::new(),
    }
}

/// The name of `value` in a symbolic field, for the disassembler.
pub fn symbol_name(field: &str, value: u64) -> Option<&'static str> {
    symbols(field)
        .into_iter()
        .find(|(_, v)| *v == value)
        .map(|(n, _)| n)
}

/// Whether destination rows `[d, d + rows)` read source rows `[s, s + rows)` of the same memory
/// only before writing them: true unless the ranges overlap with the destination ahead
/// (`d > s`). Rows stream in order, so a destination at or behind its source never writes a
/// row that a later row still has to read.
pub fn reads_before_writes(d: u64, s: u64, rows: u64) -> bool {
    d <= s || d >= s + rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_named() {
        for (i, a) in VectorOp::ALL.iter().enumerate() {
            assert_eq!(VectorOp::from_code(a.code() as u64), Some(*a));
            for b in &VectorOp::ALL[i + 1..] {
                assert_ne!(a.mnemonic(), b.mnemonic());
            }
        }
        assert!(VectorOp::ALL.iter().all(|o| o.code() < 32), "op is 5 bits");
        assert_eq!(table_rows(16), 4);
        assert_eq!(table_rows(2), 26);
    }

    #[test]
    fn overlap_rule() {
        assert!(reads_before_writes(3, 3, 4));
        assert!(reads_before_writes(2, 3, 4));
        assert!(!reads_before_writes(4, 3, 4));
        assert!(reads_before_writes(7, 3, 4));
    }
}

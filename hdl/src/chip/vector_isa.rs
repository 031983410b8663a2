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

/// In hardware: whether the `op` field holds one of the operations `pick` selects (false for
/// an illegal code, which no pick selects).
pub fn op_is_any(op: impl crate::hw::ExprOps, pick: impl Fn(VectorOp) -> bool) -> crate::hw::Expr {
    let op = op.expr();
    VectorOp::ALL
        .into_iter()
        .filter(|o| pick(*o))
        .map(|o| crate::hw::ExprOps::eq_lit(&op, o.code() as i64))
        .fold(crate::hw::ulit(1, 0), |a, b| a | b)
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

/// A worked requantisation: (x, multiplier, shift, zero point, min, max, result, what it
/// shows).
pub type RequantExample = (i32, i32, i32, i32, i32, i32, i32, &'static str);

/// Worked requantisations for `docs/isa.md`. A test checks every row against the reference
/// model and the RTL.
pub const REQUANT_EXAMPLES: &[RequantExample] = &[
    (
        i32::MAX,
        i32::MAX,
        -31,
        0,
        i32::MIN,
        i32::MAX,
        1,
        "(2^31-1)^2 / 2^31 = 2^31 - 2 + (1 + 2^30) / 2^31 rounds down to 2147483646; / 2^31 = 0.9999999991 rounds to 1",
    ),
    (
        i32::MIN,
        i32::MIN,
        0,
        0,
        i32::MIN,
        i32::MAX,
        i32::MAX,
        "the one product that does not fit: INT32_MIN x INT32_MIN saturates to INT32_MAX",
    ),
    (
        i32::MIN,
        i32::MIN,
        0,
        0,
        -128,
        127,
        127,
        "the same, clamped to int8",
    ),
    (
        1,
        1 << 30,
        0,
        0,
        i32::MIN,
        i32::MAX,
        1,
        "x * M = 0.5 ulp of the high half: a tie, rounded toward +infinity (+0.5 -> 1)",
    ),
    (
        -1,
        1 << 30,
        0,
        0,
        i32::MIN,
        i32::MAX,
        0,
        "x * M = -0.5 ulp: a tie, rounded toward +infinity (-0.5 -> 0)",
    ),
    (
        5,
        i32::MAX,
        -1,
        0,
        i32::MIN,
        i32::MAX,
        3,
        "5 * (1 - 2^-31) rounds to 5; 5 / 2 = 2.5 is a tie of the divide, away from zero: 3",
    ),
    (
        -5,
        i32::MAX,
        -1,
        0,
        i32::MIN,
        i32::MAX,
        -3,
        "-2.5 away from zero: -3",
    ),
    (
        i32::MAX,
        i32::MAX,
        0,
        10,
        i32::MIN,
        i32::MAX,
        i32::MAX,
        "2147483646 + zero point 10 saturates to INT32_MAX",
    ),
    (
        1000,
        1518500250,
        -3,
        -5,
        -128,
        127,
        83,
        "a typical int8 output: 1000 * 0.70710678 = 707.1 -> 707; / 8 = 88.4 -> 88; + (-5) = 83",
    ),
    (
        100,
        1 << 30,
        2,
        0,
        -128,
        127,
        127,
        "a positive shift multiplies x first: 400 * 0.5 = 200, clamped to 127",
    ),
];

/// The "Vector unit" section of `docs/isa.md`.
pub fn markdown_section() -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "## Vector unit\n\n\
         VECTOR instructions run in the store queue, one at a time and in program order with the \
         STOREs (so the tokens that order a STORE after a MATMUL order a VECTOR the same way). A row \
         holds C int32 values, its lanes (the array's columns); the unit computes L of them a \
         cycle (`[vector] lanes`, a divisor of C, default C), so a row takes C / L beats. Results do not \
         depend on L: reductions gather a row's beats exactly (40 bits) and saturate once, and \
         per-channel parameters follow the column, whatever the beat. Operand `a` is row `a_row + m`: a \
         scratchpad row's first C int8 values sign-extended, or an accumulator row's C lanes. \
         Operand `b` follows `b_mode`. A result written to the scratchpad is saturated to int8 and \
         the rest of the row zero-filled (as LOAD does); to the accumulator it is written as is.\n\n\
         Rows stream in order, one per cycle with L = C (two when `b` is a row of its own, fetched \
         after `a`; C / L cycles with fewer lanes, since the second read hides behind the beats). \
         A destination range that overlaps a source range in the same memory must not start after \
         it (`d_row <= a_row`, and `d_row <= b_row` for a `row` operand): then every row is read \
         before it is written, as the reference model's row-by-row order says; a destination ahead \
         of its source is an illegal field. A `bcast` row is read once, when the instruction \
         starts. The pipeline's latency (from a row's last beat) is {simple} cycles for the simple operations, {multiply} for \
         `mul`, `requant` and `pwl`, and, for reductions with L = 16, {none} (`post` = `none`; \
         `5 + ceil(log2(L))`, one more with L < C), {isqrt} (`isqrt`, two root bits a stage), {recip} (`recip`, two quotient \
         bits a stage) or {rsqrt} (`rsqrt`, both); the next instruction starts when the last row is written.\n",
        simple = super::vector_unit::SIMPLE_LATENCY,
        multiply = super::vector_unit::MULTIPLY_LATENCY,
        none = 1 + super::vector_reduce::latency(16, false, Post::None),
        isqrt = 1 + super::vector_reduce::latency(16, false, Post::Isqrt),
        recip = 1 + super::vector_reduce::latency(16, false, Post::Recip),
        rsqrt = 1 + super::vector_reduce::latency(16, false, Post::Rsqrt),
    );
    let _ = writeln!(
        s,
        "### Operations (`op`)\n\n| code | `op` | each lane of the result | reads `b` |\n|---|---|---|---|"
    );
    for op in VectorOp::ALL {
        let _ = writeln!(
            s,
            "| {} | `{}` | {} | {} |",
            op.code(),
            op.mnemonic(),
            op.doc(),
            if op.uses_b() { "yes" } else { "no" }
        );
    }
    let _ = writeln!(
        s,
        "\n### Operand b (`b_mode`)\n\n| code | `b_mode` | b |\n|---|---|---|\n\
         | 0 | `imm` | `imm` in every lane |\n\
         | 1 | `row` | row `b_row + m` (from `b_acc`'s memory) |\n\
         | 2 | `bcast` | row `b_row` for every row m (a per-channel bias) |\n\n\
         `b_mode` = 3 is illegal. Operations that do not read `b` ignore `b_mode`, `b_row` and \
         `b_acc`.\n\n\
         ### Reductions and `post`\n\n\
         `rmax`, `rsum` and `rsumsq` reduce all C lanes of a row to one value s and write \
         `post(s)` to every lane. Sums are exact and then saturated to int32 (they never wrap); \
         `rsumsq` saturates each lane to int16 before squaring. With k = `imm[5:0]`:\n\n\
         | code | `post` | value |\n|---|---|---|\n\
         | 0 | `none` | s |\n\
         | 1 | `recip` | floor(2^k / s), saturated to INT32_MAX; INT32_MAX when s <= 0 |\n\
         | 2 | `isqrt` | floor(sqrt(s)); 0 when s <= 0 |\n\
         | 3 | `rsqrt` | recip(isqrt(s)) |\n\n\
         `post` is illegal on other operations. Softmax uses `rmax`, `sub`, `pwl` (exp), `rsum` \
         with `recip` and `mul`; layer-norm and RMSNorm use `rsum`, `rsumsq` with `rsqrt`, and \
         `mul`."
    );
    let _ = writeln!(
        s,
        "\n### Requantisation (`requant`, the STORE epilogue)\n\n\
         Exactly TFLite's reference int8 arithmetic. Lane i uses its own multiplier M (Q0.31), \
         shift (bits 5..0 of its word, signed, -32..31), zero point, min and max (per-tensor \
         parameters are the same in every lane). For x (int32):\n\n\
         1. `left = max(shift, 0)`, `right = max(-shift, 0)`.\n\
         2. `a = x * 2^left`, an int32 multiply: it wraps (TFLite's quantiser never lets it \
         overflow).\n\
         3. `SaturatingRoundingDoublingHighMul(a, M)`: the 64-bit product `a * M`, plus the nudge \
         `2^30` (or `1 - 2^30` when the product is negative), divided by `2^31` truncating toward \
         zero: the nearest integer to `a * M / 2^31`, a tie going toward +infinity. The one product \
         that does not fit, INT32_MIN x INT32_MIN, gives INT32_MAX.\n\
         4. `RoundingDivideByPOT(y, right)`: `y >> right` (arithmetic), plus one when the bits \
         shifted out exceed `(2^right - 1) >> 1` (that plus one for a negative y): the \
         nearest integer to `y / 2^right`, a tie going away from zero. (`right` = 32, from a shift \
         of -32, gives 0, or -1 for INT32_MIN, by the same formula in 64 bits.)\n\
         5. Add the zero point, saturating to int32.\n\
         6. Clamp: `min` if below `min`, else `max` if above `max`. ReLU and ReLU6 are this clamp \
         with min = the zero point (and max = the quantised 6), as TFLite fuses them.\n\n\
         The STORE epilogue (`epilogue` = `int8` / `int16`) writes the low 1 / 2 bytes of each \
         lane's result, little-endian; `row_bytes` is then at most C / 2C. Worked values (checked \
         against the model and the RTL by `verif/tests/requant.rs`):\n\n\
         | x | M | shift | zero point | min..max | result | why |\n|---|---|---|---|---|---|---|"
    );
    for (x, m, sh, zp, lo, hi, out, why) in REQUANT_EXAMPLES {
        let _ = writeln!(
            s,
            "| {x} | {m} | {sh} | {zp} | {lo}..{hi} | {out} | {why} |"
        );
    }
    let _ = writeln!(
        s,
        "\n### Parameter blocks\n\n\
         `qload` reads {QPARAM_ROWS} accumulator rows from `a_row`: the lanes' multipliers, shifts, \
         zero points, minimums and maximums, one row each (lane i of each row is lane i's). `tload` \
         reads ceil({TABLE_WORDS} / C) accumulator rows holding {TABLE_WORDS} words packed \
         row-major (word w in row `a_row + w / C`, lane `w % C`): word 0 `base`, 1 `seg_shift` \
         (bits 4..0), 2 `min`, 3 `max`, then for each of the {TABLE_ENTRIES} segments k its \
         multiplier M_k, shift_k (bits 5..0, signed) and intercept y0_k (words 4 + 3k, 5 + 3k, \
         6 + 3k). The parameters are the unit's state: zero after reset, kept from run to run, and \
         used by every later `requant`, `pwl` and epilogue.\n\n\
         ### The piecewise-linear table (`pwl`)\n\n\
         For x: the segment `k = clamp(floor((x - base) / 2^seg_shift), 0, {last})`, the distance \
         `d = sat32(x - base - k * 2^seg_shift)` (negative below the table, large above it: the end \
         segments extrapolate), and the result is the requantisation of d by (M_k, shift_k) with \
         zero point y0_k and range min..max: `clamp(sat32(MultiplyByQuantizedMultiplier(d, M_k, \
         shift_k) + y0_k), min, max)`. One datapath serves GELU, SiLU, exp, sigmoid and tanh alike: \
         the layer library fits the segments to the function at the tensor's scales. A table \
         rather than I-BERT's fixed polynomials because the polynomials need a different integer \
         pipeline per function and their constants depend on the input scale anyway, while the \
         table reuses the requantiser's multiplier (one per lane) and its accuracy is chosen by the \
         segment width.",
        last = TABLE_ENTRIES - 1
    );
    s
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

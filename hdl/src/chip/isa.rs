//! The seedchip instruction set, defined once.
//!
//! Every instruction is 128 bits, stored little-endian in DRAM (16 bytes, the first byte holds
//! bits 7..0). The field table [`FIELDS`] is the single definition of the encoding: the
//! encoder, the decoder, the assembler, the generated C header and `docs/isa.md` all read it,
//! and so will the RTL decoder.
//!
//! Bits 3..0 are the opcode; bits 7..4 are the dependency flags. Opcode 0 is illegal, so a
//! program counter that runs into zeroed memory stops with an error instead of executing.
//!
//! ## Queues and dependency tokens
//!
//! The controller dispatches LOAD to the load queue, MATMUL to the compute queue and STORE to
//! the store queue; the three run concurrently (decoupled access/execute). Ordering between
//! them is explicit, as in VTA: the queues form a chain load -> compute -> store, and each
//! adjacent pair has two token channels, one each way. An instruction may
//! - `pop_prev` / `pop_next`: before it starts, wait for (and take) a token sent to it by the
//!   previous / next queue in the chain;
//! - `push_prev` / `push_next`: when it has finished, send a token to the previous / next queue.
//!
//! A LOAD has no previous queue and a STORE no next one: those flags are illegal there. The
//! hardware never guesses an order: a MATMUL that reads rows a LOAD writes must `pop_prev` a
//! token that LOAD pushed (`push_next`), and a LOAD that overwrites rows a MATMUL reads must
//! `pop_next` a token that MATMUL pushed (`push_prev`). FENCE waits until every queue is empty
//! and idle; HALT does the same, then stops the chip with STATUS.done set.

use std::fmt;

pub use super::vector_isa::*;

/// Instruction width in bits.
pub const INSTR_BITS: u32 = 128;
/// Instruction size in DRAM, bytes.
pub const INSTR_BYTES: u32 = INSTR_BITS / 8;

/// The opcodes. Codes not listed are illegal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Opcode {
    Load = 1,
    Store = 2,
    Matmul = 3,
    Fence = 4,
    Halt = 5,
    Vector = 6,
}

impl Opcode {
    pub const ALL: [Opcode; 6] = [
        Opcode::Load,
        Opcode::Store,
        Opcode::Matmul,
        Opcode::Fence,
        Opcode::Halt,
        Opcode::Vector,
    ];

    /// The assembler's mnemonic (and the C header's name, upper-cased).
    pub fn mnemonic(self) -> &'static str {
        match self {
            Opcode::Load => "load",
            Opcode::Store => "store",
            Opcode::Matmul => "matmul",
            Opcode::Fence => "fence",
            Opcode::Halt => "halt",
            Opcode::Vector => "vector",
        }
    }

    pub fn code(self) -> u32 {
        self as u32
    }

    pub fn from_code(code: u32) -> Option<Opcode> {
        Opcode::ALL.into_iter().find(|o| o.code() == code)
    }

    /// The queue that executes this instruction (FENCE and HALT are the dispatcher's own).
    pub fn queue(self) -> Option<Queue> {
        match self {
            Opcode::Load => Some(Queue::Load),
            Opcode::Matmul => Some(Queue::Compute),
            Opcode::Store | Opcode::Vector => Some(Queue::Store),
            Opcode::Fence | Opcode::Halt => None,
        }
    }

    /// One line saying what the instruction does.
    pub fn summary(self) -> &'static str {
        match self {
            Opcode::Load => "copy `rows` rows of `row_bytes` bytes from DRAM (`dram_addr`, rows `dram_stride` bytes apart) into the scratchpad or the accumulator from row `sram_row`; the rest of each SRAM row is zero-filled",
            Opcode::Store => "copy `rows` rows of `row_bytes` bytes from the scratchpad or the accumulator (from row `sram_row`) to DRAM (`dram_addr`, rows `dram_stride` bytes apart); accumulator rows may be requantised on the way (`epilogue`)",
            Opcode::Matmul => "load the weight tile from scratchpad rows `w_row`.. (R rows), stream `rows` activation rows from scratchpad row `a_row`, and write or add the int32 results into accumulator rows from `acc_row`",
            Opcode::Fence => "wait until every queue is empty and idle",
            Opcode::Halt => "wait until every queue is empty and idle, then stop with STATUS.done",
            Opcode::Vector => "for each of `rows` rows: operation `op` on row `a_row + m` (and operand `b`), the result to row `d_row + m`; or load the vector unit's parameters (see \"Vector unit\")",
        }
    }
}

/// The three execution queues, in chain order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Queue {
    Load,
    Compute,
    Store,
}

/// STATUS.error: why the chip stopped. The first error stops dispatch; everything dispatched
/// before it completes; the faulting instruction does nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ErrorCode {
    None = 0,
    /// The opcode is not an instruction.
    IllegalOpcode = 1,
    /// A reserved bit is set, a dependency flag does not fit the queue, or a count is zero.
    IllegalField = 2,
    /// An SRAM row range, or `row_bytes`, goes past the memory the configuration has.
    RowRange = 3,
    /// A DRAM access would leave the DRAM window (CSR base/bound); nothing was accessed.
    DramWindow = 4,
    /// The bus answered SLVERR or DECERR.
    BusError = 5,
    /// The program (address, length) is not inside the DRAM window, or is misaligned.
    Fetch = 6,
    /// The program ended without HALT.
    NoHalt = 7,
    /// Every unit waits for a token that can never come.
    Deadlock = 8,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 9] = [
        ErrorCode::None,
        ErrorCode::IllegalOpcode,
        ErrorCode::IllegalField,
        ErrorCode::RowRange,
        ErrorCode::DramWindow,
        ErrorCode::BusError,
        ErrorCode::Fetch,
        ErrorCode::NoHalt,
        ErrorCode::Deadlock,
    ];

    pub fn code(self) -> u32 {
        self as u32
    }

    /// The C header's name: `SEEDCHIP_ERR_<NAME>`.
    pub fn name(self) -> &'static str {
        match self {
            ErrorCode::None => "NONE",
            ErrorCode::IllegalOpcode => "ILLEGAL_OPCODE",
            ErrorCode::IllegalField => "ILLEGAL_FIELD",
            ErrorCode::RowRange => "ROW_RANGE",
            ErrorCode::DramWindow => "DRAM_WINDOW",
            ErrorCode::BusError => "BUS_ERROR",
            ErrorCode::Fetch => "FETCH",
            ErrorCode::NoHalt => "NO_HALT",
            ErrorCode::Deadlock => "DEADLOCK",
        }
    }
}

impl From<&DecodeError> for ErrorCode {
    fn from(e: &DecodeError) -> ErrorCode {
        match e {
            DecodeError::Opcode(_) => ErrorCode::IllegalOpcode,
            _ => ErrorCode::IllegalField,
        }
    }
}

/// One field of the encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    /// The opcodes this field belongs to; empty for the header fields every instruction has.
    pub opcodes: &'static [Opcode],
    pub name: &'static str,
    pub lo: u32,
    pub width: u32,
    pub doc: &'static str,
}

impl Field {
    /// A header field (every instruction has it).
    pub fn is_header(&self) -> bool {
        self.opcodes.is_empty()
    }
}

const fn field(
    opcodes: &'static [Opcode],
    name: &'static str,
    lo: u32,
    width: u32,
    doc: &'static str,
) -> Field {
    Field {
        opcodes,
        name,
        lo,
        width,
        doc,
    }
}

const HEADER: &[Opcode] = &[];
/// LOAD and STORE share one layout: the DMA decodes both the same way.
const DMA: &[Opcode] = &[Opcode::Load, Opcode::Store];
const M: &[Opcode] = &[Opcode::Matmul];
const ST: &[Opcode] = &[Opcode::Store];
const V: &[Opcode] = &[Opcode::Vector];

/// The encoding: the one definition of every field's position.
pub const FIELDS: &[Field] = &[
    field(HEADER, "opcode", 0, 4, "operation (see the opcode table)"),
    field(
        HEADER,
        "pop_prev",
        4,
        1,
        "wait for a token from the previous queue first",
    ),
    field(
        HEADER,
        "pop_next",
        5,
        1,
        "wait for a token from the next queue first",
    ),
    field(
        HEADER,
        "push_prev",
        6,
        1,
        "send a token to the previous queue when done",
    ),
    field(
        HEADER,
        "push_next",
        7,
        1,
        "send a token to the next queue when done",
    ),
    field(
        DMA,
        "acc",
        8,
        1,
        "0: the scratchpad (int8 rows); 1: the accumulator (int32 rows)",
    ),
    field(
        ST,
        "epilogue",
        9,
        2,
        "0 (`none`): rows as they are; 1 (`int8`) / 2 (`int16`): accumulator rows requantised with the `qload` parameters, 1 / 2 bytes per lane",
    ),
    field(DMA, "sram_row", 16, 16, "first SRAM row"),
    field(DMA, "rows", 32, 16, "rows to copy, at least 1"),
    field(
        DMA,
        "row_bytes",
        48,
        16,
        "bytes copied per row, 1..=the SRAM row's size in bytes",
    ),
    field(
        DMA,
        "dram_addr",
        64,
        32,
        "DRAM byte address of the first row",
    ),
    field(
        DMA,
        "dram_stride",
        96,
        32,
        "DRAM bytes from one row's start to the next's",
    ),
    field(
        M,
        "accumulate",
        8,
        1,
        "0: overwrite the accumulator rows; 1: add to them (int32, wrapping)",
    ),
    field(
        M,
        "w_row",
        16,
        16,
        "first scratchpad row of the weight tile (R rows; lane c of row k = W[k][c])",
    ),
    field(
        M,
        "a_row",
        32,
        16,
        "first scratchpad row of the activations (lane r of row m = A[m][r])",
    ),
    field(M, "acc_row", 48, 16, "first accumulator row written"),
    field(M, "rows", 64, 16, "activation rows, at least 1"),
    field(V, "op", 8, 5, "the operation (see \"Vector unit\")"),
    field(
        V,
        "a_acc",
        13,
        1,
        "operand a from 0: the scratchpad (int8, sign-extended), 1: the accumulator",
    ),
    field(V, "b_acc", 14, 1, "operand b's rows from 0: the scratchpad, 1: the accumulator"),
    field(
        V,
        "d_acc",
        15,
        1,
        "results to 0: the scratchpad (saturated to int8), 1: the accumulator",
    ),
    field(V, "a_row", 16, 16, "first row of operand a"),
    field(V, "b_row", 32, 16, "operand b's row (see `b_mode`)"),
    field(V, "d_row", 48, 16, "first result row"),
    field(V, "rows", 64, 16, "rows, at least 1"),
    field(
        V,
        "b_mode",
        80,
        2,
        "operand b: 0 (`imm`) `imm` in every lane, 1 (`row`) row `b_row + m`, 2 (`bcast`) row `b_row` for every row",
    ),
    field(
        V,
        "post",
        82,
        2,
        "reductions only: 0 `none`, 1 `recip`, 2 `isqrt`, 3 `rsqrt` (see \"Vector unit\")",
    ),
    field(
        V,
        "imm",
        96,
        32,
        "immediate: operand b (`b_mode` = 0), the `clamp` bounds, or the `post` exponent k",
    ),
];

/// The fields of `opcode`, header first.
pub fn fields_of(opcode: Opcode) -> Vec<&'static Field> {
    FIELDS
        .iter()
        .filter(|f| f.is_header() || f.opcodes.contains(&opcode))
        .collect()
}

/// Why an instruction word is not a legal instruction.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("illegal opcode {0}")]
    Opcode(u32),
    #[error("{opcode}: bits {lo}..={hi} are reserved and must be zero")]
    Reserved {
        opcode: &'static str,
        lo: u32,
        hi: u32,
    },
    #[error("{opcode}: `{flag}` is illegal here ({why})")]
    Dependency {
        opcode: &'static str,
        flag: &'static str,
        why: &'static str,
    },
    #[error("{opcode}: `{field}` must be at least 1")]
    Zero {
        opcode: &'static str,
        field: &'static str,
    },
    #[error("{opcode}: `{field}` = {value} {why}")]
    Value {
        opcode: &'static str,
        field: &'static str,
        value: u64,
        why: &'static str,
    },
}

/// A decoded instruction: the opcode and the value of each of its fields.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Instr {
    pub opcode: Opcode,
    /// Values of `fields_of(opcode)`, in that order.
    values: Vec<u64>,
}

impl Instr {
    /// An instruction with every field zero.
    pub fn new(opcode: Opcode) -> Instr {
        let n = fields_of(opcode).len();
        let mut values = vec![0; n];
        values[0] = opcode.code() as u64;
        Instr { opcode, values }
    }

    fn index(&self, name: &str) -> Option<usize> {
        fields_of(self.opcode).iter().position(|f| f.name == name)
    }

    /// Field `name`; `None` if the opcode has no such field.
    pub fn get(&self, name: &str) -> Option<u64> {
        self.index(name).map(|i| self.values[i])
    }

    /// Set field `name`; an unknown field or a value that does not fit is an error naming it.
    pub fn set(&mut self, name: &str, value: u64) -> Result<(), String> {
        let fields = fields_of(self.opcode);
        let i = self.index(name).ok_or_else(|| {
            format!(
                "{} has no field `{name}`; its fields: {}",
                self.opcode.mnemonic(),
                fields[1..]
                    .iter()
                    .map(|f| f.name)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
        if name == "opcode" {
            return Err("the opcode is set by the instruction".into());
        }
        let w = fields[i].width;
        if w < 64 && value >> w != 0 {
            return Err(format!(
                "{}: `{name}` = {value} does not fit in {w} bits",
                self.opcode.mnemonic()
            ));
        }
        self.values[i] = value;
        Ok(())
    }

    /// Builder form of [`Instr::set`] for values known to fit.
    ///
    /// # Panics
    /// If the field does not exist or the value does not fit (a bug in the caller).
    pub fn with(mut self, name: &str, value: u64) -> Instr {
        if let Err(e) = self.set(name, value) {
            panic!("{e}");
        }
        self
    }

    /// The 128-bit encoding.
    pub fn encode(&self) -> u128 {
        fields_of(self.opcode)
            .iter()
            .zip(&self.values)
            .fold(0u128, |w, (f, &v)| w | ((v as u128) << f.lo))
    }

    /// The 16 bytes stored in DRAM (little-endian).
    pub fn to_bytes(&self) -> [u8; 16] {
        self.encode().to_le_bytes()
    }

    /// Decode and check one word: the opcode exists, reserved bits are zero, the dependency
    /// flags fit the opcode's queue, and counts are non-zero. (Ranges that depend on the
    /// configuration, such as SRAM rows, are checked where the configuration is known.)
    pub fn decode(word: u128) -> Result<Instr, DecodeError> {
        let code = (word & 0xf) as u32;
        let opcode = Opcode::from_code(code).ok_or(DecodeError::Opcode(code))?;
        let fields = fields_of(opcode);
        let mut used = 0u128;
        let mut values = Vec::with_capacity(fields.len());
        for f in &fields {
            let mask = if f.width == 128 {
                u128::MAX
            } else {
                ((1u128 << f.width) - 1) << f.lo
            };
            used |= mask;
            values.push(((word & mask) >> f.lo) as u64);
        }
        let stray = word & !used;
        if stray != 0 {
            let lo = stray.trailing_zeros();
            let mut hi = lo;
            while hi + 1 < INSTR_BITS && (stray >> (hi + 1)) & 1 == 1 && (used >> (hi + 1)) & 1 == 0
            {
                hi += 1;
            }
            return Err(DecodeError::Reserved {
                opcode: opcode.mnemonic(),
                lo,
                hi,
            });
        }
        let instr = Instr { opcode, values };
        instr.check_dependencies()?;
        for field in ["rows", "row_bytes"] {
            if instr.get(field) == Some(0) {
                return Err(DecodeError::Zero {
                    opcode: opcode.mnemonic(),
                    field,
                });
            }
        }
        instr.check_values()?;
        Ok(instr)
    }

    /// The value rules of VECTOR and the STORE epilogue (each is an illegal field).
    fn check_values(&self) -> Result<(), DecodeError> {
        let opcode = self.opcode.mnemonic();
        let f = |name: &str| self.get(name).unwrap_or(0);
        let bad = |field: &'static str, why: &'static str| {
            Err(DecodeError::Value {
                opcode,
                field,
                value: f(field),
                why,
            })
        };
        match self.opcode {
            Opcode::Store => {
                if Epilogue::from_code(f("epilogue")).is_none() {
                    return bad("epilogue", "is not an epilogue (0, 1 or 2)");
                }
                if f("epilogue") != 0 && f("acc") == 0 {
                    return bad("epilogue", "needs accumulator rows (`acc` = 1)");
                }
            }
            Opcode::Vector => {
                let Some(op) = VectorOp::from_code(f("op")) else {
                    return bad("op", "is not a vector operation");
                };
                if BMode::from_code(f("b_mode")).is_none() {
                    return bad("b_mode", "is not 0 (imm), 1 (row) or 2 (bcast)");
                }
                if f("post") != 0 && op.class() != VectorClass::Reduce {
                    return bad("post", "is for reductions only");
                }
                if op.class() == VectorClass::Load && f("a_acc") == 0 {
                    return bad("a_acc", "must be 1: parameters load from the accumulator");
                }
                if op == VectorOp::Qload && f("rows") != QPARAM_ROWS as u64 {
                    return bad("rows", "must be 5 for qload");
                }
                if op.writes() {
                    let rows = f("rows");
                    if f("d_acc") == f("a_acc")
                        && !reads_before_writes(f("d_row"), f("a_row"), rows)
                    {
                        return bad("d_row", "overlaps the a rows ahead of them (d_row > a_row)");
                    }
                    if op.uses_b()
                        && f("b_mode") == BMode::Row as u64
                        && f("d_acc") == f("b_acc")
                        && !reads_before_writes(f("d_row"), f("b_row"), rows)
                    {
                        return bad("d_row", "overlaps the b rows ahead of them (d_row > b_row)");
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn check_dependencies(&self) -> Result<(), DecodeError> {
        let queue = self.opcode.queue();
        let why = match queue {
            Some(Queue::Load) => "the load queue is first in the chain",
            Some(Queue::Store) => "the store queue is last in the chain",
            _ => "fence and halt belong to no queue",
        };
        let illegal = FLAGS
            .into_iter()
            .find(|f| self.get(f) == Some(1) && queue.and_then(|q| channel(q, f)).is_none());
        match illegal {
            Some(flag) => Err(DecodeError::Dependency {
                opcode: self.opcode.mnemonic(),
                flag,
                why,
            }),
            None => Ok(()),
        }
    }
}

/// The dependency flags, in header bit order (bits 4..7).
pub const FLAGS: [&str; 4] = ["pop_prev", "pop_next", "push_prev", "push_next"];

/// A token channel between two adjacent queues.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Channel {
    LoadToCompute = 0,
    ComputeToLoad = 1,
    ComputeToStore = 2,
    StoreToCompute = 3,
}

impl Channel {
    pub const ALL: [Channel; 4] = [
        Channel::LoadToCompute,
        Channel::ComputeToLoad,
        Channel::ComputeToStore,
        Channel::StoreToCompute,
    ];
}

/// The channel that flag `flag` of an instruction in `queue` pops from or pushes to; `None`
/// where the flag is illegal (a LOAD has no previous queue, a STORE no next one).
pub fn channel(queue: Queue, flag: &str) -> Option<Channel> {
    use Channel::*;
    match (queue, flag) {
        (Queue::Load, "pop_next") => Some(ComputeToLoad),
        (Queue::Load, "push_next") => Some(LoadToCompute),
        (Queue::Compute, "pop_prev") => Some(LoadToCompute),
        (Queue::Compute, "push_prev") => Some(ComputeToLoad),
        (Queue::Compute, "pop_next") => Some(StoreToCompute),
        (Queue::Compute, "push_next") => Some(ComputeToStore),
        (Queue::Store, "pop_prev") => Some(ComputeToStore),
        (Queue::Store, "push_prev") => Some(StoreToCompute),
        _ => None,
    }
}

/// The field `name` of `opcode` (header fields included).
pub fn field_of(opcode: Opcode, name: &str) -> Option<&'static Field> {
    fields_of(opcode).into_iter().find(|f| f.name == name)
}

/// The assembler's text form: the mnemonic, then `field=value` pairs (decimal or `0x` hex),
/// then the dependency flags by name; fields left out are zero. For example
/// `load acc=0 sram_row=0 rows=16 row_bytes=16 dram_addr=0x1000 dram_stride=16 push_next`.
impl fmt::Display for Instr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.opcode.mnemonic())?;
        let fields = fields_of(self.opcode);
        for (field, v) in fields.iter().zip(&self.values).skip(5) {
            if field.name.starts_with("dram") {
                write!(f, " {}={v:#x}", field.name)?;
            } else if let Some(name) = symbol_name(field.name, *v) {
                write!(f, " {}={name}", field.name)?;
            } else if field.name == "imm" {
                write!(f, " imm={}", *v as u32 as i32)?;
            } else {
                write!(f, " {}={v}", field.name)?;
            }
        }
        for (field, v) in fields.iter().zip(&self.values).skip(1).take(4) {
            if *v == 1 {
                write!(f, " {}", field.name)?;
            }
        }
        Ok(())
    }
}

/// An assembly error, naming the line.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct AsmError {
    pub line: usize,
    pub message: String,
}

fn parse_number(s: &str) -> Option<u64> {
    let s = s.replace('_', "");
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

/// A field's value in assembler text: a number (decimal, `0x` hex, `-` for `imm`) or, for
/// the symbolic fields (`op`, `b_mode`, `post`, `epilogue`), a name.
fn parse_value(name: &str, v: &str) -> Result<u64, String> {
    if let Some((_, code)) = symbols(name)
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(v))
    {
        return Ok(code);
    }
    if let Some(n) = parse_number(v) {
        return Ok(n);
    }
    if name == "imm" {
        if let Some(n) = v.strip_prefix('-').and_then(parse_number) {
            if n <= 1 << 31 {
                return Ok((n as u32).wrapping_neg() as u64);
            }
            return Err(format!("`imm` = `{v}` does not fit in 32 bits"));
        }
    }
    let names = symbols(name);
    if names.is_empty() {
        Err(format!("`{name}` = `{v}` is not a number"))
    } else {
        Err(format!(
            "`{name}` = `{v}` is not a number or one of {}",
            names.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
        ))
    }
}

/// Assemble a program: one instruction per line, `#` starts a comment, blank lines ignored.
/// Each instruction is checked as the decoder checks it.
pub fn assemble(text: &str) -> Result<Vec<Instr>, AsmError> {
    let mut out = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line = n + 1;
        let err = |message: String| AsmError { line, message };
        let code = raw.split('#').next().unwrap_or("").trim();
        if code.is_empty() {
            continue;
        }
        let mut words = code.split_whitespace();
        let mnemonic = words.next().unwrap_or_default().to_ascii_lowercase();
        let opcode = Opcode::ALL
            .into_iter()
            .find(|o| o.mnemonic() == mnemonic)
            .ok_or_else(|| {
                err(format!(
                    "unknown instruction `{mnemonic}`; instructions: {}",
                    Opcode::ALL.map(|o| o.mnemonic()).join(", ")
                ))
            })?;
        let mut instr = Instr::new(opcode);
        let mut seen: Vec<String> = Vec::new();
        for w in words {
            let (name, value) = match w.split_once('=') {
                Some((name, v)) => {
                    let name = name.to_ascii_lowercase();
                    (name.clone(), parse_value(&name, v).map_err(err)?)
                }
                None => (w.to_ascii_lowercase(), 1),
            };
            if seen.contains(&name) {
                return Err(err(format!("`{name}` given twice")));
            }
            instr.set(&name, value).map_err(err)?;
            seen.push(name);
        }
        let checked = Instr::decode(instr.encode()).map_err(|e| err(e.to_string()))?;
        out.push(checked);
    }
    Ok(out)
}

/// The program as DRAM bytes (16 per instruction).
pub fn program_bytes(program: &[Instr]) -> Vec<u8> {
    program.iter().flat_map(|i| i.to_bytes()).collect()
}

/// `docs/isa.md`: the reference, written from [`FIELDS`] (a test keeps the committed copy
/// current).
pub fn markdown() -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# seedchip ISA\n\nGenerated from `hdl/src/chip/isa.rs` (`seedchip generate --isa-doc`); do not edit.\n\n\
         Every instruction is {INSTR_BITS} bits, {INSTR_BYTES} bytes in DRAM, little-endian (byte 0 holds bits 7..0).\n\
         Bits not listed for an opcode are reserved: a non-zero reserved bit, an unknown opcode, a dependency flag\n\
         its queue cannot use, or a zero count makes the instruction illegal.\n"
    );
    let _ = writeln!(
        s,
        "## Opcodes\n\n| code | mnemonic | queue | does |\n|---|---|---|---|"
    );
    for op in Opcode::ALL {
        let queue = match op.queue() {
            Some(Queue::Load) => "load",
            Some(Queue::Compute) => "compute",
            Some(Queue::Store) => "store",
            None => "-",
        };
        let _ = writeln!(
            s,
            "| {} | `{}` | {queue} | {} |",
            op.code(),
            op.mnemonic(),
            op.summary()
        );
    }
    let _ = writeln!(
        s,
        "\n## Dependency tokens\n\nThe queues form a chain load -> compute -> store. `pop_prev` / `pop_next`: before \
         starting, wait for a token from the previous / next queue. `push_prev` / `push_next`: when done, send one. \
         A LOAD has no previous queue and a STORE no next one. FENCE and HALT wait until every queue is empty and idle.\n"
    );
    for op in Opcode::ALL {
        let _ = writeln!(
            s,
            "## `{}`\n\n| bits | field | meaning |\n|---|---|---|",
            op.mnemonic()
        );
        for f in fields_of(op) {
            let bits = if f.width == 1 {
                format!("{}", f.lo)
            } else {
                format!("{}..{}", f.lo + f.width - 1, f.lo)
            };
            let _ = writeln!(s, "| {bits} | `{}` | {} |", f.name, f.doc);
        }
        s.push('\n');
    }
    s.push_str(&markdown_section());
    let _ = writeln!(
        s,
        "\n## Assembler text\n\nOne instruction per line: the mnemonic, `field=value` pairs (decimal or `0x` hex; `imm` \
         may be negative; `op`, `b_mode`, `post` and `epilogue` also take their names), then the dependency flags by \
         name; omitted fields are zero; `#` starts a comment. For example:\n\n```\n\
         load sram_row=0 rows=16 row_bytes=16 dram_addr=0x1000 dram_stride=0x10 push_next\n\
         matmul w_row=0 a_row=16 acc_row=0 rows=16 pop_prev push_next\n\
         store acc=1 sram_row=0 rows=16 row_bytes=16 dram_addr=0x2000 dram_stride=0x10 epilogue=int8 pop_prev\n\
         vector op=rmax a_acc=1 a_row=0 d_acc=1 d_row=16 rows=16\n\
         halt\n```"
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_of_one_opcode_never_overlap_and_fit_in_128_bits() {
        for op in Opcode::ALL {
            let mut used = 0u128;
            for f in fields_of(op) {
                assert!(f.lo + f.width <= INSTR_BITS, "{op:?} {}", f.name);
                let mask = ((1u128 << f.width) - 1) << f.lo;
                assert_eq!(used & mask, 0, "{op:?}: `{}` overlaps", f.name);
                used |= mask;
            }
        }
    }

    #[test]
    fn encode_decode_and_text_round_trip() {
        let load = Instr::new(Opcode::Load)
            .with("sram_row", 3)
            .with("rows", 16)
            .with("row_bytes", 16)
            .with("dram_addr", 0x1000)
            .with("dram_stride", 64)
            .with("push_next", 1);
        let word = load.encode();
        assert_eq!(word & 0xf, 1);
        assert_eq!(Instr::decode(word).unwrap(), load);
        let text = load.to_string();
        assert_eq!(
            text,
            "load acc=0 sram_row=3 rows=16 row_bytes=16 dram_addr=0x1000 dram_stride=0x40 push_next"
        );
        assert_eq!(assemble(&text).unwrap(), vec![load]);
    }

    #[test]
    fn illegal_words_are_refused_with_the_reason() {
        assert_eq!(Instr::decode(0), Err(DecodeError::Opcode(0)));
        assert_eq!(Instr::decode(0xf), Err(DecodeError::Opcode(15)));
        let halt = Instr::new(Opcode::Halt).encode();
        assert!(matches!(
            Instr::decode(halt | 1 << 100),
            Err(DecodeError::Reserved {
                lo: 100,
                hi: 100,
                ..
            })
        ));
        let load = Instr::new(Opcode::Load)
            .with("rows", 1)
            .with("row_bytes", 1);
        let e = Instr::decode(load.encode() | 1 << 4).unwrap_err();
        assert!(e.to_string().contains("pop_prev"), "{e}");
        let e = Instr::decode(Instr::new(Opcode::Matmul).encode()).unwrap_err();
        assert!(e.to_string().contains("`rows` must be at least 1"), "{e}");
    }

    #[test]
    fn the_assembler_names_the_line_and_the_problem() {
        for (text, expect) in [
            (
                "halt\nfrobnicate",
                "line 2: unknown instruction `frobnicate`",
            ),
            (
                "load rows=0x1_0000 row_bytes=1",
                "line 1: load: `rows` = 65536 does not fit in 16 bits",
            ),
            ("store bogus=1", "line 1: store has no field `bogus`"),
            ("matmul rows=2 rows=3", "line 1: `rows` given twice"),
            (
                "store rows=1 row_bytes=1 push_next",
                "line 1: store: `push_next` is illegal here",
            ),
            ("fence rows=1", "line 1: fence has no field `rows`"),
            ("load rows=one", "line 1: `rows` = `one` is not a number"),
        ] {
            let e = assemble(text).unwrap_err().to_string();
            assert!(e.starts_with(expect), "{text}: {e}");
        }
        let p = assemble("# a comment\n\nmatmul w_row=0 a_row=16 acc_row=0 rows=4 # x\nhalt\n")
            .unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(program_bytes(&p).len(), 32);
    }
}

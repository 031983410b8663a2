//! The host's register map (AXI4-Lite slave), defined once: the RTL, the harness's driver,
//! `seedchip.h` and the docs all read [`REGISTERS`].
//!
//! Registers are 32 bits at 4-byte offsets. 64-bit counters are two registers, `_LO` first;
//! reading `_LO` latches `_HI` so a host reads a consistent pair.

/// How the host may access a register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Read and write.
    Rw,
    /// Read only.
    Ro,
    /// Read; writing 1 to a bit clears it.
    W1c,
    /// Write only (reads return 0): commands.
    Wo,
}

/// A bit field of a register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CsrField {
    pub name: &'static str,
    pub lo: u32,
    pub width: u32,
    pub doc: &'static str,
}

/// One register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Register {
    pub name: &'static str,
    pub offset: u32,
    pub access: Access,
    pub doc: &'static str,
    pub fields: &'static [CsrField],
}

const fn f(name: &'static str, lo: u32, width: u32, doc: &'static str) -> CsrField {
    CsrField {
        name,
        lo,
        width,
        doc,
    }
}

const fn reg(
    name: &'static str,
    offset: u32,
    access: Access,
    doc: &'static str,
    fields: &'static [CsrField],
) -> Register {
    Register {
        name,
        offset,
        access,
        doc,
        fields,
    }
}

/// `ID` reads this: "SDCP".
pub const ID_MAGIC: u32 = 0x5344_4350;

/// The register map.
pub const REGISTERS: &[Register] = &[
    reg("ID", 0x00, Access::Ro, "reads 0x53444350 (\"SDCP\")", &[]),
    reg(
        "CTRL",
        0x04,
        Access::Wo,
        "commands",
        &[
            f(
                "START",
                0,
                1,
                "start the program at PROGRAM_ADDR (ignored while BUSY)",
            ),
            f(
                "SOFT_RESET",
                1,
                1,
                "stop everything and return to idle; STATUS, IRQ_STATUS and counters clear",
            ),
        ],
    ),
    reg(
        "STATUS",
        0x08,
        Access::Ro,
        "state of the last run",
        &[
            f("BUSY", 0, 1, "a program is running"),
            f("DONE", 1, 1, "the last program reached HALT"),
            f(
                "ERROR",
                8,
                4,
                "why the last program stopped (SEEDCHIP_ERR_*; 0 = none)",
            ),
        ],
    ),
    reg(
        "ERROR_PC",
        0x0c,
        Access::Ro,
        "program index of the faulting instruction",
        &[],
    ),
    reg(
        "IRQ_ENABLE",
        0x10,
        Access::Rw,
        "interrupt sources that raise the irq output",
        &[
            f("DONE", 0, 1, "a program reached HALT"),
            f("ERROR", 1, 1, "a program stopped with an error"),
        ],
    ),
    reg(
        "IRQ_STATUS",
        0x14,
        Access::W1c,
        "interrupt sources that fired; irq = |(IRQ_STATUS & IRQ_ENABLE)",
        &[
            f("DONE", 0, 1, "a program reached HALT"),
            f("ERROR", 1, 1, "a program stopped with an error"),
        ],
    ),
    reg(
        "PROGRAM_ADDR",
        0x18,
        Access::Rw,
        "DRAM byte address of the first instruction (16-byte aligned)",
        &[],
    ),
    reg(
        "PROGRAM_LEN",
        0x1c,
        Access::Rw,
        "instructions in the program",
        &[],
    ),
    reg(
        "DRAM_BASE",
        0x20,
        Access::Rw,
        "lowest DRAM byte address the chip may access",
        &[],
    ),
    reg(
        "DRAM_BOUND",
        0x24,
        Access::Rw,
        "first DRAM byte address past the window",
        &[],
    ),
    reg(
        "CYCLES_LO",
        0x40,
        Access::Ro,
        "cycles since START (low word)",
        &[],
    ),
    reg(
        "CYCLES_HI",
        0x44,
        Access::Ro,
        "cycles since START (high word)",
        &[],
    ),
    reg(
        "LOAD_BUSY_LO",
        0x48,
        Access::Ro,
        "cycles the load queue executed an instruction",
        &[],
    ),
    reg("LOAD_BUSY_HI", 0x4c, Access::Ro, "", &[]),
    reg(
        "COMPUTE_BUSY_LO",
        0x50,
        Access::Ro,
        "cycles the compute queue executed an instruction",
        &[],
    ),
    reg("COMPUTE_BUSY_HI", 0x54, Access::Ro, "", &[]),
    reg(
        "STORE_BUSY_LO",
        0x58,
        Access::Ro,
        "cycles the store queue executed an instruction",
        &[],
    ),
    reg("STORE_BUSY_HI", 0x5c, Access::Ro, "", &[]),
    reg(
        "LOAD_STALL_LO",
        0x60,
        Access::Ro,
        "cycles the load queue's head waited for a token or the bus",
        &[],
    ),
    reg("LOAD_STALL_HI", 0x64, Access::Ro, "", &[]),
    reg(
        "COMPUTE_STALL_LO",
        0x68,
        Access::Ro,
        "cycles the compute queue's head waited for a token",
        &[],
    ),
    reg("COMPUTE_STALL_HI", 0x6c, Access::Ro, "", &[]),
    reg(
        "STORE_STALL_LO",
        0x70,
        Access::Ro,
        "cycles the store queue's head waited for a token or the bus",
        &[],
    ),
    reg("STORE_STALL_HI", 0x74, Access::Ro, "", &[]),
    reg(
        "MACS_LO",
        0x78,
        Access::Ro,
        "multiply-accumulates performed (rows x R x C per MATMUL)",
        &[],
    ),
    reg("MACS_HI", 0x7c, Access::Ro, "", &[]),
    reg(
        "DMA_READ_BYTES_LO",
        0x80,
        Access::Ro,
        "bytes read from DRAM, program fetch included",
        &[],
    ),
    reg("DMA_READ_BYTES_HI", 0x84, Access::Ro, "", &[]),
    reg(
        "DMA_WRITE_BYTES_LO",
        0x88,
        Access::Ro,
        "bytes written to DRAM",
        &[],
    ),
    reg("DMA_WRITE_BYTES_HI", 0x8c, Access::Ro, "", &[]),
    reg(
        "INSTRUCTIONS_LO",
        0x90,
        Access::Ro,
        "instructions completed (FENCE and HALT included)",
        &[],
    ),
    reg("INSTRUCTIONS_HI", 0x94, Access::Ro, "", &[]),
];

/// The 64-bit counters, by register name stem (`<STEM>_LO`, `<STEM>_HI` in [`REGISTERS`]),
/// and the width of what each adds per cycle. A test keeps the two lists in step.
pub const COUNTERS: &[(&str, u32)] = &[
    ("CYCLES", 1),
    ("LOAD_BUSY", 1),
    ("COMPUTE_BUSY", 1),
    ("STORE_BUSY", 1),
    ("LOAD_STALL", 1),
    ("COMPUTE_STALL", 1),
    ("STORE_STALL", 1),
    ("MACS", 32),
    ("DMA_READ_BYTES", 16),
    ("DMA_WRITE_BYTES", 16),
    ("INSTRUCTIONS", 2),
];

/// The register named `name`.
pub fn register(name: &str) -> Option<&'static Register> {
    REGISTERS.iter().find(|r| r.name == name)
}

impl Register {
    /// Field `name` of a value of this register.
    ///
    /// # Panics
    /// If the register has no such field (a bug in the caller).
    pub fn field(&self, value: u32, name: &str) -> u32 {
        let f = self
            .fields
            .iter()
            .find(|f| f.name == name)
            .unwrap_or_else(|| panic!("{} has no field {name}", self.name));
        (value >> f.lo) & ((1u64 << f.width) - 1) as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_unique_aligned_and_fields_fit() {
        for (i, r) in REGISTERS.iter().enumerate() {
            assert_eq!(r.offset % 4, 0, "{}", r.name);
            assert!(
                REGISTERS[..i]
                    .iter()
                    .all(|q| q.offset != r.offset && q.name != r.name),
                "{} repeats an offset or a name",
                r.name
            );
            let mut used = 0u64;
            for fld in r.fields {
                assert!(fld.lo + fld.width <= 32, "{}.{}", r.name, fld.name);
                let mask = ((1u64 << fld.width) - 1) << fld.lo;
                assert_eq!(used & mask, 0, "{}.{} overlaps", r.name, fld.name);
                used |= mask;
            }
        }
        assert_eq!(register("STATUS").unwrap().offset, 0x08);
    }

    #[test]
    fn the_counter_registers_are_exactly_the_counters() {
        let mut stems: Vec<&str> = REGISTERS
            .iter()
            .filter_map(|r| r.name.strip_suffix("_LO"))
            .collect();
        stems.sort();
        let mut counters: Vec<&str> = COUNTERS.iter().map(|(c, _)| *c).collect();
        counters.sort();
        assert_eq!(stems, counters);
        for (c, _) in COUNTERS {
            let (lo, hi) = (
                register(&format!("{c}_LO")).unwrap(),
                register(&format!("{c}_HI")).unwrap(),
            );
            assert_eq!(hi.offset, lo.offset + 4, "{c}: _HI follows _LO");
        }
    }
}

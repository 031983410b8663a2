//! Memories: a spec, one SRAM module boundary per unique spec, and typed port handles.
//!
//! Every memory of the chip is an instance of an SRAM module generated from a [`MemSpec`], so
//! an ASIC flow can replace the behavioural body with a hard macro (OpenRAM, DFFRAM) of the
//! same ports, synthesis reports show memory area apart from logic, and `macros.json` lists
//! each instance with its spec. The SRAM's port names are defined here and nowhere else: the
//! module declaration, the behavioural body and the handles ([`MemIo`]) all come from
//! [`MemSpec::ports`].
//!
//! Behaviour (the contract a macro must keep):
//! - every port is synchronous: address, enables and write data are sampled at the rising
//!   edge; read data appears after that edge and holds until the port's next read;
//! - 1RW (`en`, `we`, `addr`, `wdata`, `rdata`): a cycle with `en & we` writes and does not
//!   read (`rdata` holds); `en & !we` reads;
//! - 1R1W and 2R1W: a read of the address written in the same cycle returns the **old**
//!   contents (read-first); two reads of one address in one cycle both return it;
//! - with a byte mask (`wmask`, one bit per 8 data bits), only the bytes whose bit is set are
//!   written;
//! - contents are not reset: users never read a row before writing it.
//!
//! Banking: a memory of `banks` banks is `banks` instances of one SRAM module of
//! `depth / banks` rows; row `a` lives in bank `a % banks` at row `a / banks` (low-order
//! interleaving, so consecutive rows can be accessed in parallel). Each bank has its own ports.

use super::error::ModuleError;
use super::expr::{mux, ulit, Expr, ExprOps};
use super::module::{Dir, ModuleBuilder, ModuleRef};
use super::signal::{bit, uint, Sig};

/// Address width for `depth` entries (at least one bit).
pub fn addr_bits(depth: u32) -> u32 {
    crate::hw::clog2(depth as u64).max(1)
}

/// The port set of an SRAM.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum MemPorts {
    /// One port that reads or writes.
    OneRw,
    /// One write port and one read port.
    OneROneW,
    /// One write port and two read ports.
    TwoROneW,
}

impl MemPorts {
    fn tag(self) -> &'static str {
        match self {
            MemPorts::OneRw => "1rw",
            MemPorts::OneROneW => "1r1w",
            MemPorts::TwoROneW => "2r1w",
        }
    }

    /// Number of read ports.
    pub fn reads(self) -> usize {
        match self {
            MemPorts::OneRw | MemPorts::OneROneW => 1,
            MemPorts::TwoROneW => 2,
        }
    }
}

/// A memory: `depth` rows of `width` bits, a port set, an optional byte-write mask and a
/// number of banks.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct MemSpec {
    pub depth: u32,
    pub width: u32,
    pub ports: MemPorts,
    /// One write-enable bit per 8 data bits (`width` must be a multiple of 8).
    pub byte_mask: bool,
    /// Banks (a power of two dividing `depth`); 1 for a single SRAM.
    pub banks: u32,
}

/// The role of one SRAM port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemSignal {
    /// 1RW: the port is used this cycle.
    Enable,
    /// Write enable.
    WriteEnable,
    /// 1RW: the one address.
    Addr,
    WriteAddr,
    WriteData,
    WriteMask,
    /// Read enable of read port `n`.
    ReadEnable(usize),
    ReadAddr(usize),
    ReadData(usize),
}

/// One SRAM port: name, role, width, direction (seen from the SRAM).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemPort {
    pub name: String,
    pub signal: MemSignal,
    pub width: u32,
    pub dir: Dir,
}

impl MemSpec {
    /// A single-bank memory without byte mask.
    pub fn new(ports: MemPorts, depth: u32, width: u32) -> MemSpec {
        MemSpec {
            depth,
            width,
            ports,
            byte_mask: false,
            banks: 1,
        }
    }

    pub fn with_byte_mask(mut self) -> MemSpec {
        self.byte_mask = true;
        self
    }

    pub fn with_banks(mut self, banks: u32) -> MemSpec {
        self.banks = banks;
        self
    }

    /// Rows in one bank.
    pub fn bank_depth(&self) -> u32 {
        self.depth / self.banks.max(1)
    }

    /// The spec of one bank (what one SRAM module holds).
    pub fn bank(&self) -> MemSpec {
        MemSpec {
            depth: self.bank_depth(),
            banks: 1,
            ..self.clone()
        }
    }

    /// Why this spec cannot be built, if it cannot.
    pub fn problem(&self) -> Option<String> {
        if self.depth == 0 || self.width == 0 {
            return Some(format!(
                "a {}x{} memory holds nothing",
                self.depth, self.width
            ));
        }
        if self.byte_mask && !self.width.is_multiple_of(8) {
            return Some(format!(
                "a byte mask needs a width that is a multiple of 8, not {}",
                self.width
            ));
        }
        if self.banks == 0
            || !self.banks.is_power_of_two()
            || !self.depth.is_multiple_of(self.banks)
        {
            return Some(format!(
                "{} banks must be a power of two dividing the depth {}",
                self.banks, self.depth
            ));
        }
        None
    }

    /// Module name of one bank: `sram_<ports>_d<depth>_w<width>[_m8]`.
    pub fn module_name(&self) -> String {
        format!(
            "sram_{}_d{}_w{}{}",
            self.ports.tag(),
            self.bank_depth(),
            self.width,
            if self.byte_mask { "_m8" } else { "" }
        )
    }

    /// The ports of one bank's SRAM module, in declaration order. The one definition of
    /// their names.
    pub fn ports(&self) -> Vec<MemPort> {
        let a = addr_bits(self.bank_depth());
        let w = self.width;
        let port = |name: &str, signal, width, dir| MemPort {
            name: name.to_string(),
            signal,
            width,
            dir,
        };
        let mut out = Vec::new();
        let mask = |out: &mut Vec<MemPort>| {
            if self.byte_mask {
                out.push(port("wmask", MemSignal::WriteMask, w / 8, Dir::Input));
            }
        };
        match self.ports {
            MemPorts::OneRw => {
                out.push(port("en", MemSignal::Enable, 1, Dir::Input));
                out.push(port("we", MemSignal::WriteEnable, 1, Dir::Input));
                out.push(port("addr", MemSignal::Addr, a, Dir::Input));
                out.push(port("wdata", MemSignal::WriteData, w, Dir::Input));
                mask(&mut out);
                out.push(port("rdata", MemSignal::ReadData(0), w, Dir::Output));
            }
            MemPorts::OneROneW | MemPorts::TwoROneW => {
                out.push(port("we", MemSignal::WriteEnable, 1, Dir::Input));
                out.push(port("waddr", MemSignal::WriteAddr, a, Dir::Input));
                out.push(port("wdata", MemSignal::WriteData, w, Dir::Input));
                mask(&mut out);
                let two = self.ports == MemPorts::TwoROneW;
                for r in 0..self.ports.reads() {
                    let n = |base: &str| {
                        if two {
                            format!("{base}{r}")
                        } else {
                            base.to_string()
                        }
                    };
                    out.push(port(&n("re"), MemSignal::ReadEnable(r), 1, Dir::Input));
                    out.push(port(&n("raddr"), MemSignal::ReadAddr(r), a, Dir::Input));
                    out.push(port(&n("rdata"), MemSignal::ReadData(r), w, Dir::Output));
                }
            }
        }
        out
    }

    /// The port with role `signal`.
    pub fn port(&self, signal: MemSignal) -> Option<MemPort> {
        self.ports().into_iter().find(|p| p.signal == signal)
    }

    /// One line describing the behaviour a replacement macro must keep.
    pub fn contract(&self) -> String {
        let rw = match self.ports {
            MemPorts::OneRw => "one port: a write cycle does not read (rdata holds)",
            _ => "read-during-write to one address returns the old contents",
        };
        format!(
            "{}; synchronous ports, read data one cycle after the read and held until the next; {rw}{}; contents not reset",
            match self.ports {
                MemPorts::OneRw => "1 read/write port",
                MemPorts::OneROneW => "1 write + 1 read port",
                MemPorts::TwoROneW => "1 write + 2 read ports",
            },
            if self.byte_mask { "; byte write mask wmask" } else { "" }
        )
    }
}

/// The SRAM module of one bank of `spec`.
pub fn sram(spec: &MemSpec) -> Result<ModuleRef, ModuleError> {
    let bank = spec.bank();
    let mut m = ModuleBuilder::new(bank.module_name());
    m.doc(&format!(
        "{} x {}-bit SRAM boundary: {}.",
        bank.depth,
        bank.width,
        bank.contract()
    ));
    m.unit("SRAM (flip-flops; macro candidate)");
    if let Some(p) = spec.problem() {
        m.problems.push(super::error::Problem::BadName {
            name: bank.module_name(),
            reason: p,
        });
    }
    for p in bank.ports() {
        match p.dir {
            Dir::Input => m.input(&p.name, uint(p.width)),
            Dir::Output => m.output(&p.name, uint(p.width)),
        };
    }
    m.finish_sram(bank)
}

/// The ports of one SRAM bank as signals of the module that instantiated it. Drive the
/// inputs (every one must be driven), read `rdata`.
#[derive(Clone, Debug)]
pub struct MemIo {
    spec: MemSpec,
    sigs: Vec<(MemSignal, Sig)>,
}

impl MemIo {
    /// The signal for `role`.
    ///
    /// # Panics
    /// If this memory's port set has no such port (a bug in the generator).
    pub fn sig(&self, role: MemSignal) -> Sig {
        self.sigs
            .iter()
            .find(|(r, _)| *r == role)
            .map(|(_, s)| *s)
            .unwrap_or_else(|| panic!("{} has no {role:?} port", self.spec.module_name()))
    }

    pub fn write_enable(&self) -> Sig {
        self.sig(MemSignal::WriteEnable)
    }
    pub fn write_addr(&self) -> Sig {
        self.sig(MemSignal::WriteAddr)
    }
    pub fn write_data(&self) -> Sig {
        self.sig(MemSignal::WriteData)
    }
    pub fn read_enable(&self, port: usize) -> Sig {
        self.sig(MemSignal::ReadEnable(port))
    }
    pub fn read_addr(&self, port: usize) -> Sig {
        self.sig(MemSignal::ReadAddr(port))
    }
    pub fn read_data(&self, port: usize) -> Sig {
        self.sig(MemSignal::ReadData(port))
    }
}

/// A memory instantiated in a module: one [`MemIo`] per bank.
#[derive(Clone, Debug)]
pub struct Memory {
    pub spec: MemSpec,
    pub banks: Vec<MemIo>,
}

impl Memory {
    /// The bank holding row `addr` (low-order interleaving).
    pub fn bank_of(&self, addr: impl ExprOps) -> Expr {
        let k = crate::hw::clog2(self.spec.banks as u64);
        let a = addr.expr();
        if k == 0 {
            return super::expr::zero(bit());
        }
        a.slice(k - 1, 0)
    }

    /// Row `addr`'s position inside its bank.
    pub fn row_in_bank(&self, addr: impl ExprOps) -> Expr {
        let k = crate::hw::clog2(self.spec.banks as u64);
        let a = addr.expr();
        if k == 0 {
            return a;
        }
        a.shr(k).trunc(a.width() - k)
    }
}

impl ModuleBuilder {
    /// Instantiate `spec` as `name` (banks `name_b<k>` when banked): wires for every port,
    /// named `<instance>_<port>`, returned as typed handles.
    pub fn memory(&mut self, name: &str, spec: &MemSpec) -> Result<Memory, ModuleError> {
        let module = sram(spec)?;
        let mut banks = Vec::new();
        for b in 0..spec.banks.max(1) {
            let inst = if spec.banks > 1 {
                format!("{name}_b{b}")
            } else {
                name.to_string()
            };
            let mut sigs = Vec::new();
            let mut i = self.instance(&inst, &module);
            for p in spec.bank().ports() {
                let s = match p.dir {
                    Dir::Output => i.out(&p.name),
                    Dir::Input => {
                        let w = i.m.wire(&format!("{inst}_{}", p.name), uint(p.width));
                        i.con(&p.name, w);
                        w
                    }
                };
                sigs.push((p.signal, s));
            }
            banks.push(MemIo {
                spec: spec.bank(),
                sigs,
            });
        }
        Ok(Memory {
            spec: spec.clone(),
            banks,
        })
    }
}

/// A client of one port of a banked memory: it asks for row `row` when `valid`; a write
/// client carries `data`.
#[derive(Clone, Debug)]
pub struct MemClient {
    pub valid: Expr,
    pub row: Expr,
    pub data: Option<Expr>,
}

impl MemClient {
    pub fn read(valid: impl Into<Expr>, row: impl Into<Expr>) -> MemClient {
        MemClient {
            valid: valid.into(),
            row: row.into(),
            data: None,
        }
    }

    pub fn write(valid: impl Into<Expr>, row: impl Into<Expr>, data: impl Into<Expr>) -> MemClient {
        MemClient {
            valid: valid.into(),
            row: row.into(),
            data: Some(data.into()),
        }
    }
}

/// What [`Memory::serve`] gives each client.
#[derive(Clone, Debug)]
pub struct Served {
    /// Per write client, in the order given: its row is written this cycle.
    pub write_granted: Vec<Expr>,
    /// Per read client: its row is read this cycle.
    pub read_granted: Vec<Expr>,
    /// Per read client: the row it read, valid the cycle after its grant.
    pub read_data: Vec<Expr>,
}

impl Memory {
    /// Drive a 1R1W memory's banks for several clients on each port. Clients are listed in
    /// priority order: each bank's write (read) port serves the first write (read) client
    /// that asks for one of its rows, and a client whose bank an earlier client takes waits.
    /// With one bank this is a plain priority arbiter; with several, clients on different
    /// banks are served in the same cycle. The first client of each port is always served.
    /// A row past the memory selects no bank (it never aliases a row that exists); such a
    /// request is granted and does nothing. `name` prefixes the bank-select registers.
    pub fn serve(
        &self,
        m: &mut ModuleBuilder,
        name: &str,
        writes: &[MemClient],
        reads: &[MemClient],
    ) -> Served {
        let nb = self.banks.len();
        let k = crate::hw::clog2(nb as u64);
        let aw = self.banks[0].write_addr().width();
        let in_range = |a: &Expr| -> Expr {
            let top = a.width();
            if k + aw < top {
                a.slice(top - 1, k + aw).eq_lit(0)
            } else {
                ulit(1, 1)
            }
        };
        let hits = |c: &MemClient, b: usize| -> Expr {
            let bank = if nb == 1 {
                ulit(1, 1)
            } else {
                self.bank_of(c.row.clone()).eq_lit(b as i64)
            };
            c.valid.clone() & in_range(&c.row) & bank
        };
        // Granted: no earlier client asks for the same bank.
        let grants = |clients: &[MemClient]| -> Vec<Expr> {
            (0..clients.len())
                .map(|i| {
                    clients[..i].iter().fold(clients[i].valid.clone(), |g, c| {
                        let same = if nb == 1 {
                            c.valid.clone()
                        } else {
                            c.valid.clone()
                                & ExprOps::eq(
                                    &self.bank_of(c.row.clone()),
                                    self.bank_of(clients[i].row.clone()),
                                )
                        };
                        g & !same
                    })
                })
                .collect()
        };
        // The first client (in priority order) asking for bank `b`: its `pick` field.
        let first = |clients: &[MemClient], b: usize, pick: &dyn Fn(&MemClient) -> Expr| {
            let last = pick(&clients[clients.len() - 1]);
            clients
                .iter()
                .rev()
                .skip(1)
                .fold(last, |acc, c| mux(hits(c, b), pick(c), acc))
        };
        let any = |clients: &[MemClient], b: usize| {
            clients
                .iter()
                .map(|c| hits(c, b))
                .reduce(|x, y| x | y)
                .expect("a port has a client")
        };
        for (b, bank) in self.banks.iter().enumerate() {
            m.assign(bank.write_enable(), any(writes, b));
            m.assign(
                bank.write_addr(),
                self.row_in_bank(first(writes, b, &|c| c.row.clone()))
                    .resize(aw),
            );
            m.assign(
                bank.write_data(),
                first(writes, b, &|c| {
                    c.data.clone().expect("a write client has data")
                }),
            );
            m.assign(bank.read_enable(0), any(reads, b));
            m.assign(
                bank.read_addr(0),
                self.row_in_bank(first(reads, b, &|c| c.row.clone()))
                    .resize(aw),
            );
        }
        let read_granted = grants(reads);
        let read_data = reads
            .iter()
            .zip(&read_granted)
            .enumerate()
            .map(|(i, (c, g))| {
                if nb == 1 {
                    return self.banks[0].read_data(0).into();
                }
                let last = m.data_reg(&format!("{name}_rd{i}_bank"), uint(k));
                m.next_en(last, g.clone(), self.bank_of(c.row.clone()));
                self.banks
                    .iter()
                    .enumerate()
                    .skip(1)
                    .fold(self.banks[0].read_data(0).into(), |acc, (b, bank)| {
                        mux(last.eq_lit(b as i64), bank.read_data(0), acc)
                    })
            })
            .collect();
        Served {
            write_granted: grants(writes),
            read_granted,
            read_data,
        }
    }
}

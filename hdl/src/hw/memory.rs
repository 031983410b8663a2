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
use super::expr::{cat, mux, ulit, Expr, ExprOps};
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
    /// Per crossbar write client, in the order given: its request is taken this cycle (its
    /// `ready`; high for a row past the memory, which is dropped).
    pub write_granted: Vec<Expr>,
    /// Per crossbar read client: likewise.
    pub read_granted: Vec<Expr>,
    /// Per crossbar read client: the row it read, valid the cycle after its grant.
    pub read_data: Vec<Expr>,
    /// The first read client's row, the cycle after it asked (when there is one).
    pub first_read_data: Option<Expr>,
}

/// Who a 1R1W memory serves ([`Memory::serve`]): on each port, a first client that is always
/// served (optional) and clients that share the rest through a crossbar.
#[derive(Clone, Debug, Default)]
pub struct Clients {
    pub first_write: Option<MemClient>,
    pub writes: Vec<MemClient>,
    pub first_read: Option<MemClient>,
    pub reads: Vec<MemClient>,
}

/// One port of a memory as its crossbar serves it.
struct CrossbarPort {
    /// Per client: its request is taken.
    granted: Vec<Expr>,
    /// Per client (read port): its data.
    data: Vec<Expr>,
    /// Per bank: the crossbar's enable, row and write data (none without clients).
    banks: Vec<[Option<Expr>; 3]>,
}

impl Memory {
    /// Drive a 1R1W memory's banks. On each port, the first client (if any) has every bank it
    /// asks for: its timing cannot wait (the compute unit's accumulate). The other clients
    /// share the banks through a [`crossbar`](super::crossbar): round-robin per bank, at most
    /// one grant per bank per cycle, so clients on different banks are served together and a
    /// client waits at most (clients - 1) grants of a bank to others. A write to a row past the
    /// memory is taken and writes nothing (it never aliases a row that exists); a read past it
    /// returns some row's data (no side effect; the controller refuses such rows before any
    /// unit asks). The range check stays off the grant path, which feeds each client's
    /// pipeline late in the cycle. `name` prefixes the crossbar instances and the first
    /// reader's bank register.
    pub fn serve(
        &self,
        m: &mut ModuleBuilder,
        name: &str,
        clients: &Clients,
    ) -> Result<Served, ModuleError> {
        let nb = self.banks.len();
        let k = crate::hw::clog2(nb as u64);
        let aw = self.banks[0].write_addr().width();
        let rows_bits = k + aw;
        let in_range = |a: &Expr| -> Expr {
            let top = a.width();
            if rows_bits < top {
                a.slice(top - 1, rows_bits).eq_lit(0)
            } else {
                ulit(1, 1)
            }
        };
        let hits = |c: &MemClient, b: usize| -> Expr {
            let asks = c.valid.clone() & in_range(&c.row);
            if nb == 1 {
                asks
            } else {
                asks & self.bank_of(c.row.clone()).eq_lit(b as i64)
            }
        };
        // A crossbar for one port: its grants, the read data, and per bank (en, addr, wdata).
        let port = |m: &mut ModuleBuilder,
                    suffix: &str,
                    first: &Option<MemClient>,
                    clients: &[MemClient],
                    write: bool|
         -> Result<CrossbarPort, ModuleError> {
            if clients.is_empty() {
                return Ok(CrossbarPort {
                    granted: Vec::new(),
                    data: Vec::new(),
                    banks: vec![[None, None, None]; nb],
                });
            }
            let width = self.spec.width;
            let spec = super::crossbar::CrossbarSpec {
                requesters: clients.len() as u32,
                banks: nb as u32,
                addr_bits: rows_bits.max(k + 1),
                // A write carries whether its row exists: the bank writes only then.
                wdata_bits: if write { width + 1 } else { 0 },
                rdata_bits: if write { 0 } else { width },
                reservable: first.is_some(),
            };
            let module = super::crossbar::crossbar(&spec)?;
            for (i, c) in clients.iter().enumerate() {
                let top = c.row.width();
                if !write && top > spec.addr_bits {
                    // A read ignores the row's bits past the memory (see above).
                    m.wire_of(
                        &format!("{name}_{suffix}{i}_row_high_unused"),
                        c.row.slice(top - 1, spec.addr_bits),
                    );
                }
            }
            let mut x = m.instance(&format!("{name}_{suffix}"), &module);
            let mut granted = Vec::new();
            let mut data = Vec::new();
            for (i, c) in clients.iter().enumerate() {
                let req = super::crossbar::crossbar_request(&spec, i as u32);
                x.con(req.valid_port(), c.valid.clone());
                x.con(req.port("addr"), c.row.clone().resize(spec.addr_bits));

                if write {
                    let d = c.data.clone().expect("a write client has data");
                    x.con(req.port("wdata"), cat([in_range(&c.row), d]));
                }
                let ready = x.out(req.ready_port());
                granted.push(Expr::from(ready));
                if !write {
                    let resp = super::crossbar::crossbar_response(&spec, i as u32);
                    x.open(resp.port("valid"));
                    data.push(Expr::from(x.out(resp.port("rdata"))));
                }
            }
            let mut banks = Vec::new();
            for b in 0..nb {
                let bank = super::crossbar::crossbar_bank(&spec, b as u32);
                if let Some(f) = first {
                    x.con(super::crossbar::bank_taken_port(b as u32), hits(f, b));
                }
                if !write {
                    let rdata = self.banks[b].read_data(0);
                    x.con(super::crossbar::bank_rdata_port(b as u32), rdata);
                }
                let mut en = Expr::from(x.out(bank.port("en")));
                let addr = Expr::from(x.out(bank.port("addr"))).resize(aw);
                let wdata = write.then(|| {
                    let d = Expr::from(x.out(bank.port("wdata")));
                    en = en.clone() & d.bit(width);
                    d.slice(width - 1, 0)
                });
                banks.push([Some(en), Some(addr), wdata]);
            }
            Ok(CrossbarPort {
                granted,
                data,
                banks,
            })
        };
        let wx = port(m, "wx", &clients.first_write, &clients.writes, true)?;
        let rx = port(m, "rx", &clients.first_read, &clients.reads, false)?;
        // Each bank's ports: the first client where it asks, else the crossbar.
        let drive = |first: &Option<MemClient>,
                     b: usize,
                     from_xbar: &Option<Expr>,
                     of: &dyn Fn(&MemClient) -> Expr,
                     none: Expr|
         -> Expr {
            let xbar = from_xbar.clone().unwrap_or(none);
            match first {
                Some(f) => mux(hits(f, b), of(f), xbar),
                None => xbar,
            }
        };
        for (b, bank) in self.banks.iter().enumerate() {
            let [w_en, w_addr, w_data] = &wx.banks[b];
            let [r_en, r_addr, _] = &rx.banks[b];
            let zero_addr = super::expr::zero(uint(aw));
            let first_w = &clients.first_write;
            let first_r = &clients.first_read;
            m.assign(
                bank.write_enable(),
                drive(first_w, b, w_en, &|_| ulit(1, 1), ulit(1, 0)),
            );
            m.assign(
                bank.write_addr(),
                drive(
                    first_w,
                    b,
                    w_addr,
                    &|c| self.row_in_bank(c.row.clone()).resize(aw),
                    zero_addr.clone(),
                ),
            );
            m.assign(
                bank.write_data(),
                drive(
                    first_w,
                    b,
                    w_data,
                    &|c| c.data.clone().expect("a write client has data"),
                    super::expr::zero(uint(self.spec.width)),
                ),
            );
            m.assign(
                bank.read_enable(0),
                drive(first_r, b, r_en, &|_| ulit(1, 1), ulit(1, 0)),
            );
            m.assign(
                bank.read_addr(0),
                drive(
                    first_r,
                    b,
                    r_addr,
                    &|c| self.row_in_bank(c.row.clone()).resize(aw),
                    zero_addr,
                ),
            );
        }
        // The first reader's data: from the bank it read last cycle.
        let first_read_data = clients.first_read.as_ref().map(|c| {
            if nb == 1 {
                return Expr::from(self.banks[0].read_data(0));
            }
            let last = m.data_reg(&format!("{name}_first_rd_bank"), uint(k));
            m.next_en(last, c.valid.clone(), self.bank_of(c.row.clone()));
            self.banks
                .iter()
                .enumerate()
                .skip(1)
                .fold(self.banks[0].read_data(0).into(), |acc, (b, bank)| {
                    mux(last.eq_lit(b as i64), bank.read_data(0), acc)
                })
        });
        Ok(Served {
            write_granted: wx.granted,
            read_granted: rx.granted,
            read_data: rx.data,
            first_read_data,
        })
    }
}

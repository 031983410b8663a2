//! Runs programs on the chip's RTL as an SoC would: a DRAM behind the AXI4 master port
//! ([`AxiMemory`], with its latency, bandwidth, random stalls and error ranges), a host on the
//! AXI4-Lite port writing the registers and waiting for the interrupt, and the AXI protocol
//! checker watching every channel every cycle.
//!
//! [`run_program`] is the whole job: `(program, dram) -> (dram, status, cycles, counters)`;
//! [`check_program`] runs the same program on the reference model and says where they differ.

use std::sync::Arc;

use seedchip_hdl::chip::axi4::Axi4;
use seedchip_hdl::chip::axi_lite::AxiLite;
use seedchip_hdl::chip::axil_demux::host_addr_bits;
use seedchip_hdl::chip::csr::{register, COUNTERS};
use seedchip_hdl::chip::csr_block::ADDR_BITS;
use seedchip_hdl::chip::dram_ni::dram_id_bits;
use seedchip_hdl::chip::isa::ErrorCode;
use seedchip_hdl::chip::Config;
use seedchip_hdl::hw::{Bits, Bundle};

use crate::axi::{Addr, AxiMemory, BBeat, Checker, MasterOut, MemoryTiming, RBeat, WBeat};
use crate::chip_model::{dram_difference, status_difference, ChipModel, Counters, Launch, Status};
use crate::noise::XorShift64;
use crate::verilator::{BridgeError, BuildOptions, Model, PortId, Sim, XInit};

/// Why a chip run could not complete or did not match.
#[derive(Debug, thiserror::Error)]
pub enum ChipError {
    #[error(transparent)]
    Bridge(#[from] BridgeError),
    #[error(transparent)]
    Protocol(#[from] crate::axi::Violation),
    #[error(
        "the chip did not finish within {cycles} cycles (no interrupt); STATUS reads {status:#x}"
    )]
    Timeout { cycles: u64, status: u32 },
    #[error("the host port did not answer {what} within {cycles} cycles")]
    HostPort { what: String, cycles: u64 },
    #[error("RTL and model differ: {0}")]
    Mismatch(String),
    #[error("generating the chip: {0}")]
    Generate(String),
}

/// What a run left behind.
#[derive(Clone, Debug)]
pub struct ChipRun {
    pub dram: Vec<u8>,
    pub status: Status,
    /// Cycles from START to the interrupt (the CYCLES counter).
    pub cycles: u64,
    /// The work counters, as the model counts them.
    pub counters: Counters,
    /// Every performance counter by name.
    pub perf: Vec<(&'static str, u64)>,
}

/// The chip's Verilator model for `cfg` (built once per configuration; the bridge's disk
/// cache makes later builds of the same Verilog free).
pub fn build_chip(cfg: &Config) -> Result<Arc<Model>, ChipError> {
    build_chip_with(cfg, &BuildOptions::default())
}

/// [`build_chip`], kept for the process: tests that run many programs on a few
/// configurations build each chip model once.
pub fn cached_chip(cfg: &Config) -> Result<Arc<Model>, ChipError> {
    type Built = std::sync::Mutex<Vec<(Config, Arc<Model>)>>;
    static CACHE: std::sync::OnceLock<Built> = std::sync::OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut built = cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, m)) = built.iter().find(|(k, _)| k == cfg) {
        return Ok(m.clone());
    }
    let m = build_chip(cfg)?;
    built.push((cfg.clone(), m.clone()));
    Ok(m)
}

/// [`build_chip`] with build options (a traced build, for instance).
pub fn build_chip_with(cfg: &Config, opts: &BuildOptions) -> Result<Arc<Model>, ChipError> {
    let design =
        seedchip_hdl::chip::generate(cfg).map_err(|e| ChipError::Generate(e.to_string()))?;
    let sources = crate::verilator::sources_of(&design);
    Ok(Model::build(&sources, design.top().name(), opts)?)
}

struct Channel {
    valid: PortId,
    ready: PortId,
    fields: Vec<(String, PortId)>,
}

impl Channel {
    fn new(sim: &Sim, b: &Bundle) -> Result<Channel, BridgeError> {
        Ok(Channel {
            valid: sim.port(&b.valid_port())?,
            ready: sim.port(&b.ready_port())?,
            fields: b
                .fields()
                .iter()
                .map(|(f, _)| Ok((f.clone(), sim.port(&b.port(f))?)))
                .collect::<Result<_, BridgeError>>()?,
        })
    }

    fn field(&self, name: &str) -> PortId {
        self.fields
            .iter()
            .find(|(f, _)| f == name)
            .map(|(_, p)| *p)
            .unwrap_or_else(|| panic!("no field `{name}`"))
    }
}

/// The host's AXI4-Lite signals this cycle.
#[derive(Clone, Copy, Default)]
struct HostIn {
    aw: Option<u32>,
    w: Option<u32>,
    ar: Option<u32>,
}

/// What the chip's host port shows this cycle.
#[derive(Clone, Copy, Default)]
struct HostOut {
    aw_ready: bool,
    w_ready: bool,
    b: Option<u32>,
    ar_ready: bool,
    r: Option<(u32, u32)>,
    irq: bool,
}

/// The chip under test with its DRAM and host.
pub struct ChipHarness {
    sim: Sim,
    dram: [Channel; 5],
    host: [Channel; 5],
    irq: PortId,
    pub mem: AxiMemory,
    checker: Checker,
    beat_bytes: usize,
    pins: HostIn,
    noise: XorShift64,
    cycle: u64,
    /// The tile whose registers `write_reg` and `read_reg` reach (multi-tile chips).
    tile: u32,
    tiles: u32,
}

const HOST_TIMEOUT: u64 = 10_000;

impl ChipHarness {
    /// A reset chip of `cfg` (built as `model`) in front of `dram`.
    pub fn new(
        model: &Arc<Model>,
        cfg: &Config,
        dram: Vec<u8>,
        timing: MemoryTiming,
        init: XInit,
    ) -> Result<ChipHarness, ChipError> {
        let mut sim = model.sim(init)?;
        let beat_bytes = cfg.bus.data_bits as usize / 8;
        let tiles = cfg.tiles.x * cfg.tiles.y;
        // A multi-tile chip's DRAM IDs carry the tile, and its host port every tile's registers.
        let (axi, lite) = if tiles > 1 {
            (
                Axi4::with_ids("m_axi", cfg.bus.data_bits, dram_id_bits(cfg)),
                AxiLite::new("s_axil", host_addr_bits(tiles)),
            )
        } else {
            (
                Axi4::new("m_axi", cfg.bus.data_bits),
                AxiLite::new("s_axil", ADDR_BITS),
            )
        };
        let ch = |sim: &Sim, b: &Bundle| Channel::new(sim, b);
        let dram_ports = [
            ch(&sim, &axi.aw)?,
            ch(&sim, &axi.w)?,
            ch(&sim, &axi.b)?,
            ch(&sim, &axi.ar)?,
            ch(&sim, &axi.r)?,
        ];
        let host = [
            ch(&sim, &lite.aw)?,
            ch(&sim, &lite.w)?,
            ch(&sim, &lite.b)?,
            ch(&sim, &lite.ar)?,
            ch(&sim, &lite.r)?,
        ];
        let irq = sim.port("irq")?;
        for c in [&host[0], &host[1], &host[3]] {
            sim.set_u64(c.valid, 0)?;
        }
        sim.set_u64(host[2].ready, 0)?;
        sim.set_u64(host[4].ready, 0)?;
        sim.reset(2)?;
        let noise = XorShift64::new(match init {
            XInit::Random(s) => s as u64,
            _ => 0x9e37_79b9_7f4a_7c15,
        });
        Ok(ChipHarness {
            sim,
            dram: dram_ports,
            host,
            irq,
            mem: AxiMemory::new(dram, beat_bytes, timing),
            checker: Checker::new(beat_bytes),
            beat_bytes,
            pins: HostIn::default(),
            noise,
            cycle: 0,
            tile: 0,
            tiles,
        })
    }

    /// Reach tile `t`'s registers from now on.
    pub fn select_tile(&mut self, t: u32) {
        assert!(t < self.tiles, "tile {t} of {}", self.tiles);
        self.tile = t;
    }

    /// The selected tile's byte offset on the host port.
    fn tile_offset(&self) -> u32 {
        self.tile << ADDR_BITS
    }

    pub fn sim(&mut self) -> &mut Sim {
        &mut self.sim
    }

    fn drive_slave(&mut self, s: &crate::axi::SlaveOut) -> Result<(), BridgeError> {
        let [aw, w, b, ar, r] = &self.dram;
        let (aw_ready, w_ready, ar_ready) = (aw.ready, w.ready, ar.ready);
        let (b_valid, b_id, b_resp) = (b.valid, b.field("id"), b.field("resp"));
        let (r_valid, r_id, r_data, r_resp, r_last) = (
            r.valid,
            r.field("id"),
            r.field("data"),
            r.field("resp"),
            r.field("last"),
        );
        self.sim.set_bool(aw_ready, s.aw_ready)?;
        self.sim.set_bool(w_ready, s.w_ready)?;
        self.sim.set_bool(ar_ready, s.ar_ready)?;
        let bb = s.b.unwrap_or(BBeat { id: 3, resp: 3 });
        self.sim.set_bool(b_valid, s.b.is_some())?;
        self.sim.set_u64(b_id, bb.id as u64)?;
        self.sim.set_u64(b_resp, bb.resp as u64)?;
        let junk = self.noise.bytes(self.beat_bytes);
        let rb = s.r.clone().unwrap_or(RBeat {
            id: 3,
            data: junk,
            resp: 3,
            last: true,
        });
        self.sim.set_bool(r_valid, s.r.is_some())?;
        self.sim.set_u64(r_id, rb.id as u64)?;
        self.sim.set(
            r_data,
            &Bits::from_le_bytes(rb.data.len() as u32 * 8, &rb.data),
        )?;
        self.sim.set_u64(r_resp, rb.resp as u64)?;
        self.sim.set_bool(r_last, rb.last)?;
        Ok(())
    }

    fn read_master(&mut self) -> MasterOut {
        let addr = |sim: &mut Sim, c: &Channel| -> Option<Addr> {
            sim.get_bool(c.valid).then(|| Addr {
                id: sim.get_u64(c.field("id")) as u32,
                addr: sim.get_u64(c.field("addr")),
                len: sim.get_u64(c.field("len")) as u8,
                size: sim.get_u64(c.field("size")) as u8,
                burst: sim.get_u64(c.field("burst")) as u8,
            })
        };
        let [aw, w, b, ar, r] = &self.dram;
        let w_beat = self.sim.get_bool(w.valid).then(|| {
            let strb = self.sim.get_u64(w.field("strb"));
            WBeat {
                data: self.sim.get(w.field("data")).to_le_bytes(self.beat_bytes),
                strb: (0..self.beat_bytes).map(|i| strb >> i & 1 == 1).collect(),
                last: self.sim.get_bool(w.field("last")),
            }
        });
        MasterOut {
            aw: addr(&mut self.sim, aw),
            w: w_beat,
            b_ready: self.sim.get_bool(b.ready),
            ar: addr(&mut self.sim, ar),
            r_ready: self.sim.get_bool(r.ready),
        }
    }

    fn drive_host(&mut self) -> Result<(), BridgeError> {
        let [aw, w, b, ar, r] = &self.host;
        let p = self.pins;
        self.sim.set_bool(aw.valid, p.aw.is_some())?;
        self.sim
            .set_u64(aw.field("addr"), p.aw.unwrap_or(0) as u64)?;
        self.sim.set_bool(w.valid, p.w.is_some())?;
        self.sim.set_u64(w.field("data"), p.w.unwrap_or(0) as u64)?;
        self.sim.set_u64(w.field("strb"), 0xf)?;
        self.sim.set_bool(b.ready, true)?;
        self.sim.set_bool(ar.valid, p.ar.is_some())?;
        self.sim
            .set_u64(ar.field("addr"), p.ar.unwrap_or(0) as u64)?;
        self.sim.set_bool(r.ready, true)?;
        Ok(())
    }

    fn read_host(&mut self) -> HostOut {
        let [aw, w, b, ar, r] = &self.host;
        HostOut {
            aw_ready: self.sim.get_bool(aw.ready),
            w_ready: self.sim.get_bool(w.ready),
            b: self
                .sim
                .get_bool(b.valid)
                .then(|| self.sim.get_u64(b.field("resp")) as u32),
            ar_ready: self.sim.get_bool(ar.ready),
            r: self.sim.get_bool(r.valid).then(|| {
                (
                    self.sim.get_u64(r.field("data")) as u32,
                    self.sim.get_u64(r.field("resp")) as u32,
                )
            }),
            irq: self.sim.get_bool(self.irq),
        }
    }

    /// One clock cycle: the DRAM and the host state their signals, the chip settles, the
    /// checker sees both sides of the AXI4 port, then the edge.
    fn cycle(&mut self) -> Result<HostOut, ChipError> {
        let s = self.mem.outputs();
        self.drive_slave(&s)?;
        self.drive_host()?;
        self.sim.eval();
        let m = self.read_master();
        self.checker.cycle(&m, &s)?;
        let host = self.read_host();
        self.mem.edge(&m);
        self.sim.step()?;
        self.cycle += 1;
        Ok(host)
    }

    /// Write a register; returns BRESP.
    pub fn write_reg(&mut self, name: &str, value: u32) -> Result<u32, ChipError> {
        let offset = register(name).expect("a register of the map").offset + self.tile_offset();
        self.pins.aw = Some(offset);
        self.pins.w = Some(value);
        for _ in 0..HOST_TIMEOUT {
            let h = self.cycle()?;
            if h.aw_ready && h.w_ready {
                self.pins.aw = None;
                self.pins.w = None;
            }
            if let Some(resp) = h.b {
                return Ok(resp);
            }
        }
        Err(ChipError::HostPort {
            what: format!("a write of {name}"),
            cycles: HOST_TIMEOUT,
        })
    }

    /// Read a register: (data, RRESP).
    pub fn read_reg(&mut self, name: &str) -> Result<(u32, u32), ChipError> {
        let offset = register(name).expect("a register of the map").offset + self.tile_offset();
        self.pins.ar = Some(offset);
        for _ in 0..HOST_TIMEOUT {
            let h = self.cycle()?;
            if h.ar_ready {
                self.pins.ar = None;
            }
            if let Some(r) = h.r {
                return Ok(r);
            }
        }
        Err(ChipError::HostPort {
            what: format!("a read of {name}"),
            cycles: HOST_TIMEOUT,
        })
    }

    /// Read a 64-bit counter (`_LO` first, which latches `_HI`).
    pub fn read_counter(&mut self, name: &str) -> Result<u64, ChipError> {
        let (lo, _) = self.read_reg(&format!("{name}_LO"))?;
        let (hi, _) = self.read_reg(&format!("{name}_HI"))?;
        Ok((hi as u64) << 32 | lo as u64)
    }

    /// Cycles until the interrupt output rises (at most `limit`).
    pub fn wait_irq(&mut self, limit: u64) -> Result<bool, ChipError> {
        for _ in 0..limit {
            if self.cycle()?.irq {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Write the launch registers (program, DRAM window), enable both interrupts, START.
    pub fn start(&mut self, launch: &Launch) -> Result<(), ChipError> {
        for (name, value) in launch.registers() {
            self.write_reg(name, value)?;
        }
        self.write_reg("IRQ_ENABLE", 3)?;
        self.write_reg("CTRL", 1)?;
        Ok(())
    }

    /// Launch one program per tile (`launches[t]` on tile t), all running at once, and wait
    /// until every one has ended. Each tile's [`ChipRun`] (the DRAM image is the shared one
    /// at the end), and the cycles from the first START to the last tile's end.
    pub fn run_tiles(
        &mut self,
        launches: &[Launch],
        limit: u64,
    ) -> Result<(Vec<ChipRun>, u64), ChipError> {
        let mut started = Vec::new();
        for (t, l) in launches.iter().enumerate() {
            self.select_tile(t as u32);
            self.start(l)?;
            started.push(self.cycle);
        }
        let mut runs: Vec<Option<ChipRun>> = vec![None; launches.len()];
        let deadline = self.cycle + limit;
        while runs.iter().any(Option::is_none) {
            if self.cycle >= deadline || !self.wait_irq(deadline - self.cycle)? {
                let t = runs.iter().position(Option::is_none).expect("one left");
                self.select_tile(t as u32);
                let (status, _) = self.read_reg("STATUS")?;
                return Err(ChipError::Timeout {
                    cycles: limit,
                    status,
                });
            }
            let pending: Vec<usize> = (0..runs.len()).filter(|&t| runs[t].is_none()).collect();
            for t in pending {
                self.select_tile(t as u32);
                let (s, _) = self.read_reg("STATUS")?;
                if Status::ended(s) {
                    runs[t] = Some(self.finish()?);
                }
            }
        }
        let runs: Vec<ChipRun> = runs.into_iter().map(|r| r.expect("ended")).collect();
        let first = started.iter().copied().min().unwrap_or(0);
        let last = runs
            .iter()
            .zip(&started)
            .map(|(r, s)| s + r.cycles)
            .max()
            .unwrap_or(first);
        Ok((runs, last - first))
    }

    /// Launch a program and wait for it to end (done or error), then read STATUS and the
    /// counters and acknowledge the interrupt.
    pub fn run(&mut self, launch: &Launch, limit: u64) -> Result<ChipRun, ChipError> {
        self.start(launch)?;
        if !self.wait_irq(limit)? {
            let (status, _) = self.read_reg("STATUS")?;
            return Err(ChipError::Timeout {
                cycles: limit,
                status,
            });
        }
        self.finish()
    }

    /// The selected tile's STATUS and counters after its end; acknowledges its interrupt.
    fn finish(&mut self) -> Result<ChipRun, ChipError> {
        let status = self.status()?;
        let mut perf = Vec::new();
        for (name, _) in COUNTERS {
            perf.push((*name, self.read_counter(name)?));
        }
        self.write_reg("IRQ_STATUS", 3)?;
        let get = |n: &str| perf.iter().find(|(p, _)| *p == n).map_or(0, |(_, v)| *v);
        let counters = Counters::from_perf(get);
        Ok(ChipRun {
            dram: self.mem.bytes.clone(),
            status,
            cycles: get("CYCLES"),
            counters,
            perf,
        })
    }

    /// STATUS and ERROR_PC, decoded.
    pub fn status(&mut self) -> Result<Status, ChipError> {
        let (s, _) = self.read_reg("STATUS")?;
        let (pc, _) = self.read_reg("ERROR_PC")?;
        Status::from_registers(s, pc).map_err(ChipError::Mismatch)
    }

    /// Soft-reset the chip through CTRL.SOFT_RESET and wait until it is idle.
    pub fn soft_reset(&mut self, limit: u64) -> Result<(), ChipError> {
        self.write_reg("CTRL", 2)?;
        for _ in 0..limit {
            let (s, _) = self.read_reg("STATUS")?;
            let busy = register("STATUS").expect("STATUS").field(s, "BUSY") == 1;
            if !busy && self.checker.idle() {
                return Ok(());
            }
        }
        let (status, _) = self.read_reg("STATUS")?;
        Err(ChipError::Timeout {
            cycles: limit,
            status,
        })
    }

    /// Cycles simulated so far.
    pub fn cycles(&self) -> u64 {
        self.cycle
    }
}

/// Cycles a run may take before it counts as hung: generous for any program the tests and
/// tools build (every instruction bounded by its rows, the bus by its bandwidth).
pub fn cycle_limit(program_len: u32, dram_bytes: usize) -> u64 {
    200_000 + 2_000 * program_len as u64 + 64 * dram_bytes as u64
}

/// Run `launch` on the RTL: the DRAM image after, STATUS, cycles and counters.
pub fn run_program(
    model: &Arc<Model>,
    cfg: &Config,
    dram: Vec<u8>,
    launch: &Launch,
    timing: MemoryTiming,
    init: XInit,
) -> Result<ChipRun, ChipError> {
    let limit = cycle_limit(launch.program_len, dram.len());
    let mut h = ChipHarness::new(model, cfg, dram, timing, init)?;
    h.run(launch, limit)
}

/// Run `launch` on the RTL and on the reference model and compare STATUS, the work counters
/// and the whole DRAM image (after a bus error, only STATUS and the DRAM outside the window:
/// the work in flight when the error came is not defined).
pub fn check_program(
    model: &Arc<Model>,
    cfg: &Config,
    dram: &[u8],
    launch: &Launch,
    timing: MemoryTiming,
    init: XInit,
) -> Result<ChipRun, ChipError> {
    let rtl = run_program(model, cfg, dram.to_vec(), launch, timing, init)?;
    compare_with_model(cfg, dram, launch, rtl)
}

/// Compare a finished RTL run of `launch` (from the DRAM image `dram`) with the reference
/// model, as [`check_program`] does.
pub fn compare_with_model(
    cfg: &Config,
    dram: &[u8],
    launch: &Launch,
    rtl: ChipRun,
) -> Result<ChipRun, ChipError> {
    let mut expect_dram = dram.to_vec();
    let (status, counters) = ChipModel::new(cfg).run(&mut expect_dram, launch);
    // After a bus error the work in flight is not defined: neither the counters nor the DRAM
    // inside the window are compared.
    let w = launch.window;
    let bus_error = status.error == ErrorCode::BusError;
    let model_counters = if bus_error { &rtl.counters } else { &counters };
    let len = expect_dram.len();
    let (below, above) = if bus_error {
        (
            0..(w.base as usize).min(len),
            (w.bound as usize).min(len)..len,
        )
    } else {
        (0..len, len..len)
    };
    let first = status_difference(
        "RTL",
        (&rtl.status, &rtl.counters),
        (&status, model_counters),
    )
    .or_else(|| dram_difference("RTL", &rtl.dram, &expect_dram, below))
    .or_else(|| dram_difference("RTL", &rtl.dram, &expect_dram, above));
    if let Some(d) = first {
        return Err(ChipError::Mismatch(d));
    }
    Ok(rtl)
}

/// What a multi-tile run left behind.
#[derive(Clone, Debug)]
pub struct TilesRun {
    pub dram: Vec<u8>,
    /// Per tile: STATUS, its CYCLES and counters.
    pub tiles: Vec<ChipRun>,
    /// Cycles from the first tile's START to the last tile's end.
    pub cycles: u64,
}

/// Run one program per tile on the multi-tile RTL (`launches[t]` on tile t) and on the
/// reference model, tile after tile over one DRAM image (the programs must not touch each
/// other's DRAM, as [`crate::gemm::MultiPlan`]'s do), and compare every tile's STATUS and
/// work counters and the whole DRAM image.
pub fn check_tiles(
    model: &Arc<Model>,
    cfg: &Config,
    dram: &[u8],
    launches: &[Launch],
    timing: MemoryTiming,
    init: XInit,
) -> Result<TilesRun, ChipError> {
    let limit = launches
        .iter()
        .map(|l| cycle_limit(l.program_len, dram.len()))
        .sum();
    let mut h = ChipHarness::new(model, cfg, dram.to_vec(), timing, init)?;
    let (tiles, cycles) = h.run_tiles(launches, limit)?;
    let rtl_dram = h.mem.bytes.clone();
    let mut expect = dram.to_vec();
    for (t, (l, run)) in launches.iter().zip(&tiles).enumerate() {
        let (status, counters) = ChipModel::new(cfg).run(&mut expect, l);
        let who = format!("tile {t} RTL");
        if let Some(d) = status_difference(&who, (&run.status, &run.counters), (&status, &counters))
        {
            return Err(ChipError::Mismatch(d));
        }
    }
    if let Some(d) = dram_difference("RTL", &rtl_dram, &expect, 0..expect.len()) {
        return Err(ChipError::Mismatch(d));
    }
    Ok(TilesRun {
        dram: rtl_dram,
        tiles,
        cycles,
    })
}

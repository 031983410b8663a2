//! The host register block's RTL equals its model cycle by cycle, on random stimulus (every
//! input random every cycle, offsets biased to real registers), shrunk by proptest on failure.

use std::sync::{Arc, OnceLock};

use proptest::prelude::*;
use seedchip_hdl::chip::axi_lite::AxiLite;
use seedchip_hdl::chip::csr::REGISTERS;
use seedchip_hdl::chip::csr_block::{
    count_bundle, csr_block, ctl_bundle, run_bundle, ADDR_BITS, COUNTERS,
};
use seedchip_hdl::hw::Design;
use seedchip_verif::csr_model::{CsrIn, CsrModel, CsrOut};
use seedchip_verif::verilator::{sources_of, BuildOptions, Model, Sim, XInit};

fn model() -> Arc<Model> {
    static M: OnceLock<Arc<Model>> = OnceLock::new();
    M.get_or_init(|| {
        let d = Design::new(csr_block().unwrap()).unwrap();
        Model::build(&sources_of(&d), "csr_block", &BuildOptions::default()).unwrap()
    })
    .clone()
}

fn addr() -> impl Strategy<Value = u32> {
    let offsets: Vec<u32> = REGISTERS.iter().map(|r| r.offset).collect();
    prop_oneof![
        7 => proptest::sample::select(offsets),
        1 => (0u32..64).prop_map(|x| 4 * x + 1),
        2 => 0u32..(1 << ADDR_BITS),
    ]
}

fn input() -> impl Strategy<Value = CsrIn> {
    let counts = COUNTERS[1..]
        .iter()
        .map(|(_, w)| (0u64..(1u64 << w)).boxed())
        .collect::<Vec<_>>();
    (
        (
            any::<bool>(),
            addr(),
            any::<bool>(),
            any::<u32>(),
            0u32..16,
            any::<bool>(),
        ),
        (any::<bool>(), addr(), any::<bool>(), any::<bool>()),
        (
            proptest::bool::weighted(0.2),
            proptest::bool::weighted(0.2),
            0u32..16,
            any::<u32>(),
        ),
        counts,
    )
        .prop_map(
            |((awv, awa, wv, wd, ws, br), (arv, ara, rr, busy), (done, err, code, pc), counts)| {
                CsrIn {
                    aw_valid: awv,
                    aw_addr: awa,
                    w_valid: wv,
                    w_data: wd,
                    w_strb: ws,
                    b_ready: br,
                    ar_valid: arv,
                    ar_addr: ara,
                    r_ready: rr,
                    busy,
                    done,
                    error: err,
                    error_code: code,
                    error_pc: pc,
                    counts,
                }
            },
        )
}

struct Rtl {
    sim: Sim,
    port: AxiLite,
}

impl Rtl {
    fn new() -> Rtl {
        let mut sim = model().sim(XInit::Random(3)).unwrap();
        sim.reset(2).unwrap();
        Rtl {
            sim,
            port: AxiLite::new("s_axil", ADDR_BITS),
        }
    }

    fn drive(&mut self, i: &CsrIn) {
        let p = &self.port;
        let (run, count) = (run_bundle(), count_bundle());
        let mut set = |name: String, v: u64| self.sim.poke(&name, v).unwrap();
        set(p.aw.valid_port(), i.aw_valid as u64);
        set(p.aw.port("addr"), i.aw_addr as u64);
        set(p.w.valid_port(), i.w_valid as u64);
        set(p.w.port("data"), i.w_data as u64);
        set(p.w.port("strb"), i.w_strb as u64);
        set(p.b.ready_port(), i.b_ready as u64);
        set(p.ar.valid_port(), i.ar_valid as u64);
        set(p.ar.port("addr"), i.ar_addr as u64);
        set(p.r.ready_port(), i.r_ready as u64);
        set(run.port("busy"), i.busy as u64);
        set(run.port("done"), i.done as u64);
        set(run.port("error"), i.error as u64);
        set(run.port("error_code"), i.error_code as u64);
        set(run.port("error_pc"), i.error_pc as u64);
        for ((name, _), v) in COUNTERS[1..].iter().zip(&i.counts) {
            set(count.port(&name.to_ascii_lowercase()), *v);
        }
    }

    fn outputs(&mut self, expect: &CsrOut) -> CsrOut {
        let p = &self.port;
        let ctl = ctl_bundle();
        let mut get = |name: String| self.sim.peek(&name).unwrap().to_u64_wrapping() as u32;
        let r_valid = get(p.r.valid_port()) == 1;
        let b_valid = get(p.b.valid_port()) == 1;
        CsrOut {
            aw_ready: get(p.aw.ready_port()) == 1,
            w_ready: get(p.w.ready_port()) == 1,
            ar_ready: get(p.ar.ready_port()) == 1,
            b_valid,
            // Payloads are compared only while valid.
            b_resp: if b_valid {
                get(p.b.port("resp"))
            } else {
                expect.b_resp
            },
            r_valid,
            r_data: if r_valid {
                get(p.r.port("data"))
            } else {
                expect.r_data
            },
            r_resp: if r_valid {
                get(p.r.port("resp"))
            } else {
                expect.r_resp
            },
            start: get(ctl.port("start")) == 1,
            soft_reset: get(ctl.port("soft_reset")) == 1,
            program_addr: get(ctl.port("program_addr")),
            program_len: get(ctl.port("program_len")),
            dram_base: get(ctl.port("dram_base")),
            dram_bound: get(ctl.port("dram_bound")),
            irq: get("irq".into()) == 1,
        }
    }
}

/// Run `cycles` on the RTL and the model; the first cycle whose outputs differ.
fn compare(cycles: &[CsrIn]) -> Result<(), String> {
    let mut rtl = Rtl::new();
    let mut m = CsrModel::new();
    for (t, i) in cycles.iter().enumerate() {
        rtl.drive(i);
        let expect = m.outputs(i);
        let got = rtl.outputs(&expect);
        if got != expect {
            return Err(format!("cycle {t}: RTL {got:?}\nmodel {expect:?}"));
        }
        rtl.sim.step().unwrap();
        m.edge(i);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn the_register_block_matches_its_model_every_cycle(
        cycles in proptest::collection::vec(input(), 1..400)
    ) {
        prop_assert_eq!(compare(&cycles), Ok(()));
    }
}

fn quiet() -> CsrIn {
    CsrIn {
        b_ready: true,
        r_ready: true,
        counts: vec![0; COUNTERS.len() - 1],
        ..CsrIn::default()
    }
}

fn write(addr: u32, data: u32) -> CsrIn {
    CsrIn {
        aw_valid: true,
        aw_addr: addr,
        w_valid: true,
        w_data: data,
        w_strb: 0xf,
        ..quiet()
    }
}

fn read(addr: u32) -> CsrIn {
    CsrIn {
        ar_valid: true,
        ar_addr: addr,
        ..quiet()
    }
}

#[test]
fn same_edge_priorities_hold_on_the_rtl() {
    let reg = |n: &str| REGISTERS.iter().find(|r| r.name == n).unwrap().offset;
    let (status, irq_st, irq_en, ctrl) = (
        reg("STATUS"),
        reg("IRQ_STATUS"),
        reg("IRQ_ENABLE"),
        reg("CTRL"),
    );
    let sequences: Vec<Vec<CsrIn>> = vec![
        // An event at the edge of a W1C clear of the same bit: the event wins (irq stays).
        vec![
            write(irq_en, 3),
            quiet(),
            CsrIn {
                done: true,
                ..quiet()
            },
            quiet(),
            CsrIn {
                done: true,
                ..write(irq_st, 1)
            },
            quiet(),
            read(irq_st),
            quiet(),
        ],
        // START at the edge of a done event: the clear wins for STATUS.
        vec![
            CsrIn {
                done: true,
                ..write(ctrl, 1)
            },
            quiet(),
            read(status),
            quiet(),
        ],
        // SOFT_RESET clears IRQ_STATUS even against an event.
        vec![
            CsrIn {
                error: true,
                error_code: 5,
                ..quiet()
            },
            CsrIn {
                error: true,
                error_code: 6,
                ..write(ctrl, 2)
            },
            quiet(),
            read(irq_st),
            quiet(),
            read(status),
            quiet(),
        ],
        // START is ignored while busy.
        vec![
            CsrIn {
                busy: true,
                ..write(ctrl, 1)
            },
            quiet(),
            quiet(),
        ],
        // Reading _LO latches the high word that _HI returns.
        vec![
            CsrIn {
                busy: true,
                counts: vec![u32::MAX as u64 >> 16; COUNTERS.len() - 1]
                    .iter()
                    .enumerate()
                    .map(|(k, _)| if COUNTERS[k + 1].1 == 32 {
                        u32::MAX as u64
                    } else {
                        1
                    })
                    .collect(),
                ..quiet()
            };
            3
        ]
        .into_iter()
        .chain([read(reg("MACS_LO")), quiet(), read(reg("MACS_HI")), quiet()])
        .collect(),
    ];
    for (k, seq) in sequences.iter().enumerate() {
        assert_eq!(compare(seq), Ok(()), "sequence {k}");
    }
    // The model states the rule the RTL just matched.
    let mut m = CsrModel::new();
    for i in &sequences[0][..6] {
        m.edge(i);
    }
    assert!(
        m.outputs(&quiet()).irq,
        "an interrupt was lost to a W1C clear"
    );
}

#[test]
fn a_host_session_reads_what_it_wrote_and_sees_the_run() {
    // A plain sequence a driver would issue, on the model alone (the property ties the model
    // to the RTL): write the program address, start, finish, read STATUS.
    let mut m = CsrModel::new();
    let cycle = |m: &mut CsrModel, i: CsrIn| {
        let o = m.outputs(&i);
        m.edge(&i);
        o
    };
    cycle(&mut m, write(0x18, 0x1000));
    cycle(&mut m, quiet());
    cycle(&mut m, write(0x04, 1));
    let o = cycle(&mut m, quiet());
    assert!(o.start && o.program_addr == 0x1000);
    cycle(
        &mut m,
        CsrIn {
            done: true,
            ..quiet()
        },
    );
    // The block registers its run inputs: DONE is there one edge after the event.
    cycle(&mut m, quiet());
    cycle(&mut m, read(0x08));
    let o = cycle(&mut m, quiet());
    assert_eq!((o.r_valid, o.r_data, o.r_resp), (true, 0b10, 0));
}

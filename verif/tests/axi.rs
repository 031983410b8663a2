//! The AXI4 DRAM model and protocol checker, driven by a randomized well-behaved master:
//! data written comes back, the checker passes every cycle, error responses and the bandwidth
//! limit behave as documented, and each kind of protocol violation is caught.

use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use seedchip_verif::axi::*;

const BUS: usize = 16;

/// One write burst: address, beats, and the bytes (with strobes) of each beat.
fn burst(rng: &mut StdRng, mem: usize) -> (Addr, Vec<WBeat>) {
    let size = rng.random_range(0..=4u8); // 1..=16 bytes per beat
    let bytes = 1u64 << size;
    let beats = rng.random_range(1..=8u32);
    let span = beats as u64 * bytes;
    // Stay inside one 4 KiB page and inside the memory.
    let page = rng.random_range(0..(mem as u64 / 4096));
    let off = rng.random_range(0..(4096 - span)) & !(bytes - 1);
    let a = Addr {
        id: rng.random_range(0..4),
        addr: page * 4096 + off,
        len: (beats - 1) as u8,
        size,
        burst: INCR,
    };
    let ws = (0..beats)
        .map(|k| {
            let (addr, n) = beat_span(&a, k);
            let lane = (addr % BUS as u64) as usize;
            let mut data = vec![0u8; BUS];
            let mut strb = vec![false; BUS];
            for b in lane..lane + n as usize {
                data[b] = rng.random();
                strb[b] = rng.random_bool(0.8);
            }
            WBeat {
                data,
                strb,
                last: k + 1 == beats,
            }
        })
        .collect();
    (a, ws)
}

/// Run a master that writes `writes` random bursts then reads every written burst back,
/// with random stalls of its own; the checker sees every cycle. Returns cycles used.
fn exercise(timing: MemoryTiming, writes: usize, seed: u64) -> u64 {
    let mem_size = 16384;
    let mut mem = AxiMemory::new(vec![0u8; mem_size], BUS, timing);
    let mut shadow = vec![0u8; mem_size];
    let mut check = Checker::new(BUS);
    let mut rng = StdRng::seed_from_u64(seed);
    let bursts: Vec<(Addr, Vec<WBeat>)> = (0..writes).map(|_| burst(&mut rng, mem_size)).collect();
    for (a, ws) in &bursts {
        for (k, w) in ws.iter().enumerate() {
            let (addr, n) = beat_span(a, k as u32);
            let lane = (addr % BUS as u64) as usize;
            for b in 0..n as usize {
                if w.strb[lane + b] {
                    shadow[addr as usize + b] = w.data[lane + b];
                }
            }
        }
    }
    let (mut next_aw, mut next_w, mut w_beat, mut b_seen) = (0, 0, 0, 0);
    let (mut next_ar, mut r_burst, mut r_beat) = (0, 0, 0u32);
    let mut m = MasterOut::default();
    let mut cycle = 0u64;
    while r_burst < bursts.len() {
        // Offer the next item when nothing is pending on a channel (or keep what is pending).
        if m.aw.is_none() && next_aw < bursts.len() && rng.random_bool(0.7) {
            m.aw = Some(bursts[next_aw].0);
        }
        if m.w.is_none() && next_w < bursts.len() && rng.random_bool(0.7) {
            m.w = Some(bursts[next_w].1[w_beat].clone());
        }
        m.b_ready = rng.random_bool(0.7);
        // Reads start once every write is answered.
        if m.ar.is_none()
            && b_seen == bursts.len()
            && next_ar < bursts.len()
            && rng.random_bool(0.7)
        {
            m.ar = Some(bursts[next_ar].0);
        }
        m.r_ready = rng.random_bool(0.7);
        let s = mem.outputs();
        check.cycle(&m, &s).unwrap_or_else(|v| panic!("{v}"));
        mem.edge(&m);
        if m.aw.is_some() && s.aw_ready {
            m.aw = None;
            next_aw += 1;
        }
        if m.w.is_some() && s.w_ready {
            m.w = None;
            w_beat += 1;
            if w_beat == bursts[next_w].1.len() {
                next_w += 1;
                w_beat = 0;
            }
        }
        if let (Some(b), true) = (&s.b, m.b_ready) {
            assert_eq!(b.resp, OKAY);
            b_seen += 1;
        }
        if m.ar.is_some() && s.ar_ready {
            m.ar = None;
            next_ar += 1;
        }
        if let (Some(r), true) = (&s.r, m.r_ready) {
            let a = &bursts[r_burst].0;
            assert_eq!((r.id, r.resp), (a.id, OKAY));
            let (addr, n) = beat_span(a, r_beat);
            let lane = (addr % BUS as u64) as usize;
            assert_eq!(
                &r.data[lane..lane + n as usize],
                &shadow[addr as usize..(addr + n) as usize],
                "read of {addr:#x}"
            );
            r_beat += 1;
            if r.last {
                r_burst += 1;
                r_beat = 0;
            }
        }
        cycle += 1;
        assert!(cycle < 200_000, "no progress");
    }
    assert!(check.idle());
    assert_eq!(mem.bytes, shadow);
    cycle
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn written_data_reads_back_and_the_protocol_holds(
        latency in 1u32..20, bpc in prop_oneof![Just(4.0), Just(16.0), Just(64.0)],
        stall in 0.0f64..0.6, writes in 1usize..20, seed in any::<u64>(),
    ) {
        let timing = MemoryTiming { read_latency: latency, write_latency: latency, bytes_per_cycle: bpc, stall, seed };
        exercise(timing, writes, seed);
    }
}

#[test]
fn bandwidth_limits_the_beats_per_cycle() {
    // 4 bytes per cycle on a 16-byte bus: at most one beat every 4 cycles.
    let slow = exercise(
        MemoryTiming {
            bytes_per_cycle: 4.0,
            read_latency: 1,
            write_latency: 1,
            ..Default::default()
        },
        30,
        3,
    );
    let fast = exercise(
        MemoryTiming {
            bytes_per_cycle: 64.0,
            read_latency: 1,
            write_latency: 1,
            ..Default::default()
        },
        30,
        3,
    );
    assert!(
        slow > 2 * fast,
        "4 B/cycle took {slow} cycles, 64 B/cycle {fast}"
    );
}

fn one_cycle(
    mem: &mut AxiMemory,
    check: &mut Checker,
    m: &MasterOut,
) -> (SlaveOut, Result<(), Violation>) {
    let s = mem.outputs();
    let r = check.cycle(m, &s);
    mem.edge(m);
    (s, r)
}

#[test]
fn error_responses_write_nothing() {
    let mut mem = AxiMemory::new(
        vec![7u8; 8192],
        BUS,
        MemoryTiming {
            read_latency: 1,
            write_latency: 1,
            ..Default::default()
        },
    );
    mem.slverr.push((4096, 4112));
    let mut check = Checker::new(BUS);
    let w = WBeat {
        data: vec![1; BUS],
        strb: vec![true; BUS],
        last: true,
    };
    for (addr, resp) in [(4096u64, SLVERR), (8192, DECERR), (0, OKAY)] {
        let a = Addr {
            id: 1,
            addr,
            len: 0,
            size: 4,
            burst: INCR,
        };
        let mut m = MasterOut {
            aw: Some(a),
            w: Some(w.clone()),
            b_ready: true,
            ar: None,
            r_ready: true,
        };
        let mut got = None;
        for _ in 0..20 {
            let (s, r) = one_cycle(&mut mem, &mut check, &m);
            r.unwrap();
            if s.aw_ready {
                m.aw = None;
            }
            if s.w_ready {
                m.w = None;
            }
            if let Some(b) = s.b {
                got = Some(b.resp);
                break;
            }
        }
        assert_eq!(got, Some(resp), "write at {addr:#x}");
        let mut m = MasterOut {
            ar: Some(a),
            r_ready: true,
            ..MasterOut::default()
        };
        let mut got = None;
        for _ in 0..20 {
            let (s, r) = one_cycle(&mut mem, &mut check, &m);
            r.unwrap();
            if s.ar_ready {
                m.ar = None;
            }
            if let Some(r) = s.r {
                got = Some(r.resp);
                break;
            }
        }
        assert_eq!(got, Some(resp), "read at {addr:#x}");
    }
    assert!(
        mem.bytes[4096..4112].iter().all(|b| *b == 7),
        "an SLVERR beat wrote"
    );
    assert!(mem.bytes[..16].iter().all(|b| *b == 1));
}

#[test]
fn each_kind_of_violation_is_caught() {
    let a = Addr {
        id: 0,
        addr: 0,
        len: 1,
        size: 4,
        burst: INCR,
    };
    let w = |last| WBeat {
        data: vec![0; BUS],
        strb: vec![true; BUS],
        last,
    };
    let stalled = MemoryTiming {
        stall: 1.0,
        ..Default::default()
    }; // never ready
    let cases: Vec<(&str, Vec<MasterOut>, MemoryTiming)> = vec![
        (
            "valid dropped",
            vec![
                MasterOut {
                    ar: Some(a),
                    ..Default::default()
                },
                MasterOut::default(),
            ],
            stalled.clone(),
        ),
        (
            "payload changed",
            vec![
                MasterOut {
                    ar: Some(a),
                    ..Default::default()
                },
                MasterOut {
                    ar: Some(Addr { addr: 16, ..a }),
                    ..Default::default()
                },
            ],
            stalled.clone(),
        ),
        (
            "crosses a 4 KiB boundary",
            vec![MasterOut {
                aw: Some(Addr { addr: 4080, ..a }),
                ..Default::default()
            }],
            MemoryTiming::default(),
        ),
        (
            "wider than the bus",
            vec![MasterOut {
                ar: Some(Addr { size: 5, ..a }),
                ..Default::default()
            }],
            MemoryTiming::default(),
        ),
        (
            "WLAST",
            vec![MasterOut {
                aw: Some(a),
                w: Some(w(true)),
                ..Default::default()
            }],
            MemoryTiming {
                bytes_per_cycle: 64.0,
                ..Default::default()
            },
        ),
    ];
    for (what, cycles, timing) in cases {
        let mut mem = AxiMemory::new(vec![0; 8192], BUS, timing);
        let mut check = Checker::new(BUS);
        let mut found = None;
        for m in &cycles {
            if let (_, Err(v)) = one_cycle(&mut mem, &mut check, m) {
                found = Some(v.to_string());
                break;
            }
        }
        let v = found.unwrap_or_else(|| panic!("{what}: not caught"));
        assert!(v.contains(what), "{what}: {v}");
    }
}

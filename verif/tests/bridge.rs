//! The Verilator bridge on a hand-written design: any width, signed access, clear errors,
//! traces, the cache, and seeded initial state.

use std::path::PathBuf;

use seedchip_hdl::hw::Bits;
use seedchip_verif::verilator::*;

fn widths() -> Vec<Source> {
    vec![Source::File(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/designs/widths.v"),
    )]
}

fn model() -> std::sync::Arc<Model> {
    Model::build(&widths(), "widths", &BuildOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn ports_of_any_width_by_name() {
    let m = model();
    let names: Vec<(&str, u32, bool)> = m
        .ports()
        .iter()
        .map(|p| (p.name.as_str(), p.width, p.input))
        .collect();
    assert!(
        names.contains(&("a300", 300, true)) && names.contains(&("y33", 33, false)),
        "{names:?}"
    );
    let mut s = m.sim(XInit::Zeros).unwrap();
    let (a7, a65, a300) = (
        s.port("a7").unwrap(),
        s.port("a65").unwrap(),
        s.port("a300").unwrap(),
    );
    s.set_i64(a7, -3).unwrap();
    assert_eq!(s.peek("y7").unwrap().to_i64_wrapping(), -3);
    assert_eq!(s.peek("y7").unwrap().to_u64(), Some(0x7d));
    // 65 bits: 2^64 - 1 + 1 carries into bit 64.
    s.set(a65, &Bits::from_u64_wrapping(65, u64::MAX)).unwrap();
    let y65 = s.peek("y65").unwrap();
    assert!(y65.bit(64) && y65.to_u64_wrapping() == 0);
    // 33 bits mixing two inputs.
    assert_eq!(
        s.peek("y33").unwrap().to_u64(),
        Some((1 << 32) | 0xffff_ffff)
    );
    // 300 bits through a register (inverted).
    let lanes: Vec<i64> = (0..30).map(|i| i * 7 - 100).collect();
    let v = Bits::from_lanes(10, &lanes);
    s.set(a300, &v).unwrap();
    s.step().unwrap();
    let y = s.peek("y300").unwrap();
    for i in 0..300 {
        assert_eq!(y.bit(i), !v.bit(i), "bit {i}");
    }
}

#[test]
fn reset_step_and_eval() {
    let mut s = model().sim(XInit::Random(4)).unwrap();
    s.poke("en", 1).unwrap();
    s.reset(3).unwrap();
    assert_eq!(s.peek("count").unwrap().to_u64(), Some(0));
    s.steps(5).unwrap();
    assert_eq!(s.peek("count").unwrap().to_u64(), Some(5));
    s.poke("en", 0).unwrap();
    s.steps(3).unwrap();
    assert_eq!(s.peek("count").unwrap().to_u64(), Some(5));
    assert_eq!(s.cycle(), 11);
}

#[test]
fn errors_are_clear() {
    let mut s = model().sim(XInit::Zeros).unwrap();
    let e = s.port("a8").unwrap_err().to_string();
    assert!(e.contains("no port `a8`") && e.contains("a300"), "{e}");
    let a7 = s.port("a7").unwrap();
    let e = s.set_u64(a7, 128).unwrap_err().to_string();
    assert!(e.contains("wider than port `a7` (7 bits"), "{e}");
    assert!(s.set_i64(a7, -65).is_err());
    assert!(s.set_i64(a7, 63).is_ok());
    let e = s
        .set(a7, &Bits::from_u64(9, 256).unwrap())
        .unwrap_err()
        .to_string();
    assert!(e.contains("a7"), "{e}");
    let y7 = s.port("y7").unwrap();
    let e = s.set_u64(y7, 1).unwrap_err().to_string();
    assert!(e.contains("output"), "{e}");
    let e = s
        .trace_to(&std::env::temp_dir().join("x.vcd"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("built without tracing"), "{e}");
}

#[test]
fn missing_verilator_says_how_to_install() {
    let e = find_toolchain_with("/nonexistent/verilator")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("apt-get install verilator") && e.contains("scripts/setup.sh"),
        "{e}"
    );
}

#[test]
fn compile_failures_show_the_log_tail() {
    let bad = vec![Source::Text {
        name: "bad.v".into(),
        text: "module bad(input wire a, output wire y);\n  assign y = a +;\nendmodule\n".into(),
    }];
    let e = Model::build(&bad, "bad", &BuildOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("verilating") && e.contains("syntax error"),
        "{e}"
    );
    assert!(e.contains("build.log"), "{e}");
}

#[test]
fn identical_designs_come_from_the_cache() {
    let a = model();
    let lib = a.build_dir().join("libdut.so");
    let built = std::fs::metadata(&lib).unwrap().modified().unwrap();
    let b = Model::build(&widths(), "widths", &BuildOptions::default()).unwrap();
    assert_eq!(a.build_dir(), b.build_dir());
    // Not rebuilt: the library is the one the first build wrote (timings are benchmarks).
    assert_eq!(std::fs::metadata(&lib).unwrap().modified().unwrap(), built);
    // Any change to the text is a different design.
    let text = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/designs/widths.v"),
    )
    .unwrap();
    let changed = vec![Source::Text {
        name: "widths.v".into(),
        text: text.replace("65'd1", "65'd2"),
    }];
    let c = Model::build(&changed, "widths", &BuildOptions::default()).unwrap();
    assert_ne!(a.build_dir(), c.build_dir());
    assert_eq!(
        c.sim(XInit::Zeros).unwrap().peek("y65").unwrap().to_u64(),
        Some(2)
    );
}

#[test]
fn initial_state_is_seeded() {
    let m = model();
    let noise = |init| {
        m.sim(init)
            .unwrap()
            .peek("noise")
            .unwrap()
            .to_u64()
            .unwrap()
    };
    assert_eq!(noise(XInit::Zeros), 0);
    assert_eq!(noise(XInit::Ones), u64::MAX);
    assert_eq!(noise(XInit::Random(1)), noise(XInit::Random(1)));
    assert_ne!(noise(XInit::Random(1)), noise(XInit::Random(2)));
}

#[test]
fn vcd_and_fst_traces() {
    for (kind, ext, magic) in [
        (TraceKind::Vcd, "vcd", &b"$"[..]),
        (TraceKind::Fst, "fst", &[0u8][..]),
    ] {
        let opts = BuildOptions {
            trace: Some(kind),
            ..Default::default()
        };
        let m = Model::build(&widths(), "widths", &opts).unwrap_or_else(|e| panic!("{e}"));
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("w.{ext}"));
        let mut s = m.sim(XInit::Zeros).unwrap();
        s.trace_to(&path).unwrap();
        s.poke("en", 1).unwrap();
        s.reset(1).unwrap();
        s.steps(4).unwrap();
        s.trace_close();
        let bytes = std::fs::read(&path).unwrap();
        assert!(bytes.len() > 100, "{ext} trace is {} bytes", bytes.len());
        assert!(bytes.starts_with(magic), "{ext} header");
        if kind == TraceKind::Vcd {
            let t = String::from_utf8_lossy(&bytes);
            assert!(
                t.contains("counter") && t.contains("#45"),
                "VCD holds signals and times:\n{}",
                &t[..t.len().min(400)]
            );
        }
    }
}

#[test]
fn stepping_or_resetting_a_design_without_clock_or_reset_is_an_error() {
    let comb = vec![Source::Text {
        name: "comb.v".into(),
        text:
            "module comb(input wire [3:0] a, output wire [3:0] y);\n  assign y = ~a;\nendmodule\n"
                .into(),
    }];
    let m = Model::build(&comb, "comb", &BuildOptions::default()).unwrap();
    let mut s = m.sim(XInit::Zeros).unwrap();
    let e = s.step().unwrap_err().to_string();
    assert!(e.contains("`comb` has no clock port"), "{e}");
    let e = s.reset(2).unwrap_err().to_string();
    assert!(e.contains("`comb` has no reset port"), "{e}");
    s.poke("a", 5).unwrap();
    assert_eq!(s.peek("y").unwrap().to_u64(), Some(10));
}

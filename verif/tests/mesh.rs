//! The mesh network-on-chip (`seedchip_hdl::chip::mesh`, routers from `chip::router`),
//! Verilated, under random traffic against its model (`seedchip_verif::mesh`): every packet
//! delivered exactly once, whole, in order per source and destination, never sooner than
//! its XY hops allow, and everything delivered (no deadlock, no livelock) with nodes that
//! stall ejection and pause injection at random.

use std::sync::{Arc, Mutex, OnceLock};

use proptest::prelude::*;
use seedchip_hdl::chip::mesh::{mesh, MeshSpec};
use seedchip_hdl::hw::Design;
use seedchip_verif::mesh::{Load, MeshRun, Pattern};
use seedchip_verif::verilator::{sources_of, BuildOptions, Model};

/// Shapes: a square, a wide row with the smallest buffers, a tall column, one node.
const SHAPES: [MeshSpec; 4] = [
    MeshSpec {
        x: 2,
        y: 2,
        flit_bits: 32,
        depth: 4,
    },
    MeshSpec {
        x: 3,
        y: 2,
        flit_bits: 24,
        depth: 2,
    },
    MeshSpec {
        x: 1,
        y: 3,
        flit_bits: 20,
        depth: 3,
    },
    MeshSpec {
        x: 1,
        y: 1,
        flit_bits: 16,
        depth: 2,
    },
];

fn model(which: usize) -> Arc<Model> {
    static M: OnceLock<Mutex<Vec<Option<Arc<Model>>>>> = OnceLock::new();
    let cell = M.get_or_init(|| Mutex::new(vec![None; SHAPES.len()]));
    let mut built = cell.lock().unwrap_or_else(|e| e.into_inner());
    built[which]
        .get_or_insert_with(|| {
            let d = Design::new(mesh(&SHAPES[which]).unwrap()).unwrap();
            Model::build(&sources_of(&d), d.top().name(), &BuildOptions::default()).unwrap()
        })
        .clone()
}

fn pattern() -> impl Strategy<Value = Pattern> {
    prop_oneof![
        Just(Pattern::Uniform),
        Just(Pattern::Transpose),
        Just(Pattern::Hotspot)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// Random traffic (pattern, packet length, load, stalls) on every shape: the contract holds.
    #[test]
    fn random_traffic_is_delivered_exactly_once_in_order(
        which in 0..SHAPES.len(),
        pattern in pattern(),
        packet_flits in 1usize..6,
        rate in 0.02f64..0.6,
        eject_stall in prop_oneof![Just(0.0f64), 0.0f64..0.7],
        inject_gap in prop_oneof![Just(0.0f64), 0.0f64..0.5],
        seed in any::<u64>(),
    ) {
        let load = Load {
            packet_flits,
            packet_rate: rate / packet_flits as f64,
            cycles: 300,
            eject_stall,
            inject_gap,
        };
        let mut run = MeshRun::new(SHAPES[which], &model(which), seed as u32).unwrap();
        let stats = run.run(pattern, load, seed, 2_000);
        prop_assert!(stats.is_ok(), "{:?}, {:?}, {:?}: {}", SHAPES[which], pattern, load, stats.unwrap_err());
    }
}

/// Saturating load (every node offers a flit every cycle, all to one node, which stalls half
/// the time): the network backs up to the sources and still delivers every packet.
#[test]
fn a_saturated_hotspot_backs_up_without_loss() {
    let load = Load {
        packet_flits: 4,
        packet_rate: 0.25,
        cycles: 400,
        eject_stall: 0.5,
        inject_gap: 0.0,
    };
    for (which, spec) in SHAPES.iter().enumerate() {
        let mut run = MeshRun::new(*spec, &model(which), 5).unwrap();
        let stats = run
            .run(Pattern::Hotspot, load, 9, 5_000)
            .unwrap_or_else(|e| panic!("{spec:?}: {e}"));
        assert!(stats.packets > 0, "{spec:?}");
    }
}

/// The generated mesh passes `verilator --lint-only -Wall` with no waivers.
#[test]
fn the_mesh_is_lint_clean() {
    let dir = tempfile::tempdir().unwrap();
    for spec in &SHAPES[..2] {
        let d = Design::new(mesh(spec).unwrap()).unwrap();
        let out = dir.path().join(spec.module_name());
        d.write_to(&out).unwrap();
        let lint = std::process::Command::new("verilator")
            .args(["--lint-only", "-Wall", "-F", "files.f", "--top-module"])
            .arg(d.top().name())
            .current_dir(&out)
            .output()
            .expect("verilator runs");
        assert!(
            lint.status.success() && lint.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&lint.stderr)
        );
    }
}

/// Bad shapes are refused with the reason.
#[test]
fn bad_shapes_are_refused() {
    let good = SHAPES[0];
    for (spec, says) in [
        (MeshSpec { x: 0, ..good }, "nodes"),
        (MeshSpec { y: 17, ..good }, "nodes"),
        (MeshSpec { depth: 1, ..good }, "buffers"),
        (
            MeshSpec {
                flit_bits: 1,
                ..good
            },
            "destination bits",
        ),
    ] {
        let e = mesh(&spec).unwrap_err().to_string();
        assert!(e.contains(says), "{spec:?}: {e}");
    }
}

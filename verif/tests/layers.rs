//! The layer library on the chip: each layer's program runs on the RTL, equals the reference
//! model, and gives what the framework's reference kernel gives (TFLite's arithmetic,
//! written out in `FcQuant::reference`).

use std::sync::Arc;

use proptest::prelude::*;
use seedchip_hdl::chip::Config;
use seedchip_verif::axi::MemoryTiming;
use seedchip_verif::chip_harness::{cached_chip, check_program};
use seedchip_verif::layers::{fully_connected, Activation, FcQuant};
use seedchip_verif::model::Matrix;
use seedchip_verif::noise::XorShift64;
use seedchip_verif::verilator::{Model, XInit};

fn configs() -> Vec<Config> {
    [
        "[matrix]\nrows = 4\ncols = 4\n[memory]\nscratchpad_rows = 64\naccumulator_rows = 32\n",
        // Parameters for one column tile at a time (a FENCE between tiles), R != C.
        "[matrix]\nrows = 2\ncols = 3\n[memory]\nscratchpad_rows = 32\naccumulator_rows = 16\nbanks = 1\n",
    ]
    .iter()
    .map(|t| Config::from_toml(t, "test").unwrap())
    .collect()
}

fn model_for(cfg: &Config) -> Arc<Model> {
    cached_chip(cfg).unwrap_or_else(|e| panic!("{e}"))
}

/// A random layer: int8 data, scales that keep outputs mostly in range, a random activation.
#[derive(Clone, Debug)]
struct Layer {
    m: usize,
    k: usize,
    n: usize,
    seed: u64,
    input_zero_point: i32,
    output_zero_point: i32,
    output_scale: f64,
    activation: Activation,
}

fn layer() -> impl Strategy<Value = Layer> {
    (
        1usize..10,
        1usize..12,
        1usize..11,
        any::<u64>(),
        -128i32..128,
        -128i32..128,
        prop_oneof![Just(0.02), Just(0.1), 0.005f64..0.5],
        prop_oneof![
            Just(Activation::None),
            Just(Activation::Relu),
            Just(Activation::Relu6)
        ],
    )
        .prop_map(
            |(m, k, n, seed, input_zero_point, output_zero_point, output_scale, activation)| {
                Layer {
                    m,
                    k,
                    n,
                    seed,
                    input_zero_point,
                    output_zero_point,
                    output_scale,
                    activation,
                }
            },
        )
}

fn check_layer(cfg: &Config, l: &Layer) -> Result<(), String> {
    let mut rng = XorShift64::new(l.seed);
    let a: Matrix<i8> = rng.matrix(l.m, l.k);
    let w: Matrix<i8> = rng.matrix(l.k, l.n);
    let weight_scales: Vec<f64> = (0..l.n)
        .map(|_| 0.002 + (rng.next_u64() % 1000) as f64 * 1e-5)
        .collect();
    let bias: Vec<i32> = (0..l.n)
        .map(|_| (rng.next_u64() % 20001) as i32 - 10000)
        .collect();
    let q = FcQuant::from_scales(
        0.05,
        l.input_zero_point,
        &weight_scales,
        l.output_scale,
        l.output_zero_point,
        bias,
        l.activation,
    );
    let plan = fully_connected(cfg, l.m, l.k, l.n).map_err(|e| e.to_string())?;
    let (dram, launch) = plan.dram(&a, &w, &q);
    let run = check_program(
        &model_for(cfg),
        cfg,
        &dram,
        &launch,
        MemoryTiming::default(),
        XInit::Random(l.seed as u32),
    )
    .map_err(|e| e.to_string())?;
    if !run.status.done {
        return Err(format!("{:?}", run.status));
    }
    let got = plan.result(&run.dram);
    let want = q.reference(&a, &w);
    if got != want {
        return Err(format!("chip {got:?}\nTFLite reference {want:?}"));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// A fully connected layer (bias, per-channel requantisation, fused activation) on the RTL
    /// gives TFLite's reference int8 outputs, bit for bit.
    #[test]
    fn fully_connected_layers_give_the_tflite_reference_outputs(which in 0usize..2, l in layer()) {
        if let Err(e) = check_layer(&configs()[which], &l) {
            prop_assert!(false, "{}", e);
        }
    }
}

/// A layer wider than a parameter group (several groups, FENCEs between them) and taller than
/// a block.
#[test]
fn a_wide_tall_layer_spans_several_parameter_groups_and_blocks() {
    let l = Layer {
        m: 30,
        k: 9,
        n: 14,
        seed: 7,
        input_zero_point: 3,
        output_zero_point: -10,
        output_scale: 0.05,
        activation: Activation::Relu,
    };
    check_layer(&configs()[1], &l).unwrap();
    let plan = fully_connected(&configs()[1], 30, 9, 14).unwrap();
    let fences = plan
        .program
        .iter()
        .filter(|i| i.opcode == seedchip_hdl::chip::isa::Opcode::Fence)
        .count();
    assert_eq!(fences, 4, "five groups of one column tile");
    assert!(plan.tiling.m_blocks > 1);
}

//! Row layers (softmax, layer-norm, RMSNorm, table activations): the integer programs stay
//! within the documented error of the float functions over their whole input range (measured
//! on the reference model), and the RTL runs them exactly as the model does.

use seedchip_hdl::chip::Config;
use seedchip_verif::model::Matrix;
use seedchip_verif::noise::XorShift64;
use seedchip_verif::row_layers::*;

fn cfg16() -> Config {
    Config::from_toml("[matrix]\nrows = 16\ncols = 16\n", "test").unwrap()
}

/// The largest |chip - float| in output LSBs over the rows `x`.
fn max_error(cfg: &Config, layer: &RowLayer, x: &Matrix<i8>) -> i32 {
    let plan = row_layer(cfg, layer, x.rows).unwrap();
    let got = run_on_model(cfg, &plan, x);
    let want = float_reference(layer, x);
    (0..x.rows * x.cols)
        .map(|i| {
            (got.at(i / x.cols, i % x.cols) as i32 - want.at(i / x.cols, i % x.cols) as i32).abs()
        })
        .max()
        .unwrap()
}

/// Every int8 value once, in rows of C.
fn every_int8(c: usize) -> Matrix<i8> {
    let rows = 256 / c;
    Matrix::from_vec(rows, c, (0..256).map(|v| (v - 128) as i8).collect())
}

fn random_rows(rows: usize, c: usize, seed: u64, spread: u64) -> Matrix<i8> {
    let mut rng = XorShift64::new(seed);
    let centre = (rng.next_u64() % 200) as i64 - 100;
    Matrix::from_vec(
        rows,
        c,
        (0..rows * c)
            .map(|_| {
                (centre + (rng.next_u64() % (2 * spread + 1)) as i64 - spread as i64)
                    .clamp(-128, 127) as i8
            })
            .collect(),
    )
}

fn q(scale: f64, zero_point: i32) -> Quant {
    Quant { scale, zero_point }
}

/// The documented bounds (`docs/layers.md`), in output LSBs.
const ACTIVATION_BOUND: i32 = 3;
const SOFTMAX_BOUND: i32 = 1;
const NORM_BOUND: i32 = 2;

/// GELU, SiLU, sigmoid and tanh on every int8 input, at scales from coarse to fine.
#[test]
fn table_activations_are_within_three_lsb_of_the_float_functions_on_every_input() {
    let cfg = cfg16();
    for func in [Func::Gelu, Func::Silu, Func::Sigmoid, Func::Tanh] {
        for (si, so, zo) in [
            (0.03, 0.03, 0),
            (0.05, 0.02, -20),
            (0.1, 0.05, 0),
            (0.02, 1.0 / 256.0, -128),
            (0.2, 0.1, 10),
        ] {
            let layer = RowLayer::Activation {
                func,
                input: q(si, 0),
                output: q(so, zo),
            };
            let e = max_error(&cfg, &layer, &every_int8(16));
            assert!(e <= ACTIVATION_BOUND, "{func:?} in {si} out {so}: {e} LSB");
        }
    }
}

fn gamma_beta(seed: u64, c: usize) -> (Vec<f64>, Vec<f64>) {
    let mut rng = XorShift64::new(seed);
    let gamma = (0..c)
        .map(|_| {
            let g = 0.2 + (rng.next_u64() % 150) as f64 / 100.0;
            if rng.next_u64().is_multiple_of(5) {
                -g
            } else {
                g
            }
        })
        .collect();
    let beta = (0..c)
        .map(|_| (rng.next_u64() % 200) as f64 / 100.0 - 1.0)
        .collect();
    (gamma, beta)
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Softmax within 1 LSB (of 1/256) of the float softmax, rows anywhere in the int8 range.
    #[test]
    fn softmax_is_within_one_lsb(seed in 0u64..u64::MAX, spread in 0u64..128, scale in 0.005f64..0.5) {
        let layer = RowLayer::Softmax { input: q(scale, 0) };
        let e = max_error(&cfg16(), &layer, &random_rows(8, 16, seed, spread));
        proptest::prop_assert!(e <= SOFTMAX_BOUND, "{} LSB", e);
    }

    /// Layer-norm and RMSNorm within 2 LSB of the float functions (gamma of either sign).
    #[test]
    fn norms_are_within_two_lsb(seed in 0u64..u64::MAX, spread in 1u64..128, out_scale in 0.01f64..0.1) {
        let (gamma, beta) = gamma_beta(seed, 16);
        let x = random_rows(8, 16, seed, spread);
        let ln = RowLayer::LayerNorm { input: q(0.05, 3), gamma: gamma.clone(), beta, eps: 1e-5, output: q(out_scale, -5) };
        let rms = RowLayer::RmsNorm { input: q(0.05, 0), gamma, eps: 1e-5, output: q(out_scale, 0) };
        let (e1, e2) = (max_error(&cfg16(), &ln, &x), max_error(&cfg16(), &rms, &x));
        proptest::prop_assert!(e1 <= NORM_BOUND && e2 <= NORM_BOUND, "layer-norm {} LSB, RMSNorm {} LSB", e1, e2);
    }
}

/// Each row layer's program runs on the RTL exactly as on the model (several blocks of rows,
/// so the block loop and its FENCEs run too).
#[test]
fn row_layer_programs_run_on_the_rtl_as_on_the_model() {
    use seedchip_verif::axi::MemoryTiming;
    use seedchip_verif::chip_harness::{build_chip, check_program};
    use seedchip_verif::verilator::XInit;
    let cfg = Config::from_toml(
        "[matrix]\nrows = 4\ncols = 4\n[memory]\nscratchpad_rows = 64\naccumulator_rows = 32\n",
        "test",
    )
    .unwrap();
    let model = build_chip(&cfg).unwrap();
    let (gamma, beta) = gamma_beta(5, 4);
    let layers = [
        RowLayer::Softmax { input: q(0.1, 0) },
        RowLayer::LayerNorm {
            input: q(0.05, 0),
            gamma: gamma.clone(),
            beta,
            eps: 1e-5,
            output: q(0.03, 0),
        },
        RowLayer::RmsNorm {
            input: q(0.05, 0),
            gamma,
            eps: 1e-5,
            output: q(0.03, 0),
        },
        RowLayer::Activation {
            func: Func::Gelu,
            input: q(0.05, 0),
            output: q(0.03, 0),
        },
    ];
    for (k, layer) in layers.iter().enumerate() {
        let x = random_rows(7, 4, k as u64, 100);
        let plan = row_layer(&cfg, layer, 7).unwrap();
        let (dram, launch) = plan.dram(&x);
        let run = check_program(
            &model,
            &cfg,
            &dram,
            &launch,
            MemoryTiming::default(),
            XInit::Random(k as u32),
        )
        .unwrap_or_else(|e| panic!("{layer:?}: {e}"));
        assert!(run.status.done, "{layer:?}: {:?}", run.status);
        assert_eq!(plan.result(&run.dram), run_on_model(&cfg, &plan, &x));
    }
}

/// Bad parameters are refused with the reason.
#[test]
fn bad_layers_are_refused_with_the_reason() {
    let cfg = cfg16();
    let e = row_layer(
        &cfg,
        &RowLayer::RmsNorm {
            input: q(0.05, 0),
            gamma: vec![1.0; 3],
            eps: 0.0,
            output: q(0.1, 0),
        },
        4,
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "gamma has 3 values; the rows have 16 (the array's columns)"
    );
    let e = row_layer(&cfg, &RowLayer::Softmax { input: q(0.0, 0) }, 4).unwrap_err();
    assert!(e.to_string().contains("not a positive finite scale"), "{e}");
    assert_eq!(
        row_layer(&cfg, &RowLayer::Softmax { input: q(0.1, 0) }, 0).unwrap_err(),
        RowError::Empty
    );
}

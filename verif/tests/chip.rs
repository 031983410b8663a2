//! The whole chip's RTL against the reference model: GEMM programs, random programs under
//! random bus timing, and the error paths.

use std::sync::{Arc, Mutex, OnceLock};

use seedchip_hdl::chip::Config;
use seedchip_verif::axi::MemoryTiming;
use seedchip_verif::chip_harness::{build_chip, check_program};
use seedchip_verif::gemm::plan;
use seedchip_verif::model::Matrix;
use seedchip_verif::verilator::{Model, XInit};

fn small() -> Config {
    Config::from_toml(
        "[matrix]\nrows = 4\ncols = 4\n[memory]\nscratchpad_rows = 64\naccumulator_rows = 32\n",
        "test",
    )
    .unwrap()
}

fn model_for(cfg: &Config) -> Arc<Model> {
    static CACHE: OnceLock<Mutex<Vec<(Config, Arc<Model>)>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut c = cache.lock().unwrap();
    if let Some((_, m)) = c.iter().find(|(k, _)| k == cfg) {
        return m.clone();
    }
    let m = build_chip(cfg).unwrap();
    c.push((cfg.clone(), m.clone()));
    m
}

fn random_matrix(rows: usize, cols: usize, seed: u64) -> Matrix<i8> {
    let mut s = seed | 1;
    let data = (0..rows * cols)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            s as i8
        })
        .collect();
    Matrix::from_vec(rows, cols, data)
}

#[test]
fn a_gemm_program_matches_the_model() {
    let cfg = small();
    let model = model_for(&cfg);
    let p = plan(&cfg, 9, 7, 6).unwrap();
    let (a, w) = (random_matrix(9, 7, 1), random_matrix(7, 6, 2));
    let (dram, launch) = p.dram(&a, &w);
    let run = check_program(&model, &cfg, &dram, &launch, MemoryTiming::default(), XInit::Random(3))
        .unwrap();
    assert!(run.status.done);
    assert_eq!(p.result(&run.dram), seedchip_verif::model::gemm(&a, &w));
}

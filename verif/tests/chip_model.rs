//! The functional ISA simulator and the GEMM library: tiled programs compute the reference
//! GEMM for random shapes and configurations, and every error stops with its documented code.

use proptest::prelude::*;
use seedchip_hdl::chip::isa::{assemble, program_bytes, ErrorCode, Instr, Opcode};
use seedchip_hdl::chip::{Config, ControllerConfig, MatrixConfig, MemoryConfig};
use seedchip_verif::chip_model::{ChipModel, Launch, Window};
use seedchip_verif::gemm::plan;
use seedchip_verif::model::{gemm, Matrix};

fn config(rows: u32, cols: u32, spad: u32, acc: u32, depth: u32) -> Config {
    Config {
        matrix: MatrixConfig {
            rows,
            cols,
            ..MatrixConfig::default()
        },
        memory: MemoryConfig {
            scratchpad_rows: spad,
            accumulator_rows: acc,
            banks: 1,
        },
        controller: ControllerConfig { queue_depth: depth },
        ..Config::default()
    }
}

fn matrix(rows: usize, cols: usize, seed: u64) -> Matrix<i8> {
    // A small deterministic generator: the extremes come up often.
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let data = (0..rows * cols)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            match x % 8 {
                0 => -128,
                1 => 127,
                _ => (x >> 8) as i8,
            }
        })
        .collect();
    Matrix::from_vec(rows, cols, data)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn tiled_programs_compute_the_reference_gemm(
        rows in 1u32..=5, cols in 1u32..=5, m in 1usize..=40, k in 1usize..=23,
        n in 1usize..=13, spad_extra in 0u32..=24, acc in 16u32..=40, depth in 2u32..=5,
        seed in any::<u64>(),
    ) {
        let cfg = config(rows, cols, (2 * (rows + 1) + spad_extra).max(16), acc, depth);
        cfg.validate("test").unwrap();
        let p = plan(&cfg, m, k, n).unwrap();
        let (a, w) = (matrix(m, k, seed), matrix(k, n, seed ^ 0xabcdef));
        let (mut dram, launch) = p.dram(&a, &w);
        let mut chip = ChipModel::new(&cfg);
        let (status, counters) = chip.run(&mut dram, &launch);
        prop_assert!(status.done && status.error == ErrorCode::None, "{status:?}");
        prop_assert_eq!(status.pc, 0, "ERROR_PC stays 0 after HALT");
        prop_assert_eq!(p.result(&dram), gemm(&a, &w));
        let steps = p.tiling.n_tiles * p.tiling.m_blocks * p.tiling.k_tiles;
        prop_assert_eq!(counters.instructions as usize, p.program.len());
        prop_assert_eq!(
            counters.macs as usize,
            p.tiling.n_tiles * p.tiling.k_tiles * m * (rows * cols) as usize
        );
        prop_assert!(steps >= 1);
    }
}

/// A 2x2 chip, a DRAM of 1 KiB, the window [256, 768), the program at 256.
fn run(text: &str) -> (seedchip_verif::chip_model::Status, Vec<u8>, Vec<u8>) {
    let cfg = config(2, 2, 16, 16, 4);
    let program = assemble(text).unwrap();
    let mut dram: Vec<u8> = (0..1024).map(|x| (x * 7) as u8).collect();
    let bytes = program_bytes(&program);
    dram[256..256 + bytes.len()].copy_from_slice(&bytes);
    let before = dram.clone();
    let launch = Launch {
        program_addr: 256,
        program_len: program.len() as u32,
        window: Window {
            base: 256,
            bound: 768,
        },
    };
    let (status, _) = ChipModel::new(&cfg).run(&mut dram, &launch);
    (status, before, dram)
}

#[test]
fn each_error_stops_with_its_code_and_writes_nothing_outside_the_window() {
    for (text, error, pc) in [
        // Out-of-window STORE: nothing written at all.
        ("load rows=2 row_bytes=2 dram_addr=0x200 dram_stride=2\nstore rows=2 row_bytes=2 dram_addr=0x2ff dram_stride=0x100\nhalt", ErrorCode::DramWindow, 1),
        // Out-of-window LOAD (below the base).
        ("load rows=1 row_bytes=2 dram_addr=0xfe dram_stride=2\nhalt", ErrorCode::DramWindow, 0),
        // Scratchpad rows past the end; row_bytes past a row.
        ("load sram_row=15 rows=2 row_bytes=2 dram_addr=0x200 dram_stride=2\nhalt", ErrorCode::RowRange, 0),
        ("load acc rows=1 row_bytes=9 dram_addr=0x200 dram_stride=2\nhalt", ErrorCode::RowRange, 0),
        ("matmul w_row=15 a_row=0 acc_row=0 rows=1\nhalt", ErrorCode::RowRange, 0),
        // No HALT at the end.
        ("load rows=1 row_bytes=2 dram_addr=0x200 dram_stride=2", ErrorCode::NoHalt, 1),
        // A pop nothing will ever answer.
        ("matmul w_row=0 a_row=2 acc_row=0 rows=1 pop_prev\nhalt", ErrorCode::Deadlock, 0),
    ] {
        let (status, before, after) = run(text);
        assert_eq!((status.error, status.pc, status.done), (error, pc, false), "{text}");
        assert_eq!(before[..256], after[..256], "{text}: written below the window");
        assert_eq!(before[768..], after[768..], "{text}: written above the window");
        if error == ErrorCode::DramWindow {
            assert_eq!(before, after, "{text}: the faulting store wrote");
        }
    }
}

#[test]
fn illegal_words_and_bad_launches_are_refused() {
    let cfg = config(2, 2, 16, 16, 4);
    let good = program_bytes(&[Instr::new(Opcode::Halt)]);
    for (word, error) in [
        (0u128, ErrorCode::IllegalOpcode),
        (
            Instr::new(Opcode::Halt).encode() | 1 << 64,
            ErrorCode::IllegalField,
        ),
    ] {
        let mut dram = vec![0u8; 64];
        dram[16..32].copy_from_slice(&word.to_le_bytes());
        dram[..16].copy_from_slice(&program_bytes(&[Instr::new(Opcode::Fence)]));
        let launch = Launch {
            program_addr: 0,
            program_len: 2,
            window: Window { base: 0, bound: 64 },
        };
        let (s, _) = ChipModel::new(&cfg).run(&mut dram, &launch);
        assert_eq!((s.error, s.pc), (error, 1));
    }
    for (addr, len, bound) in [(8u64, 1u32, 64u64), (0, 5, 64), (0, 0, 64), (48, 2, 64)] {
        let mut dram = vec![0u8; 64];
        dram[..16].copy_from_slice(&good);
        let launch = Launch {
            program_addr: addr,
            program_len: len,
            window: Window { base: 0, bound },
        };
        let (s, _) = ChipModel::new(&cfg).run(&mut dram, &launch);
        assert_eq!(s.error, ErrorCode::Fetch, "addr {addr} len {len}");
    }
}

#[test]
fn a_bus_error_stops_the_chip() {
    // The window is larger than the memory: the access is allowed but the bus refuses it.
    let cfg = config(2, 2, 16, 16, 4);
    let program = assemble("load rows=1 row_bytes=2 dram_addr=0x100 dram_stride=2\nhalt").unwrap();
    let mut dram = vec![0u8; 64];
    dram[..32].copy_from_slice(&program_bytes(&program));
    let launch = Launch::whole_image(2, 4096);
    let (s, _) = ChipModel::new(&cfg).run(&mut dram, &launch);
    assert_eq!((s.error, s.pc), (ErrorCode::BusError, 0));
}

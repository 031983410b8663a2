//! The board without the board: the Verilated `board_core` (chip, device memory, UART host
//! bridge) driven bit by bit through its UART pins by the same host code a real port uses.
//! Memory and register traffic against a model of the device memory, a GEMM against the
//! reference model, and every kind of bad frame answered with its status, changing nothing.

use proptest::prelude::*;
use seedchip_hdl::board::core::CoreSpec;
use seedchip_hdl::board::protocol::{checksum, request, Command, Status, REQUEST_SYNC};
use seedchip_hdl::chip::csr::ID_MAGIC;
use seedchip_hdl::chip::Config;
use seedchip_verif::board::{run_gemm, BoardError, Host, SimLink};
use seedchip_verif::noise::XorShift64;

fn config() -> Config {
    Config::from_toml(
        "[matrix]\nrows = 2\ncols = 2\n[memory]\nscratchpad_rows = 32\naccumulator_rows = 32\n[bus]\ndata_bits = 64\n",
        "test",
    )
    .unwrap()
}

/// 16 KiB of device memory; 8 clock cycles a UART bit (a fast link keeps the test short).
const SPEC: CoreSpec = CoreSpec {
    mem_bytes: 16 * 1024,
    clock_hz: 8_000_000,
    baud: 1_000_000,
};

fn host() -> Host<SimLink> {
    Host::new(SimLink::new(&config(), &SPEC).unwrap_or_else(|e| panic!("{e}")))
}

#[test]
fn info_registers_and_a_gemm_through_the_uart() {
    let mut h = host();
    assert_eq!(h.info().unwrap(), (SPEC.mem_bytes, SPEC.clock_hz as u32));
    assert_eq!(h.read_reg("ID").unwrap(), ID_MAGIC);
    let mut rng = XorShift64::new(5);
    let (a, w) = (rng.matrix(5, 3), rng.matrix(3, 4));
    let g = run_gemm(&mut h, &config(), &a, &w).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(g.c, seedchip_verif::model::gemm(&a, &w));
    assert!(g.run.status.done && g.run.cycles > 0);
}

#[test]
fn bad_frames_get_their_status_and_change_nothing() {
    let mut h = host();
    let before: Vec<u8> = (0..64u32).map(|i| (i * 13 + 1) as u8).collect();
    h.write_mem(0x100, &before).unwrap();
    // A wrong checksum.
    let mut f = request(Command::MemWrite, 0x100, 2, &[0xdead_beef, 0x1234_5678]);
    *f.last_mut().unwrap() ^= 0x40;
    assert_eq!(
        h.exchange(&f, 0, "bad sum").unwrap().status,
        Status::BadChecksum
    );
    // Truncated: half a frame, then silence.
    let f = request(Command::MemWrite, 0x100, 2, &[0xdead_beef, 0x1234_5678]);
    assert_eq!(
        h.exchange(&f[..7], 0, "cut").unwrap().status,
        Status::Truncated
    );
    // An unknown command (its bytes skipped until the line is quiet).
    let mut f = vec![REQUEST_SYNC, 0x77, 0, 1, 0, 0, 0];
    f.push(checksum(&f[1..]));
    assert_eq!(
        h.exchange(&f, 0, "unknown").unwrap().status,
        Status::UnknownCommand
    );
    // Outside the memory, unaligned, a register outside the map's address space.
    let out = [
        request(Command::MemWrite, SPEC.mem_bytes - 4, 2, &[1, 2]),
        request(Command::MemRead, 0x102, 1, &[]),
        request(Command::MemRead, 0xffff_fffc, 1, &[]),
        request(Command::RegWrite, 0x1000, 0, &[1]),
    ];
    for f in out {
        assert_eq!(
            h.exchange(&f, 1, "range").unwrap().status,
            Status::OutOfRange
        );
    }
    assert_eq!(h.read_mem(0x100, 64).unwrap(), before, "nothing changed");
    // The link still works, and a register the chip does not have is a bus error.
    assert_eq!(h.read_reg("ID").unwrap(), ID_MAGIC);
    match h.transact(Command::RegRead, 0xfc, 0, &[]) {
        Err(BoardError::Status { status, .. }) => assert_eq!(status, Status::BusError),
        other => panic!("a read of an unmapped register gave {other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]
    /// Random bursts of writes and reads against a byte array: the bridge and the device
    /// memory store exactly what was written, at any burst length and alignment.
    #[test]
    fn memory_traffic_matches_a_byte_array(
        ops in proptest::collection::vec((any::<bool>(), 0u32..1024, 1u32..=64, any::<u64>()), 1..12)
    ) {
        let mut h = host();
        let mut model = vec![0u8; SPEC.mem_bytes as usize];
        // The memory starts unknown: fill the part the ops touch.
        h.write_mem(0, &model[..4608]).unwrap();
        for (write, word, words, seed) in ops {
            let addr = 4 * word;
            let len = 4 * words as usize;
            if write {
                let data = XorShift64::new(seed).bytes(len);
                h.write_mem(addr, &data).unwrap();
                model[addr as usize..addr as usize + len].copy_from_slice(&data);
            } else {
                let got = h.read_mem(addr, len).unwrap();
                prop_assert_eq!(&got[..], &model[addr as usize..addr as usize + len]);
            }
        }
    }
}

#[test]
fn the_board_core_is_lint_clean() {
    let core = seedchip_hdl::board::core::board_core(&config(), &SPEC).unwrap();
    let design = seedchip_hdl::hw::Design::new(core).unwrap();
    let dir = tempfile::tempdir().unwrap();
    design.write_to(dir.path()).unwrap();
    let o = std::process::Command::new("verilator")
        .args([
            "--lint-only",
            "-Wall",
            "-F",
            "files.f",
            "--top-module",
            "board_core",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

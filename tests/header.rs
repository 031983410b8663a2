//! `seedchip.h` compiles with `cc`, and the values a C program reads from it match the
//! configuration, the register map and the Rust ISA encoder.

mod common;
use common::*;

use seedchip_hdl::chip::csr::register;
use seedchip_hdl::chip::isa::{table_rows, BMode, Instr, Opcode, Post, VectorOp};

#[test]
fn the_generated_header_compiles_and_agrees_with_the_generator() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(
        &cfg,
        "[matrix]\nrows = 4\ncols = 8\n[memory]\nscratchpad_rows = 256\naccumulator_rows = 64\nbanks = 4\n[bus]\ndata_bits = 256\n",
    )
    .unwrap();
    let o = seedchip()
        .args(["generate", "--config"])
        .arg(&cfg)
        .args(["--out", "rtl"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o));
    let c = r#"
#include <stdio.h>
#include "rtl/seedchip.h"
int main(void) {
    uint32_t w[4] = {0, 0, 0, 0};
    seedchip_set_field(w, SEEDCHIP_F_OPCODE_SHIFT, SEEDCHIP_F_OPCODE_WIDTH, SEEDCHIP_OP_LOAD);
    seedchip_set_field(w, SEEDCHIP_F_PUSH_NEXT_SHIFT, SEEDCHIP_F_PUSH_NEXT_WIDTH, 1);
    seedchip_set_field(w, SEEDCHIP_LOAD_ROWS_SHIFT, SEEDCHIP_LOAD_ROWS_WIDTH, 16);
    seedchip_set_field(w, SEEDCHIP_LOAD_ROW_BYTES_SHIFT, SEEDCHIP_LOAD_ROW_BYTES_WIDTH, 8);
    seedchip_set_field(w, SEEDCHIP_LOAD_DRAM_ADDR_SHIFT, SEEDCHIP_LOAD_DRAM_ADDR_WIDTH, 0x12345678u);
    seedchip_set_field(w, SEEDCHIP_LOAD_DRAM_STRIDE_SHIFT, SEEDCHIP_LOAD_DRAM_STRIDE_WIDTH, 0xdeadbeefu);
    printf("%u %u %u %u %u %u %u\n", SEEDCHIP_ARRAY_ROWS, SEEDCHIP_ARRAY_COLS, SEEDCHIP_SCRATCHPAD_ROWS,
           SEEDCHIP_SCRATCHPAD_ROW_BYTES, SEEDCHIP_ACCUMULATOR_ROWS, SEEDCHIP_MEMORY_BANKS, SEEDCHIP_BUS_DATA_BYTES);
    printf("%u %u %u %u\n", SEEDCHIP_REG_STATUS, SEEDCHIP_STATUS_ERROR_MASK, SEEDCHIP_REG_MACS_HI, SEEDCHIP_ERR_DRAM_WINDOW);
    printf("%08x%08x%08x%08x\n", w[3], w[2], w[1], w[0]);
    uint32_t v[4] = {0, 0, 0, 0};
    seedchip_set_field(v, SEEDCHIP_F_OPCODE_SHIFT, SEEDCHIP_F_OPCODE_WIDTH, SEEDCHIP_OP_VECTOR);
    seedchip_set_field(v, SEEDCHIP_VECTOR_OP_SHIFT, SEEDCHIP_VECTOR_OP_WIDTH, SEEDCHIP_VOP_RSUM);
    seedchip_set_field(v, SEEDCHIP_VECTOR_POST_SHIFT, SEEDCHIP_VECTOR_POST_WIDTH, SEEDCHIP_POST_RECIP);
    seedchip_set_field(v, SEEDCHIP_VECTOR_B_MODE_SHIFT, SEEDCHIP_VECTOR_B_MODE_WIDTH, SEEDCHIP_BMODE_BCAST);
    seedchip_set_field(v, SEEDCHIP_VECTOR_ROWS_SHIFT, SEEDCHIP_VECTOR_ROWS_WIDTH, SEEDCHIP_TABLE_ROWS);
    seedchip_set_field(v, SEEDCHIP_VECTOR_IMM_SHIFT, SEEDCHIP_VECTOR_IMM_WIDTH, 0xfffffff0u);
    printf("%08x%08x%08x%08x\n", v[3], v[2], v[1], v[0]);
    return 0;
}
"#;
    std::fs::write(dir.path().join("t.c"), c).unwrap();
    let o = tool(
        "cc",
        &["-std=c99", "-Wall", "-Wextra", "-Werror", "-o", "t", "t.c"],
        dir.path(),
    );
    assert!(o.status.success(), "{}", text(&o));
    let o = tool("./t", &[], dir.path());
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "4 8 256 8 64 4 32", "{out}");
    let status = register("STATUS").unwrap();
    let macs_hi = register("MACS_HI").unwrap();
    assert_eq!(
        lines[1],
        format!("{} {} {} 4", status.offset, 0xf00, macs_hi.offset),
        "{out}"
    );
    let rust = Instr::new(Opcode::Load)
        .with("push_next", 1)
        .with("rows", 16)
        .with("row_bytes", 8)
        .with("dram_addr", 0x1234_5678)
        .with("dram_stride", 0xdead_beef)
        .encode();
    assert_eq!(lines[2], format!("{rust:032x}"), "{out}");
    // A VECTOR built from the header's names: rsum + recip, bcast, rows = the table's rows for
    // 8 lanes (ceil(52 / 8) = 7), imm = -16.
    let rust = Instr::new(Opcode::Vector)
        .with("op", VectorOp::Rsum.code() as u64)
        .with("post", Post::Recip as u64)
        .with("b_mode", BMode::Broadcast as u64)
        .with("rows", table_rows(8) as u64)
        .with("imm", 0xffff_fff0)
        .encode();
    assert_eq!(lines[3], format!("{rust:032x}"), "{out}");
}

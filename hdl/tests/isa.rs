//! The ISA's encoding, decoding and text form agree on every legal instruction, and every
//! illegal word is refused (randomized, with proptest shrinking).

use proptest::prelude::*;
use seedchip_hdl::chip::isa::{
    assemble, fields_of, reads_before_writes, Instr, Opcode, Queue, VectorClass, VectorOp,
};

/// A random legal instruction: every field random within its width, dependency flags only
/// where the opcode's queue allows them, counts non-zero.
fn legal() -> impl Strategy<Value = Instr> {
    (
        0..Opcode::ALL.len(),
        proptest::collection::vec(any::<u64>(), 16),
    )
        .prop_map(|(k, raw)| {
            let op = Opcode::ALL[k];
            let mut i = Instr::new(op);
            for (f, r) in fields_of(op).iter().zip(raw).skip(1) {
                let allowed = match (op.queue(), f.name) {
                    (None, n) if n.starts_with("pop") || n.starts_with("push") => false,
                    (Some(Queue::Load), "pop_prev" | "push_prev") => false,
                    (Some(Queue::Store), "pop_next" | "push_next") => false,
                    _ => true,
                };
                let mut v = if f.width == 64 {
                    r
                } else {
                    r & ((1 << f.width) - 1)
                };
                if !allowed {
                    v = 0;
                }
                if (f.name == "rows" || f.name == "row_bytes") && v == 0 {
                    v = 1;
                }
                i.set(f.name, v).unwrap();
            }
            legalise(i)
        })
}

/// Fold the value rules of STORE and VECTOR into range (the random fields are otherwise
/// mostly illegal there).
fn legalise(mut i: Instr) -> Instr {
    let f = |i: &Instr, n: &str| i.get(n).unwrap_or(0);
    match i.opcode {
        Opcode::Store => {
            let e = if f(&i, "acc") == 1 {
                f(&i, "epilogue") % 3
            } else {
                0
            };
            i.set("epilogue", e).unwrap();
        }
        Opcode::Vector => {
            let op = VectorOp::ALL[f(&i, "op") as usize % VectorOp::ALL.len()];
            i.set("op", op.code() as u64).unwrap();
            i.set("b_mode", f(&i, "b_mode") % 3).unwrap();
            if op.class() != VectorClass::Reduce {
                i.set("post", 0).unwrap();
            }
            if op.class() == VectorClass::Load {
                i.set("a_acc", 1).unwrap();
            }
            if op == VectorOp::Qload {
                i.set("rows", 5).unwrap();
            }
            let rows = f(&i, "rows");
            if f(&i, "d_acc") == f(&i, "a_acc")
                && !reads_before_writes(f(&i, "d_row"), f(&i, "a_row"), rows)
            {
                i.set("d_row", f(&i, "a_row")).unwrap();
            }
            if f(&i, "d_acc") == f(&i, "b_acc")
                && !reads_before_writes(f(&i, "d_row"), f(&i, "b_row"), rows)
            {
                i.set("b_mode", 0).unwrap();
            }
        }
        _ => {}
    }
    i
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn legal_instructions_round_trip(i in legal()) {
        let word = i.encode();
        prop_assert_eq!(Instr::decode(word).unwrap(), i.clone());
        prop_assert_eq!(u128::from_le_bytes(i.to_bytes()), word);
        prop_assert_eq!(assemble(&i.to_string()).unwrap(), vec![i]);
    }

    /// One flipped bit of a legal instruction gives either another legal instruction whose
    /// encoding is exactly that word, or a refusal; nothing is silently dropped.
    #[test]
    fn a_flipped_bit_decodes_exactly_or_is_refused(i in legal(), bit in 0u32..128) {
        let word = i.encode() ^ (1u128 << bit);
        match Instr::decode(word) {
            Ok(j) => prop_assert_eq!(j.encode(), word),
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }
}

#[test]
fn the_committed_isa_reference_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/isa.md");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert_eq!(
        committed,
        seedchip_hdl::chip::isa::markdown(),
        "docs/isa.md is stale: rerun `seedchip generate --isa-doc docs/isa.md`"
    );
}

//! The vector unit's reduction pipeline (`vector_reduce`) on its own, Verilated, against the
//! model's `reduce` and `apply_post`: instructions of random rows under random stalls, with
//! the sums, the post steps' operands and `k` weighted to their edges (powers of two and
//! their neighbours, perfect squares, quotients at 2^31, u <= 0).

use proptest::prelude::*;
use seedchip_hdl::chip::isa::{Post, VectorOp};
use seedchip_hdl::chip::vector_reduce::{latency, vector_reduce};
use seedchip_hdl::hw::{Bits, Design};
use seedchip_verif::vector::{apply_post, reduce};
use seedchip_verif::verilator::{sources_of, BuildOptions, Model, XInit};
use std::sync::{Arc, OnceLock};

/// Three lanes: the tree has an odd level.
const LANES: usize = 3;

fn model() -> Arc<Model> {
    static M: OnceLock<Arc<Model>> = OnceLock::new();
    M.get_or_init(|| {
        let d = Design::new(vector_reduce(LANES as u32).unwrap()).unwrap();
        Model::build(&sources_of(&d), d.top().name(), &BuildOptions::default()).unwrap()
    })
    .clone()
}

/// One reduction instruction: its settings and rows, each row with the stall cycles before it.
#[derive(Clone, Debug)]
struct Instr {
    op: VectorOp,
    post: Post,
    k: u32,
    rows: Vec<(Vec<i32>, u8)>,
}

impl Instr {
    fn expect(&self) -> Vec<i32> {
        self.rows
            .iter()
            .map(|(x, _)| apply_post(self.post, reduce(self.op, x), self.k as i32))
            .collect()
    }
}

/// Values at the edges of the post steps: around powers of two, squares, zero and the int32
/// and int16 limits.
fn edge_i32() -> impl Strategy<Value = i32> {
    prop_oneof![
        (0u32..31, -2i32..=2).prop_map(|(p, d)| (1i32 << p).wrapping_add(d)),
        (0i32..46_341, -1i32..=1).prop_map(|(c, d)| (c * c).wrapping_add(d)),
        Just(i32::MIN),
        Just(i32::MAX),
        Just(i32::MAX - 1),
        -3i32..=3,
        (-40_000i32..40_000),
        any::<i32>(),
    ]
}

/// A row: usually the whole sum in one lane (so the reduced value is an edge value), else
/// edge values in every lane.
fn row() -> impl Strategy<Value = (Vec<i32>, u8)> {
    let lanes = prop_oneof![
        (edge_i32(), 0..LANES).prop_map(|(v, at)| {
            let mut r = vec![0; LANES];
            r[at] = v;
            r
        }),
        prop::collection::vec(edge_i32(), LANES),
    ];
    (lanes, prop_oneof![4 => Just(0u8), 1 => 1u8..4])
}

fn instr() -> impl Strategy<Value = Instr> {
    let op = prop_oneof![
        Just(VectorOp::Rmax),
        Just(VectorOp::Rsum),
        Just(VectorOp::Rsumsq)
    ];
    let post = prop_oneof![
        Just(Post::None),
        Just(Post::Recip),
        Just(Post::Isqrt),
        Just(Post::Rsqrt)
    ];
    let k = prop_oneof![0u32..64, 29u32..=33, 60u32..64];
    (op, post, k, prop::collection::vec(row(), 1..6)).prop_map(|(op, post, k, rows)| Instr {
        op,
        post,
        k,
        rows,
    })
}

/// Run the instructions one after the other, as the vector unit does: the settings hold for
/// an instruction, the next starts when its last row is out. Every row's value must come out
/// in order, after `latency` advancing cycles, equal to the model's; nothing else may.
fn check(program: &[Instr]) -> Result<(), String> {
    let mut sim = model().sim(XInit::Random(7)).map_err(|e| e.to_string())?;
    let p = |n: &str| sim.port(n).unwrap();
    let (iv, ix, op, post, k, go, ov, oval) = (
        p("in_valid"),
        p("in_x"),
        p("ctl_op"),
        p("ctl_post"),
        p("ctl_k"),
        p("advance"),
        p("out_valid"),
        p("out_value"),
    );
    sim.set_u64(iv, 0).unwrap();
    sim.set_u64(go, 1).unwrap();
    sim.reset(2).unwrap();
    for (n, ins) in program.iter().enumerate() {
        sim.set_u64(op, ins.op.code() as u64).unwrap();
        sim.set_u64(post, ins.post as u64).unwrap();
        sim.set_u64(k, ins.k as u64).unwrap();
        let want = ins.expect();
        let lat = latency(LANES as u32, ins.post) as usize;
        // (row offered this cycle, advance); stalls also come after the last row.
        let mut plan: Vec<(Option<usize>, bool)> = Vec::new();
        for (i, (_, stalls)) in ins.rows.iter().enumerate() {
            plan.extend((0..*stalls).map(|_| (Some(i), false)));
            plan.push((Some(i), true));
        }
        for t in 0..(lat + 2) * 3 / 2 + 1 {
            plan.push((None, t % 3 != 1));
        }
        let mut got = Vec::new();
        let mut advanced = 0usize;
        let mut offered_at = vec![0usize; ins.rows.len()];
        for &(offered, advance) in &plan {
            sim.set_bool(go, advance).unwrap();
            match offered {
                Some(i) => {
                    sim.set_bool(iv, true).unwrap();
                    sim.set(ix, &Bits::from_lanes(32, &to_i64(&ins.rows[i].0)))
                        .unwrap();
                    offered_at[i] = advanced;
                }
                None => sim.set_u64(iv, 0).unwrap(),
            }
            sim.eval();
            if sim.get_bool(ov) && advance {
                let i = got.len();
                let value = sim.get(oval).to_signed_lanes(32)[0] as i32;
                if i >= want.len() {
                    return Err(format!("instruction {n}: an extra value {value}"));
                }
                if advanced != offered_at[i] + lat {
                    return Err(format!(
                        "instruction {n} row {i}: out after {} advancing cycles, latency {lat}",
                        advanced - offered_at[i]
                    ));
                }
                got.push(value);
            }
            if advance {
                advanced += 1;
            }
            sim.step().unwrap();
        }
        if got != want {
            return Err(format!(
                "instruction {n} ({:?}, {:?}, k {}): RTL {got:?}, model {want:?}",
                ins.op, ins.post, ins.k
            ));
        }
    }
    Ok(())
}

fn to_i64(v: &[i32]) -> Vec<i64> {
    v.iter().map(|&x| x as i64).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(150))]
    /// Random instructions, edges weighted, equal the model (shrinks to the shortest program).
    #[test]
    fn rtl_reductions_equal_the_model(program in prop::collection::vec(instr(), 1..6)) {
        if let Err(e) = check(&program) {
            prop_assert!(false, "{}", e);
        }
    }
}

/// The post steps at their edges, each value alone in lane 0: u <= 0, u = 1, quotients just
/// below, at and above 2^31, exact powers of two, every k, and squares with their neighbours.
#[test]
fn post_steps_at_their_edges() {
    let values: Vec<i32> = [
        i32::MIN,
        -1,
        0,
        1,
        2,
        3,
        4,
        i32::MAX,
        i32::MAX - 1,
        1 << 30,
        (1 << 30) + 1,
        46_340 * 46_340,
        46_340 * 46_340 + 1,
        46_339 * 46_339 - 1,
        65_535,
        65_536,
        12_345_678,
    ]
    .to_vec();
    let rows = |vs: &[i32]| -> Vec<(Vec<i32>, u8)> {
        vs.iter()
            .map(|&v| {
                let mut r = vec![0; LANES];
                r[0] = v;
                (r, 0)
            })
            .collect()
    };
    let mut program = Vec::new();
    for post in [Post::Isqrt, Post::None] {
        program.push(Instr {
            op: VectorOp::Rsum,
            post,
            k: 0,
            rows: rows(&values),
        });
    }
    for k in 0..64 {
        for post in [Post::Recip, Post::Rsqrt] {
            program.push(Instr {
                op: VectorOp::Rsum,
                post,
                k,
                rows: rows(&values),
            });
        }
    }
    check(&program).unwrap();
}

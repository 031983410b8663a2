//! The vector unit's reduction pipeline (`vector_reduce`) on its own, Verilated, against the
//! model's `reduce` and `apply_post`: instructions of random rows under random stalls, with
//! the sums, the post steps' operands and `k` weighted to their edges (powers of two and
//! their neighbours, perfect squares, quotients at 2^31, u <= 0). Rows come whole or, as with
//! fewer vector lanes than columns, in beats that the unit gathers (exactly, then saturated).

use proptest::prelude::*;
use seedchip_hdl::chip::isa::{Post, VectorOp};
use seedchip_hdl::chip::vector_reduce::{latency, vector_reduce};
use seedchip_hdl::hw::{Bits, Design};
use seedchip_verif::vector::{apply_post, reduce};
use seedchip_verif::verilator::{sources_of, BuildOptions, Model, XInit};
use std::sync::{Arc, OnceLock};

/// Three lanes: the tree has an odd level.
const LANES: usize = 3;

/// The unit taking whole rows (`in_beats` false) or rows in beats.
fn model(in_beats: bool) -> Arc<Model> {
    static M: [OnceLock<Arc<Model>>; 2] = [OnceLock::new(), OnceLock::new()];
    M[in_beats as usize]
        .get_or_init(|| {
            let d = Design::new(vector_reduce(LANES as u32, in_beats).unwrap()).unwrap();
            Model::build(&sources_of(&d), d.top().name(), &BuildOptions::default()).unwrap()
        })
        .clone()
}

/// One reduction instruction: its settings and rows (of LANES x beats values), each row with
/// the stall cycles before each of its beats.
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

/// A row of `n` values: usually the whole sum in one lane (so the reduced value is an edge
/// value), else edge values in every lane, or one value everywhere (sums far past int32 when
/// the row comes in beats).
fn row(n: usize) -> impl Strategy<Value = (Vec<i32>, u8)> {
    let lanes = prop_oneof![
        (edge_i32(), 0..n).prop_map(move |(v, at)| {
            let mut r = vec![0; n];
            r[at] = v;
            r
        }),
        prop::collection::vec(edge_i32(), n),
        edge_i32().prop_map(move |v| vec![v; n]),
    ];
    (lanes, prop_oneof![4 => Just(0u8), 1 => 1u8..4])
}

fn instr(beats: usize) -> impl Strategy<Value = Instr> {
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
    let rows = prop::collection::vec(row(LANES * beats), 1..6);
    (op, post, k, rows).prop_map(|(op, post, k, rows)| Instr { op, post, k, rows })
}

/// Instructions whose rows come in `beats` beats (1: whole).
fn program() -> impl Strategy<Value = (usize, Vec<Instr>)> {
    (1usize..=3).prop_flat_map(|beats| (Just(beats), prop::collection::vec(instr(beats), 1..6)))
}

/// Run the instructions one after the other, as the vector unit does: the settings hold for
/// an instruction, the next starts when its last row is out; rows come in `beats` beats (the
/// unit that takes beats gets `first` and `last`, even for one beat a row). Every row's value
/// must come out in order, `latency` advancing cycles after its last beat, equal to the
/// model's; nothing else may.
fn check(program: &[Instr], beats: usize, in_beats: bool) -> Result<(), String> {
    let mut sim = model(in_beats)
        .sim(XInit::Random(7))
        .map_err(|e| e.to_string())?;
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
    let (first, last) = match in_beats {
        true => (Some(p("in_first")), Some(p("in_last"))),
        false => (None, None),
    };
    sim.set_u64(iv, 0).unwrap();
    sim.set_u64(go, 1).unwrap();
    sim.reset(2).unwrap();
    for (n, ins) in program.iter().enumerate() {
        sim.set_u64(op, ins.op.code() as u64).unwrap();
        sim.set_u64(post, ins.post as u64).unwrap();
        sim.set_u64(k, ins.k as u64).unwrap();
        let want = ins.expect();
        let lat = latency(LANES as u32, in_beats, ins.post) as usize;
        // (row and beat offered this cycle, advance); stalls also come after the last row.
        let mut plan: Vec<(Option<(usize, usize)>, bool)> = Vec::new();
        for (i, (_, stalls)) in ins.rows.iter().enumerate() {
            for b in 0..beats {
                plan.extend((0..*stalls).map(|_| (Some((i, b)), false)));
                plan.push((Some((i, b)), true));
            }
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
                Some((i, b)) => {
                    let x = &ins.rows[i].0[b * LANES..(b + 1) * LANES];
                    sim.set_bool(iv, true).unwrap();
                    sim.set(ix, &Bits::from_lanes(32, &to_i64(x))).unwrap();
                    if let (Some(first), Some(last)) = (first, last) {
                        sim.set_bool(first, b == 0).unwrap();
                        sim.set_bool(last, b + 1 == beats).unwrap();
                    }
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
    fn rtl_reductions_equal_the_model((beats, program) in program()) {
        // One beat a row: both units (the one for rows in beats must handle it too).
        for in_beats in [true, false].into_iter().filter(|&b| b || beats == 1) {
            if let Err(e) = check(&program, beats, in_beats) {
                prop_assert!(false, "{} beat(s) a row, in_beats {}: {}", beats, in_beats, e);
            }
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
    check(&program, 1, false).unwrap();
    check(&program, 1, true).unwrap();
}

/// Rows in beats whose exact sums lie far outside int32 (and cross back into it) saturate
/// once, at the end, as the model's sum does: nine INT32_MAX or INT32_MIN values, a sum that
/// leaves int32 and comes back, squares of int16 limits in every lane, and a max whose winner
/// sits in the last beat.
#[test]
fn rows_in_beats_gather_exactly_and_saturate_at_the_end() {
    let beats = 3;
    let n = LANES * beats;
    // The partial sum climbs to 4 * INT32_MAX, comes back down and ends at 3.
    let mut crossing = vec![i32::MAX; 4];
    crossing.extend([i32::MIN; 4]);
    crossing.push(7);
    assert_eq!(crossing.len(), n);
    let rows: Vec<(Vec<i32>, u8)> = [
        vec![i32::MAX; n],
        vec![i32::MIN; n],
        crossing,
        (0..n as i32)
            .map(|i| if i == n as i32 - 1 { 5 } else { -9 })
            .collect(),
    ]
    .into_iter()
    .map(|r| (r, 0))
    .collect();
    let program: Vec<Instr> = [VectorOp::Rsum, VectorOp::Rmax, VectorOp::Rsumsq]
        .into_iter()
        .map(|op| Instr {
            op,
            post: Post::None,
            k: 0,
            rows: rows.clone(),
        })
        .collect();
    let want: Vec<i32> = program.iter().flat_map(|i| i.expect()).collect();
    assert_eq!(
        &want[..4],
        &[i32::MAX, i32::MIN, 3, -9 * 8 + 5],
        "the model's sums"
    );
    check(&program, beats, true).unwrap();
}

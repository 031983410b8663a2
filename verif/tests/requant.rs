//! The requantisation reference model (`seedchip_verif::quant`) against an independent
//! implementation of TFLite's reference formula, written here in Python with integer
//! arithmetic (C++ truncating division and arithmetic shifts emulated explicitly), on the
//! edge cases the vector-unit issue names and on random vectors with extremes weighted.

use std::io::Write as _;
use std::process::{Command, Stdio};

use proptest::prelude::*;
use seedchip_hdl::chip::isa::REQUANT_EXAMPLES;
use seedchip_verif::noise::XorShift64;
use seedchip_verif::quant::*;

/// TFLite / gemmlowp reference arithmetic, independently, in Python integers.
const PYTHON_TFLITE: &str = r#"
import sys
INT32_MIN, INT32_MAX = -2**31, 2**31 - 1
def wrap32(v):
    v &= 0xFFFFFFFF
    return v - 2**32 if v >= 2**31 else v
def div_trunc(a, b):            # C++ integer division: toward zero
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q
def srdhm(a, b):
    if a == INT32_MIN and b == INT32_MIN:
        return INT32_MAX
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else (1 - (1 << 30))
    return wrap32(div_trunc(ab + nudge, 1 << 31))
def rdbpot(x, e):
    mask = (1 << e) - 1
    rem = x & mask              # Python's & on negatives is two's complement: the low bits
    thr = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> e) + (1 if rem > thr else 0)
def mbqm(x, m, shift):
    left = shift if shift > 0 else 0
    right = -shift if shift < 0 else 0
    return rdbpot(srdhm(wrap32(x * (1 << left)), m), right)
for line in sys.stdin:
    x, m, s, zp, lo, hi = map(int, line.split())
    v = mbqm(x, m, s)
    out = max(lo, min(hi, max(INT32_MIN, min(INT32_MAX, v + zp))))
    print(v, out)
"#;

/// (x, multiplier, shift, zero point, min, max) run through the Python implementation.
fn python(cases: &[(i32, i32, i32, i32, i32, i32)]) -> Vec<(i32, i32)> {
    let mut child = Command::new("python3")
        .args(["-c", PYTHON_TFLITE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 (installed by scripts/setup.sh) runs");
    // Write from another thread: Python answers as it reads, and a full stdout pipe would
    // otherwise stop both sides.
    let mut stdin = child.stdin.take().unwrap();
    let input: String = cases
        .iter()
        .map(|c| format!("{} {} {} {} {} {}\n", c.0, c.1, c.2, c.3, c.4, c.5))
        .collect();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Vec<i32> = l.split_whitespace().map(|x| x.parse().unwrap()).collect();
            (v[0], v[1])
        })
        .collect()
}

#[test]
fn the_issue_s_edge_cases_spelled_out() {
    // 0.99999999953 = (2^31-1)^2 / 2^62 rounds to 1.
    assert_eq!(multiply_by_quantized_multiplier(i32::MAX, i32::MAX, -31), 1);
    assert_eq!(
        saturating_rounding_doubling_high_mul(i32::MAX, i32::MAX),
        i32::MAX - 1
    );
    // INT32_MIN x INT32_MIN is the one product that saturates.
    assert_eq!(
        saturating_rounding_doubling_high_mul(i32::MIN, i32::MIN),
        i32::MAX
    );
    assert_eq!(
        multiply_by_quantized_multiplier(i32::MIN, i32::MIN, 0),
        i32::MAX
    );
    assert_eq!(
        saturating_rounding_doubling_high_mul(i32::MIN, i32::MAX),
        i32::MIN + 1
    );
    // Ties of the doubling high multiply (x * M = 0.5 ulp) go toward +infinity...
    assert_eq!(saturating_rounding_doubling_high_mul(1, 1 << 30), 1);
    assert_eq!(saturating_rounding_doubling_high_mul(-1, 1 << 30), 0);
    assert_eq!(saturating_rounding_doubling_high_mul(3, 1 << 30), 2);
    assert_eq!(saturating_rounding_doubling_high_mul(-3, 1 << 30), -1);
    // ... and those of the power-of-two divide away from zero.
    assert_eq!(rounding_divide_by_pot(1, 1), 1);
    assert_eq!(rounding_divide_by_pot(-1, 1), -1);
    assert_eq!(rounding_divide_by_pot(5, 1), 3);
    assert_eq!(rounding_divide_by_pot(-5, 1), -3);
    assert_eq!(rounding_divide_by_pot(-6, 2), -2);
    assert_eq!(rounding_divide_by_pot(i32::MIN, 31), -1);
    assert_eq!(rounding_divide_by_pot(i32::MAX, 31), 1);
    // A requantisation to int8 saturates at both ends and adds the zero point first.
    let r = Requant {
        multiplier: 1 << 30, // 0.5
        shift: 0,
        zero_point: -3,
        min: -128,
        max: 127,
    };
    assert_eq!(r.apply(1000), 127);
    assert_eq!(r.apply(-1000), -128);
    assert_eq!(r.apply(7), 1); // 3.5 -> 4 (tie toward +inf), then -3
    assert_eq!(r.apply(-7), -6); // -3.5 -> -3, then -3
    let huge = Requant {
        zero_point: i32::MAX,
        min: i32::MIN,
        max: i32::MAX,
        ..r
    };
    assert_eq!(huge.apply(1 << 20), i32::MAX, "the zero point saturates");
}

#[test]
fn quantize_multiplier_round_trips_scales() {
    for real in [1.0, 0.5, 0.25, 0.1, 0.003_921_568_6, 1e-6, 3.7, 1234.5] {
        let (m, s) = quantize_multiplier(real);
        assert!((1 << 30..=i32::MAX).contains(&m), "{real}: {m}");
        let back = m as f64 * 2f64.powi(s - 31);
        assert!(
            (back - real).abs() <= real * 2f64.powi(-30),
            "{real}: {back}"
        );
    }
    assert_eq!(quantize_multiplier(0.0), (0, 0));
    assert_eq!(quantize_multiplier(1e-12), (0, 0), "below 2^-32: zero");
    assert_eq!(quantize_multiplier(1e12), (i32::MAX, 30), "saturates");
}

#[test]
fn the_model_equals_an_independent_tflite_implementation() {
    let mut rng = XorShift64::new(0x007f_117e);
    let extreme = [
        i32::MIN,
        i32::MIN + 1,
        -1,
        0,
        1,
        i32::MAX - 1,
        i32::MAX,
        1 << 30,
        -(1 << 30),
    ];
    let mut cases = Vec::new();
    for x in extreme {
        for m in [i32::MIN, i32::MAX, 1 << 30, (1 << 30) + 1, 0, -1] {
            for s in [-31, -30, -16, -1, 0, 1, 7, 30] {
                cases.push((x, m, s, 0, i32::MIN, i32::MAX));
            }
        }
    }
    for _ in 0..20_000 {
        let pick = |rng: &mut XorShift64| -> i32 {
            let r = rng.next_u64();
            if r.is_multiple_of(8) {
                extreme[(r >> 8) as usize % extreme.len()]
            } else {
                (r >> 16) as i32 >> (r % 24)
            }
        };
        let x = pick(&mut rng);
        // Multipliers as the quantiser makes them (2^30..2^31), sometimes anything.
        let r = rng.next_u64();
        let m = if r.is_multiple_of(4) {
            pick(&mut rng)
        } else {
            ((1u32 << 30) | (r >> 34) as u32) as i32
        };
        let s = (rng.next_u64() % 62) as i32 - 31;
        let zp = (rng.next_u64() % 256) as i32 - 128;
        let (lo, hi) = if rng.next_u64().is_multiple_of(2) {
            (-128, 127)
        } else {
            (-32768, 32767)
        };
        cases.push((x, m, s, zp, lo, hi));
    }
    let want = python(&cases);
    assert_eq!(want.len(), cases.len());
    let mut wrong = Vec::new();
    for (c, w) in cases.iter().zip(&want) {
        let v = multiply_by_quantized_multiplier(c.0, c.1, c.2);
        let r = Requant {
            multiplier: c.1,
            shift: c.2,
            zero_point: c.3,
            min: c.4,
            max: c.5,
        };
        if (v, r.apply(c.0)) != *w && wrong.len() < 10 {
            wrong.push((c, (v, r.apply(c.0)), w));
        }
    }
    assert!(wrong.is_empty(), "(case, model, python): {wrong:?}");
}

proptest! {
    /// Two roundings never leave the exact value by more than one.
    #[test]
    fn within_one_of_the_exact_scaled_value(x in any::<i32>(), m in (1i32 << 30)..=i32::MAX, s in -31i32..=0) {
        let exact = x as f64 * m as f64 * 2f64.powi(s - 31);
        let got = multiply_by_quantized_multiplier(x, m, s) as f64;
        prop_assert!((got - exact).abs() <= 1.0, "x {} m {} s {}: {} vs {}", x, m, s, got, exact);
    }
}

mod rtl {
    use super::*;
    use seedchip_hdl::chip::requant::{requant, LATENCY, LATE_STAGE};
    use seedchip_hdl::hw::{Bits, Design};
    use seedchip_verif::verilator::{sources_of, BuildOptions, Model, XInit};
    use std::sync::{Arc, OnceLock};

    const LANES: usize = 4;

    /// One input row: per-lane (x, multiplier, shift), per-row zero point and range, valid.
    #[derive(Clone, Debug)]
    pub struct Row {
        lanes: Vec<(i32, i32, i32)>,
        zero_point: i32,
        min: i32,
        max: i32,
        valid: bool,
        /// The `mul` operation: the low half of x * M (shift 0).
        product: bool,
        /// `advance` in the cycle this row is offered (a stalled cycle offers it again).
        stalls: u8,
    }

    impl Row {
        fn expect(&self) -> Vec<i64> {
            self.lanes
                .iter()
                .map(|&(x, m, s)| {
                    if self.product {
                        x.wrapping_mul(m) as i64
                    } else {
                        Requant {
                            multiplier: m,
                            shift: s,
                            zero_point: self.zero_point,
                            min: self.min,
                            max: self.max,
                        }
                        .apply(x) as i64
                    }
                })
                .collect()
        }
    }

    fn model() -> Arc<Model> {
        static M: OnceLock<Arc<Model>> = OnceLock::new();
        M.get_or_init(|| {
            let d = Design::new(requant(LANES as u32).unwrap()).unwrap();
            Model::build(&sources_of(&d), d.top().name(), &BuildOptions::default()).unwrap()
        })
        .clone()
    }

    fn extreme_i32() -> impl Strategy<Value = i32> {
        prop_oneof![
            Just(i32::MIN),
            Just(i32::MAX),
            Just(0),
            Just(-1),
            Just(1),
            Just(1 << 30),
            any::<i32>(),
            any::<i32>(),
            (-70_000i32..70_000),
        ]
    }

    fn row() -> impl Strategy<Value = Row> {
        let lane = (
            extreme_i32(),
            prop_oneof![(1i32 << 30)..=i32::MAX, extreme_i32()],
            prop_oneof![-31i32..=30, Just(-32), Just(31)],
        );
        let range = prop_oneof![
            Just((-128, 127)),
            Just((-32768, 32767)),
            Just((i32::MIN, i32::MAX)),
            (any::<i32>(), any::<i32>()).prop_map(|(a, b)| (a.min(b), a.max(b))),
        ];
        (
            prop::collection::vec(lane, LANES),
            prop_oneof![-128i32..=127, extreme_i32()],
            range,
            prop::bool::weighted(0.8),
            prop::bool::weighted(0.15),
            prop_oneof![4 => Just(0u8), 1 => 1u8..4],
        )
            .prop_map(|(lanes, zero_point, (min, max), valid, product, stalls)| {
                let lanes = if product {
                    lanes.into_iter().map(|(x, m, _)| (x, m, 0)).collect()
                } else {
                    lanes
                };
                Row {
                    lanes,
                    zero_point,
                    min,
                    max,
                    valid,
                    product,
                    stalls,
                }
            })
    }

    /// Offer `rows` one per advancing cycle, with each row's stall cycles before it; every
    /// valid row's result must come out after LATENCY advancing cycles, equal to the model's,
    /// and nothing may come out for an invalid row. The late values are driven for the row in
    /// stage [5], as the vector unit drives them.
    pub fn check(rows: &[Row]) -> Result<(), String> {
        let mut sim = model().sim(XInit::Random(3)).map_err(|e| e.to_string())?;
        let p = |n: &str| sim.port(n).unwrap();
        let (iv, ix, im, is, ip, go) = (
            p("in_valid"),
            p("in_x"),
            p("in_multiplier"),
            p("in_shift"),
            p("in_product"),
            p("advance"),
        );
        let (lz, lmin, lmax, ov, oy) = (
            p("late_zero_point"),
            p("late_min"),
            p("late_max"),
            p("out_valid"),
            p("out_y"),
        );
        sim.set_u64(iv, 0).unwrap();
        sim.set_u64(go, 1).unwrap();
        sim.reset(2).unwrap();
        let lat = LATENCY as usize;
        // The row index in each stage register ([0] .. [7]).
        let mut stages: Vec<Option<usize>> = vec![None; lat];
        // The cycles: (row offered, advance).
        let mut plan: Vec<(Option<usize>, bool)> = Vec::new();
        for (k, r) in rows.iter().enumerate() {
            plan.extend((0..r.stalls).map(|_| (Some(k), false)));
            plan.push((Some(k), true));
        }
        plan.extend((0..lat).map(|_| (None, true)));
        let replicate = |v: i32| Bits::from_lanes(32, &[v as i64; LANES]);
        for (t, &(offered, advance)) in plan.iter().enumerate() {
            sim.set_bool(go, advance).unwrap();
            match offered.map(|k| &rows[k]) {
                Some(r) => {
                    let lanes = |f: &dyn Fn(&(i32, i32, i32)) -> i64| -> Vec<i64> {
                        r.lanes.iter().map(f).collect()
                    };
                    sim.set_bool(iv, r.valid).unwrap();
                    sim.set_bool(ip, r.product).unwrap();
                    sim.set(ix, &Bits::from_lanes(32, &lanes(&|l| l.0 as i64)))
                        .unwrap();
                    sim.set(im, &Bits::from_lanes(32, &lanes(&|l| l.1 as i64)))
                        .unwrap();
                    sim.set(is, &Bits::from_lanes(6, &lanes(&|l| l.2 as i64)))
                        .unwrap();
                }
                None => sim.set_u64(iv, 0).unwrap(),
            }
            if let Some(k) = stages[LATE_STAGE as usize] {
                let r = &rows[k];
                sim.set(lz, &replicate(r.zero_point)).unwrap();
                sim.set(lmin, &replicate(r.min)).unwrap();
                sim.set(lmax, &replicate(r.max)).unwrap();
            }
            sim.eval();
            let out = stages[lat - 1];
            let valid = out.is_some_and(|k| rows[k].valid);
            if sim.get_bool(ov) != valid {
                return Err(format!("cycle {t}: out_valid {} for {out:?}", !valid));
            }
            if let (true, Some(k)) = (valid, out) {
                let got: Vec<i64> = sim.get(oy).to_signed_lanes(32);
                let want = rows[k].expect();
                if got != want {
                    return Err(format!("row {k}: RTL {got:?}, model {want:?}"));
                }
            }
            if advance {
                stages.rotate_right(1);
                stages[0] = offered;
            }
            sim.step().unwrap();
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// The RTL requantiser equals the model on random rows, extremes weighted (shrinks to
        /// the shortest failing stream).
        #[test]
        fn rtl_requantiser_equals_the_model(rows in prop::collection::vec(row(), 1..24)) {
            if let Err(e) = check(&rows) {
                prop_assert!(false, "{}", e);
            }
        }
    }

    #[test]
    fn rtl_requantiser_on_the_edge_cases() {
        let edge = |x: i32, m: i32, s: i32| Row {
            lanes: vec![(x, m, s); LANES],
            zero_point: 0,
            min: i32::MIN,
            max: i32::MAX,
            valid: true,
            product: false,
            stalls: 0,
        };
        let rows = vec![
            edge(i32::MAX, i32::MAX, -31),
            edge(i32::MIN, i32::MIN, 0),
            edge(i32::MIN, i32::MIN, -31),
            edge(1, 1 << 30, 0),
            edge(-1, 1 << 30, 0),
            edge(-7, 1 << 30, -1),
            edge(i32::MAX, 1 << 30, 30),
            edge(i32::MIN, i32::MAX, 1),
        ];
        check(&rows).unwrap();
    }

    /// The worked values `docs/isa.md` prints come out of the RTL too.
    #[test]
    fn rtl_requantiser_gives_the_documented_values() {
        let rows: Vec<Row> = REQUANT_EXAMPLES
            .iter()
            .map(|&(x, m, s, zero_point, min, max, _, _)| Row {
                lanes: vec![(x, m, s); LANES],
                zero_point,
                min,
                max,
                valid: true,
                product: false,
                stalls: 0,
            })
            .collect();
        check(&rows).unwrap();
    }
}

/// The worked values `docs/isa.md` prints are what the model computes.
#[test]
fn the_documented_requantisations_are_the_model_s() {
    for &(x, multiplier, shift, zero_point, min, max, want, why) in REQUANT_EXAMPLES {
        let got = Requant {
            multiplier,
            shift,
            zero_point,
            min,
            max,
        }
        .apply(x);
        assert_eq!(
            got, want,
            "x = {x}, M = {multiplier}, shift = {shift}: {why}"
        );
    }
}

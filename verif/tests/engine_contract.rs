//! The matrix engine's interface contract, as the README states it, checked cycle by cycle
//! on the generated RTL: lane order, latency, how many rows may be in flight, that
//! activations wait for their tile, that every group needs its own newly loaded tile, and
//! what reset does to rows in flight. Port names come from the engine's stream bundles.

use std::sync::Arc;

use seedchip_hdl::chip::matrix_engine::{act_stream, out_stream, weight_stream};
use seedchip_hdl::chip::{generate_engine as generate, Config, EngineShape, MatrixConfig};
use seedchip_verif::verilator::{sources_of, BuildOptions, Model, PortId, Sim, XInit};

struct Engine {
    sim: Sim,
    shape: EngineShape,
    wv: PortId,
    wr: PortId,
    wd: PortId,
    av: PortId,
    ar: PortId,
    ad: PortId,
    al: PortId,
    ov: PortId,
    or: PortId,
    od: PortId,
    ol: PortId,
}

fn model(rows: u32, cols: u32) -> (Arc<Model>, EngineShape) {
    let matrix = MatrixConfig {
        rows,
        cols,
        ..MatrixConfig::default()
    };
    let design = generate(&Config {
        matrix: matrix.clone(),
        ..Config::default()
    })
    .unwrap();
    let top = design.top().name().to_string();
    let m = Model::build(&sources_of(&design), &top, &BuildOptions::default()).unwrap();
    (m, EngineShape::new(&matrix))
}

impl Engine {
    /// A fresh engine, reset for 2 cycles, every input low; random initial state.
    fn new(rows: u32, cols: u32) -> Engine {
        let (m, shape) = model(rows, cols);
        let sim = m.sim(XInit::Random(7)).unwrap();
        let (w, a, o) = (weight_stream(cols), act_stream(rows), out_stream(cols));
        let p = |n: String| sim.port(&n).unwrap();
        let mut e = Engine {
            wv: p(w.valid_port()),
            wr: p(w.ready_port()),
            wd: p(w.port("data")),
            av: p(a.valid_port()),
            ar: p(a.ready_port()),
            ad: p(a.port("data")),
            al: p(a.port("last")),
            ov: p(o.valid_port()),
            or: p(o.ready_port()),
            od: p(o.port("data")),
            ol: p(o.port("last")),
            sim,
            shape,
        };
        for port in [e.wv, e.av, e.al, e.or] {
            e.sim.set_u64(port, 0).unwrap();
        }
        e.sim.reset(2).unwrap();
        e
    }

    fn get(&mut self, p: PortId) -> u64 {
        self.sim.get_u64(p)
    }

    /// One cycle; returns whether the weight, act and out handshakes fired at its edge.
    fn cycle(&mut self) -> (bool, bool, bool) {
        let w = self.get(self.wv) == 1 && self.get(self.wr) == 1;
        let a = self.get(self.av) == 1 && self.get(self.ar) == 1;
        let o = self.get(self.ov) == 1 && self.get(self.or) == 1;
        self.sim.step().unwrap();
        (w, a, o)
    }

    /// Offer one weight row (lane c = row[c]) until accepted.
    fn load_row(&mut self, row: &[i8]) {
        self.sim.set_u64(self.wd, pack8(row)).unwrap();
        self.sim.set_u64(self.wv, 1).unwrap();
        for _ in 0..1000 {
            if self.cycle().0 {
                self.sim.set_u64(self.wv, 0).unwrap();
                return;
            }
        }
        panic!("weight row never accepted");
    }

    fn load_tile(&mut self, w: &[Vec<i8>]) {
        for row in w {
            self.load_row(row);
        }
    }

    /// Offer an activation row for up to `patience` cycles; the cycle it was accepted in.
    fn offer_act(&mut self, row: &[i8], last: bool, patience: u32) -> Option<u64> {
        self.sim.set_u64(self.ad, pack8(row)).unwrap();
        self.sim.set_u64(self.al, last as u64).unwrap();
        self.sim.set_u64(self.av, 1).unwrap();
        for _ in 0..patience {
            let at = self.sim.cycle();
            if self.cycle().1 {
                self.sim.set_u64(self.av, 0).unwrap();
                return Some(at);
            }
        }
        self.sim.set_u64(self.av, 0).unwrap();
        None
    }

    /// Lanes of out_data as int32.
    fn out_lanes(&mut self) -> Vec<i32> {
        let v = self.sim.get(self.od);
        (0..self.shape.cols)
            .map(|c| v.slice(32 * c, 32).to_u64_wrapping() as u32 as i32)
            .collect()
    }
}

/// Lane i in bits 8i+7..8i.
fn pack8(lanes: &[i8]) -> u64 {
    lanes
        .iter()
        .enumerate()
        .fold(0, |acc, (i, &v)| acc | ((v as u8 as u64) << (8 * i)))
}

#[test]
fn lanes_are_little_end_first_and_a_result_appears_r_plus_c_plus_4_cycles_after_its_row() {
    let mut e = Engine::new(2, 2);
    // W = [[1, 2], [3, 4]]: weight row k, lane c = W[k][c].
    e.load_tile(&[vec![1, 2], vec![3, 4]]);
    e.sim.set_u64(e.or, 1).unwrap();
    // act lane r = A[m][r] = [5, -3]: out lane c = 5*W[0][c] - 3*W[1][c] = [-4, -2].
    let accepted = e.offer_act(&[5, -3], true, 100).unwrap();
    let mut seen = None;
    for _ in 0..50 {
        let at = e.sim.cycle();
        if e.get(e.ov) == 1 {
            seen = Some((at, e.out_lanes(), e.get(e.ol)));
            break;
        }
        e.cycle();
    }
    let (at, lanes, last) = seen.expect("a result");
    assert_eq!(lanes, vec![-4, -2], "lane c of out_data = bits 32c+31..32c");
    assert_eq!(last, 1);
    let (r, c) = (e.shape.rows as u64, e.shape.cols as u64);
    assert_eq!(
        at - accepted,
        r + c + 4,
        "latency from acceptance to out_valid"
    );
}

#[test]
fn at_most_r_plus_c_plus_5_rows_are_in_flight() {
    for (rows, cols) in [(2, 2), (3, 2)] {
        let mut e = Engine::new(rows, cols);
        let w: Vec<Vec<i8>> = (0..rows).map(|_| vec![1; cols as usize]).collect();
        e.load_tile(&w);
        // Results are never taken: the engine accepts exactly its result credits.
        let mut accepted = 0;
        while e.offer_act(&vec![1; rows as usize], false, 60).is_some() {
            accepted += 1;
            assert!(accepted < 1000);
        }
        assert_eq!(accepted, rows + cols + 5, "{rows}x{cols}");
        assert_eq!(accepted, e.shape.fifo_depth);
        // Taking one result frees one credit.
        e.sim.set_u64(e.or, 1).unwrap();
        e.cycle();
        e.sim.set_u64(e.or, 0).unwrap();
        assert!(e.offer_act(&vec![1; rows as usize], false, 5).is_some());
    }
}

#[test]
fn activations_wait_for_their_tile_and_every_group_needs_a_new_tile() {
    let mut e = Engine::new(2, 3);
    e.sim.set_u64(e.or, 1).unwrap();
    // Offered before any tile is loaded: held off (act_ready low), not dropped.
    assert_eq!(e.offer_act(&[1, 1], true, 200), None);
    e.load_tile(&[vec![1, 1, 1], vec![1, 1, 1]]);
    assert!(e.offer_act(&[1, 1], true, 50).is_some());
    // That group is over; a second group without a new tile waits, however long.
    assert_eq!(e.offer_act(&[1, 1], true, 300), None);
    e.load_tile(&[vec![2, 2, 2], vec![2, 2, 2]]);
    assert!(e.offer_act(&[1, 1], true, 50).is_some());
}

#[test]
fn reset_drops_rows_in_flight_and_holds_the_handshakes_for_r_plus_c_cycles() {
    let (rows, cols) = (3, 2);
    let mut e = Engine::new(rows, cols);
    e.load_tile(&[vec![1, 1], vec![1, 1], vec![1, 1]]);
    for _ in 0..3 {
        assert!(e.offer_act(&[1, 1, 1], false, 50).is_some());
    }
    // Reset while those rows are in the array and the FIFO.
    e.sim.set_u64(e.or, 1).unwrap();
    e.sim.reset(1).unwrap();
    let mut held = 0;
    e.sim.set_u64(e.wv, 1).unwrap();
    e.sim.set_u64(e.wd, 0).unwrap();
    while e.get(e.wr) == 0 {
        assert_eq!(e.get(e.ar), 0);
        assert_eq!(e.get(e.ov), 0, "a row from before the reset came out");
        e.cycle();
        held += 1;
        assert!(held < 100);
    }
    e.sim.set_u64(e.wv, 0).unwrap();
    assert_eq!(
        held,
        rows + cols,
        "cycles after rst falls with the handshakes low"
    );
    for _ in 0..100 {
        assert_eq!(e.get(e.ov), 0, "a row from before the reset came out");
        e.cycle();
    }
}

/// Groups of `m` rows back to back, each with its own tile, both producers always valid and
/// results always taken: the cycles at which each group's first row was accepted, and every
/// result row, checked against the model.
fn back_to_back(rows: u32, cols: u32, m: usize, groups: usize) -> Vec<u64> {
    let mut e = Engine::new(rows, cols);
    let tile = |g: usize| -> Vec<Vec<i8>> {
        (0..rows as usize)
            .map(|k| {
                (0..cols as usize)
                    .map(|c| ((g * 7 + k * 3 + c) % 11) as i8 - 5)
                    .collect()
            })
            .collect()
    };
    let act = |g: usize, i: usize| -> Vec<i8> {
        (0..rows as usize)
            .map(|r| ((g * 5 + i * 3 + r) % 13) as i8 - 6)
            .collect()
    };
    e.sim.set_u64(e.or, 1).unwrap();
    let (mut wi, mut ai, mut oi) = (0usize, 0usize, 0usize);
    let mut starts = Vec::new();
    while oi < m * groups {
        assert!(e.sim.cycle() < 10_000, "hang");
        let w_valid = wi < rows as usize * groups;
        if w_valid {
            let row = &tile(wi / rows as usize)[wi % rows as usize];
            e.sim.set_u64(e.wd, pack8(row)).unwrap();
        }
        e.sim.set_u64(e.wv, w_valid as u64).unwrap();
        let a_valid = ai < m * groups;
        if a_valid {
            e.sim.set_u64(e.ad, pack8(&act(ai / m, ai % m))).unwrap();
            e.sim.set_u64(e.al, (ai % m == m - 1) as u64).unwrap();
        }
        e.sim.set_u64(e.av, a_valid as u64).unwrap();
        e.sim.eval();
        if e.get(e.ov) == 1 {
            let (g, i) = (oi / m, oi % m);
            let want = seedchip_verif::model::engine_row(&act(g, i), &tile(g));
            assert_eq!(e.out_lanes(), want, "group {g} row {i}");
            assert_eq!(e.get(e.ol), (i == m - 1) as u64);
            oi += 1;
        }
        let at = e.sim.cycle();
        let (w, a, _) = e.cycle();
        if a && ai % m == 0 {
            starts.push(at);
        }
        wi += w as usize;
        ai += a as usize;
    }
    starts
}

#[test]
fn groups_run_back_to_back_and_a_short_group_costs_r_plus_1_cycles() {
    for (rows, cols) in [(4, 4), (3, 5), (1, 3)] {
        for m in [
            1,
            2,
            rows as usize,
            rows as usize + 1,
            2 * rows as usize + 3,
        ] {
            let starts = back_to_back(rows, cols, m, 5);
            let period = m.max(rows as usize + 1) as u64;
            let gaps: Vec<u64> = starts.windows(2).map(|w| w[1] - w[0]).collect();
            assert_eq!(
                gaps,
                vec![period; 4],
                "{rows}x{cols}, groups of {m} rows: cycles between group starts"
            );
        }
    }
}

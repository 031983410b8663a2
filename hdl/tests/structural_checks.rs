//! Every structural check of the construction layer, triggered on purpose. Each test also
//! checks that the error names the module and the signal (or instance and port).

use seedchip_hdl::hw::*;

fn problems(m: ModuleBuilder) -> (String, Vec<Problem>) {
    match m.finish() {
        Ok(_) => panic!("expected the module to be refused"),
        Err(e) => (e.to_string(), e.problems),
    }
}

fn only(m: ModuleBuilder) -> (String, Problem) {
    let (text, ps) = problems(m);
    assert_eq!(ps.len(), 1, "expected exactly one problem, got: {text}");
    (text, ps.into_iter().next().unwrap())
}

/// A pass-through child: out = in (a combinational path), plus a registered output.
fn passthrough() -> ModuleRef {
    let mut m = ModuleBuilder::new("passthrough");
    let i = m.input("i", uint(4));
    let o = m.output("o", uint(4));
    let q = m.output("q", uint(4));
    let r = m.data_reg("r", uint(4));
    m.next(r, i);
    m.assign(o, i);
    m.assign(q, r);
    m.finish().unwrap()
}

#[test]
fn width_mismatch_names_module_and_signal() {
    let mut m = ModuleBuilder::new("widths");
    let a = m.input("a", uint(8));
    let y = m.output("y", uint(9));
    m.assign(y, a);
    let (text, p) = only(m);
    assert_eq!(
        p,
        Problem::WidthMismatch {
            signal: "y".into(),
            expected: 9,
            found: 8
        }
    );
    assert!(text.starts_with("module `widths`: `y` is 9 bits"), "{text}");
}

#[test]
fn width_mismatch_in_a_clocked_block_and_at_an_instance_port() {
    let child = passthrough();
    let mut m = ModuleBuilder::new("ports");
    let a = m.input("a", uint(8));
    let y = m.output("y", uint(4));
    let z = m.output("z", uint(4));
    let r = m.reg("r", uint(4), 0);
    m.seq(|b| b.set(r, a));
    m.instance("u", &child).con("i", a).con("o", y).con("q", z);
    m.assign(y, r); // also a second driver of y
    let (text, ps) = problems(m);
    assert!(ps.contains(&Problem::WidthMismatch {
        signal: "r".into(),
        expected: 4,
        found: 8
    }));
    assert!(ps.contains(&Problem::PortWidthMismatch {
        instance: "u".into(),
        port: "i".into(),
        expected: 4,
        found: 8
    }));
    assert!(text.contains("instance `u`: port `i` is 4 bits"), "{text}");
}

#[test]
fn undriven_output_and_wire() {
    let mut m = ModuleBuilder::new("undriven");
    let a = m.input("a", bit());
    let w = m.wire("w", bit());
    let y = m.output("y", bit());
    let z = m.output("z", bit());
    m.assign(y, a & w);
    let _ = z;
    let (text, ps) = problems(m);
    assert!(
        ps.contains(&Problem::Undriven { signal: "w".into() }),
        "{text}"
    );
    assert!(
        ps.contains(&Problem::Undriven { signal: "z".into() }),
        "{text}"
    );
    assert!(text.contains("module `undriven`"));
}

#[test]
fn multiple_drivers_are_listed() {
    let mut m = ModuleBuilder::new("multi");
    let a = m.input("a", bit());
    let b = m.input("b", bit());
    let y = m.output("y", bit());
    m.assign(y, a);
    m.comb(|blk| blk.set(y, b));
    let (text, p) = only(m);
    match p {
        Problem::MultipleDrivers { signal, drivers } => {
            assert_eq!(signal, "y");
            assert_eq!(drivers.len(), 2);
        }
        other => panic!("wrong problem: {other}"),
    }
    assert!(text.contains("`y` has 2 drivers"), "{text}");
}

#[test]
fn instance_output_and_assign_are_two_drivers() {
    let child = passthrough();
    let mut m = ModuleBuilder::new("multi_inst");
    let a = m.input("a", uint(4));
    let y = m.output("y", uint(4));
    let z = m.output("z", uint(4));
    m.instance("u", &child).con("i", a).con("o", y).con("q", z);
    m.assign(y, a);
    let (_, p) = only(m);
    assert!(
        matches!(p, Problem::MultipleDrivers { ref signal, .. } if signal == "y"),
        "{p}"
    );
}

#[test]
fn combinational_loop_is_found_with_its_path() {
    let mut m = ModuleBuilder::new("looped");
    let x = m.input("x", bit());
    let y = m.output("y", bit());
    let a = m.wire("a", bit());
    let b = m.wire("b", bit());
    m.assign(a, b & x);
    m.assign(b, a | x);
    m.assign(y, b);
    let (text, p) = only(m);
    match p {
        Problem::CombLoop { path } => {
            assert_eq!(path.first(), path.last());
            assert!(path.contains(&"a".to_string()) && path.contains(&"b".to_string()));
        }
        other => panic!("wrong problem: {other}"),
    }
    assert!(text.contains("combinational loop: "), "{text}");
}

#[test]
fn combinational_loop_through_a_submodule_is_found() {
    let child = passthrough();
    let mut m = ModuleBuilder::new("loop_through_child");
    let x = m.input("x", uint(4));
    let y = m.output("y", uint(4));
    let back = m.wire("back", uint(4));
    let unused_q = m.wire("q_unused", uint(4));
    // u.o = u.i = back ^ x, and back = u.o: a loop only visible through the child.
    m.instance("u", &child)
        .con("i", back ^ x)
        .con("o", back)
        .con("q", unused_q);
    m.assign(y, back);
    let (_, p) = only(m);
    assert!(
        matches!(p, Problem::CombLoop { ref path } if path.contains(&"back".to_string())),
        "{p}"
    );
}

#[test]
fn a_register_breaks_a_loop() {
    let child = passthrough();
    let mut m = ModuleBuilder::new("no_loop");
    let x = m.input("x", uint(4));
    let y = m.output("y", uint(4));
    let back = m.wire("back", uint(4));
    let o = m.wire("o_unused", uint(4));
    // Through the registered output `q` there is no loop.
    m.instance("u", &child)
        .con("i", back ^ x)
        .con("o", o)
        .con("q", back);
    m.assign(y, back);
    m.finish().expect("a loop through a register is legal");
}

#[test]
fn unconnected_instance_input_and_output() {
    let child = passthrough();
    let mut m = ModuleBuilder::new("holes");
    let y = m.output("y", uint(4));
    m.instance("u", &child).con("o", y);
    let (text, ps) = problems(m);
    assert!(ps.contains(&Problem::UnconnectedInput {
        instance: "u".into(),
        module: "passthrough".into(),
        port: "i".into()
    }));
    assert!(ps.contains(&Problem::UnconnectedOutput {
        instance: "u".into(),
        module: "passthrough".into(),
        port: "q".into()
    }));
    assert!(
        text.contains("instance `u` of `passthrough`: input `i` is not connected"),
        "{text}"
    );
}

#[test]
fn unknown_port_duplicate_connection_and_open_input() {
    let child = passthrough();
    let mut m = ModuleBuilder::new("bad_ports");
    let a = m.input("a", uint(4));
    let y = m.output("y", uint(4));
    m.instance("u", &child)
        .con("i", a)
        .con("i", a)
        .con("o", y)
        .open("q")
        .con("nope", a);
    let mut m2 = ModuleBuilder::new("open_input");
    let y2 = m2.output("y", uint(4));
    m2.instance("u", &child).open("i").con("o", y2).open("q");
    let (_, ps) = problems(m);
    assert!(ps.contains(&Problem::UnknownPort {
        instance: "u".into(),
        module: "passthrough".into(),
        port: "nope".into()
    }));
    assert!(ps.contains(&Problem::DuplicateConnection {
        instance: "u".into(),
        port: "i".into()
    }));
    let (_, ps) = problems(m2);
    assert!(ps.contains(&Problem::OpenInput {
        instance: "u".into(),
        port: "i".into()
    }));
}

#[test]
fn output_connected_to_an_expression_is_refused() {
    let child = passthrough();
    let mut m = ModuleBuilder::new("out_expr");
    let a = m.input("a", uint(4));
    let y = m.output("y", uint(4));
    let z = m.output("z", uint(4));
    m.instance("u", &child)
        .con("i", a)
        .con("o", y ^ a)
        .con("q", z);
    m.assign(y, a);
    let (_, ps) = problems(m);
    assert!(ps.contains(&Problem::OutputNotSignal {
        instance: "u".into(),
        port: "o".into()
    }));
}

#[test]
fn latch_from_a_missing_else() {
    let mut m = ModuleBuilder::new("latchy");
    let c = m.input("c", bit());
    let a = m.input("a", uint(4));
    let y = m.output("y", uint(4));
    m.comb(|b| {
        b.when(c, |b| b.set(y, a));
    });
    let (text, p) = only(m);
    assert_eq!(p, Problem::Latch { signal: "y".into() });
    assert!(text.contains("would infer a latch"), "{text}");
}

#[test]
fn when_chains_without_latches_emit_if_else_if() {
    let mut m = ModuleBuilder::new("chain");
    let s = m.input("s", uint(2));
    let a = m.input("a", uint(4));
    let y = m.output("y", uint(4));
    m.comb(|b| {
        b.when(s.eq_lit(0), |b| b.set(y, a))
            .elsewhen(s.eq_lit(1), |b| b.set(y, !a))
            .otherwise(|b| b.set(y, zero(uint(4))));
    });
    let d = Design::new(m.finish().unwrap()).unwrap();
    let text = &d.files()[0].text;
    assert!(text.contains("if (s == 2'd0) begin"), "{text}");
    assert!(text.contains("end else if (s == 2'd1) begin"), "{text}");
    assert!(text.contains("output reg  [3:0] y"), "{text}");
    // A default before the when also prevents the latch.
    let mut m = ModuleBuilder::new("defaulted");
    let c = m.input("c", bit());
    let y = m.output("y", bit());
    m.comb(|b| {
        b.set(y, ulit(1, 0));
        b.when(c, |b| b.set(y, ulit(1, 1)));
    });
    m.finish().expect("a default assignment covers every path");
}

#[test]
fn unused_signals_are_refused_unless_named_unused() {
    let mut m = ModuleBuilder::new("unused");
    let a = m.input("a", bit());
    let b = m.input("b", bit());
    let y = m.output("y", bit());
    let spare = m.wire("spare", bit());
    let sink_unused = m.wire("sink_unused", bit());
    m.assign(spare, a);
    m.assign(sink_unused, a);
    m.assign(y, a);
    let (_, ps) = problems(m);
    assert!(ps.contains(&Problem::Unused { signal: "b".into() }));
    assert!(ps.contains(&Problem::Unused {
        signal: "spare".into()
    }));
    assert_eq!(ps.len(), 2, "{ps:?}");
    let _ = b;
}

#[test]
fn driving_an_input_or_the_wrong_kind() {
    let mut m = ModuleBuilder::new("kinds");
    let a = m.input("a", bit());
    let y = m.output("y", bit());
    let r = m.reg("r", bit(), 0);
    let w = m.wire("w", bit());
    m.assign(a, r);
    m.assign(r, w);
    m.seq(|b| b.set(w, a));
    m.assign(y, w);
    let (text, ps) = problems(m);
    assert!(
        ps.contains(&Problem::DrivenInput { signal: "a".into() }),
        "{text}"
    );
    assert!(ps.iter().any(|p| matches!(p, Problem::WrongDriver { signal, what } if signal == "r" && what.contains("register"))), "{text}");
    assert!(ps.iter().any(|p| matches!(p, Problem::WrongDriver { signal, what } if signal == "w" && what.contains("clocked"))), "{text}");
}

#[test]
fn ill_typed_expressions_are_reported_at_finish() {
    let mut m = ModuleBuilder::new("types");
    let a = m.input("a", sint(8));
    let b = m.input("b", uint(8));
    let y = m.output("y", sint(9));
    m.assign(y, a.add(b));
    let (text, p) = only(m);
    assert!(
        matches!(p, Problem::BadExpr { ref signal, ref reason } if signal == "y" && reason.contains("mixes s8 and u8")),
        "{text}"
    );
}

#[test]
fn names_are_checked() {
    let mut m = ModuleBuilder::new("Bad");
    let a = m.input("module", bit());
    let b = m.input("x-y", bit());
    let c = m.input("clk", bit());
    let y = m.output("y", bit());
    let y2 = m.output("y", bit());
    m.assign(y, a & b & c);
    m.assign(y2, a);
    let (text, ps) = problems(m);
    let bad: Vec<&str> = ps
        .iter()
        .filter_map(|p| match p {
            Problem::BadName { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(bad, ["Bad", "module", "x-y", "clk"], "{text}");
    assert!(ps.contains(&Problem::DuplicateName { name: "y".into() }));
}

#[test]
fn signals_of_another_module_and_the_clock_as_data() {
    let mut other = ModuleBuilder::new("other");
    let foreign = other.input("f", bit());
    let mut m = ModuleBuilder::new("mine");
    let y = m.output("y", bit());
    m.assign(y, foreign);
    let (_, ps) = problems(m);
    assert!(ps
        .iter()
        .any(|p| matches!(p, Problem::ForeignSignal { context } if context == "y")));
}

#[test]
fn reset_value_must_fit() {
    let mut m = ModuleBuilder::new("resets");
    let y = m.output("y", uint(4));
    let r = m.reg("r", uint(4), 16);
    m.next(r, r.inc());
    m.assign(y, r);
    let (_, p) = only(m);
    assert!(
        matches!(p, Problem::BadReset { ref signal, .. } if signal == "r"),
        "{p}"
    );
}

#[test]
fn two_different_modules_with_one_name_collide() {
    let make = |w: u32| {
        let mut m = ModuleBuilder::new("leaf");
        let i = m.input("i", uint(w));
        let o = m.output("o", uint(w));
        m.assign(o, i);
        m.finish().unwrap()
    };
    let (l4, l5, l4_again) = (make(4), make(5), make(4));
    let mut top = ModuleBuilder::new("top");
    let a = top.input("a", uint(4));
    let b = top.input("b", uint(5));
    let y = top.output("y", uint(4));
    let z = top.output("z", uint(5));
    let w = top.output("w", uint(4));
    top.instance("u0", &l4).con("i", a).con("o", y);
    top.instance("u1", &l4_again).con("i", a).con("o", w);
    top.instance("u2", &l5).con("i", b).con("o", z);
    let err = Design::new(top.finish().unwrap()).err().expect("collision");
    assert!(
        matches!(err, HdlError::NameCollision { ref name } if name == "leaf"),
        "{err}"
    );
}

#[test]
fn identical_modules_built_twice_are_emitted_once() {
    let make = || {
        let mut m = ModuleBuilder::new("leaf");
        let i = m.input("i", uint(4));
        let o = m.output("o", uint(4));
        m.assign(o, i);
        m.finish().unwrap()
    };
    let mut top = ModuleBuilder::new("top");
    let a = top.input("a", uint(4));
    let y = top.output("y", uint(4));
    let z = top.output("z", uint(4));
    top.instance("u0", &make()).con("i", a).con("o", y);
    top.instance("u1", &make()).con("i", a).con("o", z);
    let d = Design::new(top.finish().unwrap()).unwrap();
    assert_eq!(d.files().len(), 2);
}

#[test]
fn clock_and_reset_ports_appear_only_when_needed() {
    let comb = passthrough(); // has a data register: clk, no rst
    assert_eq!(comb.ports()[0].name, "clk");
    assert!(comb.port("rst").is_none());
    let mut m = ModuleBuilder::new("pure_logic");
    let a = m.input("a", bit());
    let y = m.output("y", bit());
    m.assign(y, !a);
    let pure = m.finish().unwrap();
    assert!(pure.port("clk").is_none() && pure.port("rst").is_none());
}

#[test]
fn slices_of_expressions_get_named_wires() {
    let mut m = ModuleBuilder::new("slicer");
    let a = m.input("a", uint(8));
    let b = m.input("b", uint(8));
    let y = m.output("y", uint(4));
    m.assign(y, a.add(b).slice(7, 4));
    let d = Design::new(m.finish().unwrap()).unwrap();
    let text = &d.files()[0].text;
    // The temporary holds bits nobody reads, and its name says so (Verilator's lint skips
    // `*unused*` names).
    assert!(text.contains("wire [8:0] y_wide_unused;"), "{text}");
    assert!(
        text.contains("assign y_wide_unused = {1'd0, a} + {1'd0, b};"),
        "{text}"
    );
    assert!(text.contains("assign y = y_wide_unused[7:4];"), "{text}");
}

#[test]
fn slices_push_down_to_signals_where_they_can() {
    let mut m = ModuleBuilder::new("pushdown");
    let a = m.input("a", uint(8));
    let b = m.input("b", uint(8));
    let y = m.output("y", uint(4));
    let z = m.output("z", uint(2));
    // Low bits of a sum are the sum of the low bits; a slice of a concatenation is a part.
    m.assign(y, a.add(b).slice(3, 0));
    m.assign(z, cat([a.expr(), b.expr()]).slice(8, 7));
    let d = Design::new(m.finish().unwrap()).unwrap();
    let text = &d.files()[0].text;
    assert!(!text.contains("unused"), "{text}");
    assert!(text.contains("assign y = a[3:0] + b[3:0];"), "{text}");
    assert!(text.contains("assign z = {a[0], b[7]};"), "{text}");
}

#[test]
fn reset_can_be_forwarded_and_overridden_but_not_read_otherwise() {
    // A child with a reset register.
    let mut c = ModuleBuilder::new("counter");
    let q = c.output("q", uint(4));
    let n = c.reg("n", uint(4), 0);
    c.next(n, n.inc());
    c.assign(q, n);
    let counter = c.finish().unwrap();

    let mut m = ModuleBuilder::new("chain");
    let y0 = m.output("y0", uint(4));
    let y1 = m.output("y1", uint(4));
    let rst_q = m.forward_reset("rst_q");
    m.instance("first", &counter).con("q", y0);
    m.instance("second", &counter).reset(rst_q).con("q", y1);
    let d = Design::new(m.finish().unwrap()).unwrap();
    let text = &d.files()[1].text;
    assert!(text.contains("rst_q <= rst;"), "{text}");
    assert!(text.contains(".rst (rst_q)"), "{text}");
    assert!(text.contains(".rst (rst)"), "{text}");

    // Reading rst anywhere else is still refused.
    let mut m = ModuleBuilder::new("peek");
    let y = m.output("y", bit());
    let r = m.data_reg("r", bit());
    let rst_q = m.forward_reset("rst_q");
    m.next(r, rst_q);
    m.assign(y, r);
    m.finish()
        .expect("a register fed by the forwarded reset is ordinary data");

    // Overriding the reset of a module without one, or with a wide signal, is an error.
    let child = passthrough();
    let mut m = ModuleBuilder::new("bad_override");
    let a = m.input("a", uint(4));
    let y = m.output("y", uint(4));
    let z = m.output("z", uint(4));
    m.instance("u", &child)
        .reset(a.bit(0))
        .con("i", a)
        .con("o", y)
        .con("q", z);
    m.instance("v", &counter).reset(a).open("q");
    let (_, ps) = problems(m);
    assert!(ps.contains(&Problem::UnknownPort {
        instance: "u".into(),
        module: "passthrough".into(),
        port: "rst".into()
    }));
    assert!(ps.contains(&Problem::PortWidthMismatch {
        instance: "v".into(),
        port: "rst".into(),
        expected: 1,
        found: 4
    }));
}

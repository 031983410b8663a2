//! What the Verilog emitter writes: shared sub-expressions once, deterministic text.

use seedchip_hdl::hw::*;

/// 64 chained self-additions: each step uses the previous expression twice, so the unfolded
/// tree has 2^64 leaves while the graph has 64 nodes.
fn chained_self_adds(steps: usize) -> ModuleRef {
    let mut m = ModuleBuilder::new("chain");
    let x = m.input("x", uint(16));
    let y = m.output("y", uint(16));
    let mut e: Expr = x.into();
    for _ in 0..steps {
        e = e.add_wrap(&e) ^ x;
    }
    m.assign(y, e);
    m.finish().unwrap()
}

#[test]
fn sixty_four_chained_shared_expressions_emit_linear_verilog() {
    let m = chained_self_adds(64);
    let text = Design::new(m).unwrap().files()[0].text.clone();
    assert!(text.len() < 100_000, "{} bytes", text.len());
    // Steps 1..=63 are each one named wire read twice; step 64 is read once, by `y`.
    assert_eq!(text.matches("assign ").count(), 63 + 1, "{text}");
    assert!(text.contains("assign y_s = (x + x) ^ x;"), "{text}");
    let small = Design::new(chained_self_adds(8)).unwrap().files()[0]
        .text
        .len();
    let large = text.len();
    assert!(
        large < 10 * small,
        "8 steps {small} bytes, 64 steps {large} bytes"
    );
}

#[test]
fn an_expression_used_once_stays_inline() {
    let mut m = ModuleBuilder::new("inline");
    let a = m.input("a", uint(8));
    let b = m.input("b", uint(8));
    let y = m.output("y", uint(8));
    m.assign(y, a.add_wrap(b) ^ b);
    let text = Design::new(m.finish().unwrap()).unwrap().files()[0]
        .text
        .clone();
    assert!(text.contains("assign y = (a + b) ^ b;"), "{text}");
}

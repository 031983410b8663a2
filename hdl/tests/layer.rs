//! The construction layer's building blocks for whole chips: bundles and interfaces, typed
//! instance outputs, state machines, counters, lanes and memories.

use seedchip_hdl::hw::*;

fn refused(m: ModuleBuilder) -> String {
    match m.finish() {
        Ok(_) => panic!("expected the module to be refused"),
        Err(e) => e.to_string(),
    }
}

fn text_of(m: &ModuleRef) -> String {
    Design::new(m.clone())
        .unwrap()
        .files()
        .last()
        .unwrap()
        .text
        .clone()
}

fn data_stream(name: &str) -> Bundle {
    Bundle::stream(name)
        .field("data", uint(8))
        .field("last", bit())
}

/// A one-entry skid stage: sink `in`, source `out`.
fn stage() -> ModuleRef {
    let mut m = ModuleBuilder::new("stage");
    let i = m.io(&data_stream("in"), Role::Sink);
    let o = m.io(&data_stream("out"), Role::Source);
    let full = m.reg("full", bit(), 0);
    let data = m.data_reg("data", uint(9));
    m.assign(i.ready(), !full | o.ready());
    m.next(full, i.fire() | (full & !o.ready()));
    m.next_en(data, i.fire(), cat([i.field("last"), i.field("data")]));
    m.assign(o.valid(), full);
    m.assign(o.field("data"), data.slice(7, 0));
    m.assign(o.field("last"), data.bit(8));
    m.finish().unwrap()
}

#[test]
fn bundles_name_ports_and_modules_list_their_interfaces() {
    let s = stage();
    let names: Vec<String> = s.ports().into_iter().map(|p| p.name).collect();
    assert_eq!(
        names,
        [
            "clk",
            "rst",
            "in_data",
            "in_last",
            "in_valid",
            "in_ready",
            "out_data",
            "out_last",
            "out_valid",
            "out_ready"
        ]
    );
    let dirs: Vec<Dir> = ["in_valid", "in_ready", "out_valid", "out_ready"]
        .iter()
        .map(|n| s.port(n).unwrap().dir)
        .collect();
    assert_eq!(dirs, [Dir::Input, Dir::Output, Dir::Output, Dir::Input]);
    let ifs: Vec<(&str, Role)> = s
        .interfaces()
        .iter()
        .map(|i| (i.bundle.name(), i.role))
        .collect();
    assert_eq!(ifs, [("in", Role::Sink), ("out", Role::Source)]);
    assert_eq!(data_stream("x").payload_ports(), ["x_data", "x_last"]);
}

#[test]
fn instances_connect_whole_bundles_and_give_typed_outputs() {
    let s = stage();
    let mut m = ModuleBuilder::new("pipe");
    let i = m.io(&data_stream("in"), Role::Sink);
    let o = m.io(&data_stream("out"), Role::Source);
    let mut a = m.instance("a", &s);
    a.io_from(&data_stream("in"), &i);
    let mid = a.io(&data_stream("out"));
    let mut b = m.instance("b", &s);
    b.io_from(&data_stream("in"), &mid);
    let tail = b.io(&data_stream("out"));
    m.connect(&tail, &o);
    let pipe = m.finish().unwrap();
    let t = text_of(&pipe);
    assert!(t.contains("wire       a_out_valid;"), "{t}");
    assert!(t.contains(".in_valid  (a_out_valid)"), "{t}");
    assert!(t.contains("assign b_out_ready = out_ready;"), "{t}");
}

#[test]
fn bundle_mistakes_are_refused_with_names() {
    // A stream field may not be called valid; connecting differing bundles is refused.
    let mut m = ModuleBuilder::new("bad");
    m.io(&Bundle::stream("x").field("valid", bit()), Role::Sink);
    let t = refused(m);
    assert!(t.contains("x_valid") && t.contains("handshake"), "{t}");

    let mut m = ModuleBuilder::new("mismatch");
    let i = m.io(&data_stream("in"), Role::Sink);
    let o = m.io(&Bundle::stream("out").field("data", uint(8)), Role::Source);
    m.connect(&i, &o);
    let t = refused(m);
    assert!(
        t.contains("connect in -> out") && t.contains("differ"),
        "{t}"
    );

    // An instance of a module without that interface.
    let s = stage();
    let mut m = ModuleBuilder::new("wrong_if");
    let i = m.io(&data_stream("in"), Role::Sink);
    m.instance("u", &s).io_from(&data_stream("side"), &i);
    let t = refused(m);
    assert!(t.contains("instance `u`") && t.contains("side"), "{t}");
}

#[test]
fn an_unconnected_typed_output_still_needs_a_reader() {
    let s = stage();
    let mut m = ModuleBuilder::new("drop");
    let i = m.io(&data_stream("in"), Role::Sink);
    let mut u = m.instance("u", &s);
    u.io_from(&data_stream("in"), &i);
    let out = u.io(&data_stream("out"));
    let _ = out; // out_valid/data/last never read, out_ready never driven
    let t = refused(m);
    assert!(t.contains("`u_out_ready` is never driven"), "{t}");
    assert!(
        t.contains("`u_out_valid` is declared but never read"),
        "{t}"
    );
}

#[test]
fn state_machines_encode_in_declaration_order_and_name_bad_states() {
    let mut m = ModuleBuilder::new("fsm_ok");
    let go = m.input("go", bit());
    let busy = m.output("busy", bit());
    let fsm = m.fsm("state", &["idle", "load", "run"]);
    assert_eq!(
        fsm.encoding(),
        [("idle".into(), 0), ("load".into(), 1), ("run".into(), 2)]
    );
    m.seq(|b| {
        fsm.switch(b, |s, b| match s {
            "idle" => {
                b.when(go, |b| fsm.go(b, "load"));
            }
            "load" => fsm.go(b, "run"),
            _ => fsm.go(b, "idle"),
        })
    });
    m.assign(busy, !fsm.is("idle"));
    let t = text_of(&m.finish().unwrap());
    assert!(t.contains("// state: 0 idle, 1 load, 2 run"), "{t}");
    assert!(t.contains("end else if (state == 2'd1) begin"), "{t}");

    let mut m = ModuleBuilder::new("fsm_bad");
    let y = m.output("y", bit());
    let fsm = m.fsm("state", &["idle", "idle"]);
    m.seq(|b| fsm.go(b, "idle"));
    m.assign(y, fsm.is("halt"));
    let t = refused(m);
    assert!(t.contains("no state `halt`") && t.contains("idle"), "{t}");
    assert!(t.contains("state `idle`"), "{t}");
}

#[test]
fn counters_and_lanes() {
    let mut m = ModuleBuilder::new("count5");
    let en = m.input("en", bit());
    let bus = m.input("bus", uint(24));
    let wrap = m.output("wrap", bit());
    let swapped = m.output("swapped", uint(24));
    let c = m.counter("n", 5, en);
    m.assign(wrap, en & c.last);
    let l = lanes(bus, 8);
    assert_eq!(l.len(), 3);
    m.assign(swapped, from_lanes(l.into_iter().rev()));
    let t = text_of(&m.finish().unwrap());
    assert!(t.contains("(n == 3'd4) ? 3'd0 : (n + 3'd1)"), "{t}");
    assert!(
        t.contains("assign swapped = {bus[7:0], bus[15:8], bus[23:16]};"),
        "{t}"
    );
    // A counter of modulus 1 needs no register.
    let mut m = ModuleBuilder::new("count1");
    let en = m.input("en", bit());
    let y = m.output("y", bit());
    let c = m.counter("n", 1, en);
    m.assign(y, en & c.last);
    assert!(!text_of(&m.finish().unwrap()).contains("    reg "));
}

#[test]
fn memories_have_one_module_per_spec_and_ports_from_the_spec() {
    let spec = MemSpec::new(MemPorts::TwoROneW, 64, 32)
        .with_byte_mask()
        .with_banks(4);
    let mut m = ModuleBuilder::new("scratch");
    let addr = m.input("addr", uint(6));
    let wdata = m.input("wdata", uint(32));
    let we = m.input("we", bit());
    let q = m.output("q", uint(32));
    let mem = m.memory("spad", &spec).unwrap();
    assert_eq!(mem.banks.len(), 4);
    let row = mem.row_in_bank(addr);
    let bank = mem.bank_of(addr);
    let mut reads = Vec::new();
    for (k, b) in mem.banks.iter().enumerate() {
        let hit = bank.eq(ulit(2, k as u64));
        m.assign(b.write_enable(), we & hit.clone());
        m.assign(b.write_addr(), row.clone());
        m.assign(b.write_data(), wdata);
        m.assign(b.sig(MemSignal::WriteMask), ulit(4, 0xf));
        for r in 0..2 {
            m.assign(b.read_enable(r), hit.clone());
            m.assign(b.read_addr(r), row.clone());
        }
        reads.push(b.read_data(0) ^ b.read_data(1));
    }
    let any = reads.into_iter().reduce(|a, b| a | b).unwrap();
    m.assign(q, any);
    let d = Design::new(m.finish().unwrap()).unwrap();
    let names: Vec<&str> = d.files().iter().map(|f| f.module.as_str()).collect();
    assert_eq!(names, ["sram_2r1w_d16_w32_m8", "scratch"]);
    let sram_text = &d.files()[0].text;
    for port in [
        "we", "waddr", "wdata", "wmask", "re0", "raddr0", "rdata0", "re1", "rdata1",
    ] {
        assert!(
            sram_text.contains(&format!(" {port}")),
            "{port}: {sram_text}"
        );
    }
    assert!(
        sram_text.contains("if (wmask[3]) mem[waddr][31:24] <= wdata[31:24];"),
        "{sram_text}"
    );
    assert!(sram_text.contains("read-during-write to one address returns the old contents"));
    assert_eq!(d.modules()[0].sram(), Some(&spec.bank()));
    // Bad specs are refused with the reason.
    for (bad, why) in [
        (
            MemSpec::new(MemPorts::OneRw, 10, 12).with_byte_mask(),
            "multiple of 8",
        ),
        (
            MemSpec::new(MemPorts::OneRw, 12, 8).with_banks(8),
            "power of two dividing",
        ),
    ] {
        let e = sram(&bad).unwrap_err().to_string();
        assert!(e.contains(why), "{e}");
    }
}

//! Modules: declared with a [`ModuleBuilder`], checked and frozen by
//! [`ModuleBuilder::finish`] into a shareable [`ModuleRef`].
//!
//! Every module has one implicit clock `clk` and one implicit synchronous, active-high reset
//! `rst`. They become ports only when the module (or a sub-module) has registers that need
//! them, so that a purely combinational module has no unused clock input.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use super::bits::Bits;
use super::bundle::{Bundle, BundleIo, Interface, Role};
use super::check;
use super::error::{ModuleError, Problem};
use super::expr::Expr;
use super::memory::MemSpec;
use super::names;
use super::signal::{bit, Sig, SigDecl, SigKind, Ty};
use super::stmt::{Block, Stmt};

/// A finished, checked module, shared by every instance of it.
pub type ModuleRef = Arc<Module>;

static NEXT_OWNER: AtomicU32 = AtomicU32::new(1);

pub(crate) const CLK: u32 = 0;
pub(crate) const RST: u32 = 1;

/// How a group of signals is driven.
#[derive(Clone, Debug)]
pub(crate) enum Item {
    /// `assign target = value;`
    Assign { target: Sig, value: Expr },
    /// `always @(*)` with conditional assignments to wires.
    Comb { stmts: Vec<Stmt> },
    /// `always @(posedge clk)` with conditional assignments to registers.
    Seq { stmts: Vec<Stmt> },
}

/// One end of an instance port.
#[derive(Clone, Debug)]
pub(crate) enum Conn {
    In(Expr),
    Out(Sig),
    Open,
}

#[derive(Clone, Debug)]
pub(crate) struct Instance {
    pub name: String,
    pub module: ModuleRef,
    pub conns: Vec<(String, Conn)>,
    /// Drives the child's `rst` instead of this module's reset (reset distribution).
    pub reset: Option<Expr>,
}

#[derive(Clone, Debug)]
pub(crate) enum Body {
    Logic,
    /// A memory macro boundary: behavioural body by default, replaceable by a hard macro.
    Sram(MemSpec),
}

/// Direction of a port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    Input,
    Output,
}

/// A port as seen from outside.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Port {
    pub name: String,
    pub dir: Dir,
    pub ty: Ty,
}

/// A checked module.
#[derive(Debug)]
pub struct Module {
    pub(crate) name: String,
    pub(crate) doc: Vec<String>,
    pub(crate) signals: Vec<SigDecl>,
    pub(crate) items: Vec<Item>,
    pub(crate) instances: Vec<Instance>,
    pub(crate) body: Body,
    pub(crate) uses_clk: bool,
    pub(crate) uses_rst: bool,
    /// For each output port, the input ports it depends on combinationally.
    pub(crate) comb_paths: HashMap<String, Vec<String>>,
    /// The bundles of ports this module declared with [`ModuleBuilder::io`].
    pub(crate) interfaces: Vec<Interface>,
    /// The chip unit this module belongs to (PPA attribution).
    pub(crate) unit: Option<String>,
}

impl Module {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Ports in declaration order (`clk`, `rst` first when present).
    pub fn ports(&self) -> Vec<Port> {
        self.port_decls()
            .map(|d| Port {
                name: d.name.clone(),
                dir: if matches!(d.kind, SigKind::Output) {
                    Dir::Output
                } else {
                    Dir::Input
                },
                ty: d.ty,
            })
            .collect()
    }

    pub fn port(&self, name: &str) -> Option<Port> {
        self.ports().into_iter().find(|p| p.name == name)
    }

    pub(crate) fn port_decls(&self) -> impl Iterator<Item = &SigDecl> {
        self.signals.iter().enumerate().filter_map(|(i, d)| {
            let shown = match d.kind {
                SigKind::Implicit => {
                    (i as u32 == CLK && self.uses_clk) || (i as u32 == RST && self.uses_rst)
                }
                SigKind::Input | SigKind::Output => true,
                _ => false,
            };
            shown.then_some(d)
        })
    }

    /// Number of instances of each sub-module, directly in this module.
    pub fn instance_counts(&self) -> Vec<(String, usize)> {
        let mut out: Vec<(String, usize)> = Vec::new();
        for i in &self.instances {
            match out.iter_mut().find(|(n, _)| *n == i.module.name) {
                Some((_, c)) => *c += 1,
                None => out.push((i.module.name.clone(), 1)),
            }
        }
        out
    }

    /// Instances in this module: (instance name, module).
    pub fn instances(&self) -> Vec<(&str, &ModuleRef)> {
        self.instances
            .iter()
            .map(|i| (i.name.as_str(), &i.module))
            .collect()
    }

    /// The distinct sub-modules, in first-instantiation order.
    pub fn submodules(&self) -> Vec<ModuleRef> {
        let mut out: Vec<ModuleRef> = Vec::new();
        for i in &self.instances {
            if !out.iter().any(|m| Arc::ptr_eq(m, &i.module)) {
                out.push(i.module.clone());
            }
        }
        out
    }

    pub fn sram(&self) -> Option<&MemSpec> {
        match &self.body {
            Body::Sram(s) => Some(s),
            Body::Logic => None,
        }
    }

    /// The port bundles (streams and plain bundles) of this module, as declared.
    pub fn interfaces(&self) -> &[Interface] {
        &self.interfaces
    }

    /// The interface named `name`, if declared.
    pub fn interface(&self, name: &str) -> Option<&Interface> {
        self.interfaces.iter().find(|i| i.bundle.name() == name)
    }

    /// The chip unit this module was attributed to ([`ModuleBuilder::unit`]).
    pub fn unit(&self) -> Option<&str> {
        self.unit.as_deref()
    }

    pub(crate) fn sig_name(&self, s: Sig) -> &str {
        &self.signals[s.index as usize].name
    }
}

/// Builds one module. Declare ports and signals, drive them, instantiate sub-modules, then
/// call [`finish`](Self::finish) to check everything.
pub struct ModuleBuilder {
    pub(crate) owner: u32,
    pub(crate) name: String,
    pub(crate) doc: Vec<String>,
    pub(crate) signals: Vec<SigDecl>,
    pub(crate) names: HashMap<String, u32>,
    pub(crate) items: Vec<Item>,
    pub(crate) instances: Vec<Instance>,
    pub(crate) problems: Vec<Problem>,
    /// Registers made by [`ModuleBuilder::forward_reset`]: the only readers of `rst` as data.
    pub(crate) reset_readers: Vec<u32>,
    pub(crate) interfaces: Vec<Interface>,
    pub(crate) unit: Option<String>,
}

impl ModuleBuilder {
    pub fn new(name: impl Into<String>) -> ModuleBuilder {
        let name = name.into();
        let mut m = ModuleBuilder {
            owner: NEXT_OWNER.fetch_add(1, Ordering::Relaxed),
            name: name.clone(),
            doc: Vec::new(),
            signals: Vec::new(),
            names: HashMap::new(),
            items: Vec::new(),
            instances: Vec::new(),
            problems: Vec::new(),
            reset_readers: Vec::new(),
            interfaces: Vec::new(),
            unit: None,
        };
        if let Some(reason) = names::name_problem(&name) {
            m.problems.push(Problem::BadName { name, reason });
        }
        m.declare_raw("clk", bit(), SigKind::Implicit);
        m.declare_raw("rst", bit(), SigKind::Implicit);
        m
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// A comment written above the module; say what it is for and why it is built so.
    pub fn doc(&mut self, text: &str) {
        self.doc.extend(text.lines().map(str::to_string));
    }

    /// A one-line comment written beside a signal's declaration.
    pub fn comment(&mut self, sig: Sig, text: &str) {
        if sig.owner == self.owner {
            self.signals[sig.index as usize].doc = Some(text.to_string());
        }
    }

    /// Attribute this module to a unit of the chip (PPA reports group area by unit).
    pub fn unit(&mut self, unit: &str) {
        self.unit = Some(unit.to_string());
    }

    /// Declare `bundle` as ports, as a `role` of this module: a [`Role::Sink`] takes the data
    /// in (payload and `valid` inputs, `ready` output), a [`Role::Source`] sends it out. Port
    /// names come from the bundle (`<bundle>_<field>`); the module lists the interface.
    pub fn io(&mut self, bundle: &Bundle, role: Role) -> BundleIo {
        let io = bundle.declare(self, role);
        self.interfaces.push(Interface {
            bundle: bundle.clone(),
            role,
        });
        io
    }

    /// Wires for `bundle` inside this module, named `<prefix>_<field>` (`<prefix>_valid`...).
    pub fn bundle_wires(&mut self, bundle: &Bundle, prefix: &str) -> BundleIo {
        bundle.wires(self, prefix)
    }

    /// `from` one cycle later: a control register (reset to zero) per field of a plain bundle,
    /// named `<prefix>_<field>`. Used to register signals at a unit's boundary.
    pub fn registered(&mut self, from: &BundleIo, prefix: &str) -> BundleIo {
        let q = from.bundle().regs(self, prefix);
        if from.is_stream() {
            self.problems.push(Problem::BadExpr {
                signal: prefix.to_string(),
                reason: "a stream cannot be registered field by field (its ready flows back); use a FIFO".into(),
            });
            return q;
        }
        for (f, _) in from.bundle().fields() {
            self.next(q.field(f), from.field(f));
        }
        q
    }

    /// Join two bundles of the same fields: payload and `valid` flow from `from` to `to`,
    /// `ready` flows back. Typical uses: a sink port to an instance's sink, an instance's
    /// source to a source port.
    pub fn connect(&mut self, from: &BundleIo, to: &BundleIo) {
        super::bundle::connect(self, from, to)
    }

    pub fn input(&mut self, name: &str, ty: Ty) -> Sig {
        self.declare(name, ty, SigKind::Input)
    }

    pub fn output(&mut self, name: &str, ty: Ty) -> Sig {
        self.declare(name, ty, SigKind::Output)
    }

    pub fn wire(&mut self, name: &str, ty: Ty) -> Sig {
        self.declare(name, ty, SigKind::Wire)
    }

    /// A wire of the expression's type, driven by it.
    pub fn wire_of(&mut self, name: &str, value: impl Into<Expr>) -> Sig {
        let value = value.into();
        let ty = Ty {
            width: value.width().max(1),
            signed: value.is_signed(),
        };
        let w = self.wire(name, ty);
        self.assign(w, value);
        w
    }

    /// A control register with a synchronous reset to `reset` (two's complement if negative).
    pub fn reg(&mut self, name: &str, ty: Ty, reset: i64) -> Sig {
        let value = match (ty.signed, reset < 0) {
            (true, _) => Bits::from_i64(ty.width, reset),
            (false, false) => Bits::from_u64(ty.width, reset as u64),
            (false, true) => Err(super::bits::BitsError {
                value: reset.to_string(),
                width: ty.width,
                kind: "unsigned",
            }),
        };
        let value = value.unwrap_or_else(|e| {
            self.problems.push(Problem::BadReset {
                signal: name.to_string(),
                reason: e.to_string(),
            });
            Bits::zero(ty.width)
        });
        self.declare(name, ty, SigKind::Reg { reset: Some(value) })
    }

    /// A datapath register without reset. Use only where the value is never observed before
    /// it is first written (random-initial-value simulation checks this).
    pub fn data_reg(&mut self, name: &str, ty: Ty) -> Sig {
        self.declare(name, ty, SigKind::Reg { reset: None })
    }

    /// A flip-flop holding this module's reset one cycle later, to hand on to neighbouring
    /// instances (see [`InstanceBuilder::reset`]): reset then travels register to register
    /// like data instead of as one net of huge fanout. It has no reset itself; it is valid once
    /// `rst` has been high for a cycle.
    pub fn forward_reset(&mut self, name: &str) -> Sig {
        let q = self.data_reg(name, bit());
        self.reset_readers.push(q.index);
        let rst = Sig {
            owner: self.owner,
            index: RST,
            ty: bit(),
        };
        self.next(q, rst);
        q
    }

    /// `assign target = value;`
    pub fn assign(&mut self, target: Sig, value: impl Into<Expr>) {
        self.items.push(Item::Assign {
            target,
            value: value.into(),
        });
    }

    /// The register takes `value` at every clock edge.
    pub fn next(&mut self, reg: Sig, value: impl Into<Expr>) {
        self.items.push(Item::Seq {
            stmts: vec![Stmt::Assign(reg, value.into())],
        });
    }

    /// The register takes `value` at clock edges where `enable` is high, else holds.
    pub fn next_en(&mut self, reg: Sig, enable: impl Into<Expr>, value: impl Into<Expr>) {
        self.items.push(Item::Seq {
            stmts: vec![Stmt::When {
                cond: enable.into(),
                then: vec![Stmt::Assign(reg, value.into())],
                otherwise: Vec::new(),
            }],
        });
    }

    /// A combinational block (`always @(*)`): every target must be assigned on every path.
    pub fn comb(&mut self, body: impl FnOnce(&mut Block)) {
        let mut b = Block::default();
        body(&mut b);
        self.items.push(Item::Comb { stmts: b.stmts });
    }

    /// A clocked block: registers not assigned on a path hold their value.
    pub fn seq(&mut self, body: impl FnOnce(&mut Block)) {
        let mut b = Block::default();
        body(&mut b);
        self.items.push(Item::Seq { stmts: b.stmts });
    }

    /// Instantiate `module` as `name`; connect its ports on the returned builder. The clock
    /// and reset are connected automatically.
    pub fn instance(&mut self, name: &str, module: &ModuleRef) -> InstanceBuilder<'_> {
        if let Some(reason) = names::name_problem(name) {
            self.problems.push(Problem::BadName {
                name: name.to_string(),
                reason,
            });
        }
        if self.names.contains_key(name) || self.instances.iter().any(|i| i.name == name) {
            self.problems.push(Problem::DuplicateName {
                name: name.to_string(),
            });
        }
        self.instances.push(Instance {
            name: name.to_string(),
            module: module.clone(),
            conns: Vec::new(),
            reset: None,
        });
        let index = self.instances.len() - 1;
        InstanceBuilder { m: self, index }
    }

    /// Check the module and freeze it.
    pub fn finish(self) -> Result<ModuleRef, ModuleError> {
        check::finish(self, Body::Logic).map(Arc::new)
    }

    pub(crate) fn finish_sram(self, spec: MemSpec) -> Result<ModuleRef, ModuleError> {
        check::finish(self, Body::Sram(spec)).map(Arc::new)
    }

    pub(crate) fn declare(&mut self, name: &str, ty: Ty, kind: SigKind) -> Sig {
        if let Some(reason) = names::name_problem(name) {
            self.problems.push(Problem::BadName {
                name: name.to_string(),
                reason,
            });
        } else if name == "clk" || name == "rst" {
            self.problems.push(Problem::BadName {
                name: name.to_string(),
                reason: "is reserved for the implicit clock and reset".into(),
            });
        }
        if ty.width == 0 {
            self.problems.push(Problem::BadName {
                name: name.to_string(),
                reason: "has zero width".into(),
            });
        }
        if self.names.contains_key(name) || self.instances.iter().any(|i| i.name == name) {
            self.problems.push(Problem::DuplicateName {
                name: name.to_string(),
            });
        }
        self.declare_raw(name, ty, kind)
    }

    pub(crate) fn declare_raw(&mut self, name: &str, ty: Ty, kind: SigKind) -> Sig {
        let index = self.signals.len() as u32;
        self.signals.push(SigDecl {
            name: name.to_string(),
            ty,
            kind,
            doc: None,
        });
        self.names.entry(name.to_string()).or_insert(index);
        Sig {
            owner: self.owner,
            index,
            ty,
        }
    }

    /// A name not yet used in this module, starting from `base`.
    pub(crate) fn fresh_name(&self, base: &str) -> String {
        let taken =
            |n: &str| self.names.contains_key(n) || self.instances.iter().any(|i| i.name == n);
        if !taken(base) {
            return base.to_string();
        }
        (1..)
            .map(|k| format!("{base}_{k}"))
            .find(|n| !taken(n))
            .expect("an unused name exists")
    }
}

/// Connects the ports of one instance. Methods chain (`m.instance(..).con(..).con(..)`).
pub struct InstanceBuilder<'a> {
    pub(crate) m: &'a mut ModuleBuilder,
    pub(crate) index: usize,
}

impl InstanceBuilder<'_> {
    /// Connect port `port`: an input to any expression of its width, an output to a signal
    /// of this module of its width.
    pub fn con(&mut self, port: impl AsRef<str>, value: impl Into<Expr>) -> &mut Self {
        let port = port.as_ref();
        let value = value.into();
        let inst = &self.m.instances[self.index];
        let conn = match inst.module.port(port) {
            Some(p) if p.dir == Dir::Output => match value.as_sig() {
                Some(s) => Conn::Out(s),
                None => {
                    self.m.problems.push(Problem::OutputNotSignal {
                        instance: inst.name.clone(),
                        port: port.to_string(),
                    });
                    return self;
                }
            },
            _ => Conn::In(value),
        };
        self.m.instances[self.index]
            .conns
            .push((port.to_string(), conn));
        self
    }

    /// The instance's output `port` as a new wire of this module (named `<instance>_<port>`),
    /// so no output needs a wire declared beforehand.
    pub fn out(&mut self, port: impl AsRef<str>) -> Sig {
        let port = port.as_ref();
        let inst = &self.m.instances[self.index];
        let ty = inst.module.port(port).map_or(bit(), |p| p.ty);
        let name = self.m.fresh_name(&format!("{}_{port}", inst.name));
        let w = self.m.declare_raw(&name, ty, SigKind::Wire);
        self.con(port, w);
        w
    }

    /// The instance's interface `bundle` as wires of this module (`<instance>_<bundle>_*`),
    /// connected to its ports: drive what flows into the instance, read what flows out.
    pub fn io(&mut self, bundle: &Bundle) -> BundleIo {
        let prefix = format!("{}_{}", self.m.instances[self.index].name, bundle.name());
        let wires = bundle.wires(self.m, &prefix);
        self.io_from(bundle, &wires);
        wires
    }

    /// Connect the instance's interface `bundle` to signals this module already has (`sigs`,
    /// a bundle with the same fields, e.g. a neighbour's output wires or a port bundle).
    pub fn io_from(&mut self, bundle: &Bundle, sigs: &BundleIo) -> &mut Self {
        let inst = &self.m.instances[self.index];
        let (instance, module) = (inst.name.clone(), inst.module.name.clone());
        if inst.module.interface(bundle.name()).is_none() {
            self.m.problems.push(Problem::UnknownPort {
                instance: instance.clone(),
                module: module.clone(),
                port: format!("{} (no such interface)", bundle.name()),
            });
        }
        for (port, sig) in bundle.connections(sigs) {
            match sig {
                Some(s) => {
                    self.con(&port, s);
                }
                None => self.m.problems.push(Problem::UnknownPort {
                    instance: instance.clone(),
                    module: format!("{module} (bundle `{}` lacks it)", sigs.bundle().name()),
                    port,
                }),
            }
        }
        self
    }

    /// Drive the child's reset from `value` (one bit) instead of this module's `rst`.
    pub fn reset(&mut self, value: impl Into<Expr>) -> &mut Self {
        self.m.instances[self.index].reset = Some(value.into());
        self
    }

    /// Leave output `port` unconnected on purpose (edge cells of an array, for instance).
    pub fn open(&mut self, port: impl AsRef<str>) -> &mut Self {
        self.m.instances[self.index]
            .conns
            .push((port.as_ref().to_string(), Conn::Open));
        self
    }

    /// Leave every port of the instance's interface `bundle` that flows out unconnected (the
    /// edge of an array), and tie what flows in to zero.
    pub fn open_io(&mut self, bundle: &Bundle) -> &mut Self {
        let role = self.m.instances[self.index]
            .module
            .interface(bundle.name())
            .map_or(Role::Source, |i| i.role);
        for p in bundle.ports(role) {
            if p.input {
                self.con(&p.name, super::expr::zero(p.ty));
            } else {
                self.open(&p.name);
            }
        }
        self
    }
}

//! Bundles of ports: valid/ready streams and plain groups of fields.
//!
//! A [`Bundle`] is declared once (a name and typed payload fields) and used everywhere the
//! same group of wires appears: as a module's ports ([`ModuleBuilder::io`]), as wires
//! ([`ModuleBuilder::bundle_wires`]), at an instance ([`InstanceBuilder::io`],
//! [`InstanceBuilder::io_from`]) and between two of those ([`ModuleBuilder::connect`]). Port
//! names are derived from it (`<bundle>_<field>`, `<bundle>_valid`, `<bundle>_ready`), so
//! they are never repeated as strings in the chip, the harness or the tools; each module
//! lists its interfaces ([`Module::interfaces`](super::Module::interfaces)) for the tools.
//!
//! A stream transfers when `valid` and `ready` are both high at a clock edge
//! ([`BundleIo::fire`]); the producer holds `valid` and the payload until then.
//!
//! [`InstanceBuilder::io`]: super::InstanceBuilder::io
//! [`InstanceBuilder::io_from`]: super::InstanceBuilder::io_from

use super::bits::Bits;
use super::error::Problem;
use super::expr::Expr;
use super::module::ModuleBuilder;
use super::signal::{bit, Sig, SigKind, Ty};

/// Which way a bundle's data flows, seen from the module that has it as ports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Data flows in: payload (and `valid`) are inputs, `ready` is an output.
    Sink,
    /// Data flows out: payload (and `valid`) are outputs, `ready` is an input.
    Source,
}

/// The shape of a group of ports: a name, payload fields and, for a stream, valid/ready.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundle {
    name: String,
    fields: Vec<(String, Ty)>,
    handshake: bool,
}

/// A bundle a module declared as its ports, in a role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interface {
    pub bundle: Bundle,
    pub role: Role,
}

/// The signals of one bundle in one module (ports or wires).
#[derive(Clone, Debug)]
pub struct BundleIo {
    bundle: Bundle,
    valid: Option<Sig>,
    ready: Option<Sig>,
    fields: Vec<Sig>,
}

/// One port of a bundle: its name, type and whether it flows into the module holding the
/// bundle in the given role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundlePort {
    pub name: String,
    pub ty: Ty,
    pub input: bool,
}

impl Bundle {
    /// A valid/ready stream named `name`; add payload with [`Bundle::field`].
    pub fn stream(name: &str) -> Bundle {
        Bundle {
            name: name.to_string(),
            fields: Vec::new(),
            handshake: true,
        }
    }

    /// A plain group of fields without handshake (for example the links between PEs).
    pub fn plain(name: &str) -> Bundle {
        Bundle {
            name: name.to_string(),
            fields: Vec::new(),
            handshake: false,
        }
    }

    /// Add a payload field.
    pub fn field(mut self, name: &str, ty: Ty) -> Bundle {
        self.fields.push((name.to_string(), ty));
        self
    }

    /// The same fields under another name (the east and west sides of a PE, say).
    pub fn renamed(&self, name: &str) -> Bundle {
        Bundle {
            name: name.to_string(),
            ..self.clone()
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn is_stream(&self) -> bool {
        self.handshake
    }

    pub fn fields(&self) -> &[(String, Ty)] {
        &self.fields
    }

    /// Port name of a payload field: `<bundle>_<field>`.
    pub fn port(&self, field: &str) -> String {
        format!("{}_{field}", self.name)
    }

    /// `<bundle>_valid`.
    pub fn valid_port(&self) -> String {
        self.port("valid")
    }

    /// `<bundle>_ready`.
    pub fn ready_port(&self) -> String {
        self.port("ready")
    }

    /// Port names of the payload fields, in declaration order.
    pub fn payload_ports(&self) -> Vec<String> {
        self.fields.iter().map(|(f, _)| self.port(f)).collect()
    }

    /// Every port, with its direction for a module holding the bundle as `role`: payload
    /// first, then `valid` and `ready` for a stream.
    pub fn ports(&self, role: Role) -> Vec<BundlePort> {
        let data_in = role == Role::Sink;
        let mut out: Vec<BundlePort> = self
            .fields
            .iter()
            .map(|(f, ty)| BundlePort {
                name: self.port(f),
                ty: *ty,
                input: data_in,
            })
            .collect();
        if self.handshake {
            out.push(BundlePort {
                name: self.valid_port(),
                ty: bit(),
                input: data_in,
            });
            out.push(BundlePort {
                name: self.ready_port(),
                ty: bit(),
                input: !data_in,
            });
        }
        out
    }

    /// Problems with the bundle itself (names are checked as signal names later).
    fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        for (i, (f, _)) in self.fields.iter().enumerate() {
            let reserved = self.handshake && (f == "valid" || f == "ready");
            let repeated = self.fields[..i].iter().any(|(g, _)| g == f);
            if reserved || repeated {
                out.push(Problem::BadName {
                    name: self.port(f),
                    reason: if reserved {
                        "is the stream's own handshake; name the payload field differently".into()
                    } else {
                        "is a field declared twice in its bundle".into()
                    },
                });
            }
        }
        if self.fields.is_empty() && !self.handshake {
            out.push(Problem::BadName {
                name: self.name.clone(),
                reason: "is a bundle with no fields".into(),
            });
        }
        out
    }

    fn build(
        &self,
        m: &mut ModuleBuilder,
        prefix: &str,
        kinds: impl Fn(bool, Ty) -> SigKind,
    ) -> BundleIo {
        m.problems.extend(self.problems());
        let named = self.renamed(prefix);
        let mut io = BundleIo {
            bundle: self.clone(),
            valid: None,
            ready: None,
            fields: Vec::new(),
        };
        for p in named.ports(Role::Sink) {
            let s = m.declare(&p.name, p.ty, kinds(p.input, p.ty));
            if p.name == named.valid_port() && self.handshake {
                io.valid = Some(s);
            } else if p.name == named.ready_port() && self.handshake {
                io.ready = Some(s);
            } else {
                io.fields.push(s);
            }
        }
        io
    }

    /// Declare the bundle as ports of `m` in `role`.
    pub(crate) fn declare(&self, m: &mut ModuleBuilder, role: Role) -> BundleIo {
        // `input` below is relative to a sink; flip for a source.
        self.build(m, &self.name.clone(), |sink_input, _| {
            if sink_input == (role == Role::Sink) {
                SigKind::Input
            } else {
                SigKind::Output
            }
        })
    }

    /// Declare the bundle as wires of `m`, named `<prefix>_*`.
    pub(crate) fn wires(&self, m: &mut ModuleBuilder, prefix: &str) -> BundleIo {
        self.build(m, prefix, |_, _| SigKind::Wire)
    }

    /// Declare the bundle as control registers of `m` (reset to zero), named `<prefix>_*`.
    pub(crate) fn regs(&self, m: &mut ModuleBuilder, prefix: &str) -> BundleIo {
        self.build(m, prefix, |_, ty| SigKind::Reg {
            reset: Some(Bits::zero(ty.width)),
        })
    }

    /// (port name in this bundle, signal of `sigs`) for every port, matching fields by name.
    pub(crate) fn connections(&self, sigs: &BundleIo) -> Vec<(String, Option<Sig>)> {
        let mut out: Vec<(String, Option<Sig>)> = self
            .fields
            .iter()
            .map(|(f, _)| (self.port(f), sigs.try_field(f)))
            .collect();
        if self.handshake {
            out.push((self.valid_port(), sigs.valid));
            out.push((self.ready_port(), sigs.ready));
        }
        out
    }
}

impl BundleIo {
    pub fn bundle(&self) -> &Bundle {
        &self.bundle
    }

    /// Whether the bundle is a valid/ready stream (else plain).
    pub fn is_stream(&self) -> bool {
        self.valid.is_some()
    }

    /// The `valid` signal of a stream.
    ///
    /// # Panics
    /// On a plain bundle, which has no handshake (a bug in the generator, not an input error).
    pub fn valid(&self) -> Sig {
        self.valid
            .unwrap_or_else(|| panic!("bundle `{}` is plain: no valid", self.bundle.name))
    }

    /// The `ready` signal of a stream.
    ///
    /// # Panics
    /// On a plain bundle.
    pub fn ready(&self) -> Sig {
        self.ready
            .unwrap_or_else(|| panic!("bundle `{}` is plain: no ready", self.bundle.name))
    }

    /// `valid & ready`: a transfer happens at this clock edge.
    pub fn fire(&self) -> Expr {
        self.valid() & self.ready()
    }

    /// The signal of payload field `name`, if the bundle has it.
    pub fn try_field(&self, name: &str) -> Option<Sig> {
        self.bundle
            .fields
            .iter()
            .position(|(f, _)| f == name)
            .map(|i| self.fields[i])
    }

    /// The signal of payload field `name`.
    ///
    /// # Panics
    /// If the bundle has no such field (a bug in the generator).
    pub fn field(&self, name: &str) -> Sig {
        self.try_field(name).unwrap_or_else(|| {
            panic!(
                "bundle `{}` has no field `{name}`; its fields: {:?}",
                self.bundle.name,
                self.bundle.fields.iter().map(|f| &f.0).collect::<Vec<_>>()
            )
        })
    }

    /// All payload signals, in field order.
    pub fn payload(&self) -> &[Sig] {
        &self.fields
    }
}

/// `from` drives `to`: payload and valid forward, ready backward. Fields match by name.
pub(crate) fn connect(m: &mut ModuleBuilder, from: &BundleIo, to: &BundleIo) {
    let same = from.bundle.fields.len() == to.bundle.fields.len()
        && from.bundle.handshake == to.bundle.handshake
        && from
            .bundle
            .fields
            .iter()
            .all(|(f, ty)| to.bundle.fields.iter().any(|(g, t)| g == f && t == ty));
    if !same {
        m.problems.push(Problem::BadExpr {
            signal: format!("connect {} -> {}", from.bundle.name, to.bundle.name),
            reason: format!(
                "the bundles differ: {:?} and {:?}",
                from.bundle.fields, to.bundle.fields
            ),
        });
        return;
    }
    for (f, _) in &from.bundle.fields {
        m.assign(to.field(f), from.field(f));
    }
    if from.bundle.handshake {
        m.assign(to.valid(), from.valid());
        m.assign(from.ready(), to.ready());
    }
}

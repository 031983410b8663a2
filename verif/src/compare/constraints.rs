//! Input constraints for design comparison, read from TOML:
//!
//! ```toml
//! # Inputs not listed get uniformly random values every cycle.
//! [inputs]
//! mode = { value = 3 }           # fixed
//! addr = { min = 0, max = 15 }   # uniform in the range (inclusive; ports up to 64 bits)
//! en   = { high = 0.25 }         # a 1-bit input that is 1 a quarter of the time
//!
//! # A valid/ready producer: once valid is raised, valid and data hold until ready.
//! [[handshake]]
//! valid = "act_valid"
//! ready = "act_ready"            # an output of the designs
//! data  = ["act_data", "act_last"]
//! offer = 0.5                    # chance of raising valid on a free cycle (default 0.5)
//!
//! # Outputs that carry meaning only while another output is high.
//! [outputs]
//! out_data = { when = "out_valid" }
//! ```

use std::collections::BTreeMap;

use seedchip_hdl::hw::{Interface, Role};
use serde::{Deserialize, Serialize};

use crate::verilator::PortInfo;

/// Rule for one input.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputRule {
    pub value: Option<u64>,
    pub min: Option<u64>,
    pub max: Option<u64>,
    pub high: Option<f64>,
}

/// A valid/ready producer driven by the stimulus.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Handshake {
    pub valid: String,
    pub ready: String,
    #[serde(default)]
    pub data: Vec<String>,
    #[serde(default)]
    pub offer: Option<f64>,
}

/// Comparison rule for one output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputRule {
    pub when: String,
}

/// All constraints.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Constraints {
    pub inputs: BTreeMap<String, InputRule>,
    pub handshake: Vec<Handshake>,
    pub outputs: BTreeMap<String, OutputRule>,
}

/// A constraint that does not fit the design.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{origin}: {what}")]
pub struct ConstraintError {
    pub origin: String,
    pub what: String,
}

impl Constraints {
    /// Constraints read from a seedchip module's interfaces: every sink stream gets a
    /// valid/ready producer that holds its payload until accepted, and every source stream's
    /// payload is compared only while its `valid` is high. Plain bundles add nothing.
    pub fn from_interfaces(interfaces: &[Interface]) -> Constraints {
        let mut c = Constraints::default();
        for i in interfaces.iter().filter(|i| i.bundle.is_stream()) {
            let b = &i.bundle;
            match i.role {
                Role::Sink => c.handshake.push(Handshake {
                    valid: b.valid_port(),
                    ready: b.ready_port(),
                    data: b.payload_ports(),
                    offer: None,
                }),
                Role::Source => {
                    for port in b.payload_ports() {
                        c.outputs.insert(
                            port,
                            OutputRule {
                                when: b.valid_port(),
                            },
                        );
                    }
                }
            }
        }
        c
    }

    /// Parse TOML; `origin` names the file in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Constraints, ConstraintError> {
        toml::from_str(text).map_err(|e| ConstraintError {
            origin: origin.to_string(),
            what: e.to_string().trim_end().to_string(),
        })
    }

    /// Check every name, direction and range against the design's ports.
    pub fn validate(&self, ports: &[PortInfo], origin: &str) -> Result<(), ConstraintError> {
        let err = |what: String| ConstraintError {
            origin: origin.to_string(),
            what,
        };
        let port = |name: &str, input: bool, ctx: &str| -> Result<&PortInfo, ConstraintError> {
            let p = ports
                .iter()
                .find(|p| p.name == name)
                .ok_or_else(|| err(format!("{ctx}: the design has no port `{name}`")))?;
            if p.input != input {
                return Err(err(format!(
                    "{ctx}: `{name}` is an {}, expected an {}",
                    if p.input { "input" } else { "output" },
                    if input { "input" } else { "output" }
                )));
            }
            Ok(p)
        };
        for (name, r) in &self.inputs {
            let ctx = format!("inputs.{name}");
            let p = port(name, true, &ctx)?;
            let fits = |v: u64| p.width >= 64 || v >> p.width == 0;
            match (r.value, r.min, r.max, r.high) {
                (Some(v), None, None, None) => {
                    if !fits(v) {
                        return Err(err(format!(
                            "{ctx}: value {v} does not fit {} bits",
                            p.width
                        )));
                    }
                }
                (None, Some(lo), Some(hi), None) => {
                    if lo > hi || !fits(hi) || p.width > 64 {
                        return Err(err(format!(
                            "{ctx}: range {lo}..={hi} must be ordered and fit the port ({} bits, at most 64)",
                            p.width
                        )));
                    }
                }
                (None, None, None, Some(h)) => {
                    if p.width != 1 || !(0.0..=1.0).contains(&h) {
                        return Err(err(format!(
                            "{ctx}: `high` is a probability in 0..=1 for a 1-bit input"
                        )));
                    }
                }
                _ => {
                    return Err(err(format!(
                        "{ctx}: give exactly one of `value`, `min` with `max`, or `high`"
                    )))
                }
            }
        }
        for (i, h) in self.handshake.iter().enumerate() {
            let ctx = format!("handshake[{i}]");
            let v = port(&h.valid, true, &format!("{ctx}.valid"))?;
            if v.width != 1 {
                return Err(err(format!(
                    "{ctx}.valid: `{}` is {} bits, not 1",
                    h.valid, v.width
                )));
            }
            let r = port(&h.ready, false, &format!("{ctx}.ready"))?;
            if r.width != 1 {
                return Err(err(format!(
                    "{ctx}.ready: `{}` is {} bits, not 1",
                    h.ready, r.width
                )));
            }
            for d in &h.data {
                port(d, true, &format!("{ctx}.data"))?;
            }
            if h.offer.is_some_and(|p| !(0.0..=1.0).contains(&p)) {
                return Err(err(format!("{ctx}.offer: a probability in 0..=1")));
            }
        }
        for (name, r) in &self.outputs {
            let ctx = format!("outputs.{name}");
            port(name, false, &ctx)?;
            let w = port(&r.when, false, &format!("{ctx}.when"))?;
            if w.width != 1 {
                return Err(err(format!(
                    "{ctx}.when: `{}` is {} bits, not 1",
                    r.when, w.width
                )));
            }
        }
        Ok(())
    }
}

//! Input constraints for design comparison, read from TOML:
//!
//! ```toml
//! # Inputs not listed get uniformly random values every cycle.
//! [inputs]
//! mode = { value = 3 }           # fixed
//! addr = { min = 0, max = 15 }   # uniform in the range (inclusive; ports up to 64 bits)
//! en   = { high = 0.25 }         # a 1-bit input that is 1 a quarter of the time
//! op   = { one_of = [0x13, 0x33, 0x63] }                  # one of these values, uniformly
//! kind = { one_of = [0, 1, 2], weights = [8.0, 1.0, 1.0] } # ... or with these weights
//!
//! # A valid/ready producer: once valid is raised, valid and data hold until ready.
//! [[handshake]]
//! valid = "act_valid"
//! ready = "act_ready"            # an output of the designs
//! data  = ["act_data", "act_last"]
//! offer = 0.5                    # chance of raising valid on a free cycle (default 0.5)
//!
//! # Outputs that carry meaning only while an expression over outputs holds: output names
//! # (true when non-zero), `!`, `&`, `|` and parentheses. Compared when either design says so.
//! [outputs]
//! out_data    = { when = "out_valid" }
//! mem_la_addr = { when = "mem_la_read | mem_la_write" }
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
    /// One of these values each cycle (the first is the idle value), uniformly or by `weights`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub one_of: Option<Vec<u64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weights: Option<Vec<f64>>,
}

impl InputRule {
    /// A value of `one_of`, by `weights` when given, from a uniform `r` in 0..1.
    pub fn choose(&self, r: f64) -> Option<u64> {
        let values = self.one_of.as_ref()?;
        let Some(w) = &self.weights else {
            let i = ((r * values.len() as f64) as usize).min(values.len() - 1);
            return Some(values[i]);
        };
        let total: f64 = w.iter().sum();
        let mut at = r * total;
        for (v, w) in values.iter().zip(w) {
            if at < *w {
                return Some(*v);
            }
            at -= w;
        }
        values.last().copied()
    }
}

/// A `when` expression over outputs: names (true when non-zero), `!`, `&`, `|`, parentheses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum When {
    Port(usize),
    Not(Box<When>),
    And(Box<When>, Box<When>),
    Or(Box<When>, Box<When>),
}

impl When {
    /// Parse `text`, resolving each name to an index with `port` (`None`: no such output).
    pub fn parse(text: &str, port: &dyn Fn(&str) -> Option<usize>) -> Result<When, String> {
        let tokens = tokens(text)?;
        let mut at = 0;
        let e = or_expr(&tokens, &mut at, port)?;
        match tokens.get(at) {
            None => Ok(e),
            Some(t) => Err(format!("unexpected `{t}` in `{text}`")),
        }
    }

    /// The expression's value, `high(i)` telling whether output `i` is non-zero.
    pub fn eval(&self, high: &dyn Fn(usize) -> bool) -> bool {
        match self {
            When::Port(i) => high(*i),
            When::Not(e) => !e.eval(high),
            When::And(a, b) => a.eval(high) && b.eval(high),
            When::Or(a, b) => a.eval(high) || b.eval(high),
        }
    }
}

// A hand-written recursive-descent parser: three operators do not warrant a parser crate.
fn tokens(text: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if "!&|()".contains(c) {
            chars.next();
            out.push(c.to_string());
        } else if c.is_ascii_alphanumeric() || c == '_' || c == '$' {
            let mut name = String::new();
            while let Some(&c) = chars.peek() {
                if !(c.is_ascii_alphanumeric() || c == '_' || c == '$') {
                    break;
                }
                name.push(c);
                chars.next();
            }
            out.push(name);
        } else {
            return Err(format!("unexpected `{c}` in `{text}`"));
        }
    }
    Ok(out)
}

type Port<'a> = &'a dyn Fn(&str) -> Option<usize>;

fn or_expr(t: &[String], at: &mut usize, port: Port) -> Result<When, String> {
    let mut e = and_expr(t, at, port)?;
    while t.get(*at).is_some_and(|x| x == "|") {
        *at += 1;
        e = When::Or(Box::new(e), Box::new(and_expr(t, at, port)?));
    }
    Ok(e)
}

fn and_expr(t: &[String], at: &mut usize, port: Port) -> Result<When, String> {
    let mut e = unary(t, at, port)?;
    while t.get(*at).is_some_and(|x| x == "&") {
        *at += 1;
        e = When::And(Box::new(e), Box::new(unary(t, at, port)?));
    }
    Ok(e)
}

fn unary(t: &[String], at: &mut usize, port: Port) -> Result<When, String> {
    let tok = t.get(*at).ok_or("the expression ends too early")?;
    *at += 1;
    match tok.as_str() {
        "!" => Ok(When::Not(Box::new(unary(t, at, port)?))),
        "(" => {
            let e = or_expr(t, at, port)?;
            if t.get(*at).map(String::as_str) != Some(")") {
                return Err("a `(` is not closed".into());
            }
            *at += 1;
            Ok(e)
        }
        "&" | "|" | ")" => Err(format!("`{tok}` where an output name belongs")),
        name => port(name)
            .map(When::Port)
            .ok_or_else(|| format!("the design has no output `{name}`")),
    }
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

impl OutputRule {
    /// The `when` expression, its names resolved to indices into `outputs`.
    pub fn parse(&self, outputs: &[&PortInfo]) -> Result<When, String> {
        When::parse(&self.when, &|n| outputs.iter().position(|p| p.name == n))
    }
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
            if let Some(values) = &r.one_of {
                if r.value.is_some() || r.min.is_some() || r.max.is_some() || r.high.is_some() {
                    return Err(err(format!(
                        "{ctx}: `one_of` does not combine with `value`, `min`, `max` or `high`"
                    )));
                }
                if values.is_empty() || p.width > 64 {
                    return Err(err(format!(
                        "{ctx}: `one_of` needs at least one value, for a port of at most 64 bits"
                    )));
                }
                if let Some(v) = values.iter().find(|v| !fits(**v)) {
                    return Err(err(format!(
                        "{ctx}: one_of value {v} does not fit {} bits",
                        p.width
                    )));
                }
                if let Some(w) = &r.weights {
                    let good =
                        w.iter().all(|x| x.is_finite() && *x >= 0.0) && w.iter().sum::<f64>() > 0.0;
                    if w.len() != values.len() || !good {
                        return Err(err(format!(
                            "{ctx}: `weights` needs one non-negative weight per value ({} values, {} weights) and a positive sum",
                            values.len(),
                            w.len()
                        )));
                    }
                }
                continue;
            }
            if r.weights.is_some() {
                return Err(err(format!("{ctx}: `weights` needs `one_of`")));
            }
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
                        "{ctx}: give exactly one of `value`, `min` with `max`, `high`, or `one_of`"
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
        let outputs: Vec<&PortInfo> = ports.iter().filter(|p| !p.input).collect();
        for (name, r) in &self.outputs {
            let ctx = format!("outputs.{name}");
            port(name, false, &ctx)?;
            r.parse(&outputs)
                .map_err(|e| err(format!("{ctx}.when: {e}")))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ports() -> Vec<PortInfo> {
        [
            ("op", true, 7),
            ("rd", false, 1),
            ("wr", false, 1),
            ("addr", false, 32),
        ]
        .iter()
        .map(|(n, i, w)| PortInfo {
            name: n.to_string(),
            input: *i,
            width: *w,
        })
        .collect()
    }

    #[test]
    fn when_expressions_parse_with_precedence_and_evaluate() {
        let names = ["rd", "wr", "busy"];
        let port = |n: &str| names.iter().position(|x| *x == n);
        let e = When::parse("rd | wr & !busy", &port).unwrap();
        // & binds tighter than |.
        let at = |v: [bool; 3]| e.eval(&|i| v[i]);
        assert!(at([true, false, true]));
        assert!(at([false, true, false]));
        assert!(!at([false, true, true]));
        let p = When::parse("!(rd | wr)", &port).unwrap();
        assert!(p.eval(&|_| false) && !p.eval(&|i| i == 1));
        for (bad, want) in [
            ("rd |", "ends too early"),
            ("(rd", "not closed"),
            ("rd wr", "unexpected `wr`"),
            ("rd + wr", "unexpected `+`"),
            ("nope", "no output `nope`"),
            ("& rd", "where an output name belongs"),
        ] {
            let e = When::parse(bad, &port).unwrap_err();
            assert!(e.contains(want), "{bad}: {e}");
        }
    }

    #[test]
    fn one_of_chooses_by_weight_and_is_validated() {
        let r = InputRule {
            one_of: Some(vec![3, 5, 9]),
            weights: Some(vec![0.0, 1.0, 3.0]),
            ..Default::default()
        };
        let mut seen = [0usize; 3];
        for k in 0..1000 {
            let v = r.choose(k as f64 / 1000.0).unwrap();
            seen[[3, 5, 9].iter().position(|x| *x == v).unwrap()] += 1;
        }
        assert_eq!(seen, [0, 250, 750]);
        let uniform = InputRule {
            one_of: Some(vec![1, 2]),
            ..Default::default()
        };
        assert_eq!(
            (uniform.choose(0.1), uniform.choose(0.9)),
            (Some(1), Some(2))
        );

        let check = |toml: &str| {
            Constraints::from_toml(toml, "c.toml")
                .and_then(|c| c.validate(&ports(), "c.toml"))
                .map_err(|e| e.to_string())
        };
        assert!(check("[inputs]\nop = { one_of = [0x13, 0x33] }\n").is_ok());
        assert!(check("[outputs]\naddr = { when = \"rd | wr\" }\n").is_ok());
        for (toml, want) in [
            (
                "[inputs]\nop = { one_of = [200] }\n",
                "200 does not fit 7 bits",
            ),
            ("[inputs]\nop = { one_of = [] }\n", "at least one value"),
            (
                "[inputs]\nop = { one_of = [1, 2], weights = [1.0] }\n",
                "one non-negative weight per value",
            ),
            (
                "[inputs]\nop = { one_of = [1], weights = [-1.0] }\n",
                "one non-negative weight per value",
            ),
            (
                "[inputs]\nop = { weights = [1.0] }\n",
                "`weights` needs `one_of`",
            ),
            (
                "[inputs]\nop = { one_of = [1], value = 1 }\n",
                "does not combine",
            ),
            (
                "[outputs]\naddr = { when = \"rd | oops\" }\n",
                "outputs.addr.when: the design has no output `oops`",
            ),
        ] {
            let e = check(toml).unwrap_err();
            assert!(e.contains(want), "{toml}: {e}");
        }
    }
}

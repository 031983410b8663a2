//! The chip configuration: one serde struct, read from TOML or JSON, with a built-in default.
//!
//! Every section has defaults, so a file holding only `[matrix]` is complete. Unknown keys
//! are errors (a typo must not silently fall back to a default), and every value is range-
//! checked with an error that names the field and the allowed range.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// Largest array dimension the generator accepts.
pub const MAX_DIM: u32 = 256;

/// The whole chip.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub matrix: MatrixConfig,
}

/// The systolic matrix engine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MatrixConfig {
    /// PE rows: the reduction (K) depth of one weight tile. 1..=256.
    pub rows: u32,
    /// PE columns: output lanes (N) of one weight tile. 1..=256.
    pub cols: u32,
    /// Register the 8x8 product inside each PE before the accumulate. Costs one cycle of
    /// latency and ~8% PE area; without it the multiply and the add share one cycle, which
    /// limits sky130 hd to ~155 MHz (see README, "Synthesis").
    pub mac_pipeline: bool,
}

impl Default for MatrixConfig {
    fn default() -> Self {
        MatrixConfig {
            rows: 16,
            cols: 16,
            mac_pipeline: true,
        }
    }
}

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration `{path}`")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{origin}: {}{message}", field.as_ref().map(|f| format!("field `{f}`: ")).unwrap_or_default())]
    Parse {
        origin: String,
        field: Option<String>,
        message: String,
    },
    #[error("{origin}: field `{field}` = {value} is out of range; allowed {min}..={max}")]
    OutOfRange {
        origin: String,
        field: String,
        value: i64,
        min: i64,
        max: i64,
    },
}

impl ConfigError {
    /// The dotted name of the offending field, when there is one.
    pub fn field(&self) -> Option<&str> {
        match self {
            ConfigError::Parse { field, .. } => field.as_deref(),
            ConfigError::OutOfRange { field, .. } => Some(field),
            ConfigError::Read { .. } => None,
        }
    }
}

impl Config {
    /// Read a configuration file: JSON when it ends in `.json`, TOML otherwise.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let origin = path.display().to_string();
        if path.extension().is_some_and(|e| e == "json") {
            Config::from_json(&text, &origin)
        } else {
            Config::from_toml(&text, &origin)
        }
    }

    /// Parse and validate TOML; `origin` names the source in errors.
    pub fn from_toml(text: &str, origin: &str) -> Result<Config, ConfigError> {
        let parse_err = |field: Option<String>, message: String| ConfigError::Parse {
            origin: origin.to_string(),
            field,
            message,
        };
        let de = toml::de::Deserializer::parse(text)
            .map_err(|e| parse_err(None, e.to_string().trim_end().to_string()))?;
        let cfg: Config = serde_path_to_error::deserialize(de).map_err(|e| {
            let field = path_name(e.path());
            parse_err(field, e.inner().to_string().trim_end().to_string())
        })?;
        cfg.validate(origin)?;
        Ok(cfg)
    }

    /// Parse and validate JSON; `origin` names the source in errors.
    pub fn from_json(text: &str, origin: &str) -> Result<Config, ConfigError> {
        let mut de = serde_json::Deserializer::from_str(text);
        let cfg: Config =
            serde_path_to_error::deserialize(&mut de).map_err(|e| ConfigError::Parse {
                origin: origin.to_string(),
                field: path_name(e.path()),
                message: e.inner().to_string(),
            })?;
        cfg.validate(origin)?;
        Ok(cfg)
    }

    /// Check every field's range.
    pub fn validate(&self, origin: &str) -> Result<(), ConfigError> {
        let range = |field: &str, value: u32, min: u32, max: u32| {
            if (min..=max).contains(&value) {
                Ok(())
            } else {
                Err(ConfigError::OutOfRange {
                    origin: origin.to_string(),
                    field: field.to_string(),
                    value: value as i64,
                    min: min as i64,
                    max: max as i64,
                })
            }
        };
        range("matrix.rows", self.matrix.rows, 1, MAX_DIM)?;
        range("matrix.cols", self.matrix.cols, 1, MAX_DIM)?;
        Ok(())
    }

    /// The configuration as TOML (every field, defaults included).
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("the configuration serialises")
    }

    /// A matrix-only configuration, validated.
    pub fn with_matrix(rows: u32, cols: u32) -> Result<Config, ConfigError> {
        let cfg = Config {
            matrix: MatrixConfig {
                rows,
                cols,
                ..MatrixConfig::default()
            },
        };
        cfg.validate("built-in")?;
        Ok(cfg)
    }
}

fn path_name(p: &serde_path_to_error::Path) -> Option<String> {
    let s = p.to_string();
    (s != "." && !s.is_empty()).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_only_file_is_complete() {
        let c = Config::from_toml("[matrix]\nrows = 4\ncols = 3\n", "t").unwrap();
        assert_eq!((c.matrix.rows, c.matrix.cols), (4, 3));
        let d = Config::from_toml("", "t").unwrap();
        assert_eq!(d, Config::default());
        assert_eq!(Config::from_toml(&d.to_toml(), "t").unwrap(), d);
    }

    #[test]
    fn errors_name_the_field_and_range() {
        let e = Config::from_toml("[matrix]\nrows = 0\n", "c.toml").unwrap_err();
        assert_eq!(e.field(), Some("matrix.rows"));
        assert!(e.to_string().contains("1..=256"), "{e}");
        let e = Config::from_toml("[matrix]\ncols = 257\n", "c.toml").unwrap_err();
        assert_eq!(e.field(), Some("matrix.cols"));
        let e = Config::from_toml("[matrix]\nrows = \"big\"\n", "c.toml").unwrap_err();
        assert_eq!(e.field(), Some("matrix.rows"), "{e}");
        let e = Config::from_toml("[matrix]\nrowz = 4\n", "c.toml").unwrap_err();
        assert!(e.to_string().contains("rowz"), "{e}");
        let e = Config::from_toml("[matrix]\nmac_pipeline = 1\n", "c.toml").unwrap_err();
        assert_eq!(e.field(), Some("matrix.mac_pipeline"), "{e}");
        let e = Config::from_toml("[matrix\nrows = 4\n", "c.toml").unwrap_err();
        assert!(e.to_string().starts_with("c.toml: "), "{e}");
        let e = Config::from_json(r#"{"matrix": {"rows": -1}}"#, "c.json").unwrap_err();
        assert_eq!(e.field(), Some("matrix.rows"), "{e}");
    }
}

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
    pub memory: MemoryConfig,
    pub bus: BusConfig,
    pub controller: ControllerConfig,
    pub vector: VectorConfig,
    pub tiles: TilesConfig,
    pub interconnect: InterconnectConfig,
    pub fpga: FpgaConfig,
}

/// FPGA prototypes (`seedchip fpga build|run`): the board top's clock and host link. The
/// chip's Verilog does not depend on this section.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FpgaConfig {
    /// The chip's clock in kHz, made by the board's PLL from its oscillator, 4000..=200000;
    /// unset: the board's default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clock_khz: Option<u32>,
    /// The host link's UART baud rate, 9600..=3000000.
    pub baud: u32,
    /// Device memory in KiB (a power of two, 4..=1024); unset: the board's default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_kib: Option<u32>,
}

impl Default for FpgaConfig {
    fn default() -> Self {
        FpgaConfig {
            clock_khz: None,
            baud: 115_200,
            memory_kib: None,
        }
    }
}

/// The tiles: an X x Y mesh of them (each a matrix engine, vector unit, memories and
/// controller). 1 x 1 is the single-tile chip.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TilesConfig {
    /// Columns of tiles, 1..=16.
    pub x: u32,
    /// Rows of tiles, 1..=16.
    pub y: u32,
}

impl Default for TilesConfig {
    fn default() -> Self {
        TilesConfig { x: 1, y: 1 }
    }
}

/// The mesh network-on-chip between tiles.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InterconnectConfig {
    /// Bits of a flit's payload, 16..=1024; unset, as wide as the widest packet unit (an AXI
    /// beat with its header: one flit a beat). Narrower flits send a unit in several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flit_bits: Option<u32>,
    /// Flits each router queue holds, 2..=16 (4 covers a link's credit loop; 8 lets the 4x4
    /// mesh take 76% of its uniform-traffic limit with 4-flit packets instead of 66%).
    pub buffer_depth: u32,
    /// R beats each tile's network interface buffers, a power of two 4..=256: a tile sends a
    /// read only when its whole burst fits (read credits), so a slowly draining tile never
    /// backs the DRAM port up; its load unit cuts bursts at this many beats.
    pub read_buffer_beats: u32,
}

impl Default for InterconnectConfig {
    fn default() -> Self {
        InterconnectConfig {
            flit_bits: None,
            buffer_depth: 4,
            read_buffer_beats: 16,
        }
    }
}

/// The vector unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
pub struct VectorConfig {
    /// int32 lanes: a row of matrix.cols values goes through in matrix.cols / lanes beats, one
    /// beat a cycle. A divisor of matrix.cols; unset = matrix.cols (a row a cycle). Fewer
    /// lanes trade vector throughput for area: results do not depend on it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lanes: Option<u32>,
}

/// The on-chip memories.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MemoryConfig {
    /// Scratchpad rows. A row holds max(matrix.rows, matrix.cols) int8 values: an activation
    /// row uses the first `rows` of them, a weight row the first `cols`. 16..=65536.
    pub scratchpad_rows: u32,
    /// Accumulator rows of matrix.cols int32 values. 16..=65536.
    pub accumulator_rows: u32,
    /// Banks of each memory (a power of two dividing its rows), 1..=16.
    pub banks: u32,
}

impl Default for MemoryConfig {
    fn default() -> Self {
        MemoryConfig {
            scratchpad_rows: 1024,
            accumulator_rows: 512,
            banks: 2,
        }
    }
}

/// The AXI4 master to DRAM.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BusConfig {
    /// Data width in bits: 64, 128 or 256.
    pub data_bits: u32,
    /// Read bursts the DMA may have outstanding at once, 1..=64. The load unit reads one burst
    /// per DRAM row, so rows per cycle <= outstanding_reads / read latency: cover the DRAM
    /// latency in cycles to stream one row per cycle.
    pub outstanding_reads: u32,
}

impl Default for BusConfig {
    fn default() -> Self {
        BusConfig {
            data_bits: 128,
            outstanding_reads: 16,
        }
    }
}

/// The controller: instruction queues and dependency tokens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ControllerConfig {
    /// Instructions each of the load, compute and store queues holds, 2..=64.
    pub queue_depth: u32,
}

impl Default for ControllerConfig {
    fn default() -> Self {
        ControllerConfig { queue_depth: 8 }
    }
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
    /// How each PE multiplies: `array` (Yosys maps `*`) or `booth` (radix-4 Booth digits,
    /// fewer partial products; see hdl/src/chip/booth.rs and docs/ppa.md).
    pub multiplier: Multiplier,
}

/// The PE's 8x8 multiplier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Multiplier {
    /// Booth for ASIC and generic Verilog (`seedchip generate`, sky130), array in the FPGA
    /// flows, where `*` maps to DSP blocks and Booth's gates would not.
    #[default]
    Auto,
    /// `*`, mapped by the synthesis tool.
    Array,
    /// Radix-4 Booth digits, summing negated products in 15 bits: in sky130 the 16x16
    /// engine's PE is 17% smaller (3,924 vs 4,731 um2), at 217 vs 229 MHz (docs/ppa.md).
    Booth,
}

impl Multiplier {
    /// What `Auto` means for the Verilog `seedchip generate` writes (ASIC, simulation).
    pub fn for_asic(self) -> Multiplier {
        match self {
            Multiplier::Auto => Multiplier::Booth,
            m => m,
        }
    }

    /// What `Auto` means in the FPGA flows.
    pub fn for_fpga(self) -> Multiplier {
        match self {
            Multiplier::Auto => Multiplier::Array,
            m => m,
        }
    }
}

/// The suffix naming a PE variant in module names: `_s1` without the product register, `_mb`
/// with the Booth multiplier.
pub fn variant_suffix(mac_pipeline: bool, multiplier: Multiplier) -> String {
    format!(
        "{}{}",
        if mac_pipeline { "" } else { "_s1" },
        if multiplier.for_asic() == Multiplier::Booth {
            "_mb"
        } else {
            ""
        }
    )
}

impl MatrixConfig {
    /// See [`variant_suffix`].
    pub fn variant_suffix(&self) -> String {
        variant_suffix(self.mac_pipeline, self.multiplier)
    }
}

impl Default for MatrixConfig {
    fn default() -> Self {
        MatrixConfig {
            rows: 16,
            cols: 16,
            mac_pipeline: true,
            multiplier: Multiplier::Auto,
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
        let m = &self.memory;
        range("memory.scratchpad_rows", m.scratchpad_rows, 16, 65536)?;
        range("memory.accumulator_rows", m.accumulator_rows, 16, 65536)?;
        range("memory.banks", m.banks, 1, 16)?;
        let bad = |field: &str, message: String| ConfigError::Parse {
            origin: origin.to_string(),
            field: Some(field.to_string()),
            message,
        };
        if !m.banks.is_power_of_two() {
            return Err(bad(
                "memory.banks",
                format!("{} is not a power of two", m.banks),
            ));
        }
        for (field, rows) in [
            ("memory.scratchpad_rows", m.scratchpad_rows),
            ("memory.accumulator_rows", m.accumulator_rows),
        ] {
            if !rows.is_multiple_of(m.banks) {
                return Err(bad(
                    field,
                    format!("{rows} rows do not divide into {} banks", m.banks),
                ));
            }
        }
        if self.memory.scratchpad_rows < self.matrix.rows {
            return Err(bad(
                "memory.scratchpad_rows",
                format!(
                    "{} rows cannot hold one weight tile of matrix.rows = {}",
                    m.scratchpad_rows, self.matrix.rows
                ),
            ));
        }
        if ![64, 128, 256].contains(&self.bus.data_bits) {
            return Err(bad(
                "bus.data_bits",
                format!("{} is not one of 64, 128, 256", self.bus.data_bits),
            ));
        }
        range("bus.outstanding_reads", self.bus.outstanding_reads, 1, 64)?;
        range("controller.queue_depth", self.controller.queue_depth, 2, 64)?;
        range("tiles.x", self.tiles.x, 1, 16)?;
        range("tiles.y", self.tiles.y, 1, 16)?;
        if let Some(f) = self.interconnect.flit_bits {
            range("interconnect.flit_bits", f, 16, 1024)?;
        }
        range(
            "interconnect.buffer_depth",
            self.interconnect.buffer_depth,
            2,
            16,
        )?;
        if let Some(k) = self.fpga.clock_khz {
            range("fpga.clock_khz", k, 4_000, 200_000)?;
        }
        range("fpga.baud", self.fpga.baud, 9_600, 3_000_000)?;
        if let Some(k) = self.fpga.memory_kib {
            range("fpga.memory_kib", k, 4, 1024)?;
            if !k.is_power_of_two() {
                return Err(bad("fpga.memory_kib", format!("{k} is not a power of two")));
            }
        }
        let beats = self.interconnect.read_buffer_beats;
        range("interconnect.read_buffer_beats", beats, 4, 256)?;
        if !beats.is_power_of_two() {
            return Err(bad(
                "interconnect.read_buffer_beats",
                format!("{beats} is not a power of two"),
            ));
        }
        if let Some(lanes) = self.vector.lanes {
            range("vector.lanes", lanes, 1, self.matrix.cols)?;
            if !self.matrix.cols.is_multiple_of(lanes) {
                return Err(bad(
                    "vector.lanes",
                    format!(
                        "{lanes} lanes do not divide a row of matrix.cols = {} values",
                        self.matrix.cols
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The vector unit's lanes: `vector.lanes`, or a whole row.
    pub fn vector_lanes(&self) -> u32 {
        self.vector.lanes.unwrap_or(self.matrix.cols)
    }

    /// Beats (cycles) the vector unit takes per row: matrix.cols / vector lanes.
    pub fn vector_beats(&self) -> u32 {
        self.matrix.cols / self.vector_lanes()
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
            ..Config::default()
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
        assert_eq!((d.vector_lanes(), d.vector_beats()), (16, 1));
        let v = Config::from_toml("[vector]\nlanes = 4\n", "t").unwrap();
        assert_eq!((v.vector_lanes(), v.vector_beats()), (4, 4));
        assert_eq!(Config::from_toml(&v.to_toml(), "t").unwrap(), v);
    }

    #[test]
    fn the_multiplier_is_auto_unless_forced() {
        let d = Config::default();
        assert_eq!(d.matrix.multiplier, Multiplier::Auto);
        assert_eq!(d.matrix.multiplier.for_asic(), Multiplier::Booth);
        assert_eq!(d.matrix.multiplier.for_fpga(), Multiplier::Array);
        assert_eq!(d.matrix.variant_suffix(), "_mb");
        for (text, m, suffix) in [
            ("booth", Multiplier::Booth, "_mb"),
            ("array", Multiplier::Array, ""),
            ("auto", Multiplier::Auto, "_mb"),
        ] {
            let c =
                Config::from_toml(&format!("[matrix]\nmultiplier = \"{text}\"\n"), "t").unwrap();
            assert_eq!(
                (c.matrix.multiplier, c.matrix.variant_suffix().as_str()),
                (m, suffix)
            );
            assert_eq!(
                c.matrix.multiplier.for_fpga() == Multiplier::Booth,
                m == Multiplier::Booth
            );
        }
        let e = Config::from_toml("[matrix]\nmultiplier = \"wallace\"\n", "c.toml").unwrap_err();
        assert_eq!(e.field(), Some("matrix.multiplier"), "{e}");
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
        for (text, field, says) in [
            (
                "[memory]\nbanks = 3\n",
                "memory.banks",
                "not a power of two",
            ),
            (
                "[memory]\nscratchpad_rows = 100\nbanks = 8\n",
                "memory.scratchpad_rows",
                "8 banks",
            ),
            (
                "[memory]\naccumulator_rows = 8\n",
                "memory.accumulator_rows",
                "16..=65536",
            ),
            ("[bus]\ndata_bits = 96\n", "bus.data_bits", "64, 128, 256"),
            (
                "[controller]\nqueue_depth = 1\n",
                "controller.queue_depth",
                "2..=64",
            ),
            (
                "[matrix]\nrows = 64\n[memory]\nscratchpad_rows = 32\n",
                "memory.scratchpad_rows",
                "weight tile",
            ),
            ("[vector]\nlanes = 0\n", "vector.lanes", "1..=16"),
            ("[vector]\nlanes = 32\n", "vector.lanes", "1..=16"),
            ("[vector]\nlanes = 6\n", "vector.lanes", "do not divide"),
            ("[vector]\nwidth = 4\n", "vector.width", "unknown field"),
            ("[tiles]\nx = 0\n", "tiles.x", "1..=16"),
            ("[tiles]\ny = 17\n", "tiles.y", "1..=16"),
            (
                "[interconnect]\nread_buffer_beats = 2\n",
                "interconnect.read_buffer_beats",
                "4..=256",
            ),
            (
                "[interconnect]\nread_buffer_beats = 24\n",
                "interconnect.read_buffer_beats",
                "power of two",
            ),
            (
                "[interconnect]\nflit_bits = 8\n",
                "interconnect.flit_bits",
                "16..=1024",
            ),
            (
                "[interconnect]\nbuffer_depth = 1\n",
                "interconnect.buffer_depth",
                "2..=16",
            ),
        ] {
            let e = Config::from_toml(text, "c.toml").unwrap_err();
            assert_eq!(e.field(), Some(field), "{text}: {e}");
            assert!(e.to_string().contains(says), "{text}: {e}");
        }
    }
}

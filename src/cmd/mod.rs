//! One module per subcommand.

pub mod bench;
pub mod demo;
pub mod equiv;
pub mod fpga;
pub mod generate;
pub mod ppa;
pub mod report;
pub mod run;
pub mod synth;
pub mod verify;

use anyhow::Result;
use seedchip_hdl::chip::Config;

use crate::ConfigArg;

impl ConfigArg {
    /// The configuration named on the command line, or the built-in default.
    pub fn load(&self) -> Result<Config> {
        Ok(match &self.config {
            Some(path) => Config::load(path)?,
            None => Config::default(),
        })
    }

    /// How to name this configuration in messages.
    pub fn describe(&self) -> String {
        match &self.config {
            Some(p) => p.display().to_string(),
            None => "built-in default configuration".to_string(),
        }
    }
}

/// A seed for a run the user did not seed: from the clock, kept short so it is easy to retype
/// (every command prints the seed it used).
pub fn clock_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64 % 1_000_000_000)
        .unwrap_or(1)
}

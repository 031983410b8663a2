//! seedchip's per-user cache (Verilator builds, the trimmed Liberty).

use std::path::PathBuf;

/// `$SEEDCHIP_CACHE_DIR`, else `$XDG_CACHE_HOME/seedchip`, else `~/.cache/seedchip`.
pub fn cache_base() -> PathBuf {
    if let Ok(d) = std::env::var("SEEDCHIP_CACHE_DIR") {
        return PathBuf::from(d);
    }
    std::env::var("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|_| std::env::var("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|_| std::env::temp_dir())
        .join("seedchip")
}

//! The Verilator bridge: build any Verilog design at run time into a cached shared library,
//! load it with `libloading`, and drive its ports by name.
//!
//! Why not a crate: `verilator` 0.1.x and `verilated` 0.1.x do not build against Verilator 5,
//! and `marlin` needs Verilator >= 5.025 (Debian ships 5.006).
//!
//! Build pipeline (one cache entry per design):
//! 1. `verilator --cc` into `obj/` (prefix `Vdut`, `--x-initial unique`, so initial values can
//!    be randomised per instance at run time);
//! 2. read the ports from `obj/Vdut.h` and generate a C shim with one setter/getter per port;
//! 3. compile the model and the shim with `-fPIC` and link them with a Verilator runtime
//!    compiled once per Verilator version (the slow part of a plain Verilator build);
//! 4. `dlopen` the result.
//!
//! The cache key hashes the sources, the options, the Verilator version and the shim version,
//! so identical designs never rebuild; a file lock makes concurrent builders of the same key
//! wait for one another instead of racing.

mod shim;
mod sim;

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;

use seedchip_eda::tool::{self, ToolError};
use std::sync::{Arc, Mutex, OnceLock};

pub use shim::{parse_ports, PortInfo, TraceKind};
pub use sim::{PortId, RecordedCycle, Recording, Sim, XInit, TRACE_TIME_PER_CYCLE};

/// Errors of the bridge.
#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    #[error(transparent)]
    Tool(#[from] ToolError),
    #[error("Verilator {found} is not supported; seedchip needs Verilator 5.x (5.006 or newer)")]
    VerilatorVersion { found: String },
    #[error("VERILATOR_ROOT: Verilator's include directory was not found (`{verilator} --getenv VERILATOR_ROOT` gave `{got}`); set VERILATOR_ROOT")]
    NoRoot { verilator: String, got: String },
    #[error("loading the simulation library `{path}`: {reason}")]
    Load { path: String, reason: String },
    #[error("the design has no port `{name}`; its ports are: {available}")]
    UnknownPort { name: String, available: String },
    #[error("value {value} is wider than port `{port}` ({width} bits{signed})")]
    TooWide {
        port: String,
        width: u32,
        value: String,
        signed: &'static str,
    },
    #[error("port `{port}` is an output and cannot be driven")]
    DriveOutput { port: String },
    #[error("tracing to `{path}`: {reason}")]
    Trace { path: String, reason: String },
    #[error("design `{top}` has no clock port `clk`; name the clock with Sim::with_clock")]
    NoClock { top: String },
    #[error("design `{top}` has no reset port `rst`; name the reset with Sim::with_reset")]
    NoReset { top: String },
    #[error("{0}")]
    Usage(String),
}

type Result<T> = std::result::Result<T, BridgeError>;

fn io_err(what: &str, path: &Path) -> impl FnOnce(std::io::Error) -> BridgeError {
    let f = tool::io_err(what, path);
    move |source| BridgeError::Tool(f(source))
}

/// Verilog sources of a design.
#[derive(Clone, Debug)]
pub enum Source {
    /// A file on disk (read at build time; its content is what is hashed).
    File(PathBuf),
    /// In-memory text with a file name.
    Text { name: String, text: String },
}

impl Source {
    fn name(&self) -> String {
        match self {
            Source::File(p) => p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "source.v".into()),
            Source::Text { name, .. } => name.clone(),
        }
    }

    fn text(&self) -> Result<String> {
        match self {
            Source::File(p) => {
                std::fs::read_to_string(p).map_err(io_err("reading Verilog source", p))
            }
            Source::Text { text, .. } => Ok(text.clone()),
        }
    }
}

/// The sources of a seedchip design.
pub fn sources_of(design: &seedchip_hdl::hw::Design) -> Vec<Source> {
    design
        .files()
        .iter()
        .map(|f| Source::Text {
            name: f.file_name.clone(),
            text: f.text.clone(),
        })
        .collect()
}

/// How to build a model.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct BuildOptions {
    /// Compile tracing support in (needed for [`Sim::trace_to`]).
    pub trace: Option<TraceKind>,
    /// Extra arguments for `verilator` (for example `-DNAME=1`).
    pub verilator_args: Vec<String>,
    /// Compile the model's evaluation code without optimisation (`-O0`): it builds in about
    /// half the time and runs a few times slower. For large gate-level netlists simulated for
    /// a few thousand cycles, where the C++ compiler is most of the cost.
    pub quick: bool,
}

/// A built, loaded model; instantiate it as many times as needed with [`Model::sim`].
pub struct Model {
    pub(crate) lib: libloading::Library,
    pub(crate) ports: Vec<PortInfo>,
    pub(crate) by_name: HashMap<String, usize>,
    pub(crate) top: String,
    pub(crate) trace: Option<TraceKind>,
    dir: PathBuf,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("top", &self.top)
            .field("dir", &self.dir)
            .finish()
    }
}

impl Model {
    /// Build (or fetch from the cache) and load the design whose top module is `top`.
    pub fn build(sources: &[Source], top: &str, opts: &BuildOptions) -> Result<Arc<Model>> {
        let toolchain = toolchain()?;
        let texts: Vec<(String, String)> = sources
            .iter()
            .map(|s| Ok((s.name(), s.text()?)))
            .collect::<Result<_>>()?;
        let key = cache_key(&toolchain, &texts, top, opts);
        // A process keeps every model it loaded: loading twice is a waste, and unloading a
        // library whose static state Verilator registered is unsafe.
        static LOADED: OnceLock<Mutex<HashMap<String, Arc<Model>>>> = OnceLock::new();
        let loaded = LOADED.get_or_init(Default::default);
        if let Some(m) = loaded.lock().expect("model registry").get(&key) {
            return Ok(m.clone());
        }
        let dir = cache_root().join(&key);
        let lib_path = dir.join("libdut.so");
        if !lib_path.exists() {
            let _lock = lock(&cache_root().join(format!("{key}.lock")))?;
            if !lib_path.exists() {
                build_into(&toolchain, &texts, top, opts, &dir)
                    .map_err(|e| keep_failed_build(e, &dir, sources))?;
            }
        }
        let ports: Vec<PortInfo> = {
            let p = dir.join("ports.json");
            let text = std::fs::read_to_string(&p).map_err(io_err("reading", &p))?;
            serde_json::from_str(&text).map_err(|e| BridgeError::Load {
                path: p.display().to_string(),
                reason: e.to_string(),
            })?
        };
        // SAFETY: the library is seedchip's own shim over a Verilated model; its initialisers
        // only set up Verilator's runtime.
        let lib =
            unsafe { libloading::Library::new(&lib_path) }.map_err(|e| BridgeError::Load {
                path: lib_path.display().to_string(),
                reason: e.to_string(),
            })?;
        let by_name = ports
            .iter()
            .enumerate()
            .map(|(i, p)| (p.name.clone(), i))
            .collect();
        let model = Arc::new(Model {
            lib,
            ports,
            by_name,
            top: top.to_string(),
            trace: opts.trace,
            dir,
        });
        sim::check_abi(&model)?;
        loaded
            .lock()
            .expect("model registry")
            .insert(key, model.clone());
        Ok(model)
    }

    /// Top-level ports, as Verilator declared them.
    pub fn ports(&self) -> &[PortInfo] {
        &self.ports
    }

    pub fn port_info(&self, name: &str) -> Option<&PortInfo> {
        self.by_name.get(name).map(|&i| &self.ports[i])
    }

    pub fn top(&self) -> &str {
        &self.top
    }

    /// The cache directory holding this model's build (logs, generated C++).
    pub fn build_dir(&self) -> &Path {
        &self.dir
    }
}

/// A failed build's directory becomes `<key>.failed` (replacing an older one) so that the log
/// named in the error stays readable and failures do not pile up.
/// Keep a failed build's directory for its log, and make its messages name the user's files
/// (`src/000_design.v` in the cache is the user's `design.v`).
fn keep_failed_build(e: BridgeError, dir: &Path, sources: &[Source]) -> BridgeError {
    let tmp = dir.with_extension(format!("tmp{}", std::process::id()));
    let e = match e {
        BridgeError::Tool(ToolError::Failed {
            what,
            status,
            log,
            mut excerpt,
        }) => {
            for (i, s) in sources.iter().enumerate() {
                let copy = tmp.join("src").join(format!("{i:03}_{}", s.name()));
                let original = match s {
                    Source::File(p) => p.display().to_string(),
                    Source::Text { name, .. } => name.clone(),
                };
                excerpt = excerpt.replace(&copy.display().to_string(), &original);
            }
            BridgeError::Tool(ToolError::Failed {
                what,
                status,
                log,
                excerpt,
            })
        }
        other => other,
    };
    let failed = dir.with_extension("failed");
    let _ = std::fs::remove_dir_all(&failed);
    if std::fs::rename(&tmp, &failed).is_err() {
        return e;
    }
    match e {
        BridgeError::Tool(ToolError::Failed {
            what,
            status,
            log,
            excerpt,
        }) => BridgeError::Tool(ToolError::Failed {
            what,
            status,
            log: log.replace(&tmp.display().to_string(), &failed.display().to_string()),
            excerpt,
        }),
        other => other,
    }
}

/// Verilator and C++ compiler as found on this machine.
#[derive(Clone, Debug)]
pub struct Toolchain {
    pub verilator: String,
    pub version: String,
    pub root: PathBuf,
    pub cxx: String,
}

/// Find Verilator (5.x) and a C++ compiler. Cached for the process.
pub fn toolchain() -> Result<Toolchain> {
    static TC: OnceLock<std::result::Result<Toolchain, String>> = OnceLock::new();
    let r = TC.get_or_init(|| find_toolchain().map_err(|e| e.to_string()));
    match r {
        Ok(t) => Ok(t.clone()),
        Err(_) => find_toolchain(), // re-run for a typed error
    }
}

fn find_toolchain() -> Result<Toolchain> {
    find_toolchain_with(&std::env::var("SEEDCHIP_VERILATOR").unwrap_or_else(|_| "verilator".into()))
}

/// Check a specific `verilator` executable (and the C++ compiler).
pub fn find_toolchain_with(verilator: &str) -> Result<Toolchain> {
    let out = tool::output(Command::new(verilator).arg("--version"))?;
    let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let number = version.split_whitespace().nth(1).unwrap_or("").to_string();
    if !number.starts_with("5.") {
        return Err(BridgeError::VerilatorVersion { found: version });
    }
    let got = tool::output(Command::new(verilator).args(["--getenv", "VERILATOR_ROOT"]))?;
    let got = String::from_utf8_lossy(&got.stdout).trim().to_string();
    let root = PathBuf::from(&got);
    if !root.join("include/verilated.cpp").exists() {
        return Err(BridgeError::NoRoot {
            verilator: verilator.to_string(),
            got,
        });
    }
    let cxx = std::env::var("CXX").unwrap_or_else(|_| "g++".into());
    tool::output(Command::new(&cxx).arg("--version"))?;
    Ok(Toolchain {
        verilator: verilator.to_string(),
        version,
        root,
        cxx,
    })
}

pub use seedchip_eda::cache::cache_base;

/// Where built models live: `verilator/` in [`cache_base`].
pub fn cache_root() -> PathBuf {
    cache_base().join("verilator")
}

fn cache_key(tc: &Toolchain, texts: &[(String, String)], top: &str, opts: &BuildOptions) -> String {
    let mut h = blake3::Hasher::new();
    for part in [
        tc.version.as_str(),
        tc.cxx.as_str(),
        top,
        &format!("shim{}", shim::SHIM_VERSION),
        &format!("{:?}", opts),
        CXXFLAGS.join(" ").as_str(),
        VERILATOR_FLAGS.join(" ").as_str(),
    ] {
        h.update(part.as_bytes());
        h.update(&[0]);
    }
    for (name, text) in texts {
        h.update(name.as_bytes());
        h.update(&[0]);
        h.update(text.as_bytes());
        h.update(&[0]);
    }
    format!("{}-{}", sanitize(top), &h.finalize().to_hex()[..24])
}

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(40)
        .collect()
}

/// Exclusive lock held while building one cache entry.
fn lock(path: &Path) -> Result<File> {
    std::fs::create_dir_all(path.parent().expect("lock in a directory"))
        .map_err(io_err("creating cache directory", path))?;
    let f = File::create(path).map_err(io_err("creating lock file", path))?;
    f.lock().map_err(io_err("locking", path))?;
    Ok(f)
}

/// Verilator options every model is built with.
///
/// `-fno-gate`: Verilator 5.006's gate-level optimiser (V3Gate) mis-simulates bit-blasted
/// netlists. Yosys 0.23's `synth -flatten` netlist of the 2x2 matrix engine computes
/// `pe_r1_c0.product = 0x8000` for 0 x 0 under Verilator 5.006, while the same netlist gives
/// 0 under Icarus and under Verilator with `-fno-gate`, and Yosys's own equivalence check
/// proves it equal to the RTL: the emitted Verilog and Yosys are right, the simulator is not.
/// (`-fno-dfg` hid the defect on one netlist but not on another; `-fno-gate` fixes both.)
/// The cost on seedchip's RTL is measured by `seedchip bench`.
pub const VERILATOR_FLAGS: &[&str] = &[
    "--x-assign",
    "unique",
    "--x-initial",
    "unique",
    "-Wno-fatal",
    "-Wno-lint",
    "-Wno-style",
    "--no-timing",
    "-fno-gate",
];

/// Flags for the model, the shim and the runtime. -O1 builds quickly and runs within a small
/// factor of -O3 for these designs.
const CXXFLAGS: &[&str] = &[
    "-std=gnu++17",
    "-fPIC",
    "-O1",
    "-w",
    "-DVM_COVERAGE=0",
    "-DVM_SC=0",
    "-faligned-new",
];

/// Verilator's `*__Slow.cpp` files hold the code that runs once (construction, initial values,
/// the first settle): compiled without optimisation, as Verilator's own makefiles do
/// (`OPT_SLOW`). On a gate-level netlist they are half of the C++.
fn is_slow_code(cpp: &Path) -> bool {
    cpp.file_stem()
        .and_then(|s| s.to_str())
        .is_some_and(|s| s.ends_with("__Slow"))
}

fn include_flags(tc: &Toolchain) -> Vec<String> {
    vec![
        format!("-I{}", tc.root.join("include").display()),
        format!("-I{}", tc.root.join("include/vltstd").display()),
    ]
}

fn trace_defines(trace: Option<TraceKind>) -> Vec<String> {
    let (t, vcd, fst) = match trace {
        None => (0, 0, 0),
        Some(TraceKind::Vcd) => (1, 1, 0),
        Some(TraceKind::Fst) => (1, 0, 1),
    };
    vec![
        format!("-DVM_TRACE={t}"),
        format!("-DVM_TRACE_VCD={vcd}"),
        format!("-DVM_TRACE_FST={fst}"),
    ]
}

/// Log of one build; failures quote its tail.
struct BuildLog {
    path: PathBuf,
    file: File,
}

impl BuildLog {
    fn new(path: PathBuf) -> Result<BuildLog> {
        let file = File::create(&path).map_err(io_err("creating build log", &path))?;
        Ok(BuildLog { path, file })
    }

    /// Append a finished command's output to the log; a failure (or a command that could not
    /// start) becomes an error for `stage` quoting the end of its output.
    fn record(
        &mut self,
        stage: &str,
        top: &str,
        cmd: &Command,
        out: std::result::Result<std::process::Output, ToolError>,
    ) -> Result<()> {
        use std::io::Write;
        let _ = writeln!(self.file, "$ {cmd:?}");
        let out = out?;
        let _ = self.file.write_all(&out.stdout);
        let _ = self.file.write_all(&out.stderr);
        if out.status.success() {
            return Ok(());
        }
        Err(tool::failed(&format!("{stage} for top `{top}`"), &out, &self.path).into())
    }

    /// Run a command, appending its output to the log; on failure report `stage`.
    fn run(&mut self, stage: &str, top: &str, cmd: &mut Command) -> Result<()> {
        let out = tool::output(cmd);
        self.record(stage, top, cmd, out)
    }
}

/// Run compile jobs with at most `available_parallelism` at a time.
fn run_parallel(log: &mut BuildLog, stage: &str, top: &str, jobs: Vec<Command>) -> Result<()> {
    let width = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let log = Mutex::new(log);
    let queue = Mutex::new(jobs.into_iter());
    let first_error: Mutex<Option<BridgeError>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..width {
            s.spawn(|| loop {
                let job = queue.lock().expect("job queue").next();
                let Some(mut cmd) = job else { break };
                if first_error.lock().expect("errors").is_some() {
                    break;
                }
                let out = tool::output(&mut cmd);
                if let Err(e) = log.lock().expect("log").record(stage, top, &cmd, out) {
                    first_error.lock().expect("errors").get_or_insert(e);
                }
            });
        }
    });
    match first_error.into_inner().expect("errors") {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// The Verilator runtime (verilated.cpp and friends, VCD and FST writers), compiled once per
/// Verilator version and compiler.
fn runtime(tc: &Toolchain) -> Result<PathBuf> {
    let mut h = blake3::Hasher::new();
    h.update(tc.version.as_bytes());
    h.update(tc.cxx.as_bytes());
    h.update(CXXFLAGS.join(" ").as_bytes());
    let dir = cache_root().join(format!("runtime-{}", &h.finalize().to_hex()[..16]));
    let archive = dir.join("libverilated.a");
    if archive.exists() {
        return Ok(archive);
    }
    let _lock = lock(&cache_root().join("runtime.lock"))?;
    if archive.exists() {
        return Ok(archive);
    }
    let tmp = dir.with_extension(format!("tmp{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(io_err("creating", &tmp))?;
    let mut log = BuildLog::new(tmp.join("build.log"))?;
    let inc = tc.root.join("include");
    // verilated_fst_c.cpp includes the FST writer's C sources itself.
    let cpp = [
        "verilated.cpp",
        "verilated_threads.cpp",
        "verilated_vcd_c.cpp",
        "verilated_fst_c.cpp",
    ];
    let mut jobs = Vec::new();
    let mut objects = Vec::new();
    for src in cpp {
        let obj = tmp.join(src.replace(".cpp", ".o"));
        let mut cmd = Command::new(&tc.cxx);
        cmd.args(CXXFLAGS)
            .args(trace_defines(Some(TraceKind::Vcd)))
            .args(include_flags(tc))
            .arg("-c")
            .arg(inc.join(src))
            .arg("-o")
            .arg(&obj);
        jobs.push(cmd);
        objects.push(obj);
    }
    run_parallel(&mut log, "compiling the Verilator runtime", "-", jobs)?;
    let mut ar = Command::new("ar");
    ar.arg("rcs").arg(tmp.join("libverilated.a")).args(&objects);
    log.run("archiving the Verilator runtime", "-", &mut ar)?;
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::rename(&tmp, &dir).map_err(io_err("installing", &dir))?;
    Ok(archive)
}

fn build_into(
    tc: &Toolchain,
    texts: &[(String, String)],
    top: &str,
    opts: &BuildOptions,
    dir: &Path,
) -> Result<()> {
    let runtime = runtime(tc)?;
    let tmp = dir.with_extension(format!("tmp{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let src = tmp.join("src");
    let obj = tmp.join("obj");
    std::fs::create_dir_all(&src).map_err(io_err("creating", &src))?;
    let mut log = BuildLog::new(tmp.join("build.log"))?;
    let mut files = Vec::new();
    for (i, (name, text)) in texts.iter().enumerate() {
        // Numbered so two sources with one file name cannot overwrite each other.
        let p = src.join(format!("{i:03}_{name}"));
        std::fs::write(&p, text).map_err(io_err("writing", &p))?;
        files.push(p);
    }
    let mut verilate = Command::new(&tc.verilator);
    verilate
        .args(["--cc", "--prefix", "Vdut", "--top-module", top])
        .args(VERILATOR_FLAGS)
        .arg("--Mdir")
        .arg(&obj)
        .args(&opts.verilator_args);
    match opts.trace {
        Some(TraceKind::Vcd) => {
            verilate.arg("--trace");
        }
        Some(TraceKind::Fst) => {
            verilate.arg("--trace-fst");
        }
        None => {}
    }
    verilate.args(&files);
    log.run("verilating (verilator --cc)", top, &mut verilate)?;

    let header = obj.join("Vdut.h");
    let header_text = std::fs::read_to_string(&header).map_err(io_err("reading", &header))?;
    let ports = shim::parse_ports(&header_text);
    let shim_path = obj.join("seedchip_shim.cpp");
    std::fs::write(&shim_path, shim::shim_source("Vdut", &ports, opts.trace))
        .map_err(io_err("writing", &shim_path))?;
    let ports_path = tmp.join("ports.json");
    std::fs::write(
        &ports_path,
        serde_json::to_string_pretty(&ports).expect("ports serialise"),
    )
    .map_err(io_err("writing", &ports_path))?;

    let mut cpps: Vec<PathBuf> = std::fs::read_dir(&obj)
        .map_err(io_err("listing", &obj))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "cpp"))
        .collect();
    cpps.sort();
    let mut jobs = Vec::new();
    let mut objects = Vec::new();
    for cpp in &cpps {
        let o = cpp.with_extension("o");
        let mut cmd = Command::new(&tc.cxx);
        cmd.args(CXXFLAGS);
        if opts.quick || is_slow_code(cpp) {
            cmd.arg("-O0");
        }
        cmd.args(trace_defines(opts.trace))
            .args(include_flags(tc))
            .arg(format!("-I{}", obj.display()))
            .arg("-c")
            .arg(cpp)
            .arg("-o")
            .arg(&o);
        jobs.push(cmd);
        objects.push(o);
    }
    run_parallel(&mut log, "compiling the model (g++)", top, jobs)?;
    let mut link = Command::new(&tc.cxx);
    link.args(["-shared", "-o"])
        .arg(tmp.join("libdut.so"))
        .args(&objects)
        .arg(&runtime)
        .args(["-lz", "-pthread"]);
    log.run("linking the model", top, &mut link)?;
    let _ = std::fs::remove_dir_all(dir);
    std::fs::rename(&tmp, dir).map_err(io_err("installing", dir))?;
    Ok(())
}

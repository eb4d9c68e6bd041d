//! `cargo xtask ci`: every check CI runs, in the order that fails fastest.
//! This is the README's test command. It starts with `cargo xtask setup`
//! (see [`crate::setup`]), so on a fresh Debian machine run as root it
//! installs what it lacks first, and elsewhere it says what to install.
//! Without `--quick` it ends with the conformance runs, `cargo xtask py`
//! (the Python wheel and its pytest suite) and `cargo xtask linear`.

use std::process::Command;

use crate::util::{Result, sh};

/// The oracle sample size CI uses (the full default runs locally).
const CI_CONFORMANCE_COUNT: &str = "20000";
/// The JID oracle's sample size in CI: a few seconds of Python.
const CI_JID_CONFORMANCE_COUNT: &str = "10000";

pub(crate) fn run(args: &[String]) -> Result {
    let quick = args.iter().any(|a| a == "--quick");
    crate::setup::ensure(!quick)?;
    let cargo = || Command::new(env!("CARGO"));
    sh(cargo().args(["fmt", "--all", "--", "--check"]))?;
    sh(cargo().args(["fmt", "--manifest-path", "fuzz/Cargo.toml", "--", "--check"]))?;
    crate::codegen::run(&["--check".to_owned()])?;
    crate::golden::run(&["--check".to_owned()])?;
    crate::ffi::header(&["--check".to_owned()])?;
    sh(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--locked",
        "--",
        "-D",
        "warnings",
    ]))?;
    sh(cargo().args(["test", "--workspace", "--locked"]))?;
    sh(cargo()
        .args(["doc", "--workspace", "--no-deps", "--locked"])
        .env("RUSTDOCFLAGS", "-D warnings"))?;
    // The fuzz targets are their own workspace: make sure they still build
    // (without the sanitizer runtime, so no nightly features are needed).
    sh(cargo().args(["check", "--manifest-path", "fuzz/Cargo.toml", "--bins"]))?;
    if !quick {
        crate::conformance::run(&[
            "precis".to_owned(),
            "--count".to_owned(),
            CI_CONFORMANCE_COUNT.to_owned(),
        ])?;
        crate::conformance::run(&[
            "jid".to_owned(),
            "--count".to_owned(),
            CI_JID_CONFORMANCE_COUNT.to_owned(),
        ])?;
        crate::conformance::run(&["sasl".to_owned()])?;
        // A real server: about a second, Prosody's start-up included.
        crate::conformance::run(&["prosody".to_owned()])?;
        // Independent clients against `xmpp serve` (PyPI and npm peers).
        crate::interop::run(&[])?;
        // `xmpp probe` against Prosody, ejabberd and `xmpp serve`: results kept in
        // testdata/probe/.
        crate::probe::run(&[])?;
        // The small load run, every server side by side: about a minute.
        // It fails only when a server does not do what is asked.
        crate::load::run(&[])?;
        // Every golden stream against expat: a few seconds of Python.
        crate::conformance::run(&["streams".to_owned()])?;
        // The Python binding, built into a wheel and tested as installed.
        crate::py::run(&[])?;
        // Instruction counts of worst-case inputs at 1x and 10x: about
        // 20 s of callgrind on two cores once the release build is done.
        crate::linear::run(&[])?;
        // The C ABI: the header as strict C99, the C test under valgrind
        // (framing, JIDs, SCRAM, a login to `xmpp serve`).
        crate::ffi::run(&[])?;
    }
    Ok(())
}

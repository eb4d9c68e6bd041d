//! `cargo xtask conformance sasl [--write-vectors]`: differential runs of
//! xmpp-sasl against the PyPI package `scramp`.
//!
//! 1. Every SCRAM vector in `testdata/sasl/` is recomputed by scramp and by a
//!    small hashlib reference; the RFC vectors validate the reference, and
//!    the derived ones (SCRAM-SHA-512, the `-PLUS` bindings, escaping and
//!    SASLprep) must match it byte for byte. `--write-vectors` regenerates
//!    the `derived-*.txt` exchanges instead (the only way they change).
//! 2. scramp's client against `xmpp sasl server`, and `xmpp sasl client`
//!    against scramp's server: SCRAM-SHA-1/-256/-512, with and without
//!    `tls-server-end-point` binding, right and wrong passwords.

use std::process::Command;

use crate::util::{Result, python_venv, root, sh};

/// The oracle's Python side (see its docstring for the modes).
const ORACLE: &str = include_str!("sasl_oracle.py");

/// Pinned so a new scramp release cannot change a CI result unnoticed.
const SCRAMP: &str = "scramp==1.5.0";

pub(crate) fn run(args: &[String]) -> Result {
    let python = python_venv("sasl-oracle", &[SCRAMP])?;
    let script = root()
        .join("target")
        .join("sasl-oracle")
        .join("sasl_oracle.py");
    std::fs::write(&script, ORACLE).map_err(|e| format!("write {}: {e}", script.display()))?;
    let testdata = root().join("testdata").join("sasl");
    let mut vectors = Command::new(&python);
    vectors.arg(&script).arg("vectors").arg(&testdata);
    if args.iter().any(|a| a == "--write-vectors") {
        vectors.arg("--write");
    }
    sh(&mut vectors)?;
    sh(Command::new(env!("CARGO")).args(["build", "--quiet", "--package", "xmpp-cli"]))?;
    let xmpp = root()
        .join("target")
        .join("debug")
        .join(format!("xmpp{}", std::env::consts::EXE_SUFFIX));
    sh(Command::new(&python).arg(&script).arg("interop").arg(&xmpp))
}

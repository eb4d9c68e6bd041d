//! End-to-end tests of the `xmpp` command: JSON shapes, exit statuses and
//! stdin batch mode, as ARCHITECTURE.md specifies them, run as a process.

#![allow(
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    reason = "a std-only test binary"
)]

mod frame;
mod jid;
mod precis;
mod sasl;
mod serve;
mod serve_auth;
mod serve_limits;
mod stanza;

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

/// Runs `xmpp` with `args` and `stdin`; returns the exit code and the JSON
/// lines it printed.
pub(crate) fn xmpp(args: &[&str], stdin: Option<&str>) -> (i32, Vec<Value>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_xmpp"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("xmpp starts");
    {
        let mut pipe = child.stdin.take().expect("stdin");
        if let Some(input) = stdin {
            pipe.write_all(input.as_bytes()).expect("write stdin");
        }
    }
    let out = child.wait_with_output().expect("xmpp finishes");
    let lines = String::from_utf8(out.stdout)
        .expect("UTF-8 output")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect();
    (out.status.code().unwrap_or(-1), lines)
}

//! `cargo xtask …`: the project's automation, in Rust so it runs wherever
//! cargo does.
//!
//! ```text
//! cargo xtask ci                          everything CI runs (the README's test command)
//! cargo xtask setup [--check]             install the system packages the tests need (as root)
//! cargo xtask codegen [--check]           regenerate the Unicode tables (or fail if stale)
//! cargo xtask conformance precis [--count N]   differential run against precis-i18n
//! cargo xtask conformance jid [--count N]      differential run against precis-i18n + idna
//! cargo xtask conformance sasl [--write-vectors]  scramp against our SCRAM client and server
//! cargo xtask conformance prosody [--record]  real c2s sessions against a local Prosody 0.12
//! cargo xtask conformance streams         every golden stream against Python's expat
//! cargo xtask ffi                         the C ABI: header check, strict C99, the C test under valgrind
//! cargo xtask ffi-header [--check]        regenerate crates/xmpp-ffi/include/xmpp.h (or fail if stale)
//! cargo xtask fuzz --minutes N [--target T]  a fuzzing campaign; crashes become regression tests
//! cargo xtask fuzz-smoke [--seconds N]    a short run of every cargo-fuzz target
//! cargo xtask golden [--check]            refresh the golden events of testdata/streams (or fail if stale)
//! cargo xtask interop                     slixmpp and @xmpp/client against `xmpp serve`, and our client
//!                                         against Prosody 0.12 and ejabberd 23.01, on loopback
//! cargo xtask probe [--update]            `xmpp probe` against Prosody, ejabberd and `xmpp serve`;
//!                                         results in testdata/probe/
//! cargo xtask py                          build the Python wheel (crates/xmpp-py) and run its pytest suite,
//!                                         the asyncio example against xmpp serve and Prosody included
//! cargo xtask linear                      instruction counts at 1x and 10x of worst-case inputs (callgrind)
//! ```

#![allow(
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    reason = "a std-only build tool"
)]

mod ci;
mod codegen;
mod conformance;
mod ffi;
mod fuzz;
mod golden;
mod interop;
mod linear;
mod load;
mod probe;
mod py;
mod setup;
mod util;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci::run(&args[1..]),
        Some("codegen") => codegen::run(&args[1..]),
        Some("conformance") => conformance::run(&args[1..]),
        Some("ffi") => ffi::run(&args[1..]),
        Some("ffi-header") => ffi::header(&args[1..]),
        Some("fuzz") => fuzz::run_campaign(&args[1..]),
        Some("fuzz-smoke") => fuzz::run(&args[1..]),
        Some("golden") => golden::run(&args[1..]),
        Some("interop") => interop::run(&args[1..]),
        Some("probe") => probe::run(&args[1..]),
        Some("py") => py::run(&args[1..]),
        Some("linear") => linear::run(&args[1..]),
        Some("load") => load::run(&args[1..]),
        Some("setup") => setup::run(&args[1..]),
        _ => {
            eprintln!("{}", USAGE);
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "usage: cargo xtask <command>

commands:
  ci [--quick]                    setup, fmt, clippy, tests, docs, codegen and header checks,
                                  conformance (small), the Python wheel's tests, linear, the C
                                  test; --quick skips the last four
  setup [--check]                 install what the tests need beyond Rust (Debian packages
                                  unicode-data, python3-venv, prosody, ejabberd, npm, gcc,
                                  valgrind; rustfmt, clippy) when
                                  run as root with apt-get, else say what to install;
                                  --check only reports
  codegen [--check]               regenerate generated tables, or fail when they are stale
  conformance <area> [--count N]  differential run against an independent oracle
                                  areas: jid, precis, sasl, prosody (c2s sessions with
                                  a local Prosody; needs the Debian package `prosody`;
                                  --record rewrites testdata/stanzas/prosody-0.12.txt),
                                  streams (every golden stream against Python's expat
                                  with RFC 6120 §11 on top; python3 only, no PyPI)
  ffi                             the C ABI of crates/xmpp-ffi: builds it and `xmpp serve`,
                                  checks the header, compiles it alone as strict C99, runs
                                  crates/xmpp-ffi/tests/c/test.c under valgrind memcheck
  ffi-header [--check]            regenerate crates/xmpp-ffi/include/xmpp.h with cbindgen,
                                  or fail when it is stale
  fuzz --minutes N [--target T]   a campaign: every cargo-fuzz target (or T) for N minutes
                                  each on the stable toolchain (installs cargo-fuzz if
                                  missing); new coverage is merged into fuzz/corpus/<target>/
                                  (untracked), every crash is minimized and kept as
                                  testdata/fuzz-regressions/<target>/<artifact>, which
                                  `cargo test -p xtask` replays through the target's checks
                                  (fuzz/checks/<target>.rs); fails when it kept one
  fuzz-smoke [--seconds N]        run every cargo-fuzz target briefly
  golden [--check]                refresh the golden events of testdata/streams, or fail when stale
  interop                         slixmpp and @xmpp/client against `xmpp serve`, and our client
                                  (`xmpp connect`) against Prosody 0.12 and ejabberd 23.01 per
                                  password storage, mechanism and TLS mode, on loopback
  probe [--update]                `xmpp probe` against Prosody, ejabberd and `xmpp serve`; outcomes kept in
                                  testdata/probe/ (--update rewrites them)
  py                              build the Python wheel of crates/xmpp-py (maturin, in a venv
                                  under target/py-venv) and run its pytest suite on it
  load [--full]                   `xmpp serve`, Prosody and ejabberd under the same load
                                  (xtask/load's generator, loopback): logins/s, messages/s,
                                  memory per idle connection, side by side; --full is the
                                  large run (the small one is CI's)
  linear                          count instructions (callgrind) of framing and tree building
                                  on worst-case inputs at 1x and 10x; fails when a ratio is
                                  over 15 (needs the Debian package `valgrind`)";

//! `cargo xtask conformance <area>`: differential runs against independent
//! oracles (PyPI packages installed into a venv under `target/`, or the
//! standard library's expat), and a real server (Prosody) driven over
//! loopback TCP.

pub(crate) mod ejabberd;
mod jid;
pub(crate) mod local;
mod oracle;
mod precis;
pub(crate) mod prosody;
pub(crate) mod rng;
mod sasl;
mod streams;

use crate::util::Result;

pub(crate) fn run(args: &[String]) -> Result {
    match args.first().map(String::as_str) {
        Some("jid") => jid::run(&args[1..]),
        Some("precis") => precis::run(&args[1..]),
        Some("prosody") => prosody::run(&args[1..]),
        Some("sasl") => sasl::run(&args[1..]),
        Some("streams") => streams::run(&args[1..]),
        _ => Err(
            "usage: cargo xtask conformance <area> [--count N]; areas: jid, precis, prosody, sasl, streams"
                .to_owned(),
        ),
    }
}

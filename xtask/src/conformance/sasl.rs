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
//! 3. SASLprep (RFC 4013) on generated strings (`--count N`, default
//!    20,000), ours against scramp's, which uses Python's Unicode 3.2
//!    tables: both must refuse the same strings and prepare the others to
//!    the same text (an empty result, which we refuse as RFC 4616 §2 asks
//!    and scramp returns, counts as agreeing). One known difference:
//!    U+200B, in two of the tables RFC 4013 §2.1 maps with, is SPACE for
//!    us and nothing for scramp.

use std::process::Command;

use serde_json::{Value, json};
use xmpp_sasl::{Field, Prep};

use super::oracle;
use super::rng::Rng;
use crate::util::{Result, flag, python_venv, root, sh};

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
    sh(Command::new(&python).arg(&script).arg("interop").arg(&xmpp))?;
    saslprep(&python, &script, flag(args, "--count", 20_000)?)
}

/// Code point pools for generated SASLprep inputs: (weight, first, last).
const POOLS: &[(u32, u32, u32)] = &[
    (20, 0x20, 0x7E),      // printable ASCII
    (2, 0x00, 0x1F),       // controls (prohibited)
    (3, 0x80, 0x24F),      // Latin-1 and Latin Extended (NBSP, ß, ligatures)
    (3, 0x0370, 0x03FF),   // Greek, with code points Unicode 3.2 lacked
    (3, 0x0590, 0x06FF),   // Hebrew and Arabic (Bidi rules)
    (2, 0x0300, 0x036F),   // combining marks
    (3, 0x2000, 0x206F),   // spaces, zero-width, Bidi controls
    (2, 0x2100, 0x218F),   // letterlike symbols, Roman numerals
    (2, 0x3000, 0x30FF),   // ideographic space, kana
    (2, 0xFB00, 0xFB4F),   // ligatures, presentation forms
    (2, 0xFE00, 0xFE0F),   // variation selectors (mapped to nothing)
    (2, 0xFF00, 0xFFEF),   // fullwidth and halfwidth forms
    (2, 0xE000, 0xF8FF),   // private use (prohibited)
    (2, 0x1F300, 0x1FAFF), // emoji (unassigned in 3.2)
    (2, 0x0, 0x10FFFF),    // anything
];

/// Part 3: SASLprep on `count` generated strings, ours against scramp's.
fn saslprep(python: &std::path::Path, script: &std::path::Path, count: usize) -> Result {
    let mut rng = Rng::new(0x5341_534C_5052_4550);
    let total: u32 = POOLS.iter().map(|p| p.0).sum();
    let inputs: Vec<String> = (0..count)
        .map(|_| {
            let len = 1 + rng.below(12);
            (0..len)
                .filter_map(|_| {
                    let mut pick = rng.below(u64::from(total)) as u32;
                    POOLS.iter().find_map(|&(w, lo, hi)| {
                        if pick < w {
                            Some(char::from_u32(rng.range(lo, hi)))
                        } else {
                            pick -= w;
                            None
                        }
                    })?
                })
                .collect()
        })
        .collect();
    let requests: Vec<Value> = inputs.iter().map(|s| json!(s)).collect();
    let answers = oracle::ask(python, script, "saslprep", &requests)?;
    let mut differences = Vec::new();
    let mut zwsp = 0;
    let mut accepted = 0;
    for (input, theirs) in inputs.iter().zip(&answers) {
        let ours = Prep::SaslPrep.prepare(input, Field::Password);
        accepted += usize::from(ours.is_ok());
        let agree = match (&ours, theirs) {
            (Ok(o), Ok(t)) => o == t,
            (Err(_), Ok(t)) => t.is_empty(),
            (Err(_), Err(_)) => true,
            (Ok(_), Err(_)) => false,
        };
        if agree {
            continue;
        }
        // U+200B is in both RFC 3454 tables RFC 4013 §2.1 maps with: C.1.2
        // (to SPACE) and B.1 (to nothing), and the RFC gives no order. We
        // (the stringprep crate, as libidn) map it to SPACE; scramp (as
        // passlib) to nothing. Only that may differ.
        let space_for_zwsp = |o: &str, t: &str| o.replace(' ', "") == t.replace(' ', "");
        if let (Ok(o), Ok(t)) = (&ours, theirs) {
            if input.contains('\u{200B}') && space_for_zwsp(o, t) {
                zwsp += 1;
                continue;
            }
        }
        differences.push(format!(
            "{}\tours: {ours:?}; scramp: {theirs:?}",
            serde_json::to_string(input).unwrap_or_default()
        ));
    }
    eprintln!(
        "saslprep: {} generated strings ({accepted} prepared by us), {zwsp} differ only in \
         U+200B (SPACE for us, nothing for scramp), {} otherwise",
        inputs.len(),
        differences.len()
    );
    if differences.is_empty() {
        return Ok(());
    }
    for d in differences.iter().take(40) {
        eprintln!("  {d}");
    }
    Err(format!(
        "{} SASLprep differences from scramp",
        differences.len()
    ))
}

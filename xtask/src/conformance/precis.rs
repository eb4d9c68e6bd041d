//! `cargo xtask conformance precis [--count N] [--seed S]`: compares
//! xmpp-precis with the PyPI package `precis-i18n` running over
//! `unicodedata2` pinned to the same Unicode version as our tables.
//!
//! 1. The derived property of all 1,114,112 code points: zero differences.
//! 2. Each profile's enforcement (and Nickname's comparison form) on N
//!    generated strings, weighted towards the blocks where the rules bite.
//!
//! precis-i18n lowercases with Python's `str.lower`, which applies the
//! context-sensitive Final_Sigma rule; we lowercase code point by code point
//! (see the xmpp-precis docs). The Python side is patched to lowercase code
//! point by code point too, so that documented choice is not a difference.
//! Every other difference is either listed, with its reason, in
//! `testdata/precis/oracle-differences.tsv`, or fails the run.

use std::collections::HashMap;
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use xmpp_precis::unicode::{DerivedProperty, UNICODE_VERSION, precis_property};
use xmpp_precis::{Nickname, Profile, ProfileName};

use super::oracle;
use super::rng::Rng;
use crate::util::{Result, flag, python_venv, root};

/// The oracle's Python side: `table` prints one letter per code point;
/// `strings` reads JSON lines `{"p": profile, "s": string}` and answers
/// `{"ok": bool, "out": string}` per line.
const ORACLE: &str = r#"
import json, sys
import unicodedata2
import precis_i18n
import precis_i18n.profile as profile_module
from precis_i18n import derived
from precis_i18n.unicode import UnicodeData

# Lowercase code point by code point: no Final_Sigma context.
profile_module._caselower = lambda s: "".join(c.lower() for c in s)

ucd = UnicodeData(unicodedata2)
mode = sys.argv[1]
if mode == "version":
    print(unicodedata2.unidata_version)
elif mode == "table":
    letter = {"PVALID": "P", "FREE_PVAL": "F", "CONTEXTJ": "J", "CONTEXTO": "O",
              "DISALLOWED": "D", "UNASSIGNED": "U"}
    sys.stdout.write("".join(letter[derived.derived_property(cp, ucd)[0]]
                             for cp in range(0x110000)))
else:
    names = {
        "username-case-mapped": "UsernameCaseMapped",
        "username-case-preserved": "UsernameCasePreserved",
        "opaque-string": "OpaqueString",
        "nickname": "NicknameCasePreserved",
        "nickname-compare": "NicknameCaseMapped",
    }
    profiles = {k: precis_i18n.get_profile(v, unicodedata=unicodedata2) for k, v in names.items()}
    out = sys.stdout
    for line in sys.stdin:
        case = json.loads(line)
        try:
            result = {"ok": True, "out": profiles[case["p"]].enforce(case["s"])}
        except UnicodeEncodeError as e:
            result = {"ok": False, "out": e.reason}
        out.write(json.dumps(result) + "\n")
"#;

const PACKAGES: &[&str] = &["precis-i18n==1.1.2", "unicodedata2==15.0.0"];

pub(crate) fn run(args: &[String]) -> Result {
    let count: usize = flag(args, "--count", 100_000)?;
    let seed: u64 = flag(args, "--seed", 0x5052_4543_4953)?;
    let python = python_venv("oracle-precis", PACKAGES)?;
    let script = root().join("target").join("oracle-precis.py");
    std::fs::write(&script, ORACLE).map_err(|e| format!("write oracle script: {e}"))?;

    let version = output(Command::new(&python).arg(&script).arg("version"))?;
    let ours = format!(
        "{}.{}.{}",
        UNICODE_VERSION.0, UNICODE_VERSION.1, UNICODE_VERSION.2
    );
    if version.trim() != ours {
        return Err(format!(
            "oracle runs Unicode {} but our tables are {ours}",
            version.trim()
        ));
    }
    compare_table(&output(Command::new(&python).arg(&script).arg("table"))?)?;
    compare_strings(&python, &script, count, seed)
}

fn output(cmd: &mut Command) -> Result<String> {
    let out = cmd
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run the oracle: {e}"))?;
    if !out.status.success() {
        return Err(format!("the oracle failed ({})", out.status));
    }
    String::from_utf8(out.stdout).map_err(|_| "the oracle printed invalid UTF-8".to_owned())
}

fn letter(p: DerivedProperty) -> char {
    match p {
        DerivedProperty::Pvalid => 'P',
        DerivedProperty::FreePval => 'F',
        DerivedProperty::ContextJ => 'J',
        DerivedProperty::ContextO => 'O',
        DerivedProperty::Disallowed => 'D',
        DerivedProperty::Unassigned => 'U',
    }
}

fn compare_table(theirs: &str) -> Result {
    let theirs: Vec<char> = theirs.chars().collect();
    if theirs.len() != 0x110000 {
        return Err(format!("oracle table has {} entries", theirs.len()));
    }
    let mut differences = Vec::new();
    for (cp, &want) in theirs.iter().enumerate() {
        // Surrogates are not `char`s; RFC 8264 §8 leaves them DISALLOWED.
        let got = char::from_u32(cp as u32).map_or('D', |c| letter(precis_property(c)));
        if got != want {
            differences.push(format!("U+{cp:04X}: ours {got}, precis-i18n {want}"));
        }
    }
    eprintln!(
        "derived property: {} code points compared, {} differences",
        theirs.len(),
        differences.len()
    );
    if differences.is_empty() {
        Ok(())
    } else {
        for d in differences.iter().take(50) {
            eprintln!("  {d}");
        }
        Err("the derived-property table differs from precis-i18n".to_owned())
    }
}

/// Pools of code points the generator draws from, with weights.
const POOLS: &[(u32, u32, u32)] = &[
    // (weight, first, last)
    (14, 0x61, 0x7A),      // ascii lower
    (8, 0x41, 0x5A),       // ascii upper
    (6, 0x20, 0x40),       // ascii digits, space, punctuation
    (2, 0x00, 0x1F),       // controls
    (5, 0xFF01, 0xFF5E),   // fullwidth ASCII
    (3, 0xFF61, 0xFFDC),   // halfwidth katakana and hangul
    (5, 0x0370, 0x03FF),   // Greek (keraia, final sigma)
    (4, 0x0590, 0x05FF),   // Hebrew (geresh, gershayim)
    (5, 0x0600, 0x06FF),   // Arabic (both digit sets)
    (4, 0x0300, 0x036F),   // combining marks
    (3, 0x1100, 0x11FF),   // conjoining Hangul jamo
    (2, 0xAC00, 0xD7A3),   // Hangul syllables
    (3, 0x200B, 0x200F),   // zero-width and joiners
    (3, 0x0900, 0x097F),   // Devanagari (virama)
    (3, 0x1F300, 0x1FAFF), // emoji
    (3, 0x00A0, 0x024F),   // Latin-1 and Latin Extended (İ, ß)
    (3, 0x2000, 0x206F),   // general punctuation and spaces
    (2, 0x2100, 0x218F),   // letterlike, Kelvin, Angstrom, Roman numerals
    (2, 0x2460, 0x24FF),   // enclosed alphanumerics
    (3, 0x3000, 0x30FF),   // CJK punctuation, kana, katakana middle dot
    (2, 0x4E00, 0x4E80),   // Han
    (2, 0xFB00, 0xFB4F),   // ligatures, Hebrew presentation forms
    (2, 0xFE00, 0xFE0F),   // variation selectors
    (2, 0x0378, 0x0379),   // unassigned
    (2, 0xE0000, 0xE01EF), // tags, variation selectors supplement
    (3, 0x0, 0x10FFFF),    // anything
];

const SPECIALS: &[char] = &[
    ' ', '\u{00A0}', '\u{3000}', '\u{212A}', '\u{212B}', '\u{03A3}', '\u{00B7}', 'l', '\u{0375}',
    '\u{05F3}', '\u{05F4}', '\u{30FB}', '\u{200C}', '\u{200D}', '\u{094D}', '\u{0660}', '\u{06F0}',
    '\u{0130}', '\u{00DF}', '\u{00A8}', '\u{FE4F}',
];

fn generate(rng: &mut Rng) -> String {
    let total: u32 = POOLS.iter().map(|p| p.0).sum();
    let len = 1 + rng.below(12);
    let mut s = String::new();
    for _ in 0..len {
        if rng.below(8) == 0 {
            s.push(SPECIALS[rng.below(SPECIALS.len() as u64) as usize]);
            continue;
        }
        let mut pick = rng.below(u64::from(total)) as u32;
        for &(w, lo, hi) in POOLS {
            if pick < w {
                if let Some(c) = char::from_u32(rng.range(lo, hi)) {
                    s.push(c);
                }
                break;
            }
            pick -= w;
        }
    }
    s
}

fn ours(profile: &str, s: &str) -> (bool, String) {
    let result = if profile == "nickname-compare" {
        Nickname.comparison_form(s)
    } else {
        match profile.parse::<ProfileName>() {
            Ok(p) => p.enforce(s),
            Err(_) => return (false, "unknown profile".to_owned()),
        }
    };
    match result {
        Ok(out) => (true, out.into_owned()),
        Err(e) => (false, e.to_string()),
    }
}

/// Classes of inputs on which we differ from precis-i18n on purpose; each is
/// described, with an example, in `testdata/precis/oracle-differences.tsv`.
/// A difference outside every class fails the run.
fn classify(profile: &str, input: &str) -> Option<&'static str> {
    let username = profile.starts_with("username-");
    // RFC 8264 §5.2.1 maps halfwidth Hangul letters to their <narrow>
    // decomposition (compatibility jamo); precis-i18n maps them to their NFKC
    // form (conjoining jamo), which can then compose into a syllable.
    if username
        && input
            .chars()
            .any(|c| ('\u{FFA0}'..='\u{FFDC}').contains(&c))
    {
        return Some("halfwidth-hangul");
    }
    None
}

fn compare_strings(
    python: &std::path::Path,
    script: &std::path::Path,
    count: usize,
    seed: u64,
) -> Result {
    let profiles = [
        "username-case-mapped",
        "username-case-preserved",
        "opaque-string",
        "nickname",
        "nickname-compare",
    ];
    let mut rng = Rng::new(seed);
    let mut cases: Vec<(&str, String)> = Vec::with_capacity(count * profiles.len());
    for profile in profiles {
        for _ in 0..count {
            cases.push((profile, generate(&mut rng)));
        }
    }
    let requests: Vec<Value> = cases.iter().map(|(p, s)| json!({"p": p, "s": s})).collect();
    let answers = oracle::ask(python, script, "strings", &requests)?;

    let known = oracle::known_differences("precis", 4)?;
    let mut stats: HashMap<&str, (usize, usize, usize)> = HashMap::new();
    let mut unexplained = Vec::new();
    for ((profile, s), theirs) in cases.iter().zip(&answers) {
        let (their_ok, their_out) = match theirs {
            Ok(out) => (true, out.as_str()),
            Err(reason) => (false, reason.as_str()),
        };
        let (our_ok, our_out) = ours(profile, s);
        let entry = stats.entry(profile).or_default();
        entry.0 += 1;
        let agree = our_ok == their_ok && (!our_ok || our_out == their_out);
        if agree {
            continue;
        }
        if classify(profile, s).is_some_and(|class| known.contains_key(class)) {
            entry.1 += 1;
            continue;
        }
        entry.2 += 1;
        unexplained.push(format!(
            "{profile}\t{}\tours: {} {our_out:?}; precis-i18n: {} {their_out:?}",
            serde_json::to_string(s).unwrap_or_default(),
            if our_ok { "ok" } else { "refused" },
            if their_ok { "ok" } else { "refused" },
        ));
    }
    for profile in profiles {
        let (n, explained, bad) = stats.get(profile).copied().unwrap_or_default();
        eprintln!(
            "{profile:>24}: {n} strings, {} agree, {explained} known differences, {bad} unexplained",
            n - explained - bad
        );
    }
    if unexplained.is_empty() {
        return Ok(());
    }
    for u in unexplained.iter().take(40) {
        eprintln!("  {u}");
    }
    Err(format!(
        "{} unexplained differences from precis-i18n (record them with their reason in \
         testdata/precis/oracle-differences.tsv once investigated)",
        unexplained.len()
    ))
}

//! Integration tests of xmpp-jid: the vectors of `testdata/jid/`, XEP-0106
//! escaping, and property tests.

mod escaping;
mod properties;
mod vectors;

use std::path::PathBuf;

/// The workspace's `testdata/jid` directory.
pub(crate) fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/jid")
}

/// The data rows of a TSV file (comments and blank lines skipped), with
/// their line numbers.
pub(crate) fn rows(name: &str) -> Vec<(usize, Vec<String>)> {
    let path = testdata().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#') && !l.is_empty())
        .map(|(i, l)| (i + 1, l.split('\t').map(str::to_owned).collect()))
        .collect()
}

/// A JSON string column.
pub(crate) fn json(field: &str, case: &str) -> String {
    serde_json::from_str(field).unwrap_or_else(|e| panic!("{case}: bad JSON string {field}: {e}"))
}

/// The mappings of UsernameCaseMapped (RFC 8265 §3.3.2: width, case, NFC),
/// without its checks.
pub(crate) fn mapped(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    use xmpp_precis::unicode::{lowercase_mapping, width_mapping};
    let mut out = String::new();
    for c in s.chars() {
        let c = width_mapping(c).unwrap_or(c);
        match lowercase_mapping(c) {
            Some(l) => out.push_str(l),
            None => out.push(c),
        }
    }
    out.nfc().collect()
}

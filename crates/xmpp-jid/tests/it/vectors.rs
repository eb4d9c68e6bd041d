//! Every row of the JID vector files: the enforced form or the error kind,
//! and for valid JIDs the invariants that must hold for any JID.

use xmpp_jid::{BareJid, FullJid, Jid, LegacyJid};

use crate::{json, rows, testdata};

fn vector_files() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(testdata())
        .expect("testdata/jid")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".tsv"))
        .filter(|n| n != "oracle-differences.tsv" && n != "xep0106-escaping.tsv")
        .collect();
    files.sort();
    files
}

/// Checks what must hold of every valid JID: parsing its string gives it
/// back, its parts rebuild it, and the typed forms agree.
fn invariants(case: &str, jid: &Jid) {
    let again = Jid::new(jid.as_str()).unwrap_or_else(|e| panic!("{case}: reparse failed: {e}"));
    assert_eq!(&again, jid, "{case}: reparse");
    let rebuilt = Jid::from_parts(jid.local().as_ref(), &jid.domain(), jid.resource().as_ref());
    assert_eq!(&rebuilt, jid, "{case}: from_parts");
    let by_string = Jid::try_from(jid.as_str().to_owned()).expect("valid");
    assert_eq!(&by_string, jid, "{case}: TryFrom<String>");
    assert_eq!(jid.localpart(), by_string.localpart(), "{case}");
    assert_eq!(jid.resourcepart(), by_string.resourcepart(), "{case}");
    let bare = jid.to_bare();
    assert_eq!(bare.domainpart(), jid.domainpart(), "{case}: to_bare");
    assert!(bare.as_jid().is_bare(), "{case}");
    if jid.is_full() {
        let full = FullJid::try_from(jid.clone()).expect("full");
        assert_eq!(Some(full.resourcepart()), jid.resourcepart(), "{case}");
        assert_eq!(full.into_bare(), bare, "{case}: into_bare");
        assert!(BareJid::new(jid.as_str()).is_err(), "{case}");
    } else {
        assert_eq!(BareJid::new(jid.as_str()).as_ref(), Ok(&bare), "{case}");
        assert!(FullJid::new(jid.as_str()).is_err(), "{case}");
    }
}

#[test]
fn every_vector() {
    let mut total = 0;
    for file in vector_files() {
        for (line, f) in rows(&file) {
            let [source, mode, input, expected] = f.as_slice() else {
                panic!("{file}:{line}: expected 4 columns");
            };
            let case = format!("{file}:{line} ({source})");
            let input = json(input, &case);
            // The enforced string; for RFC 7622 JIDs the invariants of
            // every `Jid` are checked on the way.
            let got = match mode.as_str() {
                "rfc7622" => Jid::new(&input).map(|j| {
                    invariants(&case, &j);
                    j.into_string()
                }),
                "legacy" => LegacyJid::new(&input).map(LegacyJid::into_string),
                m => panic!("{case}: unknown mode {m}"),
            };
            match (expected.strip_prefix('!'), got) {
                (Some(kind), Err(e)) => {
                    assert_eq!(e.kind(), kind, "{case}: {input:?} refused as {e}");
                    assert_eq!(e.condition(), "jid-malformed", "{case}");
                    assert!(!e.to_string().is_empty(), "{case}");
                }
                (Some(kind), Ok(j)) => {
                    panic!("{case}: {input:?} accepted as {j:?}, expected {kind}")
                }
                (None, Err(e)) => panic!("{case}: {input:?} refused ({}: {e})", e.kind()),
                (None, Ok(j)) => {
                    let want = json(expected, &case);
                    assert_eq!(j, want, "{case}: {input:?}");
                }
            }
            total += 1;
        }
    }
    assert!(total >= 400, "only {total} vectors");
}

#[test]
fn rfc7622_examples_are_all_there() {
    let rows = rows("rfc7622-3.5.tsv");
    assert_eq!(rows.len(), 23, "RFC 7622 §3.5 has 23 examples");
    let valid = rows.iter().filter(|(_, f)| !f[3].starts_with('!')).count();
    // Examples 1 to 15, and 18 per erratum 4560.
    assert_eq!(valid, 16);
}

#[test]
fn equivalent_spellings_compare_equal() {
    for (a, b) in [
        ("xn--bcher-kva.example", "b\u{FC}cher.example"),
        ("XN--BCHER-KVA.EXAMPLE.", "B\u{DC}CHER.example"),
        ("[0:0::1]", "[::1]"),
        ("[2001:DB8:0:0:0:0:0:1]", "[2001:db8::1]"),
        ("Juliet@Example.com/Balcony", "juliet@example.com./Balcony"),
        ("\u{FF2A}uliet@example.com", "juliet@example.com"),
        ("\u{212A}@example.com", "k@example.com"),
    ] {
        assert_eq!(Jid::new(a).unwrap(), Jid::new(b).unwrap(), "{a} vs {b}");
    }
    for (a, b) in [
        ("fu\u{DF}ball@example.com", "fussball@example.com"),
        ("example.com/A", "example.com/a"),
        ("\u{3C3}@example.com", "\u{3C2}@example.com"),
    ] {
        assert_ne!(Jid::new(a).unwrap(), Jid::new(b).unwrap(), "{a} vs {b}");
    }
}

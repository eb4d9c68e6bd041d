use super::*;
use xmpp_sasl::Hash;

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn the_probe_runs_sha_256_then_sha_1_and_never_plus() {
    let sha1 = Mechanism::Scram {
        hash: Hash::Sha1,
        plus: false,
    };
    let sha256 = Mechanism::Scram {
        hash: Hash::Sha256,
        plus: false,
    };
    assert_eq!(
        pick_scram(&names(&["SCRAM-SHA-1-PLUS", "SCRAM-SHA-1", "PLAIN"])),
        Some(sha1)
    );
    assert_eq!(
        pick_scram(&names(&[
            "SCRAM-SHA-1",
            "SCRAM-SHA-256",
            "SCRAM-SHA-256-PLUS"
        ])),
        Some(sha256)
    );
    assert_eq!(pick_scram(&names(&["SCRAM-SHA-256-PLUS", "PLAIN"])), None);
}

#[test]
fn scram_attributes_are_read_by_name() {
    // XEP-0474 §6.3 ("Full Example"), the server-first-message.
    let msg = b"r=12C4CD5C-E38E-4A98-8F6D-15C38F51CCC6a09117a6-ac50-4f2f-93f1-93799c2bddf6,\
s=QSXCR+Q6sek8bf92,i=4096,h=G6k/rBLDqgOhRRaCuuatSDFkJ08=";
    assert_eq!(
        scram_attribute(msg, 'h').as_deref(),
        Some("G6k/rBLDqgOhRRaCuuatSDFkJ08=")
    );
    assert_eq!(scram_attribute(msg, 'i').as_deref(), Some("4096"));
    assert_eq!(scram_attribute(msg, 'd'), None);
    // A value that starts like a name is not an attribute.
    assert_eq!(scram_attribute(b"r=h=x,s=abc", 'h'), None);
    assert_eq!(scram_attribute(b"\xff,h=x", 'h'), None);
}

#[test]
fn the_ssdp_hash_is_that_of_the_advertised_lists() {
    let sha1 = Mechanism::Scram {
        hash: Hash::Sha1,
        plus: false,
    };
    let mechanisms = names(&["SCRAM-SHA-1", "SCRAM-SHA-1-PLUS"]);
    let bindings = names(&["tls-exporter", "tls-server-end-point"]);
    // XEP-0474's example value for exactly these lists.
    let good = b"r=abc,s=QSXCR+Q6sek8bf92,i=4096,h=G6k/rBLDqgOhRRaCuuatSDFkJ08=";
    let (outcome, detail) = ssdp_outcome(&mechanisms, Some(&bindings), sha1, good);
    assert_eq!(outcome, Outcome::Pass, "{detail}");
    // A list trimmed on the way (no tls-exporter) hashes differently.
    let trimmed = names(&["tls-server-end-point"]);
    let (outcome, detail) = ssdp_outcome(&mechanisms, Some(&trimmed), sha1, good);
    assert_eq!(outcome, Outcome::Fail, "{detail}");
    // No attribute: XEP-0474 not implemented.
    let none = b"r=abc,s=QSXCR+Q6sek8bf92,i=4096";
    assert_eq!(
        ssdp_outcome(&mechanisms, Some(&bindings), sha1, none).0,
        Outcome::Skip
    );
    // The legacy form (XEP-0474 0.3: `d`, ',' and '|').
    let legacy = Ssdp::new(mechanisms.iter().cloned(), Some(bindings.clone()))
        .value(Hash::Sha1, SsdpForm::Legacy);
    let old = format!("r=abc,s=QSXCR+Q6sek8bf92,i=4096,d={legacy}");
    assert_eq!(
        ssdp_outcome(&mechanisms, Some(&bindings), sha1, old.as_bytes()).0,
        Outcome::Pass
    );
}

#[test]
fn plain_is_refused_only_in_the_clear() {
    let mut f = StreamFeatures::default();
    assert_eq!(cleartext_outcome(&f).0, Outcome::Pass);
    f.mechanisms = Some(names(&["SCRAM-SHA-1"]));
    assert_eq!(cleartext_outcome(&f).0, Outcome::Pass);
    f.mechanisms = Some(names(&["SCRAM-SHA-1", "PLAIN"]));
    assert_eq!(cleartext_outcome(&f).0, Outcome::Fail);
}

#[test]
fn abort_wants_the_aborted_condition() {
    assert_eq!(
        abort_outcome(&Reply::Failure("aborted".into())).0,
        Outcome::Pass
    );
    assert_eq!(
        abort_outcome(&Reply::Failure("not-authorized".into())).0,
        Outcome::Fail
    );
    assert_eq!(
        abort_outcome(&Reply::Other("no answer".into())).0,
        Outcome::Fail
    );
    assert_eq!(retry_outcome(Ok(Reply::Success(None))).0, Outcome::Pass);
    assert_eq!(
        retry_outcome(Ok(Reply::StreamError("policy-violation".into()))).0,
        Outcome::Warn
    );
}

#[test]
fn another_accounts_authzid_must_not_log_in() {
    let other = "bob@example.test";
    let (refused, condition) =
        authzid_outcomes(&Reply::Failure("invalid-authzid".into()), None, other);
    assert_eq!((refused.0, condition.0), (Outcome::Pass, Outcome::Pass));
    let (refused, condition) =
        authzid_outcomes(&Reply::Failure("not-authorized".into()), None, other);
    assert_eq!((refused.0, condition.0), (Outcome::Pass, Outcome::Fail));
    let (refused, condition) =
        authzid_outcomes(&Reply::Success(None), Some("bob@example.test/r1"), other);
    assert_eq!((refused.0, condition.0), (Outcome::Fail, Outcome::Skip));
    assert!(refused.1.contains("as the other account"), "{}", refused.1);
    let (refused, _) =
        authzid_outcomes(&Reply::Success(None), Some("alice@example.test/r1"), other);
    assert!(refused.1.contains("ignored"), "{}", refused.1);
}

#[test]
fn a_downgrade_is_refused_whatever_the_condition() {
    let sha1 = Mechanism::Scram {
        hash: Hash::Sha1,
        plus: false,
    };
    let plus = names(&["SCRAM-SHA-1-PLUS"]);
    assert_eq!(
        downgrade_outcome(&plus, sha1, &Reply::Failure("not-authorized".into())).0,
        Outcome::Pass
    );
    assert_eq!(
        downgrade_outcome(&plus, sha1, &Reply::Success(None)).0,
        Outcome::Fail
    );
}

#[test]
fn conditions_other_than_named_warn() {
    assert_eq!(
        condition_outcome("malformed-request", "malformed-request").0,
        Outcome::Pass
    );
    assert_eq!(
        condition_outcome("not-authorized", "incorrect-encoding").0,
        Outcome::Warn
    );
    assert_eq!(escape_saslname("jo,n=e"), "jo=2Cn=3De");
}

#[test]
fn a_prepared_password_passes_and_a_refusal_warns() {
    assert_eq!(saslprep_outcome(&Reply::Success(None)).0, Outcome::Pass);
    let (outcome, detail) = saslprep_outcome(&Reply::Failure("not-authorized".into()));
    assert_eq!(outcome, Outcome::Warn);
    assert!(detail.contains("<not-authorized/>"), "{detail}");
}

#[test]
fn the_weaker_mechanism_tried_is_one_the_server_left_out() {
    assert_eq!(
        weaker_left_out(&names(&["SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"])),
        Some("PLAIN")
    );
    assert_eq!(
        weaker_left_out(&names(&["SCRAM-SHA-256", "PLAIN"])),
        Some("SCRAM-SHA-1")
    );
    // Nothing left out, or nothing stronger than what is left out.
    assert_eq!(
        weaker_left_out(&names(&["SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"])),
        None
    );
    assert_eq!(weaker_left_out(&names(&["PLAIN"])), None);
    assert_eq!(weaker_left_out(&names(&["EXTERNAL"])), None);
}

#[test]
fn a_left_out_mechanism_must_be_refused_not_run() {
    let failure = |c: &str| Reply::Failure(c.into());
    for c in ["mechanism-too-weak", "invalid-mechanism"] {
        assert_eq!(too_weak_outcome("PLAIN", &failure(c)).0, Outcome::Pass);
    }
    assert_eq!(
        too_weak_outcome("PLAIN", &failure("not-authorized")).0,
        Outcome::Warn
    );
    assert_eq!(
        too_weak_outcome("SCRAM-SHA-1", &Reply::Challenge(b"r=x".to_vec())).0,
        Outcome::Warn
    );
    assert_eq!(
        too_weak_outcome("PLAIN", &Reply::Success(None)).0,
        Outcome::Fail
    );
}

#[test]
fn plain_before_tls_is_refused_for_encryption() {
    let failure = |c: &str| Reply::Failure(c.into());
    for c in ["encryption-required", "mechanism-too-weak"] {
        assert_eq!(encryption_required_outcome(&failure(c)).0, Outcome::Pass);
    }
    for c in ["not-authorized", "invalid-mechanism"] {
        assert_eq!(encryption_required_outcome(&failure(c)).0, Outcome::Warn);
    }
    assert_eq!(
        encryption_required_outcome(&Reply::StreamError("not-authorized".into())).0,
        Outcome::Warn
    );
    assert_eq!(
        encryption_required_outcome(&Reply::Success(None)).0,
        Outcome::Fail
    );
}

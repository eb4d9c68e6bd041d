//! Property tests: any identity round-trips; any one-byte change of a SCRAM
//! message makes the exchange fail cleanly.

use crate::common::server_config;
use proptest::prelude::*;
use xmpp_sasl::{ClientConfig, Hash, Limits, Mechanism, Prep, ServerConfig};

use crate::pair::{Account, exchange};

/// Cheap iterations so each case costs microseconds; the limits allow it.
const ITERATIONS: u32 = 2;

fn cheap(prep: Prep) -> (ClientConfig, ServerConfig) {
    let limits = Limits::new().iterations(1, 10);
    (
        ClientConfig::new().limits(limits).prep(prep),
        server_config().encrypted(true).limits(limits).prep(prep),
    )
}

fn name() -> impl Strategy<Value = String> {
    // Any text without NUL (which no SASL mechanism can carry), short enough
    // for the default message limit.
    "[^\u{0}]{1,40}"
}

fn authzid() -> impl Strategy<Value = String> {
    // An authzid is a JID: control characters are refused even unprepared.
    "[^\\p{Cc}]{1,40}"
}

fn prepable() -> impl Strategy<Value = String> {
    // Mostly assigned, mostly allowed text: ASCII, Latin-1/Extended-A with
    // mappings (U+00A0 NBSP, U+00AD soft hyphen), some CJK.
    "[ -~\u{a0}-\u{17f}\u{4e00}-\u{4e20}]{1,24}"
}

fn mechanisms() -> impl Strategy<Value = Mechanism> {
    prop_oneof![
        Just(Mechanism::Plain),
        Just(Mechanism::Scram {
            hash: Hash::Sha1,
            plus: false
        }),
        Just(Mechanism::Scram {
            hash: Hash::Sha256,
            plus: false
        }),
        Just(Mechanism::Scram {
            hash: Hash::Sha512,
            plus: false
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn any_identity_round_trips(mech in mechanisms(), user in name(), pw in name(), authzid in proptest::option::of(authzid())) {
        let (client, server) = cheap(Prep::None);
        let mut client = client.username(user.clone()).password(pw.clone());
        if let Some(a) = &authzid {
            client = client.authzid(a.clone());
        }
        let mut account = Account::new(&user, &pw);
        account.prep = Prep::None;
        account.iterations = ITERATIONS;
        let (c, s) = exchange(mech, client, server, &account, |_, _| {});
        let s = s.map_err(|e| TestCaseError::fail(format!("server: {e}")))?;
        prop_assert!(c.is_ok(), "client: {c:?}");
        prop_assert_eq!(s.authcid.as_deref(), Some(user.as_str()));
        prop_assert_eq!(s.authzid, authzid);
    }

    #[test]
    fn saslprep_identities_round_trip(user in prepable(), pw in prepable()) {
        prop_assume!(Prep::SaslPrep.prepare(&user, xmpp_sasl::Field::Authcid).is_ok());
        prop_assume!(Prep::SaslPrep.prepare(&pw, xmpp_sasl::Field::Password).is_ok());
        let (client, server) = cheap(Prep::SaslPrep);
        let mut account = Account::new(&user, &pw);
        account.iterations = ITERATIONS;
        let mech = Mechanism::Scram { hash: Hash::Sha256, plus: false };
        let (c, s) = exchange(mech, client.username(user).password(pw), server, &account, |_, _| {});
        prop_assert!(c.is_ok() && s.is_ok(), "{c:?} {s:?}");
    }

    #[test]
    fn one_changed_byte_fails_cleanly(
        mech in prop_oneof![
            Just(Mechanism::Scram { hash: Hash::Sha1, plus: false }),
            Just(Mechanism::Scram { hash: Hash::Sha256, plus: false }),
            Just(Mechanism::Scram { hash: Hash::Sha512, plus: false }),
            Just(Mechanism::Ht { binding: xmpp_sasl::HtBinding::None }),
        ],
        which in 0usize..4,
        at in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        // SCRAM has four messages, HT two (initiator, responder).
        let last = if matches!(mech, Mechanism::Ht { .. }) { 1 } else { 3 };
        let which = which % (last + 1);
        let (client, server) = cheap(Prep::SaslPrep);
        let mut account = Account::new("user", "pencil");
        account.iterations = ITERATIONS;
        let mut changed = false;
        let (c, s) = exchange(
            mech,
            client.username("user").password("pencil").token("pencil").authzid("admin"),
            server,
            &account,
            |i, m| if i == which && !m.is_empty() {
                let pos = at.index(m.len());
                if let Some(b) = m.get_mut(pos) {
                    *b ^= flip;
                    changed = true;
                }
            },
        );
        prop_assume!(changed);
        // The messages are integrity-protected end to end: a changed byte
        // can never leave both sides reporting success.
        prop_assert!(c.is_err() || s.is_err(), "{mech}: message {which} changed, yet both succeeded");
        if which == last {
            prop_assert!(c.is_err(), "{mech}: a changed final message must fail the client");
        }
    }

    #[test]
    fn stored_credential_text_is_parsed_safely(
        text in "(SCRAM-SHA-(1|256|512)\\$[0-9]{0,11}:[A-Za-z0-9+/=]{0,30}\\$[A-Za-z0-9+/=]{0,90}:[A-Za-z0-9+/=]{0,90})|\\PC{0,64}",
    ) {
        // RFC 5803 text from an account database: never a panic, and
        // whatever parses formats back to the same text.
        if let Ok(stored) = xmpp_sasl::StoredCredentials::from_text(&text) {
            let formatted = stored.to_text();
            prop_assert_eq!(formatted.as_str(), text.as_str());
        }
    }
}

//! XEP-0484 FAST tokens as a server application keeps them: the count is
//! recorded, and the token dropped on `invalidate`, only once the machine
//! reports the token proven (`ServerEvent::TokenUsed`), and checked against
//! the record in the same step, before the client hears of success; an
//! expired token is refused.

use std::collections::HashMap;

use xmpp_sasl::Mechanism;
use xmpp_session::{ClientEvent, FastToken, ServerEvent};
use xmpp_stanza::{FastUse, UserAgent};

use crate::pair::{ISSUED_AT, Issued, PASSWORD, Pair, TOKEN_LIFETIME, record_token_use};

/// A password login that asks for a token: the token and the server
/// application's records.
fn issue() -> (Mechanism, String, HashMap<String, Issued>) {
    let mut pair = Pair::new(
        Pair::client_config("juliet", PASSWORD),
        Pair::server_config(),
    );
    pair.drive();
    let (mechanism, token) = pair
        .client_events
        .iter()
        .find_map(|e| match e {
            ClientEvent::TokenIssued {
                mechanism, token, ..
            } => Some((*mechanism, token.to_string())),
            _ => None,
        })
        .expect("a token");
    (mechanism, token, pair.tokens)
}

/// A login with `token` and `count` (and no usable password) against the
/// server application's `tokens` at `unix_now`.
fn use_token(
    tokens: &HashMap<String, Issued>,
    token: FastToken,
    unix_now: u64,
    rewrite: Option<fn(Vec<u8>) -> Vec<u8>>,
) -> Pair {
    let client = Pair::client_config("juliet", "").fast_token(token);
    let mut pair = Pair::new(client, Pair::server_config());
    pair.tokens = tokens.clone();
    pair.unix_now = unix_now;
    pair.c2s_rewrite = rewrite;
    pair.drive();
    pair
}

fn fast_reported(pair: &Pair) -> Option<FastUse> {
    pair.server_events.iter().find_map(|e| match e {
        ServerEvent::TokenUsed { fast, .. } => Some(*fast),
        _ => None,
    })
}

fn s2c(pair: &Pair) -> String {
    String::from_utf8_lossy(&pair.s2c_log).into_owned()
}

#[test]
fn a_forged_request_with_a_huge_count_does_not_lock_the_owner_out() {
    let (mechanism, token, tokens) = issue();
    let owner = |tokens: &HashMap<_, _>, count| {
        use_token(
            tokens,
            FastToken::new(mechanism, token.clone(), count),
            ISSUED_AT,
            None,
        )
    };
    let first = owner(&tokens, 1);
    assert!(first.bound_jid().is_some(), "{:?}", first.client_error);
    let reported = fast_reported(&first).expect("token use reported");
    assert_eq!(reported.count, Some(1));
    assert_eq!(first.tokens["juliet"].processed, Some(1));

    // Someone who knows only the username: a wrong token, the largest
    // count. The exchange fails and nothing is reported to record.
    let forged = use_token(
        &first.tokens,
        FastToken::new(mechanism, "not-the-token", u64::MAX),
        ISSUED_AT,
        None,
    );
    assert!(forged.bound_jid().is_none());
    assert_eq!(fast_reported(&forged), None, "{:?}", forged.server_events);
    assert!(s2c(&forged).contains("<not-authorized xmlns"));
    assert_eq!(forged.tokens, first.tokens);

    // The owner's next count still works; the same count again is a
    // replay.
    let second = owner(&forged.tokens, 2);
    assert!(second.bound_jid().is_some(), "{:?}", second.client_error);
    assert_eq!(second.tokens["juliet"].processed, Some(2));
    let replay = owner(&second.tokens, 2);
    assert!(replay.bound_jid().is_none());
    assert_eq!(fast_reported(&replay), None);
    assert!(
        replay
            .client_events
            .iter()
            .any(|e| matches!(e, ClientEvent::TokenRejected))
    );
}

#[test]
fn invalidate_is_reported_after_success_and_the_token_is_dropped() {
    let (mechanism, token, tokens) = issue();
    // `Client` never asks to invalidate; this one does (XEP-0484 §3.6).
    fn invalidate(msg: Vec<u8>) -> Vec<u8> {
        String::from_utf8(msg)
            .expect("utf-8")
            .replace("count='1'/>", "count='1' invalidate='true'/>")
            .into_bytes()
    }
    let out = use_token(
        &tokens,
        FastToken::new(mechanism, token.clone(), 1),
        ISSUED_AT,
        Some(invalidate),
    );
    assert!(out.bound_jid().is_some(), "{:?}", out.client_error);
    let reported = fast_reported(&out).expect("fast");
    assert!(reported.invalidate);
    assert!(!out.tokens.contains_key("juliet"));
    // No token goes out in its place (none was asked for).
    assert!(!s2c(&out).contains("<token "));
    let after = use_token(
        &out.tokens,
        FastToken::new(mechanism, token, 2),
        ISSUED_AT,
        None,
    );
    assert!(after.bound_jid().is_none());

    // A forged invalidation (wrong token) drops nothing.
    let forged = use_token(
        &tokens,
        FastToken::new(mechanism, "not-the-token", 1),
        ISSUED_AT,
        Some(invalidate),
    );
    assert!(forged.bound_jid().is_none());
    assert_eq!(forged.tokens, tokens);
}

#[test]
fn an_expired_token_is_refused() {
    let (mechanism, token, tokens) = issue();
    let at = |unix_now, token: &str| {
        use_token(&tokens, FastToken::new(mechanism, token, 1), unix_now, None)
    };
    let last_second = at(ISSUED_AT + TOKEN_LIFETIME - 1, &token);
    assert!(last_second.bound_jid().is_some());
    // XEP-0484 §4.2: `credentials-expired` for the token's holder.
    let expired = at(ISSUED_AT + TOKEN_LIFETIME, &token);
    assert!(expired.bound_jid().is_none());
    assert_eq!(fast_reported(&expired), None);
    assert!(
        s2c(&expired).contains("<credentials-expired xmlns"),
        "{}",
        s2c(&expired)
    );
    assert_eq!(expired.tokens, tokens);
    // Anyone else still gets `not-authorized`.
    let wrong = at(ISSUED_AT + TOKEN_LIFETIME, "not-the-token");
    let out = s2c(&wrong);
    assert!(
        !out.contains("credentials-expired") && out.contains("<not-authorized xmlns"),
        "{out}"
    );
}

/// Two connections replay one count at once: both tokens are proven
/// against the same record, but only the first use recorded succeeds.
/// Neither client hears of success before the application answers, so
/// the window between proof and record is closed.
#[test]
fn a_count_used_twice_at_once_succeeds_once() {
    let (mechanism, token, tokens) = issue();
    let start = || {
        let client = Pair::client_config("juliet", "").fast_token(FastToken::new(
            mechanism,
            token.clone(),
            1,
        ));
        let mut pair = Pair::new(client, Pair::server_config());
        pair.tokens = tokens.clone();
        pair.hold_token_use = true;
        pair.drive();
        pair
    };
    let (mut first, mut second) = (start(), start());
    for pair in [&first, &second] {
        assert_eq!(fast_reported(pair).and_then(|f| f.count), Some(1));
        assert!(!s2c(pair).contains("<success"), "{}", s2c(pair));
        assert!(
            !pair
                .server_events
                .iter()
                .any(|e| matches!(e, ServerEvent::Authenticated { .. }))
        );
    }
    // One record, as the application keeps it: the first use is recorded,
    // the second is by then a replay.
    let mut record = tokens.clone();
    let used = fast_reported(&first).expect("used");
    assert!(record_token_use(&mut record, "juliet", &used));
    first.server.accept_token_use(false).expect("accept");
    assert!(!record_token_use(&mut record, "juliet", &used));
    second.server.refuse_token_use().expect("refuse");
    first.drive();
    second.drive();

    assert!(first.bound_jid().is_some(), "{:?}", first.client_error);
    assert!(
        first
            .server_events
            .iter()
            .any(|e| matches!(e, ServerEvent::Authenticated { .. }))
    );
    assert!(second.bound_jid().is_none());
    assert!(
        s2c(&second).contains("<not-authorized xmlns"),
        "{}",
        s2c(&second)
    );
    assert!(
        !second
            .server_events
            .iter()
            .any(|e| matches!(e, ServerEvent::Authenticated { .. }))
    );
    assert!(second.server_events.iter().any(|e| matches!(
        e,
        ServerEvent::AuthFailed {
            condition: xmpp_stanza::SaslCondition::NotAuthorized
        }
    )));
    // Answering again, or answering what was never asked, is an error.
    assert!(first.server.accept_token_use(false).is_err());
    assert!(second.server.refuse_token_use().is_err());
}

/// A token due for rotation: the application accepts its use with
/// `rotate`, and the client gets a new token it did not ask for
/// (XEP-0484 §3.5), unless it asked to invalidate its token (§3.6).
#[test]
fn a_rotated_token_comes_unasked_but_not_with_invalidate() {
    let (mechanism, token, tokens) = issue();
    let run = |rewrite| {
        let client = Pair::client_config("juliet", "")
            .fast_token(FastToken::new(mechanism, token.clone(), 1))
            .request_fast_token(false)
            .user_agent(UserAgent {
                id: Some("d4565fa7-4d72-4749-b3d3-740edbf87770".into()),
                ..UserAgent::default()
            });
        let mut pair = Pair::new(client, Pair::server_config());
        pair.tokens = tokens.clone();
        pair.rotate = true;
        pair.c2s_rewrite = rewrite;
        pair.drive();
        pair
    };
    let rotated = run(None);
    assert!(rotated.bound_jid().is_some(), "{:?}", rotated.client_error);
    // The client installation the token is for (XEP-0484 §4.1: tokens are
    // per client) reaches the application with the credentials request.
    assert!(rotated.server_events.iter().any(|e| matches!(
        e,
        ServerEvent::CredentialsRequest { user_agent: Some(ua), .. }
            if ua.id.as_deref() == Some("d4565fa7-4d72-4749-b3d3-740edbf87770")
    )));
    assert!(!String::from_utf8_lossy(&rotated.c2s_log).contains("request-token"));
    let issued: Vec<_> = rotated
        .client_events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::TokenIssued { token, .. } => Some(token.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(issued.len(), 1, "{:?}", rotated.client_events);
    // (The harness names its tokens by a counter of its own.)
    assert_eq!(rotated.tokens["juliet"].token, issued[0]);

    fn invalidate(msg: Vec<u8>) -> Vec<u8> {
        String::from_utf8(msg)
            .expect("utf-8")
            .replace("count='1'/>", "count='1' invalidate='true'/>")
            .into_bytes()
    }
    let dropped = run(Some(invalidate));
    assert!(dropped.bound_jid().is_some(), "{:?}", dropped.client_error);
    assert!(!s2c(&dropped).contains("<token "), "{}", s2c(&dropped));
    assert!(
        !dropped
            .server_events
            .iter()
            .any(|e| matches!(e, ServerEvent::TokenRequest { .. }))
    );
}

/// XEP-0484 §4.1: a client without an installation id (the SASL2 user
/// agent's `id`) neither asks for a token nor uses one: it logs in with
/// its password, and the server sees no `<request-token/>` or `<fast/>`.
#[test]
fn without_a_user_agent_id_there_is_no_fast() {
    let (mechanism, token, tokens) = issue();
    for agent in [None, Some(UserAgent::default())] {
        let mut client = Pair::client_config("juliet", PASSWORD).fast_token(FastToken::new(
            mechanism,
            token.clone(),
            1,
        ));
        client.user_agent = agent.clone();
        let mut pair = Pair::new(client, Pair::server_config());
        pair.tokens = tokens.clone();
        pair.drive();
        assert!(pair.bound_jid().is_some(), "{:?}", pair.client_error);
        let sent = String::from_utf8_lossy(&pair.c2s_log).into_owned();
        assert!(sent.contains("<authenticate"), "SASL2 all the same");
        assert!(!sent.contains("urn:xmpp:fast:0"), "{agent:?}: {sent}");
        assert!(
            !pair
                .server_events
                .iter()
                .any(|e| matches!(e, ServerEvent::TokenUsed { .. })),
            "{agent:?}"
        );
        assert!(
            !pair
                .client_events
                .iter()
                .any(|e| matches!(e, ClientEvent::TokenIssued { .. })),
            "{agent:?}"
        );
    }
}

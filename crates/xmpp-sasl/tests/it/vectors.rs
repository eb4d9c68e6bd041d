//! Replays every exchange in `testdata/sasl/*.txt` (but the malformed
//! tables) byte-exact through our client and our server.

use xmpp_sasl::{ClientSession, ClientStep, Nonce, ServerSession, ServerStep};

use crate::common::{Vector, show, vectors};

fn is_exchange(name: &str) -> bool {
    !name.starts_with("malformed-")
}

fn replay_client(v: &Vector) {
    let name = &v.name;
    let nonce = Nonce::new(v.get("client-nonce").unwrap_or("unused-nonce")).expect("nonce");
    let mut client = ClientSession::new(
        crate::common::choice(v.mechanism(), &v.client_config()),
        v.client_config(),
        nonce,
    )
    .unwrap_or_else(|e| panic!("{name}: client: {e}"));
    let mut input: Vec<u8> = Vec::new();
    let mut done = false;
    for (i, (from_client, msg)) in v.messages.iter().enumerate() {
        if *from_client {
            let step = client
                .step(&input)
                .unwrap_or_else(|e| panic!("{name}: client step before message {i}: {e}"));
            let sent = match step {
                ClientStep::Send(b) => b,
                ClientStep::Done { send, .. } => {
                    done = true;
                    send.unwrap_or_else(|| panic!("{name}: client finished before message {i}"))
                }
            };
            assert_eq!(show(&sent), show(msg), "{name}: client message {i}");
        } else {
            input = msg.clone();
        }
    }
    if !done {
        match client.step(&input) {
            Ok(ClientStep::Done {
                send: None,
                success,
            }) => {
                assert_eq!(
                    success.additional_data.as_deref(),
                    Some(&input[..]),
                    "{name}: additional data"
                );
            }
            other => panic!("{name}: client did not finish: {other:?}"),
        }
    }
    // A finished session refuses more input instead of panicking.
    assert!(client.step(b"x").is_err(), "{name}: stepped after done");
}

fn replay_server(v: &Vector) {
    let name = &v.name;
    let nonce = Nonce::new(v.get("server-nonce").unwrap_or("unused-nonce")).expect("nonce");
    let mut server = ServerSession::new(v.mechanism(), v.server_config(), nonce)
        .unwrap_or_else(|e| panic!("{name}: server: {e}"));
    let mut outputs: Vec<Vec<u8>> = Vec::new();
    let mut success = None;
    for (i, (from_client, msg)) in v.messages.iter().enumerate() {
        if !*from_client {
            continue;
        }
        let mut step = server
            .step(msg)
            .unwrap_or_else(|e| panic!("{name}: server on message {i}: {e}"));
        if let ServerStep::NeedCredentials(req) = &step {
            if let Some(u) = v
                .get("username")
                .filter(|_| v.get("external-identity").is_none())
            {
                assert_eq!(req.authcid.as_deref(), Some(u), "{name}: authcid");
            }
            assert_eq!(req.authzid.as_deref(), v.get("authzid"), "{name}: authzid");
            step = server
                .credentials(v.credentials())
                .unwrap_or_else(|e| panic!("{name}: credentials: {e}"));
        }
        match step {
            ServerStep::Challenge(c) => outputs.push(c),
            ServerStep::Success(s) => {
                if let Some(d) = &s.additional_data {
                    outputs.push(d.clone());
                }
                success = Some(s);
            }
            ServerStep::NeedCredentials(_) => panic!("{name}: asked twice for credentials"),
        }
    }
    let expected: Vec<String> = v
        .messages
        .iter()
        .filter(|(c, _)| !c)
        .map(|(_, m)| show(m))
        .collect();
    let got: Vec<String> = outputs.iter().map(|m| show(m)).collect();
    assert_eq!(got, expected, "{name}: server messages");
    let success = success.unwrap_or_else(|| panic!("{name}: server did not succeed"));
    assert_eq!(
        success.authzid.as_deref(),
        v.get("authzid"),
        "{name}: outcome authzid"
    );
    if let Some(t) = v.get("trace") {
        assert_eq!(success.trace.as_deref(), Some(t), "{name}: trace");
    }
}

#[test]
fn every_vector_replays_on_both_sides() {
    let all = vectors(is_exchange);
    assert!(
        all.len() >= 7,
        "expected the RFC vectors, found {}",
        all.len()
    );
    for v in &all {
        let sides = v.get("sides").unwrap_or("client server");
        if sides.contains("client") {
            replay_client(v);
        }
        if sides.contains("server") {
            replay_server(v);
        }
    }
}

//! An unknown user fails exactly like a known user with a wrong password
//! (RFC 5802 §5.1, §9): the same messages in shape, the failure at the same
//! step with the same error, and for PLAIN the same PBKDF2 work.

use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use xmpp_sasl::{
    ClientConfig, ClientSession, ClientStep, Credentials, Error, Hash, HtBinding, Mechanism, Nonce,
    Prep, ScramError, ServerConfig, ServerSession, ServerStep, StoredCredentials,
};

use crate::common::secret;

const SALT: &[u8] = b"fourteen bytes";

/// What the server did in one exchange: each message it sent, and the
/// error it ended with and after how many client messages.
#[derive(Debug)]
struct Trace {
    sent: Vec<Vec<u8>>,
    error: Error,
    step: usize,
}

fn config(hash: Hash, iterations: u32) -> ServerConfig {
    let secret = secret()
        .accounts(hash, SALT.len(), iterations)
        .expect("valid parameters");
    ServerConfig::new(secret).encrypted(true)
}

/// Runs `user`/`password` against a server that knows only juliet
/// (password r0m3o), stored as SCRAM credentials (or as a token for HT).
fn run(mech: Mechanism, user: &str, password: &str, iterations: u32) -> Trace {
    let hash = mech.scram_hash().unwrap_or(Hash::Sha256);
    let client = ClientConfig::new()
        .username(user)
        .password(password)
        .token(password);
    let mut c = ClientSession::new(
        crate::common::choice(mech, &client),
        client,
        Nonce::new("client-nonce-0123").expect("n"),
    )
    .expect("client");
    let mut s = ServerSession::new(
        mech,
        config(hash, iterations),
        Nonce::new("server-nonce-4567").expect("n"),
    )
    .expect("server");
    let mut sent = Vec::new();
    let mut to_client = Vec::new();
    for step in 1.. {
        let msg = match c.step(&to_client) {
            Ok(ClientStep::Send(m)) => m.to_vec(),
            Ok(ClientStep::Done { send: Some(m), .. }) => m.to_vec(),
            other => panic!("{mech} {user}: client ended: {other:?}"),
        };
        let mut answer = s.step(&msg);
        if let Ok(ServerStep::NeedCredentials(req)) = &answer {
            let creds = if req.authcid.as_deref() != Some("juliet") {
                Credentials::UnknownUser
            } else if let Mechanism::Ht { .. } = mech {
                Credentials::Token("r0m3o".to_owned().into())
            } else {
                Credentials::Scram(
                    StoredCredentials::from_password(
                        hash,
                        Prep::SaslPrep,
                        "r0m3o",
                        SALT,
                        iterations,
                    )
                    .expect("stored"),
                )
            };
            answer = s.credentials(creds);
        }
        match answer {
            Ok(ServerStep::Challenge(m)) => {
                sent.push(m.clone());
                to_client = m;
            }
            Ok(other) => panic!("{mech} {user}: server did not refuse: {other:?}"),
            Err(error) => return Trace { sent, error, step },
        }
    }
    unreachable!()
}

/// A server-first-message with its values replaced by their lengths.
fn shape(msg: &[u8]) -> String {
    let text = String::from_utf8(msg.to_vec()).expect("utf-8");
    text.split(',')
        .map(|attr| {
            let (name, value) = attr.split_at(2);
            match name {
                "s=" => format!("s=<{} bytes>", STANDARD.decode(value).expect("b64").len()),
                "r=" => format!("r=<{} chars>", value.len()),
                _ => attr.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[test]
fn scram_unknown_user_fails_like_a_wrong_password() {
    for hash in [Hash::Sha1, Hash::Sha256, Hash::Sha512] {
        let mech = Mechanism::Scram { hash, plus: false };
        let wrong = run(mech, "juliet", "wrong", 4096);
        let unknown = run(mech, "nobody", "r0m3o", 4096);
        let shapes = |t: &Trace| t.sent.iter().map(|m| shape(m)).collect::<Vec<_>>();
        assert_eq!(shapes(&wrong), shapes(&unknown), "{mech}");
        assert_eq!(
            shapes(&unknown),
            [format!("r=<{} chars>,s=<14 bytes>,i=4096", 17 + 17)]
        );
        assert_eq!(
            (&wrong.error, wrong.step),
            (&unknown.error, unknown.step),
            "{mech}"
        );
        assert_eq!(unknown.step, 2, "{mech}: fails after client-final");
        assert_eq!(
            unknown.error.scram_error(),
            Some(ScramError::InvalidProof),
            "{mech}"
        );
        assert_eq!(unknown.error.condition(), wrong.error.condition());
        // The made-up salt is stable per name and differs between names.
        let again = run(mech, "nobody", "other", 4096);
        assert_eq!(unknown.sent, again.sent, "{mech}: stable salt");
        let other = run(mech, "somebody", "r0m3o", 4096);
        assert_ne!(shape(&other.sent[0]), "", "{mech}");
        assert_ne!(other.sent, unknown.sent, "{mech}: salt per name");
    }
}

#[test]
fn ht_unknown_user_fails_like_a_wrong_token() {
    let mech = Mechanism::Ht {
        binding: HtBinding::None,
    };
    let wrong = run(mech, "juliet", "stale-token", 4096);
    let unknown = run(mech, "nobody", "stale-token", 4096);
    assert_eq!((&wrong.error, wrong.step), (&unknown.error, unknown.step));
    assert_eq!(unknown.error, Error::InvalidProof);
}

/// The fastest of a few runs, to keep a busy machine's noise out.
fn fastest(f: impl Fn() -> Trace) -> (Duration, Trace) {
    let mut best = None::<(Duration, Trace)>;
    for _ in 0..3 {
        let start = Instant::now();
        let trace = f();
        let took = start.elapsed();
        if best.as_ref().is_none_or(|(b, _)| took < *b) {
            best = Some((took, trace));
        }
    }
    best.expect("ran")
}

#[test]
fn plain_unknown_user_does_the_same_work() {
    // A known user costs a PBKDF2 run; an unknown user must cost the same,
    // or timing tells them apart. 20,000 iterations make PBKDF2 dominate
    // by orders of magnitude, so a factor of 4 leaves room for noise.
    let (known, wrong) = fastest(|| run(Mechanism::Plain, "juliet", "wrong", 20_000));
    let (unknown, refused) = fastest(|| run(Mechanism::Plain, "nobody", "wrong", 20_000));
    assert_eq!((&wrong.error, wrong.step), (&refused.error, refused.step));
    assert_eq!(
        refused.error.condition(),
        xmpp_sasl::Condition::NotAuthorized
    );
    assert!(
        unknown * 4 >= known,
        "unknown user took {unknown:?}, a known one {known:?}"
    );
}

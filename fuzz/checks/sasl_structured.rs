//! Structure-aware fuzzing of SCRAM (RFC 5802, RFC 7677): a whole exchange
//! between our client and our server with arbitrary valid parameters (a
//! PRECIS username and password from xmpp-precis's generators, the hash,
//! channel binding, salt, iteration count, nonces), one of its four
//! messages mutated in flight (truncated, a byte flipped, a field dropped,
//! repeated, swapped with another or given another value). Invariants:
//!
//! - unmutated with the right password, both sides succeed and the server
//!   authenticates the username; with a wrong one, the server refuses;
//! - whatever the mutation, no panic; the server never authenticates
//!   anyone but the username, nor without the password; a failed session
//!   returns the same error on the next call, with a wire condition.
//!
//! The fuzz target and the regression test of `cargo test -p xtask` (the
//! files of `testdata/fuzz-regressions/sasl_structured/` and the seeds)
//! both run this.

use arbitrary::{Arbitrary, Unstructured};
use xmpp_precis::{ValidOpaqueString, ValidUsernameCaseMapped};
use xmpp_sasl::{
    CbindFlag, ChannelBinding, ChannelBindingType, Choice, ClientConfig, ClientSession, ClientStep,
    Credentials, Hash, Limits, Mechanism, Nonce, Prep, ServerConfig, ServerSecret, ServerSession,
    ServerStep, StoredCredentials,
};

/// A change to one message, field by field (SCRAM messages are
/// comma-separated `a=value` fields).
#[derive(Arbitrary, Debug)]
enum Mutation {
    Truncate(u16),
    FlipByte(u16, u8),
    DropField(u8),
    RepeatField(u8),
    SwapFields(u8, u8),
    ReplaceValue(u8, Vec<u8>),
}

#[derive(Arbitrary, Debug)]
struct Exchange {
    hash: u8,
    plus: bool,
    precis: bool,
    username: ValidUsernameCaseMapped,
    password: ValidOpaqueString,
    /// The client's password, when it is not the account's.
    wrong_password: Option<ValidOpaqueString>,
    salt: [u8; 12],
    iterations: u8,
    client_nonce: u64,
    server_nonce: u64,
    /// Which message (0 client-first, 1 server-first, 2 client-final,
    /// 3 server-final) and how.
    mutation: Option<(u8, Mutation)>,
}

fn mutate(message: &[u8], m: &Mutation) -> Vec<u8> {
    let mut out = message.to_vec();
    let mut fields: Vec<Vec<u8>> = message.split(|&b| b == b',').map(<[u8]>::to_vec).collect();
    let n = fields.len();
    match m {
        Mutation::Truncate(at) => {
            out.truncate(usize::from(*at) % (out.len() + 1));
            return out;
        }
        Mutation::FlipByte(at, mask) => {
            let len = out.len();
            if let Some(b) = out.get_mut(usize::from(*at) % len.max(1)) {
                *b ^= (*mask).max(1);
            }
            return out;
        }
        Mutation::DropField(i) => {
            fields.remove(usize::from(*i) % n);
        }
        Mutation::RepeatField(i) => {
            let f = fields[usize::from(*i) % n].clone();
            fields.insert(usize::from(*i) % n, f);
        }
        Mutation::SwapFields(a, b) => fields.swap(usize::from(*a) % n, usize::from(*b) % n),
        Mutation::ReplaceValue(i, value) => {
            let f = &mut fields[usize::from(*i) % n];
            let keep = f.iter().position(|&b| b == b'=').map_or(0, |p| p + 1);
            f.truncate(keep);
            f.extend(value.iter().take(64));
        }
    }
    fields.join(&b","[..])
}

/// Asserts that `step` failed with an error that has a wire condition and
/// that the session gives it again.
fn sticks<T, E: PartialEq + core::fmt::Debug + core::fmt::Display>(
    first: &Result<T, E>,
    again: Result<T, E>,
    condition: impl Fn(&E) -> &'static str,
) {
    if let Err(e) = first {
        assert!(!condition(e).is_empty() && !e.to_string().is_empty());
        assert_eq!(
            again.err().as_ref(),
            Some(e),
            "a failed session must keep its error"
        );
    }
}

/// Runs one input; panics when an invariant does not hold.
pub(crate) fn run(data: &[u8]) {
    let Ok(x) = Exchange::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    let hash = [Hash::Sha1, Hash::Sha256, Hash::Sha512][usize::from(x.hash % 3)];
    let mechanism = Mechanism::Scram { hash, plus: x.plus };
    let prep = if x.precis {
        Prep::PrecisCaseMapped
    } else {
        Prep::None
    };
    let iterations = u32::from(x.iterations % 16) + 1;
    let limits = Limits::new()
        .iterations(1, 16)
        .min_salt_len(1)
        .min_nonce_len(1);
    let binding = ChannelBinding::new(ChannelBindingType::TlsExporter, *b"structured fuzz binding");
    let username = x.username.0;
    let account_password = x.password.0;
    let client_password = x
        .wrong_password
        .as_ref()
        .map_or(&account_password, |p| &p.0)
        .clone();
    let wrong = client_password != account_password;

    let client_config = ClientConfig::new()
        .username(username.clone())
        .password(client_password)
        .prep(prep)
        .limits(limits)
        .channel_binding(binding.clone());
    let cbind = if x.plus {
        CbindFlag::Bind(ChannelBindingType::TlsExporter)
    } else {
        CbindFlag::Unsupported
    };
    let (Ok(cnonce), Ok(snonce), Ok(secret)) = (
        Nonce::new(format!("c{:016x}", x.client_nonce)),
        Nonce::new(format!("s{:016x}", x.server_nonce)),
        ServerSecret::new(*b"the fuzz server secret, 32 bytes"),
    ) else {
        return;
    };
    let Ok(mut client) = ClientSession::new(Choice { mechanism, cbind }, client_config, cnonce)
    else {
        return;
    };
    let server_config = ServerConfig::new(secret)
        .mechanisms([mechanism])
        .prep(prep)
        .encrypted(true)
        .channel_binding(binding);
    let Ok(mut server) = ServerSession::new(mechanism, server_config, snonce) else {
        panic!("a server session for {mechanism:?}");
    };
    let in_flight = |index: u8, message: Vec<u8>| match &x.mutation {
        Some((i, m)) if i % 4 == index => mutate(&message, m),
        _ => message,
    };
    let mutated = x.mutation.is_some();
    let client_condition = |e: &xmpp_sasl::Error| e.condition().as_str();

    // client-first
    let step = client.step(b"");
    let Ok(ClientStep::Send(first)) = step else {
        panic!("the client must start a SCRAM exchange: {step:?}");
    };
    let first = in_flight(0, first.to_vec());
    // server-first, after the credentials of the user it names
    let mut step = server.step(&first);
    if let Ok(ServerStep::NeedCredentials(req)) = &step {
        // Only the account's own name gets its password: another name
        // gets a password the client does not know.
        let password = if req.authcid.as_deref() == Some(username.as_str()) {
            account_password.as_str()
        } else {
            "not the password"
        };
        let Ok(creds) = StoredCredentials::from_password(hash, prep, password, &x.salt, iterations)
        else {
            return;
        };
        step = server.credentials(Credentials::Scram(creds));
    }
    if step.is_err() {
        assert!(
            mutated,
            "the server refused an unmutated client-first: {step:?}"
        );
        sticks(&step, server.step(b""), client_condition);
        return;
    }
    let Ok(ServerStep::Challenge(challenge)) = step else {
        panic!("the server must challenge: {step:?}");
    };
    // client-final
    let step = client.step(&in_flight(1, challenge));
    let Ok(ClientStep::Send(last)) = &step else {
        assert!(
            mutated,
            "the client refused an unmutated server-first: {step:?}"
        );
        sticks(&step, client.step(b""), client_condition);
        return;
    };
    // server-final
    let step = server.step(&in_flight(2, last.to_vec()));
    let Ok(ServerStep::Success(success)) = &step else {
        assert!(
            mutated || wrong,
            "the server refused the right proof: {step:?}"
        );
        sticks(&step, server.step(b""), client_condition);
        return;
    };
    assert!(
        !wrong,
        "the server authenticated a client without the password"
    );
    assert_eq!(
        success.authcid.as_deref(),
        Some(username.as_str()),
        "the server authenticated someone else"
    );
    let Some(server_final) = success.additional_data.clone() else {
        panic!("SCRAM success carries the server-final message");
    };
    let step = client.step(&in_flight(3, server_final));
    match &step {
        Ok(ClientStep::Done { .. }) => {}
        _ => {
            assert!(
                mutated,
                "the client refused the server's signature: {step:?}"
            );
            sticks(&step, client.step(b""), client_condition);
        }
    }
}

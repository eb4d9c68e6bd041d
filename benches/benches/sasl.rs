//! SCRAM-SHA-256 at 4,096 iterations: a full exchange (client and server in
//! memory) with xmpp-sasl and with rsasl, next to one bare
//! `pbkdf2_hmac::<Sha256>` call, the floor any client must pay; then the
//! server's own cost per exchange when it holds stored keys (no PBKDF2).
//!
//! `cargo bench -p xmpp-benches --bench sasl -- --warm-up-time 1 --measurement-time 3`

#![allow(
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    reason = "a benchmark binary"
)]

use std::hint::black_box;
use std::io::Cursor;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use rsasl::callback::{Context, Request, SessionCallback, SessionData};
use rsasl::mechanisms::scram::properties::ScramStoredPassword;
use rsasl::prelude::{Mechname, SASLClient, SASLConfig, SASLServer, SessionError};
use rsasl::validate::NoValidation;
use sha2::Sha256;
use xmpp_sasl::{
    Choice, ClientConfig, ClientSession, ClientStep, Credentials, Hash, Mechanism, Nonce, Prep,
    ServerConfig, ServerSecret, ServerSession, ServerStep, StoredCredentials,
};

const SALT: &[u8] = b"0123456789abcdef";
const ITERATIONS: u32 = 4096;
const MECH: Mechanism = Mechanism::Scram {
    hash: Hash::Sha256,
    plus: false,
};

/// The server configuration: a fixed secret, default policy.
fn server_config() -> ServerConfig {
    ServerConfig::new(ServerSecret::new(*b"the bench's server secret, 32 B.").unwrap())
}

fn stored() -> StoredCredentials {
    StoredCredentials::from_password(Hash::Sha256, Prep::SaslPrep, "pencil", SALT, ITERATIONS)
        .unwrap()
}

/// One full exchange with xmpp-sasl; returns the server's verdict.
fn ours(stored: &StoredCredentials) -> bool {
    let config = ClientConfig::new().username("user").password("pencil");
    let mut client = ClientSession::new(
        Choice::unbound(MECH),
        config,
        Nonce::new("rOprNGfwEbeRWgbNEkqO").unwrap(),
    )
    .unwrap();
    let mut server = ServerSession::new(
        MECH,
        server_config(),
        Nonce::new("%hvYDpWUa2RaTCAfuxFIlj").unwrap(),
    )
    .unwrap();
    let ClientStep::Send(first) = client.step(b"").unwrap() else {
        panic!()
    };
    let ServerStep::NeedCredentials(_) = server.step(&first).unwrap() else {
        panic!()
    };
    let ServerStep::Challenge(challenge) = server
        .credentials(Credentials::Scram(stored.clone()))
        .unwrap()
    else {
        panic!()
    };
    let ClientStep::Send(fin) = client.step(&challenge).unwrap() else {
        panic!()
    };
    let ServerStep::Success(s) = server.step(&fin).unwrap() else {
        panic!()
    };
    matches!(
        client.step(&s.additional_data.unwrap()).unwrap(),
        ClientStep::Done { .. }
    )
}

/// rsasl's server asks this for the stored keys.
struct Store {
    stored: StoredCredentials,
}

impl SessionCallback for Store {
    fn callback(
        &self,
        _: &SessionData,
        _: &Context<'_>,
        request: &mut Request<'_>,
    ) -> Result<(), SessionError> {
        request.satisfy::<ScramStoredPassword<'_>>(&ScramStoredPassword::new(
            ITERATIONS,
            SALT,
            self.stored.stored_key(),
            self.stored.server_key(),
        ))?;
        Ok(())
    }
}

/// The same exchange with rsasl.
fn rsasl_exchange(server_config: &Arc<SASLConfig>) -> bool {
    let mech = Mechname::parse(b"SCRAM-SHA-256").unwrap();
    let client_config =
        SASLConfig::with_credentials(None, "user".to_owned(), "pencil".to_owned()).unwrap();
    let mut client = SASLClient::new(client_config)
        .start_suggested(&[mech])
        .unwrap();
    let mut server = SASLServer::<NoValidation>::new(server_config.clone())
        .start_suggested(mech)
        .unwrap();
    let mut to_server = Cursor::new(Vec::new());
    client.step(None, &mut to_server).unwrap();
    loop {
        let mut to_client = Cursor::new(Vec::new());
        let state = server
            .step(Some(to_server.get_ref()), &mut to_client)
            .unwrap();
        to_server = Cursor::new(Vec::new());
        client
            .step(Some(to_client.get_ref()), &mut to_server)
            .unwrap();
        if !state.is_running() {
            return true;
        }
    }
}

fn exchange(c: &mut Criterion) {
    let stored = stored();
    assert!(
        ours(&stored),
        "our exchange must succeed before it is timed"
    );
    let server_config = SASLConfig::builder()
        .with_defaults()
        .with_callback(Store {
            stored: stored.clone(),
        })
        .unwrap();
    assert!(rsasl_exchange(&server_config));
    let mut g = c.benchmark_group("scram-sha-256 exchange, 4096 iterations");
    g.sample_size(20);
    g.bench_function("xmpp-sasl", |b| b.iter(|| black_box(ours(&stored))));
    g.bench_function("rsasl", |b| {
        b.iter(|| black_box(rsasl_exchange(&server_config)));
    });
    g.bench_function("pbkdf2_hmac::<Sha256> (floor)", |b| {
        b.iter(|| {
            let mut out = [0u8; 32];
            pbkdf2::pbkdf2_hmac::<Sha256>(black_box(b"pencil"), SALT, ITERATIONS, &mut out);
            out
        });
    });
    g.finish();
}

fn server_with_stored_keys(c: &mut Criterion) {
    let stored = stored();
    // The exchange is deterministic with fixed nonces, so the client's two
    // messages can be made once and replayed against fresh servers.
    let config = ClientConfig::new().username("user").password("pencil");
    let mut client = ClientSession::new(
        Choice::unbound(MECH),
        config,
        Nonce::new("rOprNGfwEbeRWgbNEkqO").unwrap(),
    )
    .unwrap();
    let server_nonce = "%hvYDpWUa2RaTCAfuxFIlj";
    let mut server =
        ServerSession::new(MECH, server_config(), Nonce::new(server_nonce).unwrap()).unwrap();
    let ClientStep::Send(first) = client.step(b"").unwrap() else {
        panic!()
    };
    server.step(&first).unwrap();
    let ServerStep::Challenge(challenge) = server
        .credentials(Credentials::Scram(stored.clone()))
        .unwrap()
    else {
        panic!()
    };
    let ClientStep::Send(fin) = client.step(&challenge).unwrap() else {
        panic!()
    };
    let mut g = c.benchmark_group("server work per exchange, stored keys");
    g.bench_function("xmpp-sasl", |b| {
        b.iter(|| {
            let mut server =
                ServerSession::new(MECH, server_config(), Nonce::new(server_nonce).unwrap())
                    .unwrap();
            server.step(black_box(&first)).unwrap();
            server
                .credentials(Credentials::Scram(stored.clone()))
                .unwrap();
            matches!(
                server.step(black_box(&fin)).unwrap(),
                ServerStep::Success(_)
            )
        });
    });
    g.finish();
}

/// On a shared, loaded machine criterion's sequential groups drift apart;
/// this runs the three contenders interleaved, round after round, and
/// prints each one's minimum and median, so load hits all three alike.
fn interleaved(_: &mut Criterion) {
    let stored = stored();
    let server_config = SASLConfig::builder()
        .with_defaults()
        .with_callback(Store {
            stored: stored.clone(),
        })
        .unwrap();
    let floor = || {
        let mut out = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<Sha256>(black_box(b"pencil"), SALT, ITERATIONS, &mut out);
        black_box(out);
    };
    // Our own PBKDF2 step alone: the exchange minus this is our overhead.
    let our_pbkdf2 = || {
        black_box(
            xmpp_sasl::SaltedPassword::derive(Hash::Sha256, Prep::None, "pencil", SALT, ITERATIONS)
                .unwrap(),
        );
    };
    let mut times: [Vec<std::time::Duration>; 4] = Default::default();
    for round in 0..150 {
        // Rotate the order each round so no contender always follows another.
        for k in 0..4 {
            let which = (round + k) % 4;
            let t = std::time::Instant::now();
            match which {
                0 => drop(black_box(ours(&stored))),
                1 => drop(black_box(rsasl_exchange(&server_config))),
                2 => floor(),
                _ => our_pbkdf2(),
            }
            times[which].push(t.elapsed());
        }
    }
    for (name, t) in ["xmpp-sasl", "rsasl", "pbkdf2 floor", "our pbkdf2"]
        .iter()
        .zip(times.iter_mut())
    {
        t.sort();
        println!(
            "interleaved {name:>12}: min {:?}  median {:?}",
            t[0],
            t[t.len() / 2]
        );
    }
}

criterion_group!(benches, exchange, server_with_stored_keys, interleaved);
criterion_main!(benches);

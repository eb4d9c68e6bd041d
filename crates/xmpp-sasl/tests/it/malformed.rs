//! The malformed-message tables `testdata/sasl/malformed-*-received.tsv`:
//! each row must fail with its condition (and SCRAM e= value), never panic,
//! and leave the session failed with the same error.

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::common::server_config;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use xmpp_sasl::{
    ChannelBinding, ChannelBindingType, ClientConfig, ClientSession, ClientStep, Credentials,
    Error, Hash, Mechanism, Nonce, Prep, ServerSession, ServerStep, StoredCredentials,
};

use crate::common::dir;

const CLIENT_NONCE: &str = "rOprNGfwEbeRWgbNEkqO";
const SERVER_NONCE: &str = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
const SALT: &str = "W22ZaJ0SNY7soEsUEjb6gQ==";
const SERVER_FIRST: &str =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";

/// Decodes the table's input notation.
pub(crate) fn decode_input(s: &str) -> Vec<u8> {
    if let Some(rest) = s.strip_prefix("repeat:") {
        let (n, text) = rest.split_once(':').expect("repeat:N:TEXT");
        return decode_input(text).repeat(n.parse().expect("count"));
    }
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        if c != b'\\' {
            out.push(c);
            i += 1;
            continue;
        }
        match b.get(i + 1) {
            Some(b'0') => {
                out.push(0);
                i += 2;
            }
            Some(b'\\') => {
                out.push(b'\\');
                i += 2;
            }
            Some(b't') => {
                out.push(b'\t');
                i += 2;
            }
            Some(b'x') => {
                let hex = std::str::from_utf8(&b[i + 2..i + 4]).expect("hex");
                out.push(u8::from_str_radix(hex, 16).expect("hex"));
                i += 4;
            }
            _ => panic!("bad escape in {s:?}"),
        }
    }
    out
}

fn rows(file: &str) -> Vec<Vec<String>> {
    let text = std::fs::read_to_string(dir().join(file)).expect("table");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

fn stored() -> StoredCredentials {
    let salt = STANDARD.decode(SALT).expect("salt");
    StoredCredentials::from_password(Hash::Sha256, Prep::SaslPrep, "pencil", &salt, 4096)
        .expect("derive")
}

fn server_fail(
    mech: Mechanism,
    setup: &str,
    stage: &str,
    input: &[u8],
) -> Result<ServerStep, Error> {
    let mut config = server_config().encrypted(true);
    if setup == "cb" || mech.uses_channel_binding() {
        config = config.channel_binding(ChannelBinding::new(
            ChannelBindingType::TlsExporter,
            *b"cbdata",
        ));
    }
    let mut server = ServerSession::new(mech, config, Nonce::new(SERVER_NONCE)?)?;
    let creds = |m: Mechanism| match m {
        Mechanism::Scram { .. } => Credentials::Scram(stored()),
        Mechanism::External => Credentials::External("CN=user".to_owned()),
        Mechanism::Ht { .. } => Credentials::Token("token".to_owned().into()),
        _ => Credentials::Password("pencil".to_owned().into()),
    };
    let mut feed = |msg: &[u8]| -> Result<ServerStep, Error> {
        match server.step(msg)? {
            ServerStep::NeedCredentials(req)
                if req.authcid.as_deref().is_some_and(|u| u != "user") =>
            {
                server.credentials(Credentials::UnknownUser)
            }
            ServerStep::NeedCredentials(_) => server.credentials(creds(mech)),
            other => Ok(other),
        }
    };
    if stage == "final" {
        feed(format!("n,,n=user,r={CLIENT_NONCE}").as_bytes()).expect("valid client-first");
    }
    let result = feed(input);
    if let Err(e) = &result {
        // A failed session keeps failing the same way.
        assert_eq!(
            server.step(b"n,,n=user,r=abcdefghijk").as_ref().err(),
            Some(e),
            "sticky error"
        );
    }
    result
}

#[test]
fn server_refuses_every_malformed_message() {
    let rows = rows("malformed-server-received.tsv");
    assert!(
        rows.len() >= 40,
        "at least 40 server cases, found {}",
        rows.len()
    );
    for row in rows {
        let [case, mech, setup, stage, input, condition, scram] = &row[..] else {
            panic!("bad row {row:?}");
        };
        let mechanism =
            Mechanism::from_name(mech).unwrap_or_else(|| panic!("{case}: mechanism {mech}"));
        let input = decode_input(input);
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            server_fail(mechanism, setup, stage, &input)
        }))
        .unwrap_or_else(|_| panic!("{case}: panicked"));
        let err = match outcome {
            Err(e) => e,
            Ok(step) => panic!("{case}: accepted: {step:?}"),
        };
        assert_eq!(err.condition().as_str(), condition, "{case}: {err}");
        let e_value = err.scram_error().map_or("-", |e| e.as_str());
        if mechanism.scram_hash().is_some() {
            assert_eq!(e_value, scram, "{case}: e= value for {err}");
        }
        assert!(!err.to_string().is_empty(), "{case}: empty message");
    }
}

fn client_fail(mech: Mechanism, stage: &str, input: &[u8]) -> Result<ClientStep, Error> {
    let config = ClientConfig::new()
        .username("user")
        .password("pencil")
        .token("token");
    let mut client = ClientSession::new(
        crate::common::choice(mech, &config),
        config,
        Nonce::new(CLIENT_NONCE)?,
    )?;
    if stage != "initial" {
        client.step(b"").expect("client-first");
    }
    if stage == "server-final" {
        client
            .step(SERVER_FIRST.as_bytes())
            .expect("valid server-first");
    }
    let result = client.step(input);
    if let Err(e) = &result {
        assert_eq!(client.step(b"").as_ref().err(), Some(e), "sticky error");
    }
    result
}

#[test]
fn client_refuses_every_malformed_message() {
    let rows = rows("malformed-client-received.tsv");
    assert!(
        rows.len() >= 40,
        "at least 40 client cases, found {}",
        rows.len()
    );
    for row in rows {
        let [case, mech, stage, input, condition] = &row[..] else {
            panic!("bad row {row:?}");
        };
        let mechanism =
            Mechanism::from_name(mech).unwrap_or_else(|| panic!("{case}: mechanism {mech}"));
        let input = decode_input(input);
        let outcome = catch_unwind(AssertUnwindSafe(|| client_fail(mechanism, stage, &input)))
            .unwrap_or_else(|_| panic!("{case}: panicked"));
        let err = match outcome {
            Err(e) => e,
            Ok(step) => panic!("{case}: accepted: {step:?}"),
        };
        assert_eq!(err.condition().as_str(), condition, "{case}: {err}");
    }
}

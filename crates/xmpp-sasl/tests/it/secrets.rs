//! No secret reaches a `Debug` rendering: every step, session, phase and
//! error of every mechanism is formatted with a known password, token and
//! channel-binding data, and none of them (raw, as the decimal bytes a
//! derived `Debug` of a `Vec<u8>` prints, or in base64) may appear.

use crate::common::server_config;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use xmpp_sasl::scram::{ClientBinding, ScramClient, ScramServer};
use xmpp_sasl::{
    ChannelBinding, ChannelBindingType, ClientConfig, ClientSession, ClientStep, Credentials, Hash,
    Limits, Mechanism, Nonce, Prep, ServerSession, ServerStep, StoredCredentials,
};

const PASSWORD: &str = "S3cr3t!pw-horse";
const TOKEN: &str = "T0ken-S3cret-battery";
const CB: &[u8] = b"cb-S3cret-staple-data";

/// Every rendering of `secret` a leak could take.
fn renderings(secret: &[u8]) -> Vec<String> {
    let mut out = vec![String::from_utf8_lossy(secret).into_owned()];
    let decimal: Vec<String> = secret.iter().map(u8::to_string).collect();
    out.push(decimal.join(", "));
    // Base64 at each of the three alignments, without the edge characters
    // that depend on the neighbouring bytes.
    for pad in 0..3 {
        let mut padded = vec![0u8; pad];
        padded.extend_from_slice(secret);
        let enc = STANDARD.encode(&padded);
        if let Some(mid) = enc.get(4..enc.len().saturating_sub(4)) {
            out.push(mid.to_owned());
        }
    }
    out
}

fn check(what: &str, rendered: &str) {
    for secret in [PASSWORD.as_bytes(), TOKEN.as_bytes(), CB] {
        for r in renderings(secret) {
            assert!(
                !rendered.contains(&r),
                "{what} leaks {r:?} in its Debug: {rendered}"
            );
        }
    }
}

fn binding(kind: ChannelBindingType) -> ChannelBinding {
    ChannelBinding::new(kind, CB)
}

fn stored(hash: Hash) -> StoredCredentials {
    StoredCredentials::from_password(hash, Prep::SaslPrep, PASSWORD, b"salt-salt-salt", 4096)
        .expect("stored")
}

#[test]
fn no_step_of_any_mechanism_shows_a_secret() {
    for mech in Mechanism::all() {
        let kind = match mech {
            Mechanism::Ht { binding } => binding.channel_binding_type(),
            Mechanism::Scram { plus: true, .. } => Some(ChannelBindingType::TlsExporter),
            _ => None,
        };
        let mut client = ClientConfig::new()
            .username("juliet")
            .password(PASSWORD)
            .token(TOKEN);
        let mut server = server_config().encrypted(true);
        if let Some(kind) = kind {
            client = client.channel_binding(binding(kind));
            server = server.channel_binding(binding(kind));
        }
        check("ClientConfig", &format!("{client:?}"));
        check("ServerConfig", &format!("{server:?}"));
        let mut c = ClientSession::new(
            crate::common::choice(mech, &client),
            client,
            Nonce::new("client-nonce-0123").expect("n"),
        )
        .expect("client");
        let mut s = ServerSession::new(mech, server, Nonce::new("server-nonce-4567").expect("n"))
            .expect("server");
        let mut to_client = Vec::new();
        for _ in 0..4 {
            let step = c.step(&to_client);
            check(&format!("{mech} client step"), &format!("{step:?}"));
            check(&format!("{mech} client session"), &format!("{c:?}"));
            let msg = match step {
                Ok(ClientStep::Send(m)) => m.to_vec(),
                Ok(ClientStep::Done { send: Some(m), .. }) => m.to_vec(),
                _ => break,
            };
            let mut step = s.step(&msg);
            check(&format!("{mech} server step"), &format!("{step:?}"));
            if let Ok(ServerStep::NeedCredentials(req)) = &step {
                let creds = match mech {
                    Mechanism::Scram { hash, .. } => Credentials::Scram(stored(hash)),
                    Mechanism::Ht { .. } => Credentials::Token(TOKEN.to_owned().into()),
                    Mechanism::External => Credentials::External("juliet".to_owned()),
                    _ => Credentials::Password(PASSWORD.to_owned().into()),
                };
                check(&format!("{mech} request"), &format!("{req:?}"));
                check(&format!("{mech} credentials"), &format!("{creds:?}"));
                step = s.credentials(creds);
                check(&format!("{mech} server step"), &format!("{step:?}"));
            }
            check(&format!("{mech} server session"), &format!("{s:?}"));
            match step {
                Ok(ServerStep::Challenge(m)) => to_client = m,
                Ok(ServerStep::Success(success)) => {
                    to_client = success.additional_data.unwrap_or_default();
                }
                _ => break,
            }
        }
    }
}

#[test]
fn no_scram_phase_shows_a_secret() {
    for (plus, cb) in [
        (true, Some(binding(ChannelBindingType::TlsExporter))),
        (false, None),
    ] {
        let client = ScramClient {
            hash: Hash::Sha256,
            binding: cb
                .clone()
                .map_or(ClientBinding::Unsupported, ClientBinding::Bind),
            username: "juliet".to_owned(),
            authzid: None,
            prep: Prep::SaslPrep,
            limits: Limits::default(),
            ssdp: None,
        };
        let server = ScramServer {
            hash: Hash::Sha256,
            plus,
            channel_bindings: cb.into_iter().collect(),
            prep: Prep::SaslPrep,
            limits: Limits::default(),
            ssdp: None,
        };
        check("ScramClient", &format!("{client:?}"));
        check("ScramServer", &format!("{server:?}"));
        let (first_sent, first) = client
            .start(Nonce::new("client-nonce-0123").expect("n"))
            .expect("start");
        check("ClientFirstSent", &format!("{first_sent:?}"));
        let needs = server.client_first(&first).expect("client-first");
        check("NeedsCredentials", &format!("{needs:?}"));
        let (server_first_sent, server_first) = needs
            .credentials(
                stored(Hash::Sha256),
                &Nonce::new("server-nonce-4567").expect("n"),
            )
            .expect("server-first");
        check("ServerFirstSent", &format!("{server_first_sent:?}"));
        let needs_salted = first_sent
            .server_first(&server_first)
            .expect("server-first");
        check("NeedsSaltedPassword", &format!("{needs_salted:?}"));
        let (final_sent, client_final) = needs_salted.password(PASSWORD).expect("final");
        check("ClientFinalSent", &format!("{final_sent:?}"));
        let authenticated = server_first_sent
            .client_final(&client_final)
            .expect("proof");
        check("Authenticated", &format!("{authenticated:?}"));
        let verified = final_sent
            .server_final(&authenticated.server_final, &Limits::default())
            .expect("verified");
        check("ServerVerified", &format!("{verified:?}"));
        check("SaltedPassword", &format!("{:?}", verified.salted_password));
    }
}

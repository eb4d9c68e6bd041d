//! The server side of every mechanism on arbitrary client messages: no
//! panic, no unbounded work, and a failed session keeps returning the same
//! error (the sans-I/O contract).
//!
//! Input: one byte choosing the mechanism, then the client's messages
//! separated by the bytes FF FE (never valid UTF-8, so never inside a
//! well-formed text message).
//!
//! The fuzz target and the regression test of `cargo test -p xtask` (the
//! files of `testdata/fuzz-regressions/sasl_server_step/`) both run this.

#[path = "sasl_split.rs"]
mod sasl_split;
use xmpp_sasl::{
    ChannelBinding, ChannelBindingType, Credentials, Mechanism, Nonce, ServerConfig, ServerSecret,
    ServerSession, ServerStep, StoredCredentials,
};

/// Runs one input; panics when an invariant does not hold.
pub(crate) fn run(data: &[u8]) {
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let mechs: Vec<Mechanism> = Mechanism::all().collect();
    let Some(&mech) = mechs.get(usize::from(choice) % mechs.len()) else {
        return;
    };
    let Ok(secret) = ServerSecret::new(*b"the fuzz server secret, 32 bytes") else {
        return;
    };
    let mut config = ServerConfig::new(secret)
        .mechanisms(Mechanism::all())
        .encrypted(true);
    for kind in [
        ChannelBindingType::TlsExporter,
        ChannelBindingType::TlsServerEndPoint,
        ChannelBindingType::TlsUnique,
    ] {
        config = config.channel_binding(ChannelBinding::new(kind, *b"fuzz binding"));
    }
    let Ok(nonce) = Nonce::new("server-nonce-fuzz") else {
        return;
    };
    let Ok(mut server) = ServerSession::new(mech, config, nonce) else {
        return;
    };
    let mut failed = None;
    for msg in sasl_split::messages(rest) {
        let mut step = server.step(msg);
        if let Ok(ServerStep::NeedCredentials(req)) = &step {
            let creds = match req.mechanism {
                Mechanism::Scram { hash, .. } => {
                    let len = hash.output_len();
                    match StoredCredentials::new(
                        hash,
                        b"salt-salt-salt",
                        4096,
                        &vec![1; len],
                        &vec![2; len],
                    ) {
                        Ok(c) => Credentials::Scram(c),
                        Err(_) => return,
                    }
                }
                Mechanism::External => Credentials::External("CN=fuzz".to_owned()),
                Mechanism::Ht { .. } => Credentials::Token("token".to_owned().into()),
                _ => Credentials::Password("pencil".to_owned().into()),
            };
            step = server.credentials(creds);
        }
        if let Some(e) = &failed {
            assert_eq!(
                step.as_ref().err(),
                Some(e),
                "a failed session must keep its error"
            );
        }
        if let Err(e) = step {
            // Every error maps to a wire condition with a message.
            assert!(!e.condition().as_str().is_empty() && !e.to_string().is_empty());
            failed = Some(e);
        }
    }
}

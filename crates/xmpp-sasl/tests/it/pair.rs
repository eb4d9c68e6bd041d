//! Client and server driven against each other in memory.

use crate::common::server_config;
use xmpp_sasl::{
    CbindFlag, ChannelBinding, ChannelBindingType, Choice, ClientConfig, ClientSession, ClientStep,
    Condition, Credentials, Error, Hash, Mechanism, Nonce, Prep, Refusal, SaltedPassword,
    ServerConfig, ServerSession, ServerStep, Ssdp, SsdpForm, StoredCredentials, Success,
};

/// How the server's caller answers lookups.
pub(crate) struct Account {
    pub(crate) username: String,
    pub(crate) password: String,
    pub(crate) prep: Prep,
    pub(crate) iterations: u32,
}

impl Account {
    pub(crate) fn new(username: &str, password: &str) -> Self {
        Self {
            username: username.to_owned(),
            password: password.to_owned(),
            prep: Prep::SaslPrep,
            iterations: 4096,
        }
    }

    fn answer(&self, mech: Mechanism, authcid: Option<&str>) -> Credentials {
        let Ok(me) = self.prep.prepare(&self.username, xmpp_sasl::Field::Authcid) else {
            return Credentials::UnknownUser;
        };
        match mech {
            Mechanism::External => Credentials::External(self.username.clone()),
            Mechanism::Ht { .. } if authcid == Some(&*me) => {
                Credentials::Token(self.password.clone().into())
            }
            _ if authcid != Some(&*me) => Credentials::UnknownUser,
            Mechanism::Scram { hash, .. } => {
                match StoredCredentials::from_password(
                    hash,
                    self.prep,
                    &self.password,
                    b"salt-salt-salt",
                    self.iterations,
                ) {
                    Ok(s) => Credentials::Scram(s),
                    Err(_) => Credentials::Refuse(Refusal::TemporaryAuthFailure),
                }
            }
            _ => Credentials::Password(self.password.clone().into()),
        }
    }
}

/// The outcome of one exchange: the client's and the server's.
pub(crate) type Outcome = (Result<Success, Error>, Result<Success, Error>);

/// Runs one exchange; `tamper` may change any message in flight (index, bytes).
pub(crate) fn exchange(
    mech: Mechanism,
    client: ClientConfig,
    server: ServerConfig,
    account: &Account,
    tamper: impl FnMut(usize, &mut Vec<u8>),
) -> Outcome {
    let choice = crate::common::choice(mech, &client);
    exchange_choice(choice, client, server, account, tamper)
}

/// [`exchange`] with the client's choice made by the caller.
pub(crate) fn exchange_choice(
    choice: Choice,
    client: ClientConfig,
    server: ServerConfig,
    account: &Account,
    mut tamper: impl FnMut(usize, &mut Vec<u8>),
) -> Outcome {
    let mech = choice.mechanism;
    let mut c = match ClientSession::new(
        choice,
        client,
        Nonce::new("client-nonce-0123").expect("nonce"),
    ) {
        Ok(c) => c,
        Err(e) => return (Err(e.clone()), Err(e)),
    };
    let mut s = match ServerSession::new(
        mech,
        server,
        Nonce::new("server-nonce-4567").expect("nonce"),
    ) {
        Ok(s) => s,
        Err(e) => return (Err(e.clone()), Err(e)),
    };
    let mut to_client: Vec<u8> = Vec::new();
    let mut n = 0;
    let mut client_done: Option<Result<Success, Error>> = None;
    loop {
        // Client turn.
        let msg = if client_done.is_none() {
            match c.step(&to_client) {
                Ok(ClientStep::Send(m)) => m.to_vec(),
                Ok(ClientStep::Done { send, success }) => {
                    client_done = Some(Ok(success));
                    match send {
                        Some(m) => m.to_vec(),
                        None => {
                            return (
                                client_done.unwrap_or(Err(Error::Aborted)),
                                server_done(&mut s),
                            );
                        }
                    }
                }
                Err(e) => return (Err(e), Err(Error::Aborted)),
            }
        } else {
            Vec::new()
        };
        let mut msg = msg;
        tamper(n, &mut msg);
        n += 1;
        // Server turn.
        let mut step = s.step(&msg);
        if let Ok(ServerStep::NeedCredentials(req)) = &step {
            step = s.credentials(account.answer(req.mechanism, req.authcid.as_deref()));
        }
        match step {
            Ok(ServerStep::Challenge(mut m)) => {
                tamper(n, &mut m);
                n += 1;
                to_client = m;
            }
            Ok(ServerStep::Success(success)) => {
                if let Some(done) = client_done {
                    return (done, Ok(success));
                }
                let mut data = success.additional_data.clone().unwrap_or_default();
                tamper(n, &mut data);
                let client = match c.step(&data) {
                    Ok(ClientStep::Done { success: cs, .. }) => Ok(cs),
                    Ok(other) => panic!("client wanted more after success: {other:?}"),
                    Err(e) => Err(e),
                };
                return (client, Ok(success));
            }
            Ok(ServerStep::NeedCredentials(_)) => panic!("two lookups"),
            Err(e) => return (client_done.unwrap_or(Err(Error::Aborted)), Err(e)),
        }
    }
}

fn server_done(_: &mut ServerSession) -> Result<Success, Error> {
    Err(Error::Aborted)
}

fn scram(hash: Hash, plus: bool) -> Mechanism {
    Mechanism::Scram { hash, plus }
}

const HASHES: [Hash; 3] = [Hash::Sha1, Hash::Sha256, Hash::Sha512];
const CB_TYPES: [ChannelBindingType; 3] = [
    ChannelBindingType::TlsUnique,
    ChannelBindingType::TlsServerEndPoint,
    ChannelBindingType::TlsExporter,
];

#[test]
fn every_mechanism_succeeds() {
    let account = Account::new("juliet", "r0m3o");
    let client = || ClientConfig::new().username("juliet").password("r0m3o");
    let server = || server_config().encrypted(true);
    for m in [Mechanism::Plain, Mechanism::External, Mechanism::Anonymous] {
        let (c, s) = exchange(m, client(), server(), &account, |_, _| {});
        assert!(c.is_ok() && s.is_ok(), "{m}: {c:?} {s:?}");
    }
    for hash in HASHES {
        let (c, s) = exchange(scram(hash, false), client(), server(), &account, |_, _| {});
        assert_eq!(
            s.expect("server").authcid.as_deref(),
            Some("juliet"),
            "{hash}"
        );
        assert!(c.expect("client").additional_data.is_some(), "{hash}");
        for kind in CB_TYPES {
            let cb = ChannelBinding::new(kind, *b"the TLS layer's binding data");
            let (c, s) = exchange(
                scram(hash, true),
                client().channel_binding(cb.clone()),
                server().channel_binding(cb),
                &account,
                |_, _| {},
            );
            assert!(c.is_ok() && s.is_ok(), "{hash} {kind}: {c:?} {s:?}");
        }
    }
}

#[test]
fn wrong_password_and_unknown_user_fail_as_not_authorized() {
    let account = Account::new("juliet", "r0m3o");
    for m in [Mechanism::Plain, scram(Hash::Sha256, false)] {
        for (user, pw) in [("juliet", "wrong"), ("nobody", "r0m3o")] {
            let client = ClientConfig::new().username(user).password(pw);
            let (c, s) = exchange(
                m,
                client,
                server_config().encrypted(true),
                &account,
                |_, _| {},
            );
            let s = s.expect_err("server must refuse");
            assert_eq!(
                s.condition(),
                Condition::NotAuthorized,
                "{m} {user}/{pw}: {s}"
            );
            if m != Mechanism::Plain {
                assert!(c.is_err(), "{m}: client must not report success");
            }
        }
    }
}

#[test]
fn mismatched_channel_binding_data_fails() {
    let account = Account::new("juliet", "r0m3o");
    let client = ClientConfig::new()
        .username("juliet")
        .password("r0m3o")
        .channel_binding(ChannelBinding::new(
            ChannelBindingType::TlsExporter,
            *b"client side",
        ));
    let server = server_config().channel_binding(ChannelBinding::new(
        ChannelBindingType::TlsExporter,
        *b"mitm side",
    ));
    let (_, s) = exchange(
        scram(Hash::Sha256, true),
        client,
        server,
        &account,
        |_, _| {},
    );
    let s = s.expect_err("server must refuse");
    assert_eq!(
        s.scram_error().map(|e| e.as_str()),
        Some("channel-bindings-dont-match")
    );
}

#[test]
fn downgrade_from_plus_is_detected() {
    // The client can bind but was shown no -PLUS mechanism: it sends `y`.
    // The real server does offer -PLUS, so it refuses.
    let account = Account::new("juliet", "r0m3o");
    let cb = ChannelBinding::new(ChannelBindingType::TlsServerEndPoint, *b"cert hash");
    let client = ClientConfig::new()
        .username("juliet")
        .password("r0m3o")
        .channel_binding(cb.clone());
    let server = server_config().channel_binding(cb);
    let (_, s) = exchange_choice(
        Choice {
            mechanism: scram(Hash::Sha1, false),
            cbind: CbindFlag::NotOffered,
        },
        client,
        server,
        &account,
        |_, _| {},
    );
    assert_eq!(
        s.expect_err("refused").scram_error().map(|e| e.as_str()),
        Some("server-does-support-channel-binding")
    );
}

#[test]
fn authzid_and_escaped_names_round_trip() {
    let account = Account::new("us,er=", "pw");
    let client = ClientConfig::new()
        .username("us,er=")
        .password("pw")
        .authzid("admin,=x@example.com");
    for m in [Mechanism::Plain, scram(Hash::Sha512, false)] {
        let (c, s) = exchange(
            m,
            client.clone(),
            server_config().encrypted(true),
            &account,
            |_, _| {},
        );
        let s = s.expect("server");
        assert_eq!(s.authcid.as_deref(), Some("us,er="), "{m}");
        assert_eq!(s.authzid.as_deref(), Some("admin,=x@example.com"), "{m}");
        assert!(c.is_ok(), "{m}");
    }
}

#[test]
fn ssdp_detects_a_trimmed_mechanism_list() {
    let account = Account::new("juliet", "r0m3o");
    let server = |form| {
        server_config()
            .mechanisms([
                scram(Hash::Sha1, false),
                scram(Hash::Sha256, false),
                scram(Hash::Sha512, false),
                scram(Hash::Sha512, true),
            ])
            .channel_binding(ChannelBinding::new(ChannelBindingType::TlsExporter, *b"x"))
            .ssdp(form)
    };
    // What the client saw, as it would build it from the features.
    let advertised = Ssdp::new(
        [
            "SCRAM-SHA-1",
            "SCRAM-SHA-256",
            "SCRAM-SHA-512",
            "SCRAM-SHA-512-PLUS",
        ],
        Some(["tls-exporter"]),
    );
    assert_eq!(server(SsdpForm::Current).ssdp_lists(), advertised);
    let seen = Ssdp::new(["SCRAM-SHA-1"], Some(["tls-exporter"]));
    for form in [SsdpForm::Current, SsdpForm::Legacy] {
        let server = || server(form);
        let honest = ClientConfig::new()
            .username("juliet")
            .password("r0m3o")
            .ssdp(advertised.clone());
        let (c, s) = exchange(
            scram(Hash::Sha1, false),
            honest,
            server(),
            &account,
            |_, _| {},
        );
        assert!(c.is_ok() && s.is_ok(), "{form:?}: {c:?} {s:?}");
        let fooled = ClientConfig::new()
            .username("juliet")
            .password("r0m3o")
            .ssdp(seen.clone());
        let (c, _) = exchange(
            scram(Hash::Sha1, false),
            fooled,
            server(),
            &account,
            |_, _| {},
        );
        assert_eq!(
            c.expect_err("detected"),
            Error::DowngradeDetected,
            "{form:?}"
        );
    }
}

#[test]
fn ssdp_attribute_is_signed() {
    // A man in the middle who rewrites h= to match his trimmed list breaks
    // the proof, because the AuthMessage covers the exact server-first.
    let account = Account::new("juliet", "r0m3o");
    let server = server_config()
        .mechanisms([scram(Hash::Sha1, false), scram(Hash::Sha256, false)])
        .ssdp(SsdpForm::Current);
    let advertised = server.ssdp_lists();
    assert_eq!(
        advertised,
        Ssdp::new(["SCRAM-SHA-1", "SCRAM-SHA-256"], None::<[&str; 0]>)
    );
    let trimmed = Ssdp::new(["SCRAM-SHA-1"], None::<[&str; 0]>);
    let forged = trimmed.value(Hash::Sha1, SsdpForm::Current);
    let client = ClientConfig::new()
        .username("juliet")
        .password("r0m3o")
        .ssdp(trimmed);
    let real = advertised.value(Hash::Sha1, SsdpForm::Current);
    let (c, s) = exchange(
        scram(Hash::Sha1, false),
        client,
        server,
        &account,
        |i, m| {
            if i == 1 {
                let text = String::from_utf8(m.clone())
                    .expect("utf-8")
                    .replace(&real, &forged);
                *m = text.into_bytes();
            }
        },
    );
    assert!(
        s.is_err(),
        "server must refuse the proof over a forged server-first: {s:?}"
    );
    assert!(c.is_err());
}

#[test]
fn cached_salted_password_skips_pbkdf2() {
    let account = Account::new("juliet", "r0m3o");
    let salted = SaltedPassword::derive(
        Hash::Sha256,
        Prep::SaslPrep,
        "r0m3o",
        b"salt-salt-salt",
        4096,
    )
    .expect("derive");
    let mut client = ClientConfig::new().username("juliet");
    client.salted_password = Some((salted, b"salt-salt-salt".to_vec(), 4096));
    let (c, s) = exchange(
        scram(Hash::Sha256, false),
        client,
        server_config(),
        &account,
        |_, _| {},
    );
    assert!(c.is_ok() && s.is_ok(), "{c:?} {s:?}");
}

#[test]
fn plain_needs_encryption_unless_allowed() {
    let err = ServerSession::new(
        Mechanism::Plain,
        server_config(),
        Nonce::new("n").expect("n"),
    )
    .expect_err("refused");
    assert_eq!(err.condition(), Condition::EncryptionRequired);
    assert!(
        ServerSession::new(
            Mechanism::Plain,
            server_config().allow_plain_unencrypted(true),
            Nonce::new("n").expect("n")
        )
        .is_ok()
    );
}

#[test]
fn refusals_carry_the_callers_condition() {
    for refusal in [
        Refusal::AccountDisabled,
        Refusal::CredentialsExpired,
        Refusal::InvalidAuthzid,
        Refusal::MechanismTooWeak,
        Refusal::TemporaryAuthFailure,
    ] {
        let mut s = ServerSession::new(
            Mechanism::Plain,
            server_config().encrypted(true),
            Nonce::new("n").expect("n"),
        )
        .expect("server");
        assert!(matches!(
            s.step(b"\0user\0pw"),
            Ok(ServerStep::NeedCredentials(_))
        ));
        assert_eq!(
            s.credentials(Credentials::Refuse(refusal))
                .map_err(|e| e.condition()),
            Err(refusal.condition())
        );
    }
}

#[test]
fn opaque_string_prep_works_end_to_end() {
    let mut account = Account::new("juliet", "correct\u{00A0}horse");
    account.prep = Prep::PrecisCaseMapped;
    let client = ClientConfig::new()
        .username("juliet")
        .password("correct horse")
        .prep(Prep::PrecisCaseMapped);
    let server = server_config().prep(Prep::PrecisCaseMapped);
    let (c, s) = exchange(
        scram(Hash::Sha256, false),
        client,
        server,
        &account,
        |_, _| {},
    );
    assert!(c.is_ok() && s.is_ok(), "{c:?} {s:?}");
}

#[test]
fn ht_round_trips_and_refuses_wrong_tokens() {
    use xmpp_sasl::{HtBinding, HtVersion};
    let account = Account::new("juliet", "fast-token-0123456789");
    for version in [HtVersion::Schmaus09, HtVersion::Ietf01] {
        for binding in [
            HtBinding::None,
            HtBinding::Unique,
            HtBinding::EndPoint,
            HtBinding::Exporter,
        ] {
            let m = Mechanism::Ht { binding };
            let mut client = ClientConfig::new().username("juliet").ht_version(version);
            let mut server = server_config().ht_version(version);
            if let Some(kind) = binding.channel_binding_type() {
                client = client.channel_binding(ChannelBinding::new(kind, *b"binding"));
                server = server.channel_binding(ChannelBinding::new(kind, *b"binding"));
            }
            let (c, s) = exchange(
                m,
                client.clone().token("fast-token-0123456789"),
                server.clone(),
                &account,
                |_, _| {},
            );
            assert!(c.is_ok() && s.is_ok(), "{m} {version:?}: {c:?} {s:?}");
            let (c, s) = exchange(m, client.token("stale-token"), server, &account, |_, _| {});
            assert_eq!(
                s.expect_err("refused").condition(),
                Condition::NotAuthorized,
                "{m}"
            );
            assert!(c.is_err(), "{m}");
        }
    }
}

#[test]
fn flag_y_is_fine_when_the_server_cannot_bind() {
    // RFC 5802 §6: a client that could bind but saw no -PLUS sends `y`; a
    // server without binding data has nothing to detect and accepts.
    let account = Account::new("juliet", "r0m3o");
    let cb = ChannelBinding::new(ChannelBindingType::TlsExporter, *b"client side only");
    let client = ClientConfig::new()
        .username("juliet")
        .password("r0m3o")
        .channel_binding(cb);
    let (c, s) = exchange_choice(
        Choice {
            mechanism: scram(Hash::Sha256, false),
            cbind: CbindFlag::NotOffered,
        },
        client,
        server_config(),
        &account,
        |i, m| {
            if i == 0 {
                assert!(
                    m.starts_with(b"y,,"),
                    "client must send y: {}",
                    String::from_utf8_lossy(m)
                );
            }
        },
    );
    assert!(c.is_ok() && s.is_ok(), "{c:?} {s:?}");
}

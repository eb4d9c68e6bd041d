//! Server and session policy: the server's own nonce, the gs2 flag a
//! choice carries, authzid preparation, XEP-0484 replay and expiry, and the
//! advertised lists derived from the configuration.

use xmpp_sasl::{
    CbindFlag, ChannelBinding, ChannelBindingType, Choice, ClientConfig, ClientSession, ClientStep,
    Condition, Credentials, Error, FastSlot, FastTokenSlot, Hash, Mechanism, Nonce, Prep,
    ServerConfig, ServerSession, ServerStep, Ssdp, StoredCredentials,
};

use zeroize::Zeroizing;

use crate::common::server_config;

fn scram(hash: Hash, plus: bool) -> Mechanism {
    Mechanism::Scram { hash, plus }
}

#[test]
fn server_refuses_its_own_short_nonce() {
    // RFC 5802 §5.1: the server appends its own fresh nonce; one shorter
    // than the limit it demands of clients adds too little randomness.
    let short = || Nonce::new("abc").expect("printable");
    let err = ServerSession::new(scram(Hash::Sha256, false), server_config(), short())
        .expect_err("refused");
    assert!(
        matches!(err, Error::NonceTooShort { min: 8, len: 3, .. }),
        "{err:?}"
    );
    // The phase API checks it too.
    let params = xmpp_sasl::scram::ScramServer {
        hash: Hash::Sha256,
        plus: false,
        channel_bindings: Vec::new(),
        prep: Prep::SaslPrep,
        limits: xmpp_sasl::Limits::default(),
        ssdp: None,
    };
    let needs = params
        .client_first(b"n,,n=user,r=client-nonce")
        .expect("client-first");
    let stored =
        StoredCredentials::from_password(Hash::Sha256, Prep::None, "pw", b"salt-salt", 4096)
            .expect("stored");
    assert!(matches!(
        needs.credentials(stored, &short()),
        Err(Error::NonceTooShort { .. })
    ));
    // PLAIN uses no nonce.
    assert!(ServerSession::new(Mechanism::Plain, server_config().encrypted(true), short()).is_ok());
}

#[test]
fn the_session_sends_the_choices_gs2_flag() {
    // The configuration holds every binding the TLS layer has; the choice
    // alone decides the flag (RFC 5802 §6).
    let client = || {
        ClientConfig::new()
            .username("juliet")
            .password("r0m3o")
            .channel_binding(ChannelBinding::new(
                ChannelBindingType::TlsExporter,
                *b"exp",
            ))
            .channel_binding(ChannelBinding::new(
                ChannelBindingType::TlsServerEndPoint,
                *b"endp",
            ))
    };
    let first = |mechanism, cbind| {
        let mut c = ClientSession::new(
            Choice { mechanism, cbind },
            client(),
            Nonce::new("client-nonce-0123").expect("n"),
        )?;
        match c.step(b"")? {
            ClientStep::Send(m) => Ok(String::from_utf8_lossy(&m).into_owned()),
            ClientStep::Done { .. } => panic!("SCRAM sends client-first"),
        }
    };
    let plain = scram(Hash::Sha256, false);
    let plus = scram(Hash::Sha256, true);
    let ok = |r: Result<String, Error>| r.expect("client-first");
    assert!(ok(first(plain, CbindFlag::Unsupported)).starts_with("n,,"));
    assert!(ok(first(plain, CbindFlag::NotOffered)).starts_with("y,,"));
    let endp = CbindFlag::Bind(ChannelBindingType::TlsServerEndPoint);
    assert!(ok(first(plus, endp)).starts_with("p=tls-server-end-point,,"));
    // A flag that does not fit the mechanism, or data the client lacks.
    for (mechanism, cbind) in [
        (plain, endp),
        (plus, CbindFlag::Unsupported),
        (plus, CbindFlag::NotOffered),
        (Mechanism::Plain, CbindFlag::NotOffered),
    ] {
        assert_eq!(
            first(mechanism, cbind),
            Err(Error::InvalidChoice { mechanism }),
            "{mechanism} {cbind:?}"
        );
    }
    assert_eq!(
        first(plus, CbindFlag::Bind(ChannelBindingType::TlsUnique)),
        Err(Error::MissingCredential {
            what: "channel binding"
        })
    );
}

#[test]
fn the_server_prepares_or_refuses_the_authzid() {
    // RFC 6120 §6.3.8: an authzid is a JID; it reaches the caller prepared
    // (SASLprep here: width and spaces mapped), and one with a control
    // character is refused as invalid-authzid.
    let plain = |msg: &[u8]| {
        let mut s = ServerSession::new(
            Mechanism::Plain,
            server_config().encrypted(true),
            Nonce::new("server-nonce-4567").expect("n"),
        )
        .expect("server");
        s.step(msg)
    };
    let scram = |msg: &[u8]| {
        let mut s = ServerSession::new(
            scram(Hash::Sha256, false),
            server_config(),
            Nonce::new("server-nonce-4567").expect("n"),
        )
        .expect("server");
        s.step(msg)
    };
    let authzid = |step: Result<ServerStep, Error>| match step {
        Ok(ServerStep::NeedCredentials(req)) => Ok(req.authzid),
        Ok(other) => panic!("{other:?}"),
        Err(e) => Err(e.condition()),
    };
    let fullwidth = "\u{FF21}dmin\u{A0}x";
    assert_eq!(
        authzid(plain(format!("{fullwidth}\0user\0pw").as_bytes())),
        Ok(Some("Admin x".to_owned()))
    );
    assert_eq!(
        authzid(scram(
            format!("n,a={fullwidth},n=user,r=client-nonce").as_bytes()
        )),
        Ok(Some("Admin x".to_owned()))
    );
    for bad in ["\u{FF21}dmin\u{A0}\u{7}", "adm\u{1}in"] {
        assert_eq!(
            authzid(plain(format!("{bad}\0user\0pw").as_bytes())),
            Err(Condition::InvalidAuthzid),
            "{bad:?}"
        );
        assert_eq!(
            authzid(scram(format!("n,a={bad},n=user,r=client-nonce").as_bytes())),
            Err(Condition::InvalidAuthzid),
            "{bad:?}"
        );
    }
}

#[test]
fn a_replayed_fast_request_is_refused() {
    // HT-SHA-256-NONE's initiator is the same whenever the token is used;
    // XEP-0484's `count` lets the server refuse the second use.
    let token = || "fast-token-0123456789".to_owned().into();
    let none = Mechanism::Ht {
        binding: xmpp_sasl::HtBinding::None,
    };
    let initiator = |nonce| {
        let config = ClientConfig::new()
            .username("juliet")
            .token("fast-token-0123456789");
        let mut c =
            ClientSession::new(Choice::unbound(none), config, Nonce::new(nonce).expect("n"))
                .expect("client");
        match c.step(b"").expect("initiator") {
            ClientStep::Send(m) => m.to_vec(),
            ClientStep::Done { .. } => panic!("HT sends an initiator"),
        }
    };
    let first = initiator("client-nonce-0123");
    assert_eq!(
        first,
        initiator("another-nonce-456"),
        "replayable as drafted"
    );
    let serve_slots = |new: Option<FastTokenSlot>, current: Option<FastTokenSlot>, count| {
        let mut s =
            ServerSession::new(none, server_config(), Nonce::new("n").expect("n")).expect("server");
        assert!(matches!(s.step(&first), Ok(ServerStep::NeedCredentials(_))));
        s.credentials(Credentials::FastToken {
            current,
            new,
            count,
            now: 1_000,
        })
    };
    let serve_with = |token: Zeroizing<String>, count, processed, expiry| {
        let slot = FastTokenSlot {
            token,
            processed,
            expiry,
        };
        serve_slots(None, Some(slot), count)
    };
    let serve = |count, processed| serve_with(token(), count, processed, None);
    assert!(matches!(serve(Some(1), None), Ok(ServerStep::Success(_))));
    assert!(matches!(
        serve(Some(8), Some(7)),
        Ok(ServerStep::Success(_))
    ));
    for (count, processed) in [(Some(1), Some(1)), (Some(3), Some(7)), (None, None)] {
        let err = serve(count, processed).expect_err("replay");
        assert_eq!(err, Error::Replay { count, processed });
        assert_eq!(err.condition(), Condition::NotAuthorized);
    }
    // A proof with another token fails as a wrong proof, whatever its
    // count: the replay check comes after the proof.
    let other = || "another-token".to_owned().into();
    for (count, processed) in [(Some(1), Some(1)), (Some(9), None), (None, None)] {
        assert_eq!(
            serve_with(other(), count, processed, None).expect_err("wrong token"),
            Error::InvalidProof
        );
    }
    // XEP-0484 §4.2: a proven token past its expiry is
    // `credentials-expired`; a wrong one is still `not-authorized`.
    assert!(matches!(
        serve_with(token(), Some(2), Some(1), Some(1_001)),
        Ok(ServerStep::Success(_))
    ));
    for expiry in [1_000, 999, 0] {
        let err = serve_with(token(), Some(2), Some(1), Some(expiry)).expect_err("expired");
        assert_eq!(err, Error::TokenExpired { expiry, now: 1_000 });
        assert_eq!(err.condition(), Condition::CredentialsExpired);
        assert_eq!(
            serve_with(other(), Some(2), Some(1), Some(expiry)).expect_err("wrong token"),
            Error::InvalidProof
        );
    }
    // XEP-0484 §5.1's two slots: the proof matches either, `new` checked
    // first, and the success names the slot; each slot's own count and
    // expiry apply; neither matching is a wrong proof.
    let slot = |t: &str, processed, expiry| Some(FastTokenSlot::new(t, processed, expiry));
    let slot_of = |r: Result<ServerStep, Error>| match r {
        Ok(ServerStep::Success(s)) => s.fast_slot,
        other => panic!("{other:?}"),
    };
    let ours = "fast-token-0123456789";
    assert_eq!(
        slot_of(serve_slots(
            slot(ours, None, None),
            slot("older", Some(5), None),
            Some(1)
        )),
        Some(FastSlot::New)
    );
    assert_eq!(
        slot_of(serve_slots(
            slot("newer", None, None),
            slot(ours, Some(5), None),
            Some(6)
        )),
        Some(FastSlot::Current)
    );
    assert_eq!(
        slot_of(serve_slots(slot(ours, None, None), None, Some(1))),
        Some(FastSlot::New)
    );
    assert_eq!(
        serve_slots(
            slot("newer", None, None),
            slot(ours, Some(5), None),
            Some(5)
        )
        .expect_err("replay in current"),
        Error::Replay {
            count: Some(5),
            processed: Some(5)
        }
    );
    assert_eq!(
        serve_slots(
            slot(ours, None, Some(900)),
            slot("older", None, None),
            Some(1)
        )
        .expect_err("new expired"),
        Error::TokenExpired {
            expiry: 900,
            now: 1_000
        }
    );
    for (new, current) in [
        (slot("a", None, None), slot("b", None, None)),
        (None, None),
        (slot("a", None, None), None),
    ] {
        assert_eq!(
            serve_slots(new, current, Some(1)).expect_err("no slot matches"),
            Error::InvalidProof
        );
    }
    // The debug form of the slots shows no token.
    let shown = format!("{:?}", slot(ours, Some(1), None));
    assert!(!shown.contains(ours), "{shown}");
}

#[test]
fn the_advertised_lists_come_from_the_configuration() {
    // RFC 6120 §6.4.1, XEP-0440, XEP-0474 and XEP-0484 lists from one
    // source, so they cannot drift from what the session accepts.
    let secret = crate::common::secret();
    let names = |ms: Vec<Mechanism>| ms.iter().map(|m| m.name()).collect::<Vec<_>>();
    let plain_tcp = ServerConfig::new(secret.clone());
    assert_eq!(
        names(plain_tcp.advertised_mechanisms()),
        ["SCRAM-SHA-512", "SCRAM-SHA-256", "SCRAM-SHA-1"]
    );
    assert_eq!(names(plain_tcp.fast_mechanisms()), ["HT-SHA-256-NONE"]);
    assert_eq!(plain_tcp.channel_binding_types(), []);
    assert_eq!(
        plain_tcp.ssdp_lists(),
        Ssdp::new(
            ["SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-512"],
            None::<[&str; 0]>
        )
    );
    let tls = ServerConfig::new(secret)
        .encrypted(true)
        .channel_binding(ChannelBinding::new(ChannelBindingType::TlsExporter, *b"e"));
    assert_eq!(
        names(tls.advertised_mechanisms()),
        [
            "SCRAM-SHA-512-PLUS",
            "SCRAM-SHA-256-PLUS",
            "SCRAM-SHA-1-PLUS",
            "SCRAM-SHA-512",
            "SCRAM-SHA-256",
            "SCRAM-SHA-1",
            "PLAIN"
        ]
    );
    assert_eq!(
        names(tls.fast_mechanisms()),
        ["HT-SHA-256-EXPR", "HT-SHA-256-NONE"]
    );
    assert_eq!(
        tls.channel_binding_types(),
        [ChannelBindingType::TlsExporter]
    );
    // The session runs only what is advertised.
    let nonce = || Nonce::new("server-nonce-4567").expect("n");
    for (config, mech, condition) in [
        (&plain_tcp, Mechanism::Plain, Condition::EncryptionRequired),
        (
            &plain_tcp,
            scram(Hash::Sha256, true),
            Condition::InvalidMechanism,
        ),
        (&tls, Mechanism::External, Condition::InvalidMechanism),
        (
            &tls,
            Mechanism::Ht {
                binding: xmpp_sasl::HtBinding::EndPoint,
            },
            Condition::InvalidMechanism,
        ),
    ] {
        assert_eq!(
            ServerSession::new(mech, config.clone(), nonce())
                .map(|_| ())
                .map_err(|e| e.condition()),
            Err(condition),
            "{mech}"
        );
    }
    for mech in tls
        .advertised_mechanisms()
        .into_iter()
        .chain(tls.fast_mechanisms())
    {
        assert!(
            ServerSession::new(mech, tls.clone(), nonce()).is_ok(),
            "{mech}"
        );
    }
}

//! Real sockets on 127.0.0.1: the adapter's server and client over
//! STARTTLS (rustls, a self-signed certificate pinned by the client),
//! direct TLS and WebSocket, with a message between two clients.

#![allow(
    clippy::std_instead_of_alloc,
    clippy::std_instead_of_core,
    reason = "integration tests run with std"
)]

use std::time::Duration;

use xmpp_jid::{BareJid, Jid};
use xmpp_sasl::{
    ChannelBindingType, Credentials, CredentialsRequest, Hash, Prep, ServerSecret,
    StoredCredentials,
};
use xmpp_session::{
    ClientConfig, ClientEvent, ServerConfig, ServerEvent, SmConfig, TlsMode, TlsPolicy, Transport,
};
use xmpp_stanza::{Message, Stanza, StanzaNs};
use xmpp_tokio::{
    ClientSessionEvent, ConnectOptions, Listener, ListenerKind, ServerSessionEvent, ServerTls,
    Trust, WEBSOCKET_PATH,
};

const DOMAIN: &str = "example.com";

fn secret() -> ServerSecret {
    ServerSecret::new([9; 32])
        .and_then(|s| s.accounts(Hash::Sha256, 16, 4096))
        .expect("secret")
}

/// Serves every accepted session of `listener`: credentials for juliet
/// (password `r0m30`), binds, and echoes messages back to their sender.
fn serve(listener: Listener) {
    tokio::spawn(async move {
        while let Ok(mut session) = listener.accept().await {
            tokio::spawn(async move {
                while let Some(event) = session.next_event().await {
                    let ServerSessionEvent::Session(event) = event else {
                        continue;
                    };
                    match event {
                        e if answer_login(&session, &e) => {}
                        ServerEvent::Stanza(s) => {
                            if let Stanza::Message(mut echo) = s.into_stanza() {
                                echo.header.to = echo.header.from.clone();
                                session.send(Stanza::Message(echo));
                            }
                        }
                        _ => {}
                    }
                }
            });
        }
    });
}

/// Answers the login's decisions (juliet's credentials, the suggested
/// resource, no FAST token); `false` for any other event.
fn answer_login(session: &xmpp_tokio::ServerSession, event: &ServerEvent) -> bool {
    match event {
        ServerEvent::CredentialsRequest { request, .. } => {
            session.provide_credentials(juliet_credentials(request));
        }
        ServerEvent::BindRequest { suggested, .. } => {
            session.accept_bind(suggested);
        }
        ServerEvent::TokenRequest { .. } => {
            session.decline_token();
        }
        _ => return false,
    }
    true
}

/// Juliet's keys (password `r0m30`) for the mechanism asked; nobody else
/// exists.
fn juliet_credentials(request: &CredentialsRequest) -> Credentials {
    if request.authcid.as_deref() != Some("juliet") {
        return Credentials::UnknownUser;
    }
    let hash = request.mechanism.scram_hash().unwrap_or(Hash::Sha256);
    Credentials::Scram(
        StoredCredentials::from_password(hash, Prep::SaslPrep, "r0m30", b"sixteen byte slt", 4096)
            .expect("keys"),
    )
}

/// Logs in, sends one message to itself through the echo, and returns
/// what the login reported: mechanism, binding type, TLS version.
async fn round_trip(
    options: ConnectOptions,
) -> (String, Option<ChannelBindingType>, Option<String>) {
    let mut client = xmpp_tokio::connect(options).await.expect("connect");
    let (mut mechanism, mut binding, mut tls) = (String::new(), None, None);
    let run = async {
        while let Some(event) = client.next_event().await {
            match event {
                ClientSessionEvent::TlsEstablished { version, .. } => {
                    tls = Some(version.name().to_owned());
                }
                ClientSessionEvent::Session(ClientEvent::Authenticated {
                    mechanism: m,
                    channel_binding,
                }) => {
                    mechanism = m.name().to_owned();
                    binding = channel_binding;
                }
                ClientSessionEvent::Session(ClientEvent::Bound { jid }) => {
                    let to = Jid::new("romeo@example.net").expect("jid");
                    let m = Message::chat(StanzaNs::Client, to, &format!("from {jid}"));
                    client.send(Stanza::Message(m)).await;
                }
                ClientSessionEvent::Session(ClientEvent::Stanza(Stanza::Message(m))) => {
                    assert!(m.body(None).is_some_and(|b| b.starts_with("from juliet@")));
                    client.close().await;
                }
                ClientSessionEvent::Session(ClientEvent::Closed { .. }) => break,
                _ => {}
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), run)
        .await
        .expect("in time");
    (mechanism, binding, tls)
}

fn client(config: ClientConfig, addr: std::net::SocketAddr, trust: Trust) -> ConnectOptions {
    ConnectOptions::new(config, addr.to_string(), trust)
}

fn juliet() -> ClientConfig {
    ClientConfig::new(BareJid::new("juliet@example.com").expect("jid"), "r0m30")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starttls_with_scram_plus_over_tls_exporter() {
    let tls = ServerTls::self_signed(DOMAIN).expect("cert");
    let pinned = tls.certificate().to_vec();
    let config = ServerConfig::new(DOMAIN, secret());
    let listener = Listener::bind(
        "127.0.0.1:0".parse().expect("addr"),
        ListenerKind::Tcp,
        config,
        Some(tls),
    )
    .await
    .expect("bind");
    let addr = listener.local_addr().expect("addr");
    serve(listener);
    for sasl2 in [false, true] {
        let (mechanism, binding, tls) = round_trip(client(
            juliet().sasl2(sasl2),
            addr,
            Trust::Pinned(pinned.clone()),
        ))
        .await;
        assert_eq!(mechanism, "SCRAM-SHA-512-PLUS", "sasl2 {sasl2}");
        assert_eq!(binding, Some(ChannelBindingType::TlsExporter));
        assert_eq!(tls.as_deref(), Some("TLSv1.3"));
    }
    // Only tls-server-end-point allowed: it is what rustls' peer
    // certificate gives.
    let config = juliet().mechanisms([xmpp_sasl::Mechanism::Scram {
        hash: Hash::Sha256,
        plus: true,
    }]);
    let (mechanism, binding, _) =
        round_trip(client(config, addr, Trust::Pinned(pinned.clone()))).await;
    assert_eq!(mechanism, "SCRAM-SHA-256-PLUS");
    assert!(binding.is_some());
    // A pinned certificate that is not the server's: no session.
    let other = ServerTls::self_signed(DOMAIN)
        .expect("cert")
        .certificate()
        .to_vec();
    let mut failed = xmpp_tokio::connect(client(juliet(), addr, Trust::Pinned(other)))
        .await
        .expect("tcp");
    let mut bound = false;
    while let Some(e) = failed.next_event().await {
        bound |= matches!(e, ClientSessionEvent::Session(ClientEvent::Bound { .. }));
    }
    assert!(!bound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_tls() {
    let tls = ServerTls::self_signed(DOMAIN).expect("cert");
    let pinned = tls.certificate().to_vec();
    let config = ServerConfig::new(DOMAIN, secret());
    let listener = Listener::bind(
        "127.0.0.1:0".parse().expect("addr"),
        ListenerKind::DirectTls,
        config,
        Some(tls),
    )
    .await
    .expect("bind");
    let addr = listener.local_addr().expect("addr");
    serve(listener);
    let config = juliet().tls_mode(TlsMode::Direct);
    let (mechanism, _, tls) = round_trip(client(config, addr, Trust::Pinned(pinned))).await;
    assert_eq!(mechanism, "SCRAM-SHA-512-PLUS");
    assert_eq!(tls.as_deref(), Some("TLSv1.3"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket() {
    let config = ServerConfig::new(DOMAIN, secret())
        .tls(TlsPolicy::Off)
        .allow_plain_unencrypted(true);
    let listener = Listener::bind(
        "127.0.0.1:0".parse().expect("addr"),
        ListenerKind::WebSocket,
        config,
        None,
    )
    .await
    .expect("bind");
    let addr = listener.local_addr().expect("addr");
    serve(listener);
    let config = juliet().tls(TlsPolicy::Off).transport(Transport::WebSocket);
    let options = client(config, addr, Trust::Insecure).websocket(WEBSOCKET_PATH);
    let (mechanism, _, tls) = round_trip(options).await;
    assert_eq!(mechanism, "SCRAM-SHA-512");
    assert_eq!(tls, None);
    // A handshake without the xmpp subprotocol is refused.
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("tcp");
    let ws = tokio_tungstenite::client_async(format!("ws://{addr}{WEBSOCKET_PATH}"), tcp).await;
    assert!(ws.is_err());
}

/// A stanza the server application queued is never lost when the
/// connection ends: a router floods a session with messages while its
/// client drops the connection, and every message `try_send` accepted is
/// in the resumption state the session ends with (the client acknowledged
/// none), whether the machine wrote it or it was still queued (XEP-0198
/// §5). A stanza sent before binding comes back as `Undelivered`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stanzas_queued_while_the_connection_ends_are_kept_for_resumption() {
    let mut sm = SmConfig::default();
    sm.ack_every = u32::MAX;
    sm.ack_after = None;
    let config = ServerConfig::new(DOMAIN, secret())
        .tls(TlsPolicy::Off)
        .sm(sm);
    let listener = Listener::bind(
        "127.0.0.1:0".parse().expect("addr"),
        ListenerKind::Tcp,
        config,
        None,
    )
    .await
    .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move {
        let mut session = listener.accept().await.expect("accept");
        // Before binding the machine refuses it: it comes back.
        let to = Jid::new("juliet@example.com").expect("jid");
        let early = Stanza::Message(Message::chat(StanzaNs::Client, to, "early"));
        assert!(session.send(early.clone()));
        let mut returned = Vec::new();
        let mut flood = None;
        while let Some(event) = session.next_event().await {
            match event {
                ServerSessionEvent::Session(e) if answer_login(&session, &e) => {}
                ServerSessionEvent::Session(ServerEvent::Bound { jid }) => {
                    let sender = session.sender();
                    flood = Some(tokio::spawn(async move {
                        let mut accepted = Vec::new();
                        let mut n = 0u32;
                        while n < 2000 || sender.is_alive() {
                            if n < 2000 {
                                let m = Message::chat(
                                    StanzaNs::Client,
                                    jid.clone().into(),
                                    &n.to_string(),
                                );
                                match sender.try_send(Stanza::Message(m)) {
                                    Ok(()) => {
                                        accepted.push(n.to_string());
                                        n += 1;
                                    }
                                    Err(_) if !sender.is_alive() => break,
                                    Err(_) => {}
                                }
                            }
                            tokio::task::yield_now().await;
                        }
                        accepted
                    }));
                }
                ServerSessionEvent::Session(ServerEvent::Undelivered(stanzas)) => {
                    returned.extend(stanzas);
                }
                ServerSessionEvent::Resumable(state) => {
                    assert_eq!(returned, [early], "only the early stanza comes back");
                    let accepted = flood.take().expect("bound first").await.expect("flood");
                    let kept: Vec<String> = state
                        .unacked_stanzas()
                        .iter()
                        .filter_map(|s| match s {
                            Stanza::Message(m) => m.body(None).map(|b| b.to_string()),
                            _ => None,
                        })
                        .collect();
                    return (accepted, kept);
                }
                _ => {}
            }
        }
        panic!("the session ended without a resumption state");
    });
    let mut client = xmpp_tokio::connect(client(
        juliet().tls(TlsPolicy::Off).sm(sm),
        addr,
        Trust::Insecure,
    ))
    .await
    .expect("connect");
    let run = async {
        while let Some(event) = client.next_event().await {
            if let ClientSessionEvent::Session(ClientEvent::Bound { .. }) = event {
                // Let some messages through first.
                tokio::time::sleep(Duration::from_millis(5)).await;
                client.abort().await;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), run)
        .await
        .expect("client in time");
    let (accepted, kept) = tokio::time::timeout(Duration::from_secs(20), server)
        .await
        .expect("server in time")
        .expect("server task");
    assert!(!accepted.is_empty());
    assert_eq!(
        kept, accepted,
        "every accepted stanza is kept, in order, once"
    );
}

/// A stanza sent before the session is bound is handed back as
/// `Refused`, not dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stanza_sent_before_binding_comes_back() {
    let config = ServerConfig::new(DOMAIN, secret()).tls(TlsPolicy::Off);
    let listener = Listener::bind(
        "127.0.0.1:0".parse().expect("addr"),
        ListenerKind::Tcp,
        config,
        None,
    )
    .await
    .expect("bind");
    let addr = listener.local_addr().expect("addr");
    serve(listener);
    let mut session =
        xmpp_tokio::connect(client(juliet().tls(TlsPolicy::Off), addr, Trust::Insecure))
            .await
            .expect("connect");
    let to = Jid::new("romeo@example.net").expect("jid");
    let early = Stanza::Message(Message::chat(StanzaNs::Client, to, "early"));
    assert!(session.send(early.clone()).await);
    let refused = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(e) = session.next_event().await {
            if let ClientSessionEvent::Refused(s) = e {
                return Some(s);
            }
        }
        None
    })
    .await
    .expect("in time");
    assert_eq!(refused, Some(early));
    session.close().await;
}

/// A client that stops reading loses its connection once a write makes
/// no progress for the listener's write stall: the server's session ends
/// resumable, and a router waiting for room (`send_within`) gets its
/// stanza back instead of waiting forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_cut_after_the_write_stall() {
    let config = ServerConfig::new(DOMAIN, secret()).tls(TlsPolicy::Off);
    let listener = Listener::bind(
        "127.0.0.1:0".parse().expect("addr"),
        ListenerKind::Tcp,
        config,
        None,
    )
    .await
    .expect("bind")
    .with_write_stall(Duration::from_millis(300));
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move {
        let mut session = listener.accept().await.expect("accept");
        let mut flood = None;
        while let Some(event) = session.next_event().await {
            match event {
                ServerSessionEvent::Session(e) if answer_login(&session, &e) => {}
                ServerSessionEvent::Session(ServerEvent::Bound { jid }) => {
                    let sender = session.sender();
                    let body = "x".repeat(16 * 1024);
                    flood = Some(tokio::spawn(async move {
                        // Until the session is gone: a router's wait for
                        // room ends with the stanza handed back.
                        loop {
                            let m = Message::chat(StanzaNs::Client, jid.clone().into(), &body);
                            if sender
                                .send_within(Stanza::Message(m), Duration::from_secs(5))
                                .await
                                .is_err()
                            {
                                return;
                            }
                        }
                    }));
                }
                ServerSessionEvent::Resumable(_) => {
                    flood.take().expect("bound first").await.expect("flood");
                    return;
                }
                _ => {}
            }
        }
        panic!("the session ended without a resumption state");
    });
    let mut client =
        xmpp_tokio::connect(client(juliet().tls(TlsPolicy::Off), addr, Trust::Insecure))
            .await
            .expect("connect");
    let bound = async {
        while let Some(event) = client.next_event().await {
            if let ClientSessionEvent::Session(ClientEvent::Bound { .. }) = event {
                return;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), bound)
        .await
        .expect("bound in time");
    // The application takes no more events: its driver stops reading, and
    // the server's writes stall.
    tokio::time::timeout(Duration::from_secs(20), server)
        .await
        .expect("the stalled session ends in time")
        .expect("server task");
    drop(client);
}

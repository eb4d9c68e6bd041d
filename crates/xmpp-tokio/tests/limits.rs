//! The bounds a listener keeps against hostile clients, on 127.0.0.1: a
//! stalled handshake (TLS or WebSocket) is closed and holds up nobody
//! else, connections past the configured bounds are closed at once, a
//! WebSocket message larger than an element is refused before it is
//! buffered, and a burst of stanzas in one read is taken a slice at a
//! time yet arrives whole and in order, by the server's driver and by the
//! client's.

#![allow(
    clippy::std_instead_of_alloc,
    clippy::std_instead_of_core,
    reason = "integration tests run with std"
)]

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt as _, StreamExt as _};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use xmpp_jid::BareJid;
use xmpp_sasl::{Credentials, CredentialsRequest, Hash, Prep, ServerSecret, StoredCredentials};
use xmpp_session::{
    Client, ClientConfig, ClientEvent, Instant, Seed, Server, ServerConfig, ServerEvent, SmConfig,
    TlsPolicy,
};
use xmpp_stanza::Stanza;
use xmpp_tokio::{
    ClientSessionEvent, ConnectOptions, Listener, ListenerKind, ServerSessionEvent, ServerTls,
    Trust, WEBSOCKET_PATH,
};

const DOMAIN: &str = "example.com";
const HEADER: &[u8] = b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
    xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>";

fn config() -> ServerConfig {
    let secret = ServerSecret::new([9; 32])
        .and_then(|s| s.accounts(Hash::Sha256, 16, 4096))
        .expect("secret");
    ServerConfig::new(DOMAIN, secret)
        .tls(TlsPolicy::Off)
        .allow_plain_unencrypted(true)
}

async fn bind(kind: ListenerKind, tls: Option<ServerTls>) -> Listener {
    Listener::bind("127.0.0.1:0".parse().expect("addr"), kind, config(), tls)
        .await
        .expect("bind")
}

/// Juliet's keys (password `r0m30`); nobody else exists.
fn credentials(request: &CredentialsRequest) -> Credentials {
    if request.authcid.as_deref() != Some("juliet") {
        return Credentials::UnknownUser;
    }
    let hash = request.mechanism.scram_hash().unwrap_or(Hash::Sha256);
    Credentials::Scram(
        StoredCredentials::from_password(hash, Prep::SaslPrep, "r0m30", b"sixteen byte slt", 4096)
            .expect("keys"),
    )
}

/// Serves every session of `listener`: juliet logs in and binds; the
/// bodies of the messages she sends go to `bodies`.
fn serve(listener: Listener, bodies: Option<tokio::sync::mpsc::UnboundedSender<String>>) {
    tokio::spawn(async move {
        loop {
            let Ok(mut session) = listener.accept().await else {
                continue;
            };
            let bodies = bodies.clone();
            tokio::spawn(async move {
                while let Some(event) = session.next_event().await {
                    let ServerSessionEvent::Session(event) = event else {
                        continue;
                    };
                    match event {
                        ServerEvent::CredentialsRequest { request, .. } => {
                            session.provide_credentials(credentials(&request));
                        }
                        ServerEvent::BindRequest { suggested, .. } => {
                            session.accept_bind(&suggested);
                        }
                        ServerEvent::TokenRequest { .. } => {
                            session.decline_token();
                        }
                        ServerEvent::Bound { .. } => {
                            // A slow application: the burst's events
                            // pile up meanwhile.
                            tokio::time::sleep(Duration::from_millis(200)).await;
                        }
                        ServerEvent::Stanza(s) => {
                            if let (Some(tx), Stanza::Message(m)) = (&bodies, s.stanza()) {
                                let _ = tx.send(m.body(None).unwrap_or_default().into_owned());
                            }
                        }
                        _ => {}
                    }
                }
            });
        }
    });
}

/// Whether the server closes `tcp` within `within` (an end or a reset,
/// after whatever it wrote).
async fn closed_within(tcp: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 4096];
    tokio::time::timeout(within, async {
        loop {
            match tcp.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

/// A stream header in, a stream header back: the session is served.
async fn served(addr: SocketAddr) -> bool {
    let Ok(mut tcp) = TcpStream::connect(addr).await else {
        return false;
    };
    if tcp.write_all(HEADER).await.is_err() {
        return false;
    }
    let mut buf = [0u8; 4096];
    matches!(
        tokio::time::timeout(Duration::from_secs(5), tcp.read(&mut buf)).await,
        Ok(Ok(n)) if n > 0
    )
}

/// An RFC 7395 upgrade request to `addr`, offering the `xmpp` subprotocol.
fn websocket_request(
    addr: SocketAddr,
) -> tokio_tungstenite::tungstenite::handshake::client::Request {
    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(format!(
            "ws://{addr}{WEBSOCKET_PATH}"
        ))
        .expect("request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        tokio_tungstenite::tungstenite::http::HeaderValue::from_static("xmpp"),
    );
    request
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_websocket_upgrade_holds_up_nobody_and_is_closed() {
    let listener = bind(ListenerKind::WebSocket, None)
        .await
        .with_handshake_timeout(Duration::from_millis(500));
    let addr = listener.local_addr().expect("addr");
    serve(listener, None);
    // Connected, and not a byte of the upgrade.
    let mut silent = TcpStream::connect(addr).await.expect("tcp");
    tokio::time::sleep(Duration::from_millis(50)).await;
    // Another client upgrades at once all the same.
    let request = websocket_request(addr);
    let tcp = TcpStream::connect(addr).await.expect("tcp");
    let upgraded = tokio::time::timeout(
        Duration::from_secs(5),
        tokio_tungstenite::client_async(request, tcp),
    )
    .await;
    assert!(
        matches!(upgraded, Ok(Ok(_))),
        "the second client's upgrade waited on the first"
    );
    assert!(
        closed_within(&mut silent, Duration::from_secs(5)).await,
        "the silent connection is closed after the handshake timeout"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_tls_handshake_is_closed() {
    let tls = ServerTls::self_signed(DOMAIN).expect("cert");
    let listener = bind(ListenerKind::DirectTls, Some(tls))
        .await
        .with_handshake_timeout(Duration::from_millis(500));
    let addr = listener.local_addr().expect("addr");
    serve(listener, None);
    let mut tcp = TcpStream::connect(addr).await.expect("tcp");
    // A handshake record announcing 16 KiB, and a few bytes of it.
    tcp.write_all(&[0x16, 0x03, 0x01, 0x40, 0x00, 0x01, 0x00])
        .await
        .expect("write");
    assert!(closed_within(&mut tcp, Duration::from_secs(5)).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_bounds_are_closed_at_once() {
    let listener = bind(ListenerKind::Tcp, None)
        .await
        .with_max_connections(Some(2), None);
    let addr = listener.local_addr().expect("addr");
    serve(listener, None);
    let first = TcpStream::connect(addr).await.expect("tcp");
    let _second = TcpStream::connect(addr).await.expect("tcp");
    let mut third = TcpStream::connect(addr).await.expect("tcp");
    third.write_all(HEADER).await.expect("write");
    assert!(
        closed_within(&mut third, Duration::from_secs(5)).await,
        "a third connection is closed"
    );
    // A place comes back when a connection ends.
    drop(first);
    let mut served_again = false;
    for _ in 0..50 {
        if served(addr).await {
            served_again = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(served_again, "a place came back");

    let listener = bind(ListenerKind::Tcp, None)
        .await
        .with_max_connections(None, Some(1));
    let addr = listener.local_addr().expect("addr");
    serve(listener, None);
    let _one = TcpStream::connect(addr).await.expect("tcp");
    let mut two = TcpStream::connect(addr).await.expect("tcp");
    two.write_all(HEADER).await.expect("write");
    assert!(
        closed_within(&mut two, Duration::from_secs(5)).await,
        "a second connection from the same address is closed"
    );
}

/// tungstenite's own limit is 64 MiB a message: an endless fragmented
/// message would be buffered that far before the machine saw a byte.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_message_larger_than_an_element_is_refused_unbuffered() {
    use tokio_tungstenite::tungstenite::Message;
    use tokio_tungstenite::tungstenite::protocol::frame::Frame;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
    let listener = bind(ListenerKind::WebSocket, None).await;
    let addr = listener.local_addr().expect("addr");
    serve(listener, None);
    let request = websocket_request(addr);
    let tcp = TcpStream::connect(addr).await.expect("tcp");
    let (mut ws, _) = tokio_tungstenite::client_async(request, tcp)
        .await
        .expect("upgrade");
    // 64 KiB fragments of one text message that never ends: 512 KiB is
    // past the 256 KiB element limit.
    let chunk = vec![b'x'; 64 * 1024];
    let mut opcode = OpCode::Data(Data::Text);
    let mut sent = 0;
    for _ in 0..8 {
        let frame = Frame::message(chunk.clone(), opcode, false);
        if ws.send(Message::Frame(frame)).await.is_err() {
            break;
        }
        sent += chunk.len();
        opcode = OpCode::Data(Data::Continue);
    }
    assert!(sent > 0);
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
    assert!(ended.is_ok(), "the server closed the connection");
}

/// Logs juliet in over `tcp` in the clear with the session machine
/// itself, so that what follows can be written raw.
async fn raw_login(tcp: &mut TcpStream) {
    let config = ClientConfig::new(BareJid::new("juliet@example.com").expect("jid"), "r0m30")
        .tls(TlsPolicy::Off)
        .allow_plain_unencrypted(true)
        .sm(SmConfig::off());
    let mut client = Client::new(config, Seed::new([5; 32]), Instant::from_millis(0));
    let mut buf = vec![0u8; 16 * 1024];
    let login = async {
        loop {
            while let Some(bytes) = client.poll_transmit() {
                tcp.write_all(&bytes).await.expect("write");
            }
            while let Some(event) = client.poll_event() {
                if let ClientEvent::Bound { .. } = event {
                    return;
                }
            }
            let n = tcp.read(&mut buf).await.expect("read");
            assert!(n > 0, "the server closed during login");
            client
                .handle_input(buf.get(..n).unwrap_or_default())
                .expect("input");
        }
    };
    tokio::time::timeout(Duration::from_secs(20), login)
        .await
        .expect("bound in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_in_one_read_arrives_whole_and_in_order() {
    let listener = bind(ListenerKind::Tcp, None).await;
    let addr = listener.local_addr().expect("addr");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    serve(listener, Some(tx));
    let mut tcp = TcpStream::connect(addr).await.expect("tcp");
    raw_login(&mut tcp).await;
    // 2,000 small messages (about 80 KB) in one write: many reads of
    // 16 KiB, each taken a slice at a time, with elements cut anywhere.
    let n = 2_000;
    let burst: String = (0..n)
        .map(|i| format!("<message to='romeo@example.com' type='chat'><body>{i}</body></message>"))
        .collect();
    assert!(burst.len() > 64 * 1024);
    tcp.write_all(burst.as_bytes()).await.expect("write");
    let mut got = Vec::new();
    while got.len() < n {
        let body = tokio::time::timeout(Duration::from_secs(20), rx.recv())
            .await
            .expect("in time")
            .expect("a body");
        got.push(body);
    }
    let expected: Vec<String> = (0..n).map(|i| i.to_string()).collect();
    assert_eq!(got, expected);
}

/// Serves one connection of `listener` with the session machine itself:
/// juliet logs in and binds, then `burst` goes out raw in one write.
async fn raw_serve(listener: tokio::net::TcpListener, burst: Vec<u8>) {
    let (mut tcp, _) = listener.accept().await.expect("accept");
    let mut server = Server::new(config(), Seed::new([6; 32]), Instant::from_millis(0));
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let mut bound = false;
        while let Some(event) = server.poll_event() {
            let _ = match event {
                ServerEvent::CredentialsRequest { request, .. } => {
                    server.provide_credentials(credentials(&request))
                }
                ServerEvent::BindRequest { suggested, .. } => {
                    server.accept_bind(&suggested).map(|_| ())
                }
                ServerEvent::TokenRequest { .. } => server.decline_token(),
                ServerEvent::Bound { .. } => {
                    bound = true;
                    Ok(())
                }
                _ => Ok(()),
            };
        }
        while let Some(bytes) = server.poll_transmit() {
            tcp.write_all(&bytes).await.expect("write");
        }
        if bound {
            break;
        }
        let n = tcp.read(&mut buf).await.expect("read");
        assert!(n > 0, "the client closed during login");
        let _ = server.handle_input(buf.get(..n).unwrap_or_default());
    }
    tcp.write_all(&burst).await.expect("burst");
    // Held open until the client is done.
    let _ = tcp.read(&mut buf).await;
}

/// The client's driver takes a server's burst a slice at a time too (so
/// that it holds one slice's events at most for an application that lags),
/// and every stanza arrives, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_from_the_server_in_one_read_arrives_whole_and_in_order() {
    let n = 2_000;
    let burst: String = (0..n)
        .map(|i| {
            format!(
                "<message from='romeo@example.com/r' to='juliet@example.com' type='chat'>\
                 <body>{i}</body></message>"
            )
        })
        .collect();
    assert!(burst.len() > 64 * 1024);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(raw_serve(listener, burst.into_bytes()));
    let config = ClientConfig::new(BareJid::new("juliet@example.com").expect("jid"), "r0m30")
        .tls(TlsPolicy::Off)
        .allow_plain_unencrypted(true)
        .sm(SmConfig::off());
    let options = ConnectOptions::new(config, addr.to_string(), Trust::Insecure);
    let mut client = xmpp_tokio::connect(options).await.expect("connect");
    let mut got = Vec::new();
    let run = async {
        while got.len() < n {
            match client.next_event().await.expect("an event") {
                ClientSessionEvent::Session(ClientEvent::Stanza(Stanza::Message(m))) => {
                    got.push(m.body(None).map(|b| b.into_owned()).unwrap_or_default());
                    // An application that lags now and then.
                    if got.len() % 500 == 0 {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
                ClientSessionEvent::Session(ClientEvent::Closed { .. }) => {
                    panic!("closed after {} stanzas", got.len())
                }
                _ => {}
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), run)
        .await
        .expect("in time");
    let expected: Vec<String> = (0..n).map(|i| i.to_string()).collect();
    assert_eq!(got, expected);
}

/// A WebSocket server (RFC 7395) that logs the client in with XEP-0198,
/// then never reads again.
async fn deaf_websocket_server(listener: tokio::net::TcpListener) {
    use tokio_tungstenite::tungstenite::Message as Ws;
    let (tcp, _) = listener.accept().await.expect("accept");
    let mut ws = tokio_tungstenite::accept_hdr_async(
        tcp,
        |_: &tokio_tungstenite::tungstenite::handshake::server::Request,
         mut resp: tokio_tungstenite::tungstenite::handshake::server::Response| {
            resp.headers_mut()
                .insert("sec-websocket-protocol", "xmpp".parse().expect("header"));
            Ok(resp)
        },
    )
    .await
    .expect("upgrade");
    let open = "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' from='example.com' \
                id='s1' version='1.0'/>";
    let features = "<stream:features xmlns:stream='http://etherx.jabber.org/streams'>";
    let text = async |ws: &mut tokio_tungstenite::WebSocketStream<TcpStream>| loop {
        match ws.next().await {
            Some(Ok(Ws::Text(t))) => return t.to_string(),
            Some(Ok(_)) => {}
            other => panic!("server read {other:?}"),
        }
    };
    let _open = text(&mut ws).await;
    for m in [
        open.to_owned(),
        format!(
            "{features}<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>\
             <mechanism>PLAIN</mechanism></mechanisms></stream:features>"
        ),
    ] {
        ws.send(Ws::text(m)).await.expect("send");
    }
    let _auth = text(&mut ws).await;
    ws.send(Ws::text(
        "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>",
    ))
    .await
    .expect("send");
    let _open = text(&mut ws).await;
    ws.send(Ws::text(open)).await.expect("send");
    ws.send(Ws::text(format!(
        "{features}<bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>\
         <sm xmlns='urn:xmpp:sm:3'/></stream:features>"
    )))
    .await
    .expect("send");
    let bind = text(&mut ws).await;
    let id = bind
        .split("id='")
        .nth(1)
        .and_then(|s| s.split('\'').next())
        .unwrap_or_default()
        .to_owned();
    ws.send(Ws::text(format!(
        "<iq xmlns='jabber:client' type='result' id='{id}'>\
         <bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>juliet@example.com/r</jid></bind></iq>"
    )))
    .await
    .expect("send");
    let _enable = text(&mut ws).await;
    ws.send(Ws::text(
        "<enabled xmlns='urn:xmpp:sm:3' id='sm-1' resume='true'/>",
    ))
    .await
    .expect("send");
    // Never read again; hold the connection.
    std::future::pending::<()>().await;
}

/// A server that stops reading (review8 finding 3): the client's writes
/// stall, the connection counts as lost, and the transport's close (a
/// WebSocket close frame that can never be written) is bounded, so the
/// application still gets `Resumable` and the end of the events. The
/// clock is tokio's, paused once logged in: it jumps whenever every task
/// waits.
#[tokio::test(flavor = "current_thread")]
async fn a_server_that_stops_reading_still_hands_back_the_session() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(deaf_websocket_server(listener));
    let config = ClientConfig::new(BareJid::new("juliet@example.com").expect("jid"), "r0m30")
        .tls(TlsPolicy::Off)
        .allow_plain_unencrypted(true)
        .sasl2(false)
        .request_fast_token(false)
        .transport(xmpp_session::Transport::WebSocket);
    let options = ConnectOptions::new(config, addr.to_string(), Trust::Insecure).websocket("/");
    let mut client = xmpp_tokio::connect(options).await.expect("connect");
    let (mut closed, mut resumable) = (None, false);
    let run = async {
        while let Some(event) = client.next_event().await {
            match event {
                ClientSessionEvent::Session(ClientEvent::SmEnabled { .. }) => {
                    tokio::time::pause();
                    // Far more than the socket buffers hold.
                    let body = "x".repeat(64 * 1024);
                    for _ in 0..400 {
                        let to = xmpp_jid::Jid::new("romeo@example.com").expect("jid");
                        let m =
                            xmpp_stanza::Message::chat(xmpp_stanza::StanzaNs::Client, to, &body);
                        if !client.send(Stanza::Message(m)).await {
                            break;
                        }
                    }
                }
                ClientSessionEvent::Session(ClientEvent::Closed { resumable: r }) => {
                    closed = Some(r);
                }
                ClientSessionEvent::Resumable(_) => resumable = true,
                _ => {}
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(3_600), run)
        .await
        .expect("the events end");
    assert_eq!(closed, Some(true));
    assert!(resumable, "the session is handed back");
}

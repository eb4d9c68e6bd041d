//! A hostile server on 127.0.0.1: the probe's reads keep what the bounds
//! allow and end there, and a write the server does not take is given up.

use std::io::Write as _;
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use super::{Flood, MAX_ELEMENTS, MAX_RECEIVED, Raw, header};

/// A server that answers one connection with a stream header, `start`,
/// and then `chunk` over and over, until the probe goes away.
fn flooding(start: &'static str, chunk: &'static [u8]) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let Ok((mut s, _)) = listener.accept() else {
            return;
        };
        let head = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
                    xmlns:stream='http://etherx.jabber.org/streams' \
                    from='localhost' id='flood' version='1.0'>";
        if s.write_all(format!("{head}{start}").as_bytes()).is_err() {
            return;
        }
        let block = chunk.repeat(4096 / chunk.len().max(1) + 1);
        while s.write_all(&block).is_ok() {}
    });
    addr
}

#[tokio::test]
async fn probe_raw_element_flood_keeps_a_bounded_answer() {
    let addr = flooding("", b"<a/>");
    let mut raw = Raw::open(&addr.to_string()).await.unwrap();
    assert!(raw.send(header("localhost").as_bytes()).await);
    let a = raw.read(Duration::from_secs(60), |_| false).await;
    assert_eq!(a.flood, Some(Flood::Elements));
    assert!(a.header.is_some());
    assert_eq!(a.elements.len(), MAX_ELEMENTS);
    assert!(a.received.len() <= MAX_RECEIVED, "{}", a.received.len());
    let why = a.trouble().unwrap();
    assert!(why.contains("more than 1000 elements"), "{why}");
    // The next read of the same answer stops at once: the bound holds.
    let a = raw.read(Duration::from_secs(60), |_| false).await;
    assert_eq!(a.elements.len(), MAX_ELEMENTS);
}

#[tokio::test]
async fn probe_raw_byte_flood_keeps_a_bounded_answer() {
    // One element that never ends: no element to count, only bytes.
    let addr = flooding("<message><body>", b"x");
    let mut raw = Raw::open(&addr.to_string()).await.unwrap();
    assert!(raw.send(header("localhost").as_bytes()).await);
    let a = raw.read(Duration::from_secs(60), |_| false).await;
    assert_eq!(a.flood, Some(Flood::Bytes));
    assert!(a.received.len() <= MAX_RECEIVED, "{}", a.received.len());
    assert!(a.received_bytes > MAX_RECEIVED);
    assert!(a.elements.is_empty());
    let why = a.trouble().unwrap();
    assert!(why.contains("more than 65536 bytes"), "{why}");
    // Forgetting the answer forgets the flood; the next read finds it
    // again within the same bound.
    raw.clear();
    assert_eq!(raw.answer().flood, None);
    let a = raw.read(Duration::from_secs(60), |_| false).await;
    assert_eq!(a.flood, Some(Flood::Bytes));
    assert!(a.received.len() <= MAX_RECEIVED);
}

#[tokio::test]
async fn probe_raw_write_to_a_server_that_stopped_reading_is_given_up() {
    // A small receive window and a write larger than any loopback send
    // buffer (tcp_wmem's maximum is a few MiB): the write cannot finish.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(1).unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (s, _) = listener.accept().await.unwrap();
        // Held, never read, until the test ends.
        std::future::pending::<()>().await;
        drop(s);
    });
    let mut raw = Raw::open(&addr.to_string()).await.unwrap();
    raw.patience = Duration::from_millis(300);
    assert!(!raw.send(&vec![b' '; 64 << 20]).await);
    assert!(raw.answer().stopped_reading);
    // The stream holds half a write now: nothing more goes out.
    assert!(!raw.send(b"</stream:stream>").await);
    let a = raw.read(Duration::from_millis(100), |_| false).await;
    let why = a.trouble().unwrap();
    assert!(why.starts_with("the server stopped reading"), "{why}");
    server.abort();
}

#[test]
fn probe_raw_stopped_reading_with_a_stream_error_is_an_answer() {
    let mut a = super::Answer {
        stopped_reading: true,
        ..Default::default()
    };
    assert!(a.trouble().is_some());
    a.stream_error = Some("policy-violation".into());
    assert_eq!(a.trouble(), None);
}

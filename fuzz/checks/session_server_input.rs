//! Fuzzes `xmpp_session::Server::handle_input` with any bytes at any phase:
//! a server on a plain stream (PLAIN allowed, so that a seed can log in)
//! answers every request itself (any user's password is `pencil`; binds
//! take the suggested resource; resumptions are refused) and fires its
//! timers between chunks, and sends every stanza it reports back to the
//! client. Invariants: no panic; an error repeats on the next call; what
//! it writes stays proportional to what it reads; a stanza that keeps its
//! received bytes for forwarding has `from` stamped, and those bytes,
//! stamped and rewritten as the session writes them on a WebSocket, parse
//! on their own to the same stanza.
//!
//! Input layout: byte 0 is the chunk size (0 means whole); the rest is
//! what the client sends.
//!
//! The fuzz target and the regression test of `cargo test -p xtask` (the
//! files of `testdata/fuzz-regressions/session_server_input/`) both run this.

use xmpp_sasl::{Credentials, ServerSecret};
use xmpp_session::{Instant, RoutedStanza, Seed, Server, ServerConfig, ServerEvent, TlsPolicy};
use xmpp_stanza::{CLIENT_NS, Element, Stanza};
use xmpp_stream::Forward;
use zeroize::Zeroizing;

/// Runs one input; panics when an invariant does not hold.
pub(crate) fn run(data: &[u8]) {
    let Some((&chunk, input)) = data.split_first() else {
        return;
    };
    let Ok(secret) = ServerSecret::new(*b"a fuzzing secret of 32 bytes....") else {
        return;
    };
    let config = ServerConfig::new("example.com", secret)
        .tls(TlsPolicy::Off)
        .allow_plain_unencrypted(true);
    let mut server = Server::new(config, Seed::new([3; 32]), Instant::from_millis(0));
    let size = if chunk == 0 {
        input.len().max(1)
    } else {
        usize::from(chunk)
    };
    let mut written = 0usize;
    let mut now = 0u64;
    for piece in input.chunks(size) {
        let result = server.handle_input(piece);
        if let Err(e) = &result {
            assert_eq!(server.handle_input(b"<x/>").as_ref(), Err(e));
        }
        while let Some(event) = server.poll_event() {
            let _ = match event {
                ServerEvent::CredentialsRequest { .. } => server
                    .provide_credentials(Credentials::Password(Zeroizing::new("pencil".into()))),
                ServerEvent::BindRequest { suggested, .. } => {
                    server.accept_bind(&suggested).map(|_| ())
                }
                ServerEvent::ResumeRequest { .. } => server.reject_resume(),
                ServerEvent::TokenUsed { .. } => server.accept_token_use(false),
                ServerEvent::Stanza(stanza) => {
                    check_forwarded(&stanza);
                    server.send(stanza)
                }
                _ => Ok(()),
            };
        }
        now += 1_000;
        let _ = server.handle_timeout(Instant::from_millis(now));
        while let Some(out) = server.poll_transmit() {
            written += out.len();
        }
    }
    // Headers, features, one error reply or echo per stanza (the echo
    // its bytes plus a `from` no longer than the input): bounded by a
    // constant per input byte plus the fixed negotiation output.
    assert!(
        written <= 4096 + 64 * input.len(),
        "{written} bytes out for {}",
        input.len()
    );
}

/// The bytes a routed stanza keeps, written for another stream as
/// xmpp-session writes them, stand for the typed stanza.
fn check_forwarded(stanza: &RoutedStanza) {
    let Some(frame) = stanza.frame() else {
        return;
    };
    let from = stanza.header().from.as_ref().map(|j| j.as_str());
    assert!(from.is_some(), "a forwardable stanza has from stamped");
    let how = Forward::new()
        .stamp_from(from.unwrap_or_default())
        .content_namespace(CLIENT_NS);
    let xml = frame.to_forwarded(&how);
    let again = Element::from_bytes(xml.as_bytes())
        .ok()
        .and_then(|e| Stanza::from_element(e).ok());
    assert_eq!(again.as_ref(), Some(stanza.stanza()), "{xml}");
}

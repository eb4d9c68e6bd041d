//! Fuzzes `xmpp_session::Client::handle_input` with any bytes as the
//! server's: a client on a plain stream (PLAIN allowed, a SASL2 user agent
//! with an id, so that FAST is asked for) fed the input in chunks, its
//! timers fired between them. Invariants: no panic; an error
//! repeats on the next call; what it writes stays proportional to what it
//! reads.
//!
//! Input layout: byte 0 is the chunk size (0 means whole); the rest is
//! what the server sends.
//!
//! The fuzz target and the regression test of `cargo test -p xtask` (the
//! files of `testdata/fuzz-regressions/session_client_input/`) both run this.

use xmpp_jid::BareJid;
use xmpp_session::{Client, ClientConfig, Instant, Seed, TlsPolicy};

/// Runs one input; panics when an invariant does not hold.
pub(crate) fn run(data: &[u8]) {
    let Some((&chunk, input)) = data.split_first() else {
        return;
    };
    let Ok(jid) = BareJid::new("juliet@example.com") else {
        return;
    };
    let agent = xmpp_stanza::UserAgent {
        id: Some("9d2c4b6a-1e3f-4a5b-8c7d-0e1f2a3b4c5d".into()),
        ..xmpp_stanza::UserAgent::default()
    };
    let config = ClientConfig::new(jid, "pencil")
        .tls(TlsPolicy::Off)
        .allow_plain_unencrypted(true)
        .user_agent(agent);
    let mut client = Client::new(config, Seed::new([4; 32]), Instant::from_millis(0));
    let size = if chunk == 0 {
        input.len().max(1)
    } else {
        usize::from(chunk)
    };
    let mut written = 0usize;
    let mut now = 0u64;
    for piece in input.chunks(size) {
        if let Err(e) = client.handle_input(piece) {
            assert_eq!(client.handle_input(b"<x/>").as_ref(), Err(&e));
        }
        while client.poll_event().is_some() {}
        now += 1_000;
        let _ = client.handle_timeout(Instant::from_millis(now));
        while let Some(out) = client.poll_transmit() {
            written += out.len();
        }
    }
    assert!(
        written <= 4096 + 64 * input.len(),
        "{written} bytes out for {}",
        input.len()
    );
}

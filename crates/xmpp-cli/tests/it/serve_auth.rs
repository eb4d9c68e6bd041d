//! `xmpp serve`'s authentication against hostile clients, over raw
//! streams (`--tls off --allow-plain`): XEP-0484 FAST tokens that a forged
//! request cannot spoil, and password guessing blocked per address
//! without telling the client.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use base64::Engine as _;
use xmpp_sasl::{Choice, ClientConfig, ClientSession, ClientStep, HtBinding, Mechanism, Nonce};

use crate::serve::Served;

const SASL2: &str = "urn:xmpp:sasl:2";

/// A raw c2s stream to `xmpp serve`, past the stream features.
struct Raw {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Raw {
    fn open(addr: &str) -> Self {
        let stream = TcpStream::connect(addr).expect("connect");
        let mut raw = Self {
            stream,
            buf: Vec::new(),
        };
        raw.send(
            "<?xml version='1.0'?><stream:stream to='localhost' version='1.0' \
             xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>",
        );
        raw.read_until(&["</stream:features>"]);
        raw
    }

    fn send(&mut self, s: &str) {
        self.stream.write_all(s.as_bytes()).expect("write");
    }

    /// Reads until one of `ends` arrives; gives everything up to it and
    /// keeps the rest.
    fn read_until(&mut self, ends: &[&str]) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = String::from_utf8_lossy(&self.buf).into_owned();
            if let Some(at) = ends
                .iter()
                .filter_map(|e| text.find(e).map(|i| i + e.len()))
                .min()
            {
                self.buf.drain(..at);
                return text[..at].to_owned();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "waiting for {ends:?}; have {text}");
            self.stream.set_read_timeout(Some(left)).expect("timeout");
            let mut chunk = [0u8; 4096];
            let n = self.stream.read(&mut chunk).expect("read");
            assert!(n > 0, "closed waiting for {ends:?}; have {text}");
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }
}

/// The client installation the tests log in from (XEP-0388 §2.1).
const PHONE: &str = "d4565fa7-4d72-4749-b3d3-740edbf87770";

/// One SASL2 `<authenticate/>` on a fresh stream from the client `PHONE`:
/// the `<success/>` or `<failure/>`.
fn sasl2(addr: &str, mechanism: &str, initial: &[u8], inline: &str) -> String {
    sasl2_from(addr, PHONE, mechanism, initial, inline)
}

fn sasl2_from(addr: &str, client: &str, mechanism: &str, initial: &[u8], inline: &str) -> String {
    let mut raw = Raw::open(addr);
    let ir = base64::engine::general_purpose::STANDARD.encode(initial);
    raw.send(&format!(
        "<authenticate xmlns='{SASL2}' mechanism='{mechanism}'>\
         <initial-response>{ir}</initial-response>\
         <user-agent id='{client}'/>{inline}</authenticate>"
    ));
    raw.read_until(&["</success>", "</failure>"])
}

/// HT-SHA-256-NONE's initiator message for `user` and `token`.
fn ht_initiator(user: &str, token: &str) -> Vec<u8> {
    let none = Mechanism::Ht {
        binding: HtBinding::None,
    };
    let config = ClientConfig::new().username(user).token(token);
    let mut c = ClientSession::new(
        Choice::unbound(none),
        config,
        Nonce::new("client-nonce-0123").expect("nonce"),
    )
    .expect("client");
    match c.step(b"").expect("initiator") {
        ClientStep::Send(m) => m.to_vec(),
        ClientStep::Done { .. } => panic!("HT sends an initiator"),
    }
}

fn fast(addr: &str, user: &str, token: &str, count: u64, invalidate: bool) -> String {
    let inv = if invalidate { " invalidate='true'" } else { "" };
    sasl2(
        addr,
        "HT-SHA-256-NONE",
        &ht_initiator(user, token),
        &format!("<fast xmlns='urn:xmpp:fast:0' count='{count}'{inv}/>"),
    )
}

/// The `token` attribute of a `<success/>`, if it carries one.
fn token_in(out: &str) -> Option<String> {
    let start = out.find("token='")? + "token='".len();
    let len = out.get(start..)?.find('\'')?;
    out.get(start..start + len).map(str::to_owned)
}

/// A password login over SASL2 that asks for a token: the token.
fn token_for(addr: &str, user: &str, password: &str) -> String {
    let out = sasl2(
        addr,
        "PLAIN",
        format!("\0{user}\0{password}").as_bytes(),
        "<request-token xmlns='urn:xmpp:fast:0' mechanism='HT-SHA-256-NONE'/>",
    );
    token_in(&out).expect("a token")
}

fn ok(out: &str) -> bool {
    out.starts_with("<success")
}

#[test]
fn a_forged_fast_request_does_not_lock_the_owner_out() {
    let served = Served::start(&["--tls", "off", "--allow-plain"]);
    let addr = served.c2s();
    let token = token_for(&addr, "juliet", "r0m30");
    assert!(ok(&fast(&addr, "juliet", &token, 1, false)));
    // Someone with the username only: a wrong token, the largest count.
    let forged = fast(&addr, "juliet", "not-the-token", u64::MAX, false);
    assert!(forged.contains("<not-authorized"), "{forged}");
    // The owner's next count still works; a replayed one does not. A use
    // is recorded before the client hears of its success, so the replay
    // right after is refused.
    assert!(ok(&fast(&addr, "juliet", &token, 2, false)));
    let replay = fast(&addr, "juliet", &token, 2, false);
    assert!(replay.contains("<not-authorized"), "{replay}");
    assert!(ok(&fast(&addr, "juliet", &token, 3, false)));
    // A forged invalidation drops nothing; the owner's does
    // (XEP-0484 §3.6), and no new token comes with it.
    assert!(!ok(&fast(&addr, "juliet", "not-the-token", 9, true)));
    let last = fast(&addr, "juliet", &token, 4, true);
    assert!(ok(&last) && !last.contains("token="), "{last}");
    // A count never used before: refused only because the token is gone.
    assert!(!ok(&fast(&addr, "juliet", &token, 5, false)));
}

/// XEP-0484 §5.1's two slots, over the wire: a second token waits beside
/// the first, which still works until the second is used; tokens are
/// per client installation.
#[test]
fn a_new_token_replaces_the_old_one_once_used() {
    let served = Served::start(&["--tls", "off", "--allow-plain"]);
    let addr = served.c2s();
    let first = token_for(&addr, "juliet", "r0m30");
    assert!(ok(&fast(&addr, "juliet", &first, 1, false)));
    let second = token_for(&addr, "juliet", "r0m30");
    assert_ne!(first, second);
    // The first token still logs in: the client may never have seen the
    // second.
    assert!(ok(&fast(&addr, "juliet", &first, 2, false)));
    // Another client installation has no token.
    let other = sasl2_from(
        &addr,
        "another-client",
        "HT-SHA-256-NONE",
        &ht_initiator("juliet", &first),
        "<fast xmlns='urn:xmpp:fast:0' count='3'/>",
    );
    assert!(other.contains("<not-authorized"), "{other}");
    // The second is used: the first is gone from now on.
    let used = fast(&addr, "juliet", &second, 1, false);
    assert!(ok(&used) && token_in(&used).is_none(), "{used}");
    assert!(!ok(&fast(&addr, "juliet", &first, 4, false)));
    assert!(ok(&fast(&addr, "juliet", &second, 2, false)));
}

/// One count replayed on many connections at once: every one proves the
/// token against the same record, and exactly one gets in (the record is
/// checked and written in one step before any client hears of success).
#[test]
fn a_count_replayed_at_once_gets_in_once() {
    let served = Served::start(&["--tls", "off", "--allow-plain"]);
    let addr = served.c2s();
    let token = token_for(&addr, "juliet", "r0m30");
    let outs: Vec<String> = std::thread::scope(|scope| {
        let runs: Vec<_> = (0..8)
            .map(|_| scope.spawn(|| fast(&addr, "juliet", &token, 1, false)))
            .collect();
        runs.into_iter()
            .map(|r| r.join().expect("thread"))
            .collect()
    });
    let succeeded = outs.iter().filter(|o| ok(o)).count();
    assert_eq!(succeeded, 1, "{outs:#?}");
    assert!(
        outs.iter()
            .filter(|o| !ok(o))
            .all(|o| o.contains("<not-authorized")),
        "{outs:#?}"
    );
}

/// One PLAIN attempt (RFC 6120 §6) on a fresh stream: the `<success/>` or
/// `<failure/>`.
fn plain(addr: &str, user: &str, password: &str) -> String {
    let mut raw = Raw::open(addr);
    let ir = base64::engine::general_purpose::STANDARD
        .encode(format!("\0{user}\0{password}").as_bytes());
    raw.send(&format!(
        "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{ir}</auth>"
    ));
    raw.read_until(&["/>", "</failure>"])
}

#[test]
fn password_guessing_is_blocked_without_telling() {
    let served = Served::start(&["--tls", "off", "--allow-plain"]);
    let addr = served.c2s();
    let wrong = plain(&addr, "juliet", "guess-0");
    assert!(wrong.contains("<not-authorized"), "{wrong}");
    let unknown = plain(&addr, "nobody", "guess");
    assert_eq!(unknown, wrong, "an unknown account fails alike");
    // Twenty failures block the account (one so far). The address is
    // loopback, which is not counted (a proxy's, whose users would all be
    // locked out), so the unknown account's failures did not add up.
    for i in 1..20 {
        assert_eq!(plain(&addr, "juliet", &format!("guess-{i}")), wrong);
    }
    // The right password now fails exactly as a wrong one, and as an
    // account that does not exist.
    assert_eq!(plain(&addr, "juliet", "r0m30"), wrong);
    assert_eq!(plain(&addr, "nobody", "r0m30"), wrong);
    // Another account from the same address still gets in.
    let romeo = plain(&addr, "romeo", "j4l13t");
    assert!(romeo.contains("<success"), "{romeo}");
}

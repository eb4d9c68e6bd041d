//! Transcripts: a recording TCP relay between a peer and `xmpp serve` (in
//! the clear, so every byte is readable), and the checks every transcript
//! must pass: `xmpp frame` and `xmpp stanza` read both directions with no
//! error (issue: what the peers write and what we write, each read by our
//! readers).
//!
//! The client's direction restarts its stream after `<success/>` (RFC 6120
//! §6.4.6), which only the server's direction shows; as
//! `testdata/streams/` writes client streams (see
//! `rfc6120-9.1-c2s-client-tls-sasl-bind.xml`), its later headers are
//! left out, so the framer reads it as one stream.

use std::io::{Read as _, Write as _};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use crate::util::Result;

/// Both directions of one connection, in the order the bytes came.
#[derive(Debug, Default, Clone)]
pub(super) struct Transcript {
    pub(super) c2s: Vec<u8>,
    pub(super) s2c: Vec<u8>,
}

/// A relay on a free loopback port to `upstream`, recording every
/// connection; it runs until the process ends (each connection's threads
/// end with it).
pub(super) struct Tap {
    pub(super) port: u16,
    recorded: Arc<Mutex<Vec<Arc<Mutex<Transcript>>>>>,
}

impl Tap {
    pub(super) fn start(upstream: String) -> Result<Self> {
        let listener =
            TcpListener::bind("127.0.0.1:0").map_err(|e| format!("tap: cannot listen: {e}"))?;
        let port = listener
            .local_addr()
            .map_err(|e| format!("tap: {e}"))?
            .port();
        let recorded = Arc::new(Mutex::new(Vec::new()));
        let all = Arc::clone(&recorded);
        std::thread::spawn(move || {
            for client in listener.incoming().map_while(std::result::Result::ok) {
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let t = Arc::new(Mutex::new(Transcript::default()));
                if let Ok(mut a) = all.lock() {
                    a.push(Arc::clone(&t));
                }
                relay(&client, &server, &t, true);
                relay(&server, &client, &t, false);
            }
        });
        Ok(Self { port, recorded })
    }

    /// Every connection recorded since the last call, taken.
    pub(super) fn take(&self) -> Vec<Transcript> {
        let Ok(mut all) = self.recorded.lock() else {
            return Vec::new();
        };
        all.drain(..)
            .filter_map(|t| t.lock().ok().map(|t| t.clone()))
            .collect()
    }
}

/// Copies `from` to `to` on a thread, appending to one direction of `t`.
fn relay(from: &TcpStream, to: &TcpStream, t: &Arc<Mutex<Transcript>>, c2s: bool) {
    let (Ok(mut from), Ok(mut to)) = (from.try_clone(), to.try_clone()) else {
        return;
    };
    let t = Arc::clone(t);
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let bytes = buf.get(..n).unwrap_or_default();
            if let Ok(mut t) = t.lock() {
                if c2s {
                    t.c2s.extend_from_slice(bytes);
                } else {
                    t.s2c.extend_from_slice(bytes);
                }
            }
            if to.write_all(bytes).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}

/// The client's direction as one stream: its first header kept, the
/// headers it sent after each restart (and any XML declaration with them)
/// left out.
pub(super) fn client_stream(c2s: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(c2s);
    let mut out = String::new();
    let mut rest: &str = &text;
    let mut headers = 0;
    loop {
        let next = [rest.find("<?xml"), rest.find("<stream:stream")]
            .into_iter()
            .flatten()
            .min();
        let Some(at) = next else {
            out.push_str(rest);
            break;
        };
        let end = rest
            .get(at..)
            .and_then(|r| r.find('>'))
            .map_or(rest.len(), |e| at + e + 1);
        let is_header = rest
            .get(at..)
            .is_some_and(|r| r.starts_with("<stream:stream"));
        out.push_str(rest.get(..at).unwrap_or_default());
        if headers == 0 || !(is_header || rest.get(at..).is_some_and(|r| r.starts_with("<?xml"))) {
            out.push_str(rest.get(at..end).unwrap_or_default());
        }
        if is_header {
            headers += 1;
        }
        rest = rest.get(end..).unwrap_or_default();
    }
    out.into_bytes()
}

/// The client's stream up to and including its close (`</stream:stream>`
/// or RFC 7395's `<close/>`), and whether anything but white space
/// followed it, which RFC 6120 §4.4 forbids.
pub(super) fn until_close(c2s: Vec<u8>) -> (Vec<u8>, bool) {
    let end = [b"</stream:stream>".as_slice(), b"<close ".as_slice()]
        .into_iter()
        .filter_map(|close| {
            let at = c2s.windows(close.len()).position(|w| w == close)?;
            let rest = c2s.get(at..)?;
            let len = rest.iter().position(|&b| b == b'>')? + 1;
            Some(at + len)
        })
        .min();
    match end {
        Some(end)
            if c2s
                .get(end..)
                .is_some_and(|r| r.iter().any(|b| !b.is_ascii_whitespace())) =>
        {
            (c2s.get(..end).unwrap_or_default().to_vec(), true)
        }
        _ => (c2s, false),
    }
}

/// The client's direction of a WebSocket session (RFC 7395 §3.4) as one
/// stream: its first `<open/>` kept, the one it sends after `<success/>`
/// (§3.5) left out.
pub(super) fn client_open(c2s: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(c2s);
    let mut out = String::new();
    let mut rest: &str = &text;
    let mut opens = 0;
    while let Some(at) = rest.find("<open") {
        let end = rest
            .get(at..)
            .and_then(|r| r.find("/>"))
            .map_or(rest.len(), |e| at + e + 2);
        out.push_str(rest.get(..at).unwrap_or_default());
        if opens == 0 {
            out.push_str(rest.get(at..end).unwrap_or_default());
        }
        opens += 1;
        rest = rest.get(end..).unwrap_or_default();
    }
    out.push_str(rest);
    out.into_bytes()
}

/// Writes `bytes` to `path` and reads it with `xmpp frame` and `xmpp
/// stanza` (on `transport`, `tcp` or `websocket`); an error of either, or
/// an error event, is a failure.
pub(super) fn check(xmpp: &Path, path: &PathBuf, bytes: &[u8], transport: &str) -> Result<usize> {
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut elements = 0;
    for sub in ["frame", "stanza"] {
        let out = Command::new(xmpp)
            .arg(sub)
            .args(["--transport", transport])
            .arg(path)
            .output()
            .map_err(|e| format!("xmpp {sub}: {e}"))?;
        let text = String::from_utf8_lossy(&out.stdout);
        let bad = text.lines().find(|l| l.contains("\"event\":\"error\""));
        if !out.status.success() || bad.is_some() {
            return Err(format!(
                "xmpp {sub} {} ({}): {}",
                path.display(),
                out.status,
                bad.unwrap_or(text.lines().last().unwrap_or_default())
            ));
        }
        if sub == "stanza" {
            elements = text.lines().count();
        }
    }
    Ok(elements)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_after_the_close_is_cut_and_noted() {
        let (s, late) = until_close(b"<a/></stream:stream><iq/>".to_vec());
        assert_eq!(
            (s.as_slice(), late),
            (b"<a/></stream:stream>".as_slice(), true)
        );
        let (s, late) = until_close(b"<a/></stream:stream>\n".to_vec());
        assert_eq!(
            (s.as_slice(), late),
            (b"<a/></stream:stream>\n".as_slice(), false)
        );
        let (s, late) = until_close(b"<a/>".to_vec());
        assert_eq!((s.as_slice(), late), (b"<a/>".as_slice(), false));
    }

    #[test]
    fn later_opens_are_left_out_of_a_websocket_client_stream() {
        let c2s = b"<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='x' version='1.0'/>\
            <auth/><open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='x' version='1.0'/><iq/>";
        assert_eq!(
            String::from_utf8(client_open(c2s)).unwrap(),
            "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='x' version='1.0'/><auth/><iq/>"
        );
    }

    #[test]
    fn later_headers_are_left_out_of_the_client_stream() {
        let c2s = b"<?xml version='1.0'?><stream:stream to='x' version='1.0'>\
            <auth/><?xml version='1.0'?><stream:stream to='x' version='1.0'><iq/></stream:stream>";
        assert_eq!(
            String::from_utf8(client_stream(c2s)).unwrap(),
            "<?xml version='1.0'?><stream:stream to='x' version='1.0'><auth/><iq/></stream:stream>"
        );
    }
}

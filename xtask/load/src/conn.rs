//! One c2s connection as the load generator sees it: a socket (plain or
//! after STARTTLS), a receive buffer searched for the few elements a login
//! needs, and the RFC 6120 login itself (§4 stream, §5 STARTTLS, §6 SASL,
//! §7 bind). It is deliberately not a general XML reader: the servers it
//! measures are well-formed, and what it does not find in time is an error.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::scram::{Cache, Exchange, Hash};

/// How long any one step may wait for the server.
const STEP: Duration = Duration::from_secs(30);
/// The most a connection buffers before a sought element is complete.
const MAX_BUFFER: usize = 1 << 20;
/// How long closing may take: the server's close is not awaited, only
/// the generator's own bytes and the TCP or TLS shutdown.
const CLOSE: Duration = Duration::from_secs(5);

/// What a login needs to know.
#[derive(Clone)]
pub(crate) struct Login {
    pub(crate) server: SocketAddr,
    pub(crate) domain: String,
    pub(crate) mechanism: String,
    pub(crate) tls: Option<TlsConnector>,
    pub(crate) cache: Cache,
}

/// An account.
#[derive(Debug, Clone)]
pub(crate) struct Account {
    pub(crate) user: String,
    pub(crate) password: String,
}

enum Io {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
    Gone,
}

/// A connection and the bytes received but not yet consumed.
pub(crate) struct Conn {
    io: Io,
    buf: Vec<u8>,
}

/// The position of `needle` in `hay`.
pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The position of `needle` in `hay` at or after `from`.
fn after(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    Some(from + find(hay.get(from..)?, needle)?)
}

/// How far [`Conn::element`] has searched its buffer, so that the next
/// search after a read starts there (less a needle's length, for a match
/// split across reads).
#[derive(Debug, Default)]
struct Scan {
    /// Where to look for the element's start tag.
    open_from: usize,
    /// The element's start, once found.
    start: Option<usize>,
    /// Where to look for the end of its start tag.
    gt_from: usize,
    /// Where to look for its end tag.
    close_from: usize,
    /// Where to look for a failure or a stream error.
    trouble_from: usize,
}

impl Scan {
    /// A SASL `<failure` or a `stream:error` anywhere in `buf`, searching
    /// only what came since the last call.
    fn trouble(&mut self, buf: &[u8]) -> bool {
        const LONGEST: usize = b"stream:error".len();
        let from = self.trouble_from.saturating_sub(LONGEST - 1);
        self.trouble_from = buf.len();
        after(buf, from, b"<failure").is_some() || after(buf, from, b"stream:error").is_some()
    }
}

impl Conn {
    async fn connect(addr: SocketAddr) -> Result<Self, String> {
        let tcp = tokio::time::timeout(STEP, TcpStream::connect(addr))
            .await
            .map_err(|_| format!("connect {addr}: no answer within {STEP:?}"))?
            .map_err(|e| format!("connect {addr}: {e}"))?;
        tcp.set_nodelay(true).map_err(|e| format!("nodelay: {e}"))?;
        Ok(Self {
            io: Io::Plain(tcp),
            buf: Vec::new(),
        })
    }

    /// Writes all of `data`, within [`STEP`]: a server that stops
    /// reading is an error, not a wait without end.
    pub(crate) async fn write(&mut self, data: &[u8]) -> Result<(), String> {
        self.write_within(STEP, data).await
    }

    async fn write_within(&mut self, limit: Duration, data: &[u8]) -> Result<(), String> {
        let write = async {
            match &mut self.io {
                Io::Plain(s) => s.write_all(data).await,
                Io::Tls(s) => match s.write_all(data).await {
                    Ok(()) => s.flush().await,
                    Err(e) => Err(e),
                },
                Io::Gone => Err(std::io::ErrorKind::NotConnected.into()),
            }
        };
        tokio::time::timeout(limit, write)
            .await
            .map_err(|_| format!("write: the server took nothing for {limit:?}"))?
            .map_err(|e| format!("write: {e}"))
    }

    /// Reads what the socket has into the buffer; an error at the end of
    /// the stream.
    pub(crate) async fn fill(&mut self) -> Result<usize, String> {
        let mut chunk = [0u8; 16 * 1024];
        let n = match &mut self.io {
            Io::Plain(s) => s.read(&mut chunk).await,
            Io::Tls(s) => s.read(&mut chunk).await,
            Io::Gone => return Err("connection gone".into()),
        }
        .map_err(|e| format!("read: {e}"))?;
        if n == 0 {
            return Err(format!(
                "the server closed the connection; last bytes: {}",
                self.tail()
            ));
        }
        self.buf
            .extend_from_slice(chunk.get(..n).unwrap_or_default());
        Ok(n)
    }

    /// Takes and returns the buffered bytes.
    pub(crate) fn take(&mut self) -> Vec<u8> {
        core::mem::take(&mut self.buf)
    }

    fn tail(&self) -> String {
        let start = self.buf.len().saturating_sub(400);
        String::from_utf8_lossy(self.buf.get(start..).unwrap_or_default()).into_owned()
    }

    /// Waits for the element `name` (as the server prefixes it) and
    /// returns it whole, consuming the buffer up to its end. A SASL
    /// `<failure>` or a stream error seen on the way is the error. Each
    /// search resumes where the last one stopped, so a server trickling
    /// its bytes costs time linear in what it sends.
    async fn element(&mut self, name: &str) -> Result<String, String> {
        let open = format!("<{name}");
        let close = format!("</{name}>");
        tokio::time::timeout(STEP, async {
            let mut scan = Scan::default();
            loop {
                if let Some(found) = self.complete(open.as_bytes(), close.as_bytes(), &mut scan) {
                    return Ok(found);
                }
                if scan.trouble(&self.buf) {
                    return Err(format!("while waiting for <{name}>: {}", self.tail()));
                }
                if self.buf.len() > MAX_BUFFER {
                    return Err(format!("no <{name}> within {MAX_BUFFER} bytes"));
                }
                self.fill().await?;
            }
        })
        .await
        .map_err(|_| format!("no <{name}> within {STEP:?}; last bytes: {}", self.tail()))?
    }

    /// The first complete `open…/>` or `open…close` element, consumed;
    /// `scan` remembers how far the buffer was searched.
    fn complete(&mut self, open: &[u8], close: &[u8], scan: &mut Scan) -> Option<String> {
        let start = match scan.start {
            Some(start) => start,
            None => loop {
                let Some(at) = after(&self.buf, scan.open_from, open) else {
                    scan.open_from = self.buf.len().saturating_sub(open.len());
                    return None;
                };
                match self.buf.get(at + open.len()) {
                    Some(b' ' | b'>' | b'/' | b'\t' | b'\r' | b'\n') => {
                        scan.start = Some(at);
                        break at;
                    }
                    Some(_) => scan.open_from = at + 1,
                    None => {
                        scan.open_from = at;
                        return None;
                    }
                }
            },
        };
        let Some(gt) = after(&self.buf, scan.gt_from.max(start), b">") else {
            scan.gt_from = self.buf.len();
            return None;
        };
        scan.gt_from = gt;
        let end = if gt > 0 && self.buf.get(gt - 1) == Some(&b'/') {
            gt + 1
        } else {
            let from = scan.close_from.max(gt).saturating_sub(close.len());
            let Some(at) = after(&self.buf, from.max(gt), close) else {
                scan.close_from = self.buf.len();
                return None;
            };
            at + close.len()
        };
        let element = String::from_utf8_lossy(self.buf.get(start..end)?).into_owned();
        self.buf.drain(..end);
        Some(element)
    }

    /// Opens a stream (RFC 6120 §4.2) and waits for its features.
    async fn open(&mut self, domain: &str) -> Result<String, String> {
        self.write(
            format!(
                "<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
                 xmlns:stream='http://etherx.jabber.org/streams' to='{domain}' version='1.0'>"
            )
            .as_bytes(),
        )
        .await?;
        self.element("stream:features").await
    }

    /// RFC 6120 §5: `<starttls/>`, `<proceed/>`, the handshake.
    async fn starttls(&mut self, tls: &TlsConnector, domain: &str) -> Result<(), String> {
        self.write(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
            .await?;
        self.element("proceed").await?;
        // Bytes after <proceed/> came in the clear: none of them may pass
        // for the first bytes of the protected stream (RFC 6120 §5.4.3.3).
        self.buf.clear();
        let Io::Plain(tcp) = core::mem::replace(&mut self.io, Io::Gone) else {
            return Err("STARTTLS on a TLS connection".into());
        };
        let name = ServerName::try_from(domain.to_owned()).map_err(|e| format!("{domain}: {e}"))?;
        let stream = tokio::time::timeout(STEP, tls.connect(name, tcp))
            .await
            .map_err(|_| "TLS handshake timed out".to_owned())?
            .map_err(|e| format!("TLS handshake: {e}"))?;
        self.io = Io::Tls(Box::new(stream));
        Ok(())
    }

    /// Logs `account` in and binds `resource`: a ready c2s session.
    pub(crate) async fn login(
        login: &Login,
        account: &Account,
        resource: &str,
    ) -> Result<Self, String> {
        let mut conn = Self::connect(login.server).await?;
        let mut features = conn.open(&login.domain).await?;
        if let Some(tls) = &login.tls {
            conn.starttls(tls, &login.domain).await?;
            features = conn.open(&login.domain).await?;
        }
        let hash = Hash::of(&login.mechanism)
            .ok_or_else(|| format!("unsupported mechanism {}", login.mechanism))?;
        if !features.contains(&format!(">{}<", login.mechanism)) {
            return Err(format!("{} not offered: {features}", login.mechanism));
        }
        conn.scram(login, account, hash).await?;
        let features = conn.open(&login.domain).await?;
        conn.write(
            format!(
                "<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>\
                 <resource>{resource}</resource></bind></iq>"
            )
            .as_bytes(),
        )
        .await?;
        let bound = conn.element("iq").await?;
        if !(bound.contains("type='result'") || bound.contains("type=\"result\"")) {
            return Err(format!("bind refused: {bound}"));
        }
        // RFC 3921 §3's session, only where the server still requires it
        // (RFC 6121 Appendix E).
        if let Some(at) = find(features.as_bytes(), b"urn:ietf:params:xml:ns:xmpp-session") {
            let rest = features.get(at..).unwrap_or_default();
            let session = rest.split("</session>").next().unwrap_or_default();
            if !session.contains("optional") && !session.ends_with("/>") {
                conn.write(
                    b"<iq type='set' id='sess'>\
                      <session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>",
                )
                .await?;
                conn.element("iq").await?;
            }
        }
        Ok(conn)
    }

    /// RFC 6120 §6.4 with SCRAM (RFC 5802, RFC 7677), no channel binding.
    async fn scram(&mut self, login: &Login, account: &Account, hash: Hash) -> Result<(), String> {
        let mut nonce = [0u8; 18];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut nonce);
        let (exchange, first) = Exchange::start(hash, &account.user, B64.encode(nonce));
        self.write(
            format!(
                "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='{}'>{}</auth>",
                login.mechanism,
                B64.encode(first)
            )
            .as_bytes(),
        )
        .await?;
        let challenge = self.element("challenge").await?;
        let server_first = decode(inner(&challenge))?;
        let fin = exchange.answer(&server_first, &account.password, &login.cache)?;
        self.write(
            format!(
                "<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{}</response>",
                B64.encode(fin.message)
            )
            .as_bytes(),
        )
        .await?;
        let success = self.element("success").await?;
        let server_final = decode(inner(&success))?;
        let expected = format!("v={}", B64.encode(&fin.server_signature));
        if server_final != expected {
            return Err(format!("bad server signature {server_final:?}"));
        }
        Ok(())
    }

    /// Closes the stream (RFC 6120 §4.4) and the socket, without waiting
    /// for the server's close, and within [`CLOSE`] in all (a TLS
    /// shutdown writes `close_notify`, which a server that stopped
    /// reading would hold).
    pub(crate) async fn close(mut self) {
        let _ = tokio::time::timeout(CLOSE, async {
            let _ = self.write_within(CLOSE, b"</stream:stream>").await;
            match &mut self.io {
                Io::Plain(s) => {
                    let _ = s.shutdown().await;
                }
                Io::Tls(s) => {
                    let _ = s.shutdown().await;
                }
                Io::Gone => {}
            }
        })
        .await;
    }
}

/// The text content of a one-level element: between the first `>` and the
/// last `<`, or empty for `<x/>`.
fn inner(element: &str) -> &str {
    if element.ends_with("/>") {
        return "";
    }
    match (element.find('>'), element.rfind('<')) {
        (Some(a), Some(b)) if a < b => element.get(a + 1..b).unwrap_or_default(),
        _ => "",
    }
}

fn decode(text: &str) -> Result<String, String> {
    let bytes = B64
        .decode(text.trim())
        .map_err(|e| format!("base64 {text:?}: {e}"))?;
    String::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))
}

/// The client TLS configuration: any certificate is accepted (the servers
/// run with self-signed ones made for the run, on loopback), the
/// handshake signatures are verified as usual.
pub(crate) fn tls_connector() -> TlsConnector {
    let provider = provider();
    let config = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .unwrap_or_else(|_| unreachable!("the ring provider supports the default versions"))
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

/// rustls's `ring` provider, as the rest of the workspace uses it (rustls
/// marks it deprecated for its lack of post-quantum key exchange).
#[allow(
    deprecated,
    reason = "the workspace's TLS provider; see xmpp-tokio's tls.rs"
)]
fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn_with(bytes: &[u8]) -> Conn {
        Conn {
            io: Io::Gone,
            buf: bytes.to_vec(),
        }
    }

    #[test]
    fn finds_whole_elements_and_consumes_them() {
        let mut c = conn_with(
            b"<stream:stream id='1'><stream:features><mechanisms/></stream:features><proceed xmlns='x'/>rest",
        );
        let f = c
            .complete(
                b"<stream:features",
                b"</stream:features>",
                &mut Scan::default(),
            )
            .unwrap();
        assert_eq!(f, "<stream:features><mechanisms/></stream:features>");
        let p = c
            .complete(b"<proceed", b"</proceed>", &mut Scan::default())
            .unwrap();
        assert_eq!(p, "<proceed xmlns='x'/>");
        assert_eq!(c.buf, b"rest");
    }

    #[test]
    fn waits_for_the_end_and_skips_longer_names() {
        let mut c = conn_with(b"<iqx/><iq type='result'><bind>");
        let mut scan = Scan::default();
        assert!(c.complete(b"<iq", b"</iq>", &mut scan).is_none());
        c.buf.extend_from_slice(b"</bind></iq>");
        assert_eq!(
            c.complete(b"<iq", b"</iq>", &mut scan).unwrap(),
            "<iq type='result'><bind></bind></iq>"
        );
    }

    /// The resumed search finds what a search of the whole buffer finds,
    /// however the bytes arrive: here one at a time, so that every
    /// needle is split across reads somewhere.
    #[test]
    fn a_trickled_answer_is_found_as_a_whole_one() {
        let inputs: [&[u8]; 4] = [
            b"<iqx/><i<iq\ttype='result'><bind><jid>a@b/c</jid></bind></iq>tail",
            b"<iq type='result'/>",
            b"<iqq></iqq><iq\n>text</i</iq>",
            b"<iq id='a>b'></iq>",
        ];
        for whole in inputs {
            let expected = conn_with(whole)
                .complete(b"<iq", b"</iq>", &mut Scan::default())
                .unwrap();
            let mut c = conn_with(b"");
            let mut scan = Scan::default();
            let mut found = None;
            for &b in whole {
                c.buf.push(b);
                if let Some(e) = c.complete(b"<iq", b"</iq>", &mut scan) {
                    found = Some(e);
                    break;
                }
            }
            assert_eq!(found, Some(expected), "{}", String::from_utf8_lossy(whole));
        }
    }

    #[test]
    fn a_trickled_failure_is_seen() {
        for needle in [&b"<failure xmlns='x'/>"[..], b"<stream:error>"] {
            let mut buf = b"<challenge>abc</challenge>".to_vec();
            let mut scan = Scan::default();
            let mut seen = false;
            for &b in needle {
                buf.push(b);
                seen |= scan.trouble(&buf);
            }
            assert!(seen, "{}", String::from_utf8_lossy(needle));
        }
    }

    #[test]
    fn inner_text() {
        assert_eq!(inner("<success xmlns='x'>dj0x</success>"), "dj0x");
        assert_eq!(inner("<success xmlns='x'/>"), "");
    }
}

//! A raw connection for hostile input: bytes out exactly as written, the
//! server's answer read through the framer, and what it amounted to (a
//! stream error and its condition, a close, silence, a dropped socket).
//! It can move to TLS (STARTTLS or direct, see [`super::tls`]) so that
//! checks after TLS misbehave on purpose too.

use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use xmpp_stream::{Event, Framer, Limits, Transport};

/// How long the server has to answer one probe.
pub(crate) const ANSWER: Duration = Duration::from_secs(5);

/// What the server did after a probe's bytes.
#[derive(Debug, Default, Clone)]
pub(crate) struct Answer {
    /// The server's stream header arrived.
    pub(crate) header: Option<xmpp_stream::StreamHeader>,
    /// The top-level elements it sent, as trees.
    pub(crate) elements: Vec<xmpp_stanza::Element>,
    /// The condition of its `<stream:error/>`, if it sent one.
    pub(crate) stream_error: Option<String>,
    /// It closed its stream (`</stream:stream>`).
    pub(crate) closed: bool,
    /// The socket ended.
    pub(crate) eof: bool,
    /// Nothing more came within the time allowed.
    pub(crate) silent: bool,
    /// Its bytes did not frame (with our framer's reason).
    pub(crate) unframed: Option<String>,
    /// Everything received, as text (lossy), for the report.
    pub(crate) received: String,
}

impl Answer {
    /// The features element, when one came.
    pub(crate) fn features(&self) -> Option<&xmpp_stanza::Element> {
        self.elements
            .iter()
            .find(|e| e.is("features", xmpp_stanza::STREAM_NS))
    }
}

/// The byte stream under a [`Raw`] connection.
enum Socket {
    Tcp(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
    /// Between taking the TCP stream for a handshake and putting back the
    /// TLS one (or after a failed handshake).
    Gone,
}

impl Socket {
    async fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Self::Tcp(s) => s.read(buf).await,
            Self::Tls(s) => s.read(buf).await,
            Self::Gone => Ok(0),
        }
    }

    async fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        async fn write(s: &mut (impl AsyncWrite + Unpin), bytes: &[u8]) -> std::io::Result<()> {
            s.write_all(bytes).await?;
            s.flush().await
        }
        match self {
            Self::Tcp(s) => write(s, bytes).await,
            Self::Tls(s) => write(s, bytes).await,
            Self::Gone => Err(std::io::ErrorKind::NotConnected.into()),
        }
    }
}

/// One TCP connection, plain or under TLS.
pub(crate) struct Raw {
    socket: Socket,
    framer: Framer,
    answer: Answer,
}

impl Raw {
    pub(crate) async fn open(server: &str) -> std::io::Result<Self> {
        let socket = tokio::time::timeout(ANSWER, TcpStream::connect(server))
            .await
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
        let limits = Limits::relayed();
        Ok(Self {
            socket: Socket::Tcp(socket),
            framer: Framer::with_limits(Transport::Tcp, limits)
                .unwrap_or_else(|_| Framer::new(Transport::Tcp)),
            answer: Answer::default(),
        })
    }

    /// Runs the TLS handshake over the plain connection with `connect`
    /// (after `<proceed/>`, RFC 6120 §5.4.3.3, or first thing for direct
    /// TLS), and starts over for a new stream.
    pub(crate) async fn tls<F, Fut>(&mut self, connect: F) -> std::io::Result<()>
    where
        F: FnOnce(TcpStream) -> Fut,
        Fut: Future<Output = std::io::Result<TlsStream<TcpStream>>>,
    {
        let Socket::Tcp(tcp) = std::mem::replace(&mut self.socket, Socket::Gone) else {
            return Err(std::io::ErrorKind::NotConnected.into());
        };
        let tls = tokio::time::timeout(ANSWER, connect(tcp))
            .await
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
        self.socket = Socket::Tls(Box::new(tls));
        // Nothing sent in the clear after <proceed/> belongs to the new
        // stream (RFC 6120 §5.4.3.3).
        let _ = self.framer.take_unconsumed();
        self.restart();
        Ok(())
    }

    /// Starts over for a restarted stream (RFC 6120 §4.3.3): the framer
    /// waits for a new header, and the answer so far is forgotten.
    pub(crate) fn restart(&mut self) {
        self.framer.reset();
        self.answer = Answer::default();
    }

    /// Forgets the elements received so far, keeping the stream's state:
    /// the next [`read`](Self::read) reports only what comes after.
    pub(crate) fn clear(&mut self) {
        self.answer.elements.clear();
        self.answer.received.clear();
        self.answer.silent = false;
    }

    /// Sends `bytes` as they are.
    pub(crate) async fn send(&mut self, bytes: &[u8]) -> bool {
        self.socket.write_all(bytes).await.is_ok()
    }

    /// Reads until the server closes, errs, goes silent for `quiet`, or
    /// `stop` says enough (checked after each element).
    pub(crate) async fn read(
        &mut self,
        quiet: Duration,
        mut stop: impl FnMut(&Answer) -> bool,
    ) -> &Answer {
        let mut buf = vec![0u8; 16 * 1024];
        let deadline = tokio::time::Instant::now() + ANSWER * 2;
        loop {
            if self.answer.closed || self.answer.eof || self.answer.unframed.is_some() {
                break;
            }
            let wait = quiet.min(deadline.saturating_duration_since(tokio::time::Instant::now()));
            let n = match tokio::time::timeout(wait, self.socket.read(&mut buf)).await {
                Err(_) => {
                    self.answer.silent = true;
                    break;
                }
                Ok(Ok(0) | Err(_)) => {
                    self.answer.eof = true;
                    break;
                }
                Ok(Ok(n)) => n,
            };
            let bytes = buf.get(..n).unwrap_or_default();
            self.answer
                .received
                .push_str(&String::from_utf8_lossy(bytes));
            self.framer.feed(bytes);
            loop {
                match self.framer.next_event() {
                    Ok(Some(Event::StreamOpen(h))) => self.answer.header = Some(*h),
                    Ok(Some(Event::Element(frame))) => {
                        if let Ok(tree) = xmpp_stanza::Element::from_frame(&frame) {
                            if tree.is("error", xmpp_stanza::STREAM_NS) {
                                self.answer.stream_error =
                                    xmpp_stanza::StreamError::from_element(&tree)
                                        .ok()
                                        .map(|e| e.condition.as_str().to_owned())
                                        .or_else(|| Some("unreadable".into()));
                            }
                            self.answer.elements.push(tree);
                        }
                    }
                    Ok(Some(Event::StreamClose)) => {
                        self.answer.closed = true;
                        break;
                    }
                    Ok(Some(_)) => {}
                    Ok(None) => break,
                    Err(e) => {
                        self.answer.unframed = Some(e.to_string());
                        break;
                    }
                }
            }
            if stop(&self.answer) {
                break;
            }
        }
        &self.answer
    }

    pub(crate) fn answer(&self) -> &Answer {
        &self.answer
    }
}

/// A client stream header for `domain` with the given attributes changed.
pub(crate) fn header(domain: &str) -> String {
    format!(
        "<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
         xmlns:stream='http://etherx.jabber.org/streams' to='{domain}' version='1.0'>"
    )
}

//! A raw connection for hostile input: bytes out exactly as written, the
//! server's answer read through the framer, and what it amounted to (a
//! stream error and its condition, a close, silence, a dropped socket).
//! It can move to TLS (STARTTLS or direct, see [`super::tls`]) so that
//! checks after TLS misbehave on purpose too.
//!
//! The server is the one under test, so it is not trusted either: what a
//! read keeps is bounded ([`MAX_RECEIVED`] bytes, [`MAX_ELEMENTS`]
//! elements), the answer to one exchange has one deadline, and a write the
//! server does not take within [`ANSWER`] is given up ("the server stopped
//! reading"). Past a bound the read stops and the [`Answer`] says why
//! ([`Answer::trouble`]), which the check reports as its finding.

use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use xmpp_stream::{Event, Framer, Limits, Transport};

/// How long the server has to answer one probe, and to take one write.
pub(crate) const ANSWER: Duration = Duration::from_secs(5);

/// The most bytes of one answer kept as text for the report. A server
/// that sends more without the read being over is flooding: the read
/// stops there.
pub(crate) const MAX_RECEIVED: usize = 64 * 1024;

/// The most top-level elements of one answer kept as trees; one more
/// ends the read as a flood.
pub(crate) const MAX_ELEMENTS: usize = 1000;

/// A bound of one answer the server passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flood {
    /// More than [`MAX_RECEIVED`] bytes.
    Bytes,
    /// More than [`MAX_ELEMENTS`] elements.
    Elements,
}

impl Flood {
    /// The bound passed, for a report.
    pub(crate) fn bound(self) -> String {
        match self {
            Self::Bytes => {
                format!("more than {MAX_RECEIVED} bytes in one answer, the most the probe keeps")
            }
            Self::Elements => {
                format!("more than {MAX_ELEMENTS} elements in one answer, the most the probe keeps")
            }
        }
    }
}

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
    /// What was received, as text (lossy), for the report: the first
    /// [`MAX_RECEIVED`] bytes at most.
    pub(crate) received: String,
    /// How many bytes were received in all (`received` keeps the first).
    pub(crate) received_bytes: usize,
    /// The server passed a bound of what the probe keeps, and the read
    /// stopped there.
    pub(crate) flood: Option<Flood>,
    /// A write did not finish within [`ANSWER`]: the server stopped
    /// reading (RFC 6120 §13.12 lets it, for bytes past its bounds, but
    /// then it owes a stream error).
    pub(crate) stopped_reading: bool,
}

impl Answer {
    /// The features element, when one came.
    pub(crate) fn features(&self) -> Option<&xmpp_stanza::Element> {
        self.elements
            .iter()
            .find(|e| e.is("features", xmpp_stanza::STREAM_NS))
    }

    /// Why the answer is not one to judge, if it is not: the server
    /// flooded the probe, or stopped reading and said nothing (no stream
    /// error, no close). A check reports this as its failure.
    pub(crate) fn trouble(&self) -> Option<String> {
        match self.flood {
            Some(Flood::Bytes) => {
                return Some(format!(
                    "the server flooded the probe: {} ({} read)",
                    Flood::Bytes.bound(),
                    self.received_bytes
                ));
            }
            Some(flood) => {
                return Some(format!("the server flooded the probe: {}", flood.bound()));
            }
            None => {}
        }
        let answered = self.stream_error.is_some() || self.closed || self.eof;
        (self.stopped_reading && !answered).then(|| {
            format!(
                "the server stopped reading: a write did not finish within {} s, \
                 and no stream error came",
                ANSWER.as_secs()
            )
        })
    }

    /// Keeps what one read brought, within the bounds; past them, marks
    /// the flood.
    fn keep(&mut self, bytes: &[u8]) {
        self.received_bytes = self.received_bytes.saturating_add(bytes.len());
        let room = MAX_RECEIVED.saturating_sub(self.received.len());
        if room > 0 {
            let text = String::from_utf8_lossy(bytes);
            let mut end = room.min(text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            self.received.push_str(text.get(..end).unwrap_or_default());
        }
        if self.received_bytes > MAX_RECEIVED {
            self.flood = Some(Flood::Bytes);
        }
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
    /// When the answer to the last bytes sent must be complete: set by
    /// the first read after a send (or a restart), so that the reads of
    /// one exchange share [`ANSWER`] twice rather than each having it.
    deadline: Option<tokio::time::Instant>,
    /// A write timed out, so the stream holds part of an element: nothing
    /// more is sent on it.
    stalled: bool,
    /// [`ANSWER`], shorter in tests.
    patience: Duration,
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
            deadline: None,
            stalled: false,
            patience: ANSWER,
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
        let tls = tokio::time::timeout(self.patience, connect(tcp))
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
        self.answer = Answer {
            stopped_reading: self.stalled,
            ..Answer::default()
        };
        self.deadline = None;
    }

    /// Forgets the elements received so far, keeping the stream's state:
    /// the next [`read`](Self::read) reports only what comes after.
    pub(crate) fn clear(&mut self) {
        self.answer.elements.clear();
        self.answer.received.clear();
        self.answer.received_bytes = 0;
        self.answer.flood = None;
        self.answer.silent = false;
    }

    /// Sends `bytes` as they are, within [`ANSWER`]; false when they did
    /// not all go. A write that times out marks the answer
    /// [`stopped_reading`](Answer::stopped_reading), and the stream takes
    /// nothing more.
    pub(crate) async fn send(&mut self, bytes: &[u8]) -> bool {
        self.deadline = None;
        if self.stalled {
            return false;
        }
        match tokio::time::timeout(self.patience, self.socket.write_all(bytes)).await {
            Ok(r) => r.is_ok(),
            Err(_) => {
                self.stalled = true;
                self.answer.stopped_reading = true;
                false
            }
        }
    }

    /// Reads until the server closes, errs, goes silent for `quiet`,
    /// passes a bound ([`Answer::flood`]), runs out the exchange's time
    /// (twice [`ANSWER`] from the first read after a send), or `stop`
    /// says enough (checked after each read).
    pub(crate) async fn read(
        &mut self,
        quiet: Duration,
        mut stop: impl FnMut(&Answer) -> bool,
    ) -> &Answer {
        let mut buf = vec![0u8; 16 * 1024];
        let patience = self.patience;
        let deadline = *self
            .deadline
            .get_or_insert_with(|| tokio::time::Instant::now() + patience * 2);
        self.answer.stopped_reading |= self.stalled;
        loop {
            if self.answer.closed
                || self.answer.eof
                || self.answer.unframed.is_some()
                || self.answer.flood.is_some()
            {
                break;
            }
            // Checked here too: a read that is always ready would never
            // let the timeout below see its deadline.
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                self.answer.silent = true;
                break;
            }
            let wait = quiet.min(left);
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
            self.answer.keep(bytes);
            self.framer.feed(bytes);
            loop {
                match self.framer.next_event() {
                    Ok(Some(Event::StreamOpen(h))) => self.answer.header = Some(*h),
                    Ok(Some(Event::Element(_))) if self.answer.elements.len() >= MAX_ELEMENTS => {
                        self.answer.flood = Some(Flood::Elements);
                        break;
                    }
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

#[cfg(test)]
mod tests;

//! The byte or message transport under a machine: TCP, TLS over TCP on
//! either side, or WebSocket (RFC 7395: one element per message, each
//! received message handed over whole).

use std::io;
use std::sync::Arc;

use futures_util::{SinkExt as _, StreamExt as _};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_rustls::{TlsAcceptor, TlsConnector, client, server};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use xmpp_session::{Instant, ResumptionState, TlsInfo};
use xmpp_stanza::Stanza;

use crate::queue;
use crate::tls::{ServerTls, client_info, server_info};

/// What a read gave.
pub(crate) enum Read {
    /// Bytes of the stream (TCP, TLS) or one whole message (WebSocket).
    Data(Vec<u8>),
    /// The peer closed.
    Eof,
}

/// The transport of one connection.
pub(crate) enum Io {
    Tcp(TcpStream),
    ServerTls(Box<server::TlsStream<TcpStream>>),
    ClientTls(Box<client::TlsStream<TcpStream>>),
    WebSocket(Box<WebSocketStream<TcpStream>>),
    /// Between a failed upgrade and the end.
    Gone,
}

/// How many bytes one read takes at most.
const READ_SIZE: usize = 16 * 1024;

thread_local! {
    /// One read buffer per runtime thread, shared by the connections it
    /// runs: a connection waiting for input holds none of its own (16 KiB
    /// each otherwise, most of an idle connection's memory).
    static SCRATCH: core::cell::RefCell<Box<[u8; READ_SIZE]>> =
        core::cell::RefCell::new(Box::new([0; READ_SIZE]));
}

/// What `stream` gives right now, read into the thread's buffer and copied
/// out at its length; `None` when it has nothing yet (the read registered
/// no waker of ours: the caller then waits for the socket's readiness).
fn read_now<S: tokio::io::AsyncRead + Unpin>(stream: &mut S) -> Option<io::Result<Read>> {
    use futures_util::FutureExt as _;
    SCRATCH.with_borrow_mut(|buf| {
        let n = match stream.read(&mut buf[..]).now_or_never()? {
            Ok(n) => n,
            Err(e) => return Some(Err(e)),
        };
        Some(Ok(match n {
            0 => Read::Eof,
            n => Read::Data(buf.get(..n).unwrap_or_default().to_vec()),
        }))
    })
}

impl Io {
    /// The next bytes or message. Cancel-safe: nothing is lost when the
    /// future is dropped before it completes (it only ever waits for
    /// readiness; the read itself never waits).
    pub(crate) async fn read(&mut self) -> io::Result<Read> {
        loop {
            // TLS first tries what rustls may already hold decrypted, then
            // waits on the socket under it.
            let tcp = match self {
                Self::Tcp(s) => match read_now(s) {
                    Some(r) => return r,
                    None => &*s,
                },
                Self::ServerTls(s) => match read_now(s) {
                    Some(r) => return r,
                    None => s.get_ref().0,
                },
                Self::ClientTls(s) => match read_now(s) {
                    Some(r) => return r,
                    None => s.get_ref().0,
                },
                Self::WebSocket(ws) => loop {
                    match ws.next().await {
                        None | Some(Ok(Message::Close(_))) => return Ok(Read::Eof),
                        Some(Ok(Message::Text(t))) => return Ok(Read::Data(t.into_bytes())),
                        Some(Ok(Message::Binary(b))) => return Ok(Read::Data(b)),
                        // Pings are answered by tungstenite itself.
                        Some(Ok(_)) => {}
                        Some(Err(e)) => return Err(io::Error::other(e)),
                    }
                },
                Self::Gone => return Ok(Read::Eof),
            };
            // Readiness through the socket's own waker slot (this task is
            // its only reader): a future a few words wide, where
            // `readable()` queues a waiter node of 150 bytes in it, part
            // of every idle connection's task.
            core::future::poll_fn(|cx| tcp.poll_read_ready(cx)).await?;
        }
    }

    /// Writes bytes (TCP, TLS) or one message (WebSocket). TCP and TLS
    /// bytes are wiped once written, or when the write is given up: a
    /// client's SASL messages carry its password or proof, and the machine
    /// handed over its only copy (tungstenite takes a WebSocket message as
    /// it is).
    pub(crate) async fn write(&mut self, data: Vec<u8>) -> io::Result<()> {
        // Wiped when dropped: written, failed, or cancelled by a timeout.
        let mut data = zeroize::Zeroizing::new(data);
        match self {
            Self::Tcp(s) => s.write_all(&data).await,
            Self::ServerTls(s) => write_flush(s, &data).await,
            Self::ClientTls(s) => write_flush(s, &data).await,
            Self::WebSocket(ws) => {
                let text = String::from_utf8(core::mem::take(&mut *data))
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                ws.send(Message::Text(text)).await.map_err(io::Error::other)
            }
            Self::Gone => Err(io::ErrorKind::NotConnected.into()),
        }
    }

    /// Closes the transport: a TLS close_notify (RFC 6120 §4.4), a
    /// WebSocket close frame, a TCP FIN.
    pub(crate) async fn shutdown(&mut self) {
        let _ = match self {
            Self::Tcp(s) => s.shutdown().await,
            Self::ServerTls(s) => s.shutdown().await,
            Self::ClientTls(s) => s.shutdown().await,
            Self::WebSocket(ws) => ws.close(None).await.map_err(io::Error::other),
            Self::Gone => Ok(()),
        };
    }

    /// The server's side of STARTTLS or direct TLS.
    pub(crate) async fn accept_tls(&mut self, tls: &ServerTls) -> io::Result<TlsInfo> {
        let Self::Tcp(tcp) = std::mem::replace(self, Self::Gone) else {
            return Err(io::Error::other(
                "tls over a transport that is not plain tcp",
            ));
        };
        let stream = TlsAcceptor::from(Arc::clone(&tls.config))
            .accept(tcp)
            .await?;
        let info = server_info(stream.get_ref().1, tls.cert.as_ref().as_ref());
        *self = Self::ServerTls(Box::new(stream));
        Ok(info)
    }

    /// The client's side of STARTTLS or direct TLS.
    pub(crate) async fn connect_tls(
        &mut self,
        config: Arc<rustls::ClientConfig>,
        name: ServerName<'static>,
    ) -> io::Result<TlsInfo> {
        let Self::Tcp(tcp) = std::mem::replace(self, Self::Gone) else {
            return Err(io::Error::other(
                "tls over a transport that is not plain tcp",
            ));
        };
        let stream = TlsConnector::from(config).connect(name, tcp).await?;
        let info = client_info(stream.get_ref().1);
        *self = Self::ClientTls(Box::new(stream));
        Ok(info)
    }
}

impl Io {
    /// Writes every transmit `next` gives; `false` when a write failed or
    /// made no progress for `stall` (a peer that stopped reading: its
    /// connection is then lost, and what it had not acknowledged goes to
    /// its resumption state, instead of holding its task, and everyone
    /// routing to it, forever). The rest stay with the machine.
    pub(crate) async fn flush(
        &mut self,
        stall: core::time::Duration,
        mut next: impl FnMut() -> Option<Vec<u8>>,
    ) -> bool {
        while let Some(bytes) = next() {
            match tokio::time::timeout(stall, self.write(bytes)).await {
                Ok(Ok(())) => {}
                _ => return false,
            }
        }
        true
    }
}

/// Writes all of `data` to a TLS stream and flushes it out of rustls.
async fn write_flush<S: AsyncWrite + Unpin>(s: &mut S, data: &[u8]) -> io::Result<()> {
    s.write_all(data).await?;
    s.flush().await
}

/// How long a finished session's last writes and the transport's close
/// (a TLS `close_notify`, a WebSocket close frame) may take together: a
/// peer that stopped reading cannot hold the task, nor the events that
/// follow the close (`Resumable`, the stanzas handed back), any longer.
pub(crate) const SHUTDOWN: core::time::Duration = core::time::Duration::from_secs(5);

impl Io {
    /// Ends a finished session's transport within [`SHUTDOWN`]: the last
    /// transmits (not when the connection was lost: nothing more gets
    /// through), then the close.
    pub(crate) async fn finish(&mut self, lost: bool, next: impl FnMut() -> Option<Vec<u8>>) {
        let close = async {
            if !lost {
                self.flush(SHUTDOWN, next).await;
            }
            self.shutdown().await;
        };
        let _ = tokio::time::timeout(SHUTDOWN, close).await;
    }
}

/// How much of one read the machine takes at a time while the
/// application keeps up: the events one slice gives are what a driver
/// holds at most for an application that does not (a read of 16 KiB of
/// tiny stanzas is about 1,600 events, near a megabyte).
pub(crate) const FEED_SLICE: usize = 2048;

/// The part of the last read the machine has not taken yet. A read larger
/// than [`FEED_SLICE`] is fed a slice at a time while the application
/// takes the events; while it does not, the driver still applies commands
/// and timers, and reads nothing more. (TCP and TLS only: a WebSocket
/// message is one element, taken whole.)
#[derive(Debug, Default)]
pub(crate) struct Backlog {
    bytes: Vec<u8>,
    fed: usize,
}

impl Backlog {
    /// A read: what the machine takes now (all of it when it is small or
    /// `whole`); the rest waits for [`next_slice`](Self::next_slice).
    pub(crate) fn read(&mut self, bytes: Vec<u8>, whole: bool) -> Option<Vec<u8>> {
        if whole || bytes.len() <= FEED_SLICE {
            return Some(bytes);
        }
        self.bytes = bytes;
        self.fed = 0;
        None
    }

    /// Whether part of the last read waits (its buffer goes once taken).
    pub(crate) fn pending(&mut self) -> bool {
        if self.fed < self.bytes.len() {
            return true;
        }
        if self.bytes.capacity() > 0 {
            self.bytes = Vec::new();
            self.fed = 0;
        }
        false
    }

    /// The next slice of the last read, at most [`FEED_SLICE`] bytes.
    pub(crate) fn next_slice(&mut self) -> Option<&[u8]> {
        let start = self.fed;
        let end = self.bytes.len().min(start.saturating_add(FEED_SLICE));
        self.fed = end;
        self.bytes.get(start..end).filter(|s| !s.is_empty())
    }
}

/// Closes a finished session's command queue and drains the stanzas still
/// in it (`stanza` picks them out of the commands): into the resumption
/// state when there is one (they go out after the resend, XEP-0198 §5),
/// else back to the caller, so none is dropped.
pub(crate) fn drain_unsent<C>(
    commands: &mut queue::Receiver<C>,
    state: &mut Option<ResumptionState>,
    stanza: impl Fn(C) -> Option<Stanza>,
) -> Vec<Stanza> {
    commands.close();
    let mut back = Vec::new();
    while let Some(command) = commands.try_recv() {
        if let Some(s) = stanza(command) {
            match state {
                Some(state) => state.push_unsent(&s),
                None => back.push(s),
            }
        }
    }
    back
}

/// The machine's clock: milliseconds since the connection began, as the
/// [`Instant`] xmpp-session takes.
pub(crate) struct Epoch(tokio::time::Instant);

impl Epoch {
    pub(crate) fn start() -> Self {
        Self(tokio::time::Instant::now())
    }

    /// Now, on the machine's clock.
    pub(crate) fn now(&self) -> Instant {
        Instant::from_millis(u64::try_from(self.0.elapsed().as_millis()).unwrap_or(u64::MAX))
    }

    /// A sleep until the machine's next deadline (an hour without one).
    pub(crate) fn sleep_until(&self, deadline: Option<Instant>) -> tokio::time::Sleep {
        tokio::time::sleep_until(match deadline {
            Some(t) => self.0 + std::time::Duration::from_millis(t.as_millis()),
            None => tokio::time::Instant::now() + std::time::Duration::from_secs(3600),
        })
    }
}

/// The events of one connection on their way to the application.
///
/// A driver never waits on the application while it could apply commands:
/// events the channel cannot take now are held here, and the driver reads
/// no more from its peer until they are taken. A session whose application
/// is slow is slowed down through its TCP window instead; two sessions
/// whose applications route stanzas to each other cannot wait on each
/// other; and what is held is bounded by one slice of a read's worth of events ([`Backlog`]).
///
/// Events travel boxed, so that the queue's deque stays small however
/// large an event is.
pub(crate) struct Outbox<E> {
    tx: queue::Sender<Box<E>>,
    held: std::collections::VecDeque<Box<E>>,
}

impl<E> Outbox<E> {
    pub(crate) fn new(tx: queue::Sender<Box<E>>) -> Self {
        Self {
            tx,
            held: std::collections::VecDeque::new(),
        }
    }

    /// Queues `event` behind those held, handing over what the queue
    /// takes now. An application that is gone takes nothing, and nothing
    /// is held for it.
    pub(crate) fn push(&mut self, event: E) {
        self.held.push_back(Box::new(event));
        self.pump();
    }

    fn pump(&mut self) {
        use queue::TrySendError;
        while let Some(event) = self.held.pop_front() {
            match self.tx.try_send(event) {
                Ok(()) => {}
                Err(TrySendError::Full(event)) => {
                    self.held.push_front(event);
                    return;
                }
                Err(TrySendError::Closed(_)) => {
                    self.held.clear();
                    return;
                }
            }
        }
    }

    /// Gives back the memory a burst grew, once the application took
    /// every event (a quiet connection).
    pub(crate) fn shrink(&mut self) {
        if self.held.is_empty() {
            self.held = std::collections::VecDeque::new();
        }
        self.tx.shrink();
    }

    /// Whether events wait for the application (the driver does not read
    /// meanwhile).
    pub(crate) fn is_blocked(&self) -> bool {
        !self.held.is_empty()
    }

    /// Waits for room and hands over what it can. Cancel-safe: nothing is
    /// taken from what is held until there is room for it, and the driver
    /// is the queue's only sender.
    pub(crate) async fn ready(&mut self) {
        self.tx.room().await;
        if self.tx.is_closed() {
            self.held.clear();
        }
        self.pump();
    }

    /// Hands over every held event, then `last` ones, waiting as long as
    /// the application takes (the connection has ended: nothing else is
    /// left to do).
    pub(crate) async fn finish(mut self, last: impl IntoIterator<Item = E>) {
        self.held.extend(last.into_iter().map(Box::new));
        while let Some(event) = self.held.pop_front() {
            if self.tx.send(event).await.is_err() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Backlog, FEED_SLICE};

    #[test]
    fn a_large_read_is_fed_in_slices_and_its_buffer_goes() {
        let mut b = Backlog::default();
        let small = vec![1u8; FEED_SLICE];
        assert_eq!(b.read(small.clone(), false), Some(small));
        assert!(!b.pending());
        let large: Vec<u8> = (0..5_000u32).map(|i| (i % 251) as u8).collect();
        assert_eq!(b.read(large.clone(), true), Some(large.clone()), "whole");
        assert_eq!(b.read(large.clone(), false), None);
        let mut fed = Vec::new();
        let mut sizes = Vec::new();
        while b.pending() {
            let slice = b.next_slice().expect("a slice");
            sizes.push(slice.len());
            fed.extend_from_slice(slice);
        }
        assert_eq!(sizes, [FEED_SLICE, FEED_SLICE, 5_000 - 2 * FEED_SLICE]);
        assert_eq!(fed, large);
        assert_eq!(b.next_slice(), None);
        assert_eq!(b.bytes.capacity(), 0, "the buffer went");
    }
}

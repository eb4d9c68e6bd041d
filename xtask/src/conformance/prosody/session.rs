//! A blocking driver of `xmpp-session`'s [`Client`] over a `std::net`
//! socket: the model for drivers in other runtimes and languages. It
//! moves bytes, time and TLS and decides nothing about XMPP:
//!
//! 1. write every `poll_transmit` to the socket;
//! 2. take every `poll_event`: on `StartTls`, run the rustls handshake on
//!    the socket and report it with `tls_established`; keep the others
//!    for the application (here: the checks);
//! 3. read once, waiting at most until `poll_timeout`: bytes go to
//!    `handle_input`, the end of input to `connection_lost`, an expired
//!    timer to `handle_timeout`.
//!
//! A [`Tap`] sees every byte both ways (the plaintext, under TLS) to check
//! and record what Prosody sent; the checks ask for events with
//! [`Session::wait_event`].

use std::collections::VecDeque;
use std::fmt::Display;
use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv4Addr, Shutdown, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use rustls::{ClientConnection, StreamOwned};
use xmpp_session::{Client, ClientConfig, ClientEvent, Instant, Seed};

use super::tap::Tap;
use super::tls;
use crate::util::Result;

/// How long to wait for Prosody before failing: for one read, and for
/// any awaited event (timers may wake the driver meanwhile).
const READ_TIMEOUT: Duration = Duration::from_secs(5);

/// The socket, plain or under TLS.
enum Socket {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ClientConnection, TcpStream>>),
    /// Closed by Prosody or cut by us.
    Gone,
}

impl Socket {
    fn tcp(&self) -> Option<&TcpStream> {
        match self {
            Self::Plain(tcp) => Some(tcp),
            Self::Tls(tls) => Some(tls.get_ref()),
            Self::Gone => None,
        }
    }

    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Self::Plain(tcp) => tcp.write_all(bytes),
            Self::Tls(tls) => tls.write_all(bytes).and_then(|()| tls.flush()),
            Self::Gone => Err(ErrorKind::NotConnected.into()),
        }
    }

    /// Plaintext bytes; `Ok(0)` at the end of input. A reset ends the
    /// input too: a peer that closed its socket answers what we still
    /// wrote (our close after its stream error) with one.
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = match self {
            Self::Plain(tcp) => tcp.read(buf),
            // A peer that closes TCP without close_notify ends the input
            // all the same: nothing is lost that XMPP did not see.
            Self::Tls(tls) => match tls.read(buf) {
                Err(e) if e.kind() == ErrorKind::UnexpectedEof => Ok(0),
                other => other,
            },
            Self::Gone => Ok(0),
        };
        match n {
            Err(e) if e.kind() == ErrorKind::ConnectionReset => Ok(0),
            other => other,
        }
    }
}

/// One client connection to Prosody.
pub(super) struct Session {
    client: Client,
    socket: Socket,
    /// The read buffer; its length is the chunk size.
    buf: Vec<u8>,
    /// The driver's clock, mapped onto [`Instant`].
    epoch: std::time::Instant,
    /// rustls, for when the machine asks for TLS.
    tls: Option<Arc<rustls::ClientConfig>>,
    /// The server's name, which its certificate must carry.
    domain: String,
    /// Events the checks have not taken yet.
    inbox: VecDeque<ClientEvent>,
    /// The machine's fatal error, once it had one.
    error: Option<xmpp_session::Error>,
    /// Whether the input ended.
    eof: bool,
    /// What the connection carried, checked.
    pub(super) tap: Tap,
    next_id: u32,
}

impl Session {
    /// Connects to Prosody on `port` and starts `config`'s client, reading
    /// `chunk` bytes at a time; `tls` is the TLS layer to run when the
    /// machine asks for it.
    pub(super) fn connect(
        port: u16,
        name: &str,
        chunk: usize,
        config: ClientConfig,
        tls: Option<Arc<rustls::ClientConfig>>,
    ) -> Result<Self> {
        let label = format!("{name} (chunk {chunk})");
        let socket = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
            .map_err(|e| format!("{label}: cannot connect to 127.0.0.1:{port}: {e}"))?;
        let domain = config.jid.domainpart().to_owned();
        let served = [super::HOST, super::HOST_SHA256].contains(&domain.as_str());
        let mut seed = [0; 32];
        rand_core::RngCore::try_fill_bytes(&mut rand_core::OsRng, &mut seed)
            .map_err(|e| format!("{label}: seed: {e}"))?;
        Ok(Self {
            client: Client::new(config, Seed::new(seed), Instant::from_millis(0)),
            socket: Socket::Plain(socket),
            buf: vec![0; chunk.max(1)],
            epoch: std::time::Instant::now(),
            tls,
            domain: domain.clone(),
            inbox: VecDeque::new(),
            error: None,
            eof: false,
            tap: Tap::new(name, served.then_some(domain.as_str()), chunk),
            next_id: 0,
        })
    }

    /// The error for `what`, with the bytes of this connection.
    pub(super) fn fail(&self, what: impl Display) -> String {
        self.tap.fail(what)
    }

    /// The machine.
    pub(super) fn client(&mut self) -> &mut Client {
        &mut self.client
    }

    /// The machine's fatal error, if it had one.
    pub(super) fn error(&self) -> Option<&xmpp_session::Error> {
        self.error.as_ref()
    }

    /// A fresh stanza id.
    pub(super) fn id(&mut self) -> String {
        self.next_id += 1;
        format!("x{}", self.next_id)
    }

    fn now(&self) -> Instant {
        let ms = self.epoch.elapsed().as_millis();
        Instant::from_millis(u64::try_from(ms).unwrap_or(u64::MAX))
    }

    /// Writes what the machine queued; the number of bytes.
    pub(super) fn flush(&mut self) -> Result<usize> {
        let mut n = 0;
        while let Some(bytes) = self.client.poll_transmit() {
            self.tap.sent(&bytes);
            n += bytes.len();
            if let Err(e) = self.socket.write_all(&bytes) {
                return Err(self.fail(format!("write: {e}")));
            }
        }
        Ok(n)
    }

    /// Moves the connection on by one step: [`poll`](Self::poll), and a
    /// read when that gave no event.
    fn step(&mut self) -> Result {
        if self.poll()? {
            return Ok(());
        }
        if self.eof {
            return Err(self.fail("the input ended"));
        }
        self.read_once()
    }

    /// Flushes and takes the machine's events (running TLS when asked);
    /// whether there were any.
    fn poll(&mut self) -> Result<bool> {
        self.flush()?;
        let mut any = false;
        while let Some(event) = self.client.poll_event() {
            any = true;
            match event {
                ClientEvent::StartTls { tls_bytes } => self.start_tls(&tls_bytes)?,
                event => self.inbox.push_back(event),
            }
            self.flush()?;
        }
        Ok(any)
    }

    /// One read, bounded by the machine's next timer.
    fn read_once(&mut self) -> Result {
        let timer = self.client.poll_timeout();
        let wait = timer.map_or(READ_TIMEOUT, |t| {
            t.saturating_duration_since(self.now()).min(READ_TIMEOUT)
        });
        if wait.is_zero() {
            return self.timeout();
        }
        if let Some(tcp) = self.socket.tcp() {
            tcp.set_read_timeout(Some(wait))
                .map_err(|e| self.fail(format!("set_read_timeout: {e}")))?;
        }
        match self.socket.read(&mut self.buf) {
            Ok(0) => {
                self.eof = true;
                self.socket = Socket::Gone;
                self.tap.eof()?;
                self.client.connection_lost();
                Ok(())
            }
            Ok(n) => {
                let bytes = self.buf.get(..n).unwrap_or_default().to_vec();
                self.tap.received(&bytes)?;
                if self.error.is_none() {
                    if let Err(e) = self.client.handle_input(&bytes) {
                        self.error = Some(e);
                    }
                }
                Ok(())
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if timer.is_some_and(|t| t <= self.now()) {
                    return self.timeout();
                }
                if wait == READ_TIMEOUT {
                    return Err(self.fail(format!("no answer from Prosody in {READ_TIMEOUT:?}")));
                }
                Ok(())
            }
            Err(e) => Err(self.fail(format!("read: {e}"))),
        }
    }

    fn timeout(&mut self) -> Result {
        if let Err(e) = self.client.handle_timeout(self.now()) {
            self.error.get_or_insert(e);
        }
        Ok(())
    }

    /// RFC 6120 §5.4.3.3: the TLS handshake on the socket, fed first the
    /// bytes that came after `<proceed/>`; then the machine learns what
    /// the channel gives.
    fn start_tls(&mut self, tls_bytes: &[u8]) -> Result {
        let Some(config) = self.tls.clone() else {
            return Err(self.fail("the machine asked for TLS; this session has none"));
        };
        let Socket::Plain(mut tcp) = std::mem::replace(&mut self.socket, Socket::Gone) else {
            return Err(self.fail("StartTls on a socket that is not plain"));
        };
        let name = ServerName::try_from(self.domain.clone())
            .map_err(|e| self.fail(format!("server name: {e}")))?;
        let mut conn =
            ClientConnection::new(config, name).map_err(|e| self.fail(format!("rustls: {e}")))?;
        if !tls_bytes.is_empty() {
            conn.read_tls(&mut &tls_bytes[..])
                .and_then(|_| conn.process_new_packets().map_err(std::io::Error::other))
                .map_err(|e| self.fail(format!("TLS bytes after <proceed/>: {e}")))?;
        }
        tcp.set_read_timeout(Some(READ_TIMEOUT))
            .map_err(|e| self.fail(format!("set_read_timeout: {e}")))?;
        while conn.is_handshaking() {
            conn.complete_io(&mut tcp)
                .map_err(|e| self.fail(format!("TLS handshake: {e}")))?;
        }
        let info = tls::info(&conn).map_err(|e| self.fail(e))?;
        self.tap.note(format!(
            "TLS established: {}, binding data for {}",
            info.version.name(),
            info.channel_bindings
                .iter()
                .map(|cb| cb.kind().name())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        self.socket = Socket::Tls(Box::new(StreamOwned::new(conn, tcp)));
        if let Err(e) = self.client.tls_established(info) {
            return Err(self.fail(format!("tls_established: {e}")));
        }
        Ok(())
    }

    /// The first event for which `want` gives a value; the events before
    /// it stay in the inbox for later waits.
    pub(super) fn wait_event<T>(
        &mut self,
        mut want: impl FnMut(&ClientEvent) -> Option<T>,
    ) -> Result<T> {
        let mut seen = 0;
        let deadline = std::time::Instant::now() + READ_TIMEOUT;
        loop {
            let found = self.inbox.iter().skip(seen).position(|e| want(e).is_some());
            if let Some(i) = found {
                let event = self.inbox.remove(seen + i).ok_or("inbox changed")?;
                return want(&event).ok_or_else(|| "inbox changed".to_owned());
            }
            seen = self.inbox.len();
            if self.poll()? {
                continue;
            }
            if self.client.is_closed() {
                let error = self.error.as_ref().map(ToString::to_string);
                return Err(self.fail(format!(
                    "the session ended (error: {}) before the awaited event; unclaimed: {:?}",
                    error.as_deref().unwrap_or("none"),
                    self.inbox
                )));
            }
            if std::time::Instant::now() > deadline {
                return Err(self.fail(format!("no awaited event in {READ_TIMEOUT:?}")));
            }
            self.step()?;
        }
    }

    /// The stanzas received that no wait claimed.
    pub(super) fn unclaimed_stanzas(&self) -> impl Iterator<Item = &xmpp_stanza::Stanza> {
        self.inbox.iter().filter_map(|e| match e {
            ClientEvent::Stanza(s) => Some(s),
            _ => None,
        })
    }

    /// Steps until `done` holds.
    pub(super) fn wait_until(&mut self, mut done: impl FnMut(&Self) -> bool) -> Result {
        let deadline = std::time::Instant::now() + READ_TIMEOUT;
        while !done(self) {
            if std::time::Instant::now() > deadline {
                return Err(self.fail(format!("not done in {READ_TIMEOUT:?}")));
            }
            self.step()?;
        }
        Ok(())
    }

    /// Ends the session's input: reads until Prosody closes the
    /// connection (the tap checks the end of input).
    pub(super) fn wait_eof(&mut self) -> Result {
        while !self.eof {
            match self.step() {
                Ok(()) => {}
                Err(_) if self.eof => break,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Cuts the connection without a close, as a lost network would: the
    /// socket is shut down and the machine told.
    pub(super) fn cut(&mut self) {
        if let Some(tcp) = self.socket.tcp() {
            let _ = tcp.shutdown(Shutdown::Both);
        }
        self.socket = Socket::Gone;
        self.eof = true;
        self.tap.note("connection cut");
        self.client.connection_lost();
        while let Some(event) = self.client.poll_event() {
            self.inbox.push_back(event);
        }
    }

    /// Sends raw bytes past the machine (to provoke Prosody).
    pub(super) fn send_raw(&mut self, xml: &str) -> Result {
        self.tap.sent(xml.as_bytes());
        self.socket
            .write_all(xml.as_bytes())
            .map_err(|e| self.fail(format!("write: {e}")))
    }

    /// Drops what the machine queued instead of writing it: bytes lost in
    /// flight. The number of bytes.
    pub(super) fn lose_transmits(&mut self) -> usize {
        let mut n = 0;
        while let Some(bytes) = self.client.poll_transmit() {
            n += bytes.len();
            self.tap.note(format!(
                "lost in flight: {}",
                String::from_utf8_lossy(&bytes)
            ));
        }
        n
    }
}

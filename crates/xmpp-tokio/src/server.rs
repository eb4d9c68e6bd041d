//! The server side: listeners for STARTTLS (or plain) TCP, direct TLS
//! (XEP-0368) and WebSocket (RFC 7395), each accepted connection driven by
//! its own task and handed to the application as a [`ServerSession`],
//! which answers the machine's decisions.

use std::io;
use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};
use xmpp_sasl::{Credentials, TlsVersion};
use xmpp_session::{
    Instant, ResumptionState, RoutedStanza, Seed, Server, ServerConfig, ServerEvent, TlsMode,
    Transport,
};
use xmpp_stanza::{DefinedCondition, Stanza, StreamError};

use crate::io::{Backlog, Epoch, Io, Outbox, Read, drain_unsent};
use crate::queue;
use crate::tls::ServerTls;

/// The RFC 7395 §3.2 path `xmpp serve` answers on.
pub const WEBSOCKET_PATH: &str = "/xmpp-websocket";

/// What a listener speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ListenerKind {
    /// TCP, with STARTTLS as the configuration's TLS policy says.
    Tcp,
    /// TLS from the first byte (XEP-0368).
    DirectTls,
    /// WebSocket (`ws://`, subprotocol `xmpp`, RFC 7395).
    WebSocket,
}

impl ListenerKind {
    /// `tcp` or `websocket`, the transport a session runs on.
    pub fn transport(self) -> &'static str {
        match self {
            Self::Tcp | Self::DirectTls => "tcp",
            Self::WebSocket => "websocket",
        }
    }
}

/// What a [`ServerSession`] reports.
#[derive(Debug)]
#[non_exhaustive]
#[allow(
    clippy::large_enum_variant,
    reason = "events carry stanzas; boxing them would only move the copy"
)]
pub enum Event {
    /// TLS is up.
    TlsEstablished(TlsVersion),
    /// The state to resume the session with (XEP-0198 §5): the last
    /// event of a session that ended resumable, after `Closed`.
    Resumable(ResumptionState),
    /// The session failed with this error (reported once; `Closed`
    /// follows).
    Failed(xmpp_session::Error),
    /// What the machine said (decisions to answer among them).
    Session(ServerEvent),
}

/// A command for the driver task. Each variant is small (the large ones
/// boxed), so that a queue of them stays small.
#[derive(Debug)]
enum Command {
    Credentials(Box<Credentials>),
    AcceptBind(Box<str>),
    RejectBind(DefinedCondition),
    AcceptResume(Box<ResumptionState>),
    RejectResume,
    RejectResumeTimedOut(u32),
    IssueToken(Box<(String, String)>),
    DeclineToken,
    /// Accepted, with a rotation or not.
    AcceptTokenUse(bool),
    RefuseTokenUse,
    Send(Box<RoutedStanza>),
    Close,
    CloseWithError(Box<StreamError>),
}

/// How long a connection is quiet before its machine gives back its
/// scratch buffers ([`Server::shrink_idle`]).
const QUIET: core::time::Duration = core::time::Duration::from_secs(1);

/// How long a write to a client may make no progress before its
/// connection counts as lost ([`Listener::with_write_stall`]).
pub const DEFAULT_WRITE_STALL: core::time::Duration = core::time::Duration::from_secs(10);

/// How long a TLS handshake or a WebSocket upgrade may take
/// ([`Listener::with_handshake_timeout`]).
pub const DEFAULT_HANDSHAKE_TIMEOUT: core::time::Duration = core::time::Duration::from_secs(30);

/// Commands queued per session before `send` reports it full.
const COMMAND_QUEUE: usize = 256;

/// How long `accept` waits after an error that is not one connection's
/// (out of file descriptors, say) before it reports it, so that a caller
/// looping on `accept` does not spin while the condition lasts.
const ACCEPT_BACKOFF: core::time::Duration = core::time::Duration::from_millis(100);

/// Events queued for the application before the driver holds them (and
/// stops reading).
pub(crate) const EVENT_QUEUE: usize = 64;

/// Which way a traced chunk went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// From the client (decrypted, as the machine reads it).
    In,
    /// To the client (as the machine wrote it, before encryption).
    Out,
}

/// A tap on every session of a listener ([`Listener::with_tap`]): it sees
/// each chunk of the XML stream as the machine does, both ways, decrypted,
/// with the client's address and the listener's kind. For traces and
/// transcripts; it runs on the session's task, so it should be quick.
#[derive(Clone)]
pub struct Tap(std::sync::Arc<TapFn>);

type TapFn = dyn Fn(SocketAddr, ListenerKind, Direction, &[u8]) + Send + Sync;

impl Tap {
    /// A tap calling `f` with the client's address, the listener's kind,
    /// the direction and the bytes.
    pub fn new(
        f: impl Fn(SocketAddr, ListenerKind, Direction, &[u8]) + Send + Sync + 'static,
    ) -> Self {
        Self(std::sync::Arc::new(f))
    }
}

impl core::fmt::Debug for Tap {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Tap")
    }
}

/// A listener that hands out sessions.
#[derive(Debug)]
pub struct Listener {
    inner: TcpListener,
    kind: ListenerKind,
    /// Shared by every session of the listener.
    config: std::sync::Arc<ServerConfig>,
    tls: Option<ServerTls>,
    tap: Option<Tap>,
    write_stall: core::time::Duration,
    handshake_timeout: core::time::Duration,
    gate: Option<crate::gate::Gate>,
}

impl Listener {
    /// Listens on `addr` (port 0 picks a free port). `tls` is required for
    /// [`ListenerKind::DirectTls`] and for STARTTLS unless the
    /// configuration's TLS policy is off.
    pub async fn bind(
        addr: SocketAddr,
        kind: ListenerKind,
        config: ServerConfig,
        tls: Option<ServerTls>,
    ) -> io::Result<Self> {
        let mut config = config;
        match kind {
            ListenerKind::Tcp => config = config.transport(Transport::Tcp),
            ListenerKind::DirectTls => {
                config = config.transport(Transport::Tcp).tls_mode(TlsMode::Direct);
            }
            ListenerKind::WebSocket => config = config.transport(Transport::WebSocket),
        }
        let needs_tls = match kind {
            ListenerKind::DirectTls => true,
            ListenerKind::Tcp => config.tls != xmpp_session::TlsPolicy::Off,
            ListenerKind::WebSocket => false,
        };
        if needs_tls && tls.is_none() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "this listener needs a TLS certificate",
            ));
        }
        Ok(Self {
            inner: TcpListener::bind(addr).await?,
            kind,
            config: std::sync::Arc::new(config),
            tls,
            tap: None,
            write_stall: DEFAULT_WRITE_STALL,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            gate: None,
        })
    }

    /// How long a TLS handshake (STARTTLS or direct TLS) or a WebSocket
    /// upgrade may take ([`DEFAULT_HANDSHAKE_TIMEOUT`]); a connection whose
    /// handshake is not over by then is closed. The machine's own timers
    /// ([`Keepalive`](xmpp_session::Keepalive)) do not run meanwhile.
    #[must_use]
    pub fn with_handshake_timeout(mut self, timeout: core::time::Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// At most `total` connections of this listener at once, and at most
    /// `per_address` from one IP address (`None`: no bound on that). A
    /// connection past either bound is closed as soon as it is accepted,
    /// before anything is read from it or allocated for it. No bound by
    /// default.
    #[must_use]
    pub fn with_max_connections(
        mut self,
        total: Option<usize>,
        per_address: Option<usize>,
    ) -> Self {
        self.gate = (total.is_some() || per_address.is_some())
            .then(|| crate::gate::Gate::new(total, per_address));
        self
    }

    /// The connections this listener holds now (counted only when
    /// [`with_max_connections`](Self::with_max_connections) set a bound).
    pub fn connections(&self) -> Option<usize> {
        self.gate.as_ref().map(crate::gate::Gate::open)
    }

    /// How long a write to a client may make no progress before its
    /// connection counts as lost ([`DEFAULT_WRITE_STALL`]). A client that
    /// stops reading then loses its connection (and keeps what it had not
    /// acknowledged for resumption) instead of filling its queue, so an
    /// application routing to it with
    /// [`SessionSender::send_within`] waits at most about this long.
    #[must_use]
    pub fn with_write_stall(mut self, stall: core::time::Duration) -> Self {
        self.write_stall = stall;
        self
    }

    /// Every session accepted from now on shows its stream to `tap`.
    #[must_use]
    pub fn with_tap(mut self, tap: Tap) -> Self {
        self.tap = Some(tap);
        self
    }

    /// The address bound.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }

    /// The kind of listener.
    pub fn kind(&self) -> ListenerKind {
        self.kind
    }

    /// The next connection, its driver started. The WebSocket upgrade
    /// runs in the connection's own task, under the handshake timeout: a
    /// client that never finishes it holds up nobody else, and one that
    /// fails it (wrong path, no `xmpp` subprotocol) gives a session that
    /// ends at once with [`ServerEvent::Closed`]. A failed `accept` of one
    /// connection (reset before it was taken) is skipped; any other error
    /// is returned after a short pause, so that a loop calling `accept`
    /// again does not spin while, say, the process is out of file
    /// descriptors.
    pub async fn accept(&self) -> io::Result<ServerSession> {
        let (tcp, peer, permit) = loop {
            let (tcp, peer) = match self.inner.accept().await {
                Ok(accepted) => accepted,
                Err(e) if one_connection(&e) => continue,
                Err(e) => {
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    return Err(e);
                }
            };
            let permit = match &self.gate {
                Some(gate) => match gate.admit(peer.ip()) {
                    Some(permit) => Some(permit),
                    // Closed at once: nothing read, nothing kept.
                    None => continue,
                },
                None => None,
            };
            break (tcp, peer, permit);
        };
        let _ = tcp.set_nodelay(true);
        let machine = Server::new(
            std::sync::Arc::clone(&self.config),
            seed()?,
            Instant::from_millis(0),
        );
        let (event_tx, events) = queue::channel(EVENT_QUEUE);
        let (commands, command_rx) = queue::channel(COMMAND_QUEUE);
        let tap = self.tap.clone().map(|t| Box::new((t, peer, self.kind)));
        let settings = Settings {
            tls: self.tls.clone(),
            write_stall: self.write_stall,
            handshake_timeout: self.handshake_timeout,
            _permit: permit,
        };
        let machine = Box::new(machine);
        if self.kind == ListenerKind::WebSocket {
            let config = websocket_config(self.config.limits.max_element_bytes);
            let handshake = self.handshake_timeout;
            tokio::spawn(async move {
                // Boxed: the upgrade's state is not part of the task for
                // the connection's whole life.
                let upgrade = Box::pin(tokio::time::timeout(
                    handshake,
                    tokio_tungstenite::accept_hdr_async_with_config(
                        tcp,
                        websocket_handshake,
                        Some(config),
                    ),
                ))
                .await;
                let io = match upgrade {
                    Ok(Ok(ws)) => Io::WebSocket(Box::new(ws)),
                    // The machine sees the connection end before its
                    // stream began.
                    _ => Io::Gone,
                };
                drive(io, machine, settings, tap, event_tx, command_rx).await;
            });
        } else {
            tokio::spawn(drive(
                Io::Tcp(tcp),
                machine,
                settings,
                tap,
                event_tx,
                command_rx,
            ));
        }
        Ok(ServerSession {
            events,
            sender: SessionSender { commands },
            peer,
            kind: self.kind,
        })
    }
}

/// Whether `accept` failed for one connection only (it was reset or
/// aborted before it was taken), which the next `accept` does not repeat.
fn one_connection(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::Interrupted
    )
}

/// What a session's driver needs besides its transport and machine.
struct Settings {
    tls: Option<ServerTls>,
    write_stall: core::time::Duration,
    handshake_timeout: core::time::Duration,
    /// The connection's place under [`Listener::with_max_connections`],
    /// given back when the driver ends.
    _permit: Option<crate::gate::Permit>,
}

/// tungstenite's limits for a listener whose elements are at most
/// `max_element` bytes: RFC 7395 §3.3.3 puts one element in a message, so
/// no message (or frame) needs to be larger, where tungstenite's own
/// defaults buffer up to 64 MiB per connection before the machine sees a
/// byte.
pub(crate) fn websocket_config(
    max_element: usize,
) -> tokio_tungstenite::tungstenite::protocol::WebSocketConfig {
    // Room for white space around the element.
    let max = max_element.saturating_add(1024);
    tokio_tungstenite::tungstenite::protocol::WebSocketConfig {
        max_message_size: Some(max),
        max_frame_size: Some(max),
        ..Default::default()
    }
}

/// RFC 7395 §3.3: the `xmpp` subprotocol must be offered and is echoed.
#[allow(
    clippy::result_large_err,
    reason = "the signature is tungstenite's callback type"
)]
fn websocket_handshake(req: &Request, mut resp: Response) -> Result<Response, ErrorResponse> {
    let offers_xmpp = req
        .headers()
        .get_all("sec-websocket-protocol")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim() == "xmpp");
    if req.uri().path() != WEBSOCKET_PATH || !offers_xmpp {
        let mut refusal = ErrorResponse::new(Some(
            "expected the xmpp subprotocol on /xmpp-websocket".into(),
        ));
        *refusal.status_mut() = StatusCode::BAD_REQUEST;
        return Err(refusal);
    }
    resp.headers_mut()
        .insert("sec-websocket-protocol", HeaderValue::from_static("xmpp"));
    Ok(resp)
}

/// 32 bytes from the operating system's generator (through the TLS
/// provider's).
pub(crate) fn seed() -> io::Result<Seed> {
    let mut bytes = [0u8; 32];
    crate::tls::provider()
        .secure_random
        .fill(&mut bytes)
        .map_err(|_| io::Error::other("no randomness"))?;
    Ok(Seed::new(bytes))
}

/// One accepted connection, as the application sees it.
#[derive(Debug)]
pub struct ServerSession {
    events: queue::Receiver<Box<Event>>,
    sender: SessionSender,
    peer: SocketAddr,
    kind: ListenerKind,
}

/// Commands to a session from anywhere (a router holds one per bound
/// resource). Cheap to clone.
#[derive(Debug, Clone)]
pub struct SessionSender {
    commands: queue::Sender<Command>,
}

impl SessionSender {
    fn push(&self, command: Command) -> bool {
        self.commands.try_send(command).is_ok()
    }

    /// Queues a stanza for the client; `false` when the session is gone or
    /// its queue is full (the caller bounces the stanza). A
    /// [`RoutedStanza`] from another session's [`ServerEvent::Stanza`] is
    /// written from the bytes it came in (see [`Server::send`]).
    pub fn send(&self, stanza: impl Into<RoutedStanza>) -> bool {
        self.push(Command::Send(Box::new(stanza.into())))
    }

    /// Queues a stanza for the client, or gives it back when the session
    /// is gone or its queue is full, for the caller to keep or bounce. A
    /// stanza queued while the connection ends is not lost: it goes into
    /// the session's [`Event::Resumable`] state, or comes back in a
    /// [`ServerEvent::Undelivered`].
    pub fn try_send(&self, stanza: impl Into<RoutedStanza>) -> Result<(), Box<RoutedStanza>> {
        self.commands
            .try_send(Command::Send(Box::new(stanza.into())))
            .map_err(|e| match e {
                queue::TrySendError::Full(Command::Send(stanza))
                | queue::TrySendError::Closed(Command::Send(stanza)) => stanza,
                _ => unreachable!("the command sent is a Send"),
            })
    }

    /// Queues a stanza for the client, waiting up to `wait` while its
    /// queue is full: the backpressure a router puts on the session that
    /// sent the stanza (whose own reading pauses meanwhile, and with it its
    /// client, through TCP). Gives the stanza back when the session is gone
    /// or the wait ran out, for the caller to keep or bounce.
    pub async fn send_within(
        &self,
        stanza: impl Into<RoutedStanza>,
        wait: std::time::Duration,
    ) -> Result<(), Box<RoutedStanza>> {
        self.commands
            .send_timeout(Command::Send(Box::new(stanza.into())), wait)
            .await
            .map_err(|e| match e {
                Command::Send(s) => s,
                _ => unreachable!("the command sent is a Send"),
            })
    }

    /// Closes the stream with a stream error (RFC 6120 §4.9).
    /// Queued even when the session's queue is full (of stanzas for a
    /// client that reads too slowly, say), behind what is queued.
    pub fn close_with_error(&self, error: StreamError) -> bool {
        self.commands
            .push_always(Command::CloseWithError(Box::new(error)))
            .is_ok()
    }

    /// Closes the stream cleanly; queued even when the session's queue is
    /// full, behind what is queued.
    pub fn close(&self) -> bool {
        self.commands.push_always(Command::Close).is_ok()
    }

    /// Whether the session's task still runs.
    pub fn is_alive(&self) -> bool {
        !self.commands.is_closed()
    }
}

impl ServerSession {
    /// The next event; `None` once the connection is closed and every
    /// event was taken.
    pub async fn next_event(&mut self) -> Option<Event> {
        self.events.recv().await.map(|e| *e)
    }

    /// A sender for this session's commands.
    pub fn sender(&self) -> SessionSender {
        self.sender.clone()
    }

    /// The peer's address.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// The listener kind it came from.
    pub fn kind(&self) -> ListenerKind {
        self.kind
    }

    /// Answers [`ServerEvent::CredentialsRequest`].
    pub fn provide_credentials(&self, credentials: Credentials) -> bool {
        self.sender
            .push(Command::Credentials(Box::new(credentials)))
    }

    /// Answers [`ServerEvent::BindRequest`] with a resourcepart.
    pub fn accept_bind(&self, resource: &str) -> bool {
        self.sender.push(Command::AcceptBind(resource.into()))
    }

    /// Answers [`ServerEvent::BindRequest`] with a stanza error.
    pub fn reject_bind(&self, condition: DefinedCondition) -> bool {
        self.sender.push(Command::RejectBind(condition))
    }

    /// Answers [`ServerEvent::ResumeRequest`] with the earlier session.
    pub fn accept_resume(&self, state: ResumptionState) -> bool {
        self.sender.push(Command::AcceptResume(Box::new(state)))
    }

    /// Answers [`ServerEvent::ResumeRequest`]: no such session.
    pub fn reject_resume(&self) -> bool {
        self.sender.push(Command::RejectResume)
    }

    /// Answers [`ServerEvent::ResumeRequest`] for a session whose
    /// resumption window closed, with the count of the client's stanzas it
    /// handled (`<failed h='…'/>`, XEP-0198 §5; see
    /// [`Server::reject_resume_timed_out`]).
    pub fn reject_resume_timed_out(&self, handled: u32) -> bool {
        self.sender.push(Command::RejectResumeTimedOut(handled))
    }

    /// Answers [`ServerEvent::TokenRequest`] with a token and its expiry.
    pub fn issue_token(&self, token: &str, expiry: &str) -> bool {
        self.sender.push(Command::IssueToken(Box::new((
            token.to_owned(),
            expiry.to_owned(),
        ))))
    }

    /// Answers [`ServerEvent::TokenRequest`] with no token.
    pub fn decline_token(&self) -> bool {
        self.sender.push(Command::DeclineToken)
    }

    /// Answers [`ServerEvent::TokenUsed`] whose use the application
    /// recorded, with a new token for the client when `rotate`
    /// ([`Server::accept_token_use`]).
    pub fn accept_token_use(&self, rotate: bool) -> bool {
        self.sender.push(Command::AcceptTokenUse(rotate))
    }

    /// Answers [`ServerEvent::TokenUsed`] that could not be recorded: the
    /// login fails ([`Server::refuse_token_use`]).
    pub fn refuse_token_use(&self) -> bool {
        self.sender.push(Command::RefuseTokenUse)
    }

    /// Queues a stanza for the client ([`SessionSender::send`]).
    pub fn send(&self, stanza: impl Into<RoutedStanza>) -> bool {
        self.sender.send(stanza)
    }

    /// Closes the stream cleanly.
    pub fn close(&self) -> bool {
        self.sender.close()
    }
}

/// Applies a command. A stanza the machine would refuse (not bound yet,
/// closing, XEP-0198 queue full) comes back, for the application to
/// bounce; another refused command (wrong phase) changes nothing, and the
/// machine's events tell the application where it stands.
fn apply(machine: &mut Server, command: Command) -> Option<Stanza> {
    let _ = match command {
        Command::Send(s) => {
            if machine.can_send().is_err() {
                return Some(s.into_stanza());
            }
            machine.send(*s)
        }
        Command::Credentials(c) => machine.provide_credentials(*c),
        Command::AcceptBind(r) => machine.accept_bind(&r).map(|_| ()),
        Command::RejectBind(c) => machine.reject_bind(c),
        Command::AcceptResume(s) => machine.accept_resume(*s),
        Command::RejectResume => machine.reject_resume(),
        Command::RejectResumeTimedOut(h) => machine.reject_resume_timed_out(h),
        Command::IssueToken(t) => machine.issue_token(&t.0, &t.1),
        Command::DeclineToken => machine.decline_token(),
        Command::AcceptTokenUse(rotate) => machine.accept_token_use(rotate),
        Command::RefuseTokenUse => machine.refuse_token_use(),
        Command::Close => machine.close(),
        Command::CloseWithError(e) => {
            machine.close_with_error(*e);
            Ok(())
        }
    };
    None
}

/// Runs one connection: bytes, timers and commands into the machine,
/// transmits out, events to the application, TLS when it asks.
///
/// The machine comes boxed: an async fn keeps each argument beside the
/// local it moves into, and the machine is most of the task, which every
/// connection holds for its whole life (measured with `-Zprint-type-sizes`:
/// 3,480 bytes unboxed, 752 boxed).
async fn drive(
    mut io: Io,
    mut machine: Box<Server>,
    settings: Settings,
    tap: Option<Box<(Tap, SocketAddr, ListenerKind)>>,
    events: queue::Sender<Box<Event>>,
    mut commands: queue::Receiver<Command>,
) {
    let write_stall = settings.write_stall;
    let mut events = Outbox::new(events);
    let mut backlog = Backlog::default();
    let epoch = Epoch::start();
    let mut app_gone = false;
    let mut reported = false;
    let mut lost = false;
    // When the machine next gives back its scratch buffers: once bound
    // (negotiation sized them), then after each quiet spell.
    let mut shrink_at = None;
    let trace = |direction, bytes: &[u8]| {
        if let Some(t) = &tap {
            (t.0.0)(t.1, t.2, direction, bytes);
        }
    };
    let transmit = |machine: &mut Server| {
        let bytes = machine.poll_transmit();
        if let Some(b) = &bytes {
            trace(Direction::Out, b);
        }
        bytes
    };
    loop {
        if !io.flush(write_stall, || transmit(&mut machine)).await {
            lost = true;
            machine.connection_lost();
        }
        // No event is held across the handshake's await: the task's size
        // is its largest await point's, for the connection's whole life.
        let mut start_tls = None;
        let mut settled = false;
        while let Some(event) = machine.poll_event() {
            match event {
                ServerEvent::StartTls { tls_bytes } => {
                    start_tls = Some(tls_bytes.is_empty());
                    break;
                }
                ServerEvent::Bound { .. } | ServerEvent::Resumed { .. } => settled = true,
                _ => {}
            }
            events.push(Event::Session(event));
        }
        if settled {
            machine.shrink_idle();
        }
        if let Some(clean) = start_tls {
            // A client that sends TLS records before <proceed/> breaks
            // RFC 6120 §5.4.3.3; such bytes are not replayed into TLS.
            let clean = clean && !backlog.pending();
            let info = match (&settings.tls, clean) {
                (Some(t), true) => Box::pin(tokio::time::timeout(
                    settings.handshake_timeout,
                    io.accept_tls(t),
                ))
                .await
                .ok()
                .and_then(Result::ok),
                _ => None,
            };
            match info {
                Some(info) => {
                    let version = info.version;
                    let _ = machine.tls_established(info);
                    events.push(Event::TlsEstablished(version));
                }
                None => machine.connection_lost(),
            }
            // The stream header goes out over TLS first.
            continue;
        }
        if machine.is_closed() {
            // Boxed, like the TLS handshake: an await point's state is
            // part of the task's size for the connection's whole life.
            Box::pin(io.finish(lost, || transmit(&mut machine))).await;
            // Stanzas queued while the connection was ending are not lost:
            // no more are taken, and those queued go into the resumption
            // state, or back to the application to bounce.
            let mut state = machine.take_resumption_state();
            let undelivered = drain_unsent(&mut commands, &mut state, |c| match c {
                Command::Send(s) => Some(s.into_stanza()),
                _ => None,
            });
            let undelivered = (!undelivered.is_empty())
                .then(|| Event::Session(ServerEvent::Undelivered(undelivered)));
            Box::pin(events.finish(undelivered.into_iter().chain(state.map(Event::Resumable))))
                .await;
            return;
        }
        // The rest of the last read, a slice at a time while the
        // application takes the events (while it does not, the select
        // below still applies commands and timers, and reads nothing).
        let waiting = backlog.pending();
        if waiting && !events.is_blocked() {
            if let Some(Err(e)) = backlog.next_slice().map(|s| machine.handle_input(s)) {
                if !reported && e.is_fatal() {
                    reported = true;
                    events.push(Event::Failed(e));
                }
            }
            continue;
        }
        let deadline = machine.poll_timeout();
        let sleep = epoch.sleep_until(match (deadline, shrink_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        });
        tokio::select! {
            read = io.read(), if !events.is_blocked() && !waiting => match read {
                Ok(Read::Data(bytes)) => {
                    trace(Direction::In, &bytes);
                    shrink_at = Some(epoch.now() + QUIET);
                    let whole = matches!(io, Io::WebSocket(_));
                    if let Some(Err(e)) = backlog.read(bytes, whole).map(|b| machine.handle_input(&b)) {
                        if !reported && e.is_fatal() {
                            reported = true;
                            events.push(Event::Failed(e));
                        }
                    }
                }
                _ => machine.connection_lost(),
            },
            command = commands.recv(), if !app_gone => match command {
                Some(command) => {
                    if let Some(refused) = apply(&mut machine, command) {
                        events.push(Event::Session(ServerEvent::Undelivered(vec![refused])));
                    }
                }
                None => {
                    app_gone = true;
                    let _ = machine.close();
                }
            },
            () = events.ready(), if events.is_blocked() => {}
            () = sleep => {
                let now = epoch.now();
                if shrink_at.is_some_and(|t| now >= t) {
                    machine.shrink_idle();
                    commands.shrink();
                    events.shrink();
                    shrink_at = None;
                }
                if deadline.is_none_or(|t| now < t) {
                    continue;
                }
                if let Err(e) = machine.handle_timeout(now) {
                    if !reported && e.is_fatal() {
                        reported = true;
                        events.push(Event::Failed(e));
                    }
                }
            }
        }
    }
}

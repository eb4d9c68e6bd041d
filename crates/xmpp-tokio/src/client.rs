//! The client side: [`connect`] opens TCP (STARTTLS, direct TLS or none)
//! and drives an `xmpp_session::Client` in its own task.

use std::io;
use std::sync::Arc;

use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use xmpp_sasl::{ChannelBindingType, TlsVersion};
use xmpp_session::{Client, ClientConfig, ClientEvent, Instant, ResumptionState};
use xmpp_stanza::Stanza;

use crate::io::{Backlog, Epoch, Io, Outbox, Read, drain_unsent};
use crate::queue;
use crate::server::seed;
use crate::tls::{Trust, client_config};

/// Where and how to connect.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConnectOptions {
    /// The machine's configuration (account, TLS policy and mode, SASL…).
    pub config: ClientConfig,
    /// `host:port` to connect to.
    pub server: String,
    /// Whom to trust for TLS.
    pub trust: Trust,
    /// Connect over WebSocket (RFC 7395, `ws://`) to this path, e.g.
    /// `/xmpp-websocket`, instead of plain TCP. The configuration's
    /// transport must be WebSocket.
    pub websocket_path: Option<String>,
    /// How long the TCP connection, the WebSocket upgrade and the TLS
    /// handshake may each take ([`DEFAULT_HANDSHAKE_TIMEOUT`]): a server
    /// that stalls in one of them cannot hold the client for ever (the
    /// machine's timers do not run meanwhile).
    ///
    /// [`DEFAULT_HANDSHAKE_TIMEOUT`]: crate::DEFAULT_HANDSHAKE_TIMEOUT
    pub handshake_timeout: core::time::Duration,
}

impl ConnectOptions {
    /// Connect to `server` (`host:port`) with `config`, trusting `trust`.
    pub fn new(config: ClientConfig, server: impl Into<String>, trust: Trust) -> Self {
        Self {
            config,
            server: server.into(),
            trust,
            websocket_path: None,
            handshake_timeout: crate::DEFAULT_HANDSHAKE_TIMEOUT,
        }
    }

    /// Bounds each handshake ([`handshake_timeout`](Self::handshake_timeout)).
    #[must_use]
    pub fn handshake_timeout(mut self, timeout: core::time::Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// Connects over WebSocket to `path`.
    #[must_use]
    pub fn websocket(mut self, path: impl Into<String>) -> Self {
        self.websocket_path = Some(path.into());
        self
    }
}

/// What a [`ClientSession`] reports.
#[derive(Debug)]
#[non_exhaustive]
#[allow(
    clippy::large_enum_variant,
    reason = "events carry stanzas; boxing them would only move the copy"
)]
pub enum Event {
    /// TLS is up, with these binding types available.
    TlsEstablished {
        /// The version.
        version: TlsVersion,
        /// The channel-binding types the connection has data for.
        channel_bindings: Vec<ChannelBindingType>,
    },
    /// The state to resume the session with (XEP-0198 §5): the last
    /// event of a session that ended resumable, after `Closed`.
    Resumable(ResumptionState),
    /// The session failed with this error (reported once; `Closed`
    /// follows).
    Failed(xmpp_session::Error),
    /// A stanza given to [`ClientSession::send`] that the machine would
    /// not take (before `Bound`, XEP-0198 queue full) or that was still
    /// queued when a session that cannot resume ended: handed back, never
    /// dropped.
    Refused(Stanza),
    /// What the machine said.
    Session(ClientEvent),
}

/// How long a write may make no progress before the connection counts as
/// lost (a server that stopped reading).
const WRITE_STALL: core::time::Duration = core::time::Duration::from_secs(30);

#[derive(Debug)]
enum Command {
    Send(Box<Stanza>),
    RequestAck,
    Close,
    Abort,
}

/// A running client connection.
#[derive(Debug)]
pub struct ClientSession {
    events: queue::Receiver<Box<Event>>,
    commands: queue::Sender<Command>,
}

impl ClientSession {
    /// The next event; `None` once the connection is closed and every
    /// event was taken.
    pub async fn next_event(&mut self) -> Option<Event> {
        self.events.recv().await.map(|e| *e)
    }

    /// Sends a stanza (after `Bound`).
    pub async fn send(&self, stanza: Stanza) -> bool {
        self.commands
            .send(Command::Send(Box::new(stanza)))
            .await
            .is_ok()
    }

    /// Asks the server to acknowledge (XEP-0198).
    pub async fn request_ack(&self) -> bool {
        self.commands.send(Command::RequestAck).await.is_ok()
    }

    /// Closes the stream; `Closed` follows the server's close.
    pub async fn close(&self) -> bool {
        self.commands.send(Command::Close).await.is_ok()
    }

    /// Drops the connection without closing the stream, as a network
    /// failure would: with XEP-0198 the session ends resumable.
    pub async fn abort(&self) -> bool {
        self.commands.send(Command::Abort).await.is_ok()
    }
}

/// Connects and starts the client's task.
pub async fn connect(options: ConnectOptions) -> io::Result<ClientSession> {
    let within = options.handshake_timeout;
    let tcp = in_time(within, TcpStream::connect(&options.server)).await?;
    let _ = tcp.set_nodelay(true);
    let tls_config = client_config(&options.trust)?;
    let domain = options.config.jid.domainpart().to_owned();
    let name =
        ServerName::try_from(domain).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let io = match &options.websocket_path {
        Some(path) => {
            let mut request = format!("ws://{}{path}", options.server)
                .into_client_request()
                .map_err(io::Error::other)?;
            request
                .headers_mut()
                .insert("sec-websocket-protocol", HeaderValue::from_static("xmpp"));
            let config = crate::server::websocket_config(options.config.limits.max_element_bytes);
            let (ws, _) = in_time(within, async {
                tokio_tungstenite::client_async_with_config(request, tcp, Some(config))
                    .await
                    .map_err(io::Error::other)
            })
            .await?;
            Io::WebSocket(Box::new(ws))
        }
        None => Io::Tcp(tcp),
    };
    let machine = Client::new(options.config, seed()?, Instant::from_millis(0));
    let (event_tx, events) = queue::channel(crate::server::EVENT_QUEUE);
    let (commands, command_rx) = queue::channel(256);
    tokio::spawn(drive(
        io,
        Box::new(machine),
        (tls_config, name, within),
        event_tx,
        command_rx,
    ));
    Ok(ClientSession { events, commands })
}

/// `future`'s output, or a `TimedOut` error when it takes longer than
/// `within`.
async fn in_time<T, E>(
    within: core::time::Duration,
    future: impl Future<Output = Result<T, E>>,
) -> io::Result<T>
where
    io::Error: From<E>,
{
    match tokio::time::timeout(within, future).await {
        Ok(result) => Ok(result?),
        Err(_) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "the handshake took too long",
        )),
    }
}

/// Applies a command; a stanza the machine would refuse comes back.
fn apply(machine: &mut Client, io: &mut Io, command: Command) -> Option<Stanza> {
    match command {
        Command::Abort => {
            // The socket goes without a close: what a cut does.
            *io = Io::Gone;
            machine.connection_lost();
        }
        Command::Send(s) => {
            if machine.can_send().is_err() {
                return Some(*s);
            }
            let _ = machine.send(*s);
        }
        Command::RequestAck => machine.request_ack(),
        Command::Close => {
            let _ = machine.close();
        }
    }
    None
}

/// Runs the connection (the machine boxed, as the server's driver does:
/// an async fn keeps an argument beside the local it moves into).
async fn drive(
    mut io: Io,
    mut machine: Box<Client>,
    (tls_config, name, within): (
        Arc<rustls::ClientConfig>,
        ServerName<'static>,
        core::time::Duration,
    ),
    events: queue::Sender<Box<Event>>,
    mut commands: queue::Receiver<Command>,
) {
    let mut events = Outbox::new(events);
    let mut backlog = Backlog::default();
    let epoch = Epoch::start();
    let mut app_gone = false;
    let mut reported = false;
    let mut lost = false;
    loop {
        if !io.flush(WRITE_STALL, || machine.poll_transmit()).await {
            lost = true;
            machine.connection_lost();
        }
        // No event is held across the handshake's await.
        let mut start_tls = None;
        while let Some(event) = machine.poll_event() {
            if let ClientEvent::StartTls { tls_bytes } = event {
                start_tls = Some(tls_bytes.is_empty());
                break;
            }
            events.push(Event::Session(event));
        }
        if let Some(clean) = start_tls {
            // Bytes after `<proceed/>` (RFC 6120 §5.4.2.3) are not TLS
            // records of a handshake the client started.
            let info = if clean && !backlog.pending() {
                Box::pin(in_time(
                    within,
                    io.connect_tls(Arc::clone(&tls_config), name.clone()),
                ))
                .await
                .ok()
            } else {
                None
            };
            match info {
                Some(info) => {
                    let version = info.version;
                    let channel_bindings = info.channel_bindings.iter().map(|b| b.kind()).collect();
                    let _ = machine.tls_established(info);
                    events.push(Event::TlsEstablished {
                        version,
                        channel_bindings,
                    });
                }
                None => machine.connection_lost(),
            }
            // The stream header goes out over TLS first.
            continue;
        }
        if machine.is_closed() {
            io.finish(lost, || machine.poll_transmit()).await;
            // Stanzas sent while the connection was ending go out when the
            // session resumes, or come back with the unacknowledged ones
            // when it does not; without resumption they come back as
            // `Refused`.
            let mut state = machine.take_resumption_state();
            let refused = drain_unsent(&mut commands, &mut state, |c| match c {
                Command::Send(s) => Some(*s),
                _ => None,
            });
            events
                .finish(
                    refused
                        .into_iter()
                        .map(Event::Refused)
                        .chain(state.map(Event::Resumable)),
                )
                .await;
            return;
        }
        // The rest of the last read, a slice at a time while the
        // application takes the events, so that a server sending many
        // small stanzas at once makes the driver hold one slice's events
        // at most.
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
        let sleep = epoch.sleep_until(machine.poll_timeout());
        tokio::select! {
            read = io.read(), if !events.is_blocked() && !waiting => match read {
                Ok(Read::Data(bytes)) => {
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
                    if let Some(stanza) = apply(&mut machine, &mut io, command) {
                        events.push(Event::Refused(stanza));
                    }
                }
                None => {
                    app_gone = true;
                    let _ = machine.close();
                }
            },
            () = events.ready(), if events.is_blocked() => {}
            () = sleep => {
                if let Err(e) = machine.handle_timeout(epoch.now()) {
                    if !reported && e.is_fatal() {
                        reported = true;
                        events.push(Event::Failed(e));
                    }
                }
            }
        }
    }
}

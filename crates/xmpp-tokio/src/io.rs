//! The byte or message transport under a machine: TCP, TLS over TCP on
//! either side, or WebSocket (RFC 7395: one element per message, each
//! received message handed over whole).

use std::io;
use std::sync::Arc;

use futures_util::{SinkExt as _, StreamExt as _};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_rustls::{TlsAcceptor, TlsConnector, client, server};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use xmpp_session::{Instant, ResumptionState, TlsInfo};
use xmpp_stanza::Stanza;

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

impl Io {
    /// The next bytes or message. Cancel-safe: nothing is lost when the
    /// future is dropped before it completes.
    pub(crate) async fn read(&mut self, buf: &mut [u8; READ_SIZE]) -> io::Result<Read> {
        let n = match self {
            Self::Tcp(s) => s.read(buf).await?,
            Self::ServerTls(s) => s.read(buf).await?,
            Self::ClientTls(s) => s.read(buf).await?,
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
        Ok(match n {
            0 => Read::Eof,
            n => Read::Data(buf.get(..n).unwrap_or_default().to_vec()),
        })
    }

    /// Writes bytes (TCP, TLS) or one message (WebSocket).
    pub(crate) async fn write(&mut self, data: Vec<u8>) -> io::Result<()> {
        match self {
            Self::Tcp(s) => s.write_all(&data).await,
            Self::ServerTls(s) => {
                s.write_all(&data).await?;
                s.flush().await
            }
            Self::ClientTls(s) => {
                s.write_all(&data).await?;
                s.flush().await
            }
            Self::WebSocket(ws) => {
                let text = String::from_utf8(data)
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
        let info = server_info(stream.get_ref().1, tls.cert.as_ref());
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

/// A read buffer.
pub(crate) fn buffer() -> Box<[u8; READ_SIZE]> {
    Box::new([0u8; READ_SIZE])
}

impl Io {
    /// Writes every transmit `next` gives; `false` when a write failed
    /// (the rest stay with the machine).
    pub(crate) async fn flush(&mut self, mut next: impl FnMut() -> Option<Vec<u8>>) -> bool {
        while let Some(bytes) = next() {
            if self.write(bytes).await.is_err() {
                return false;
            }
        }
        true
    }
}

/// Closes a finished session's command queue and drains the stanzas still
/// in it (`stanza` picks them out of the commands): into the resumption
/// state when there is one (they go out after the resend, XEP-0198 §5),
/// else back to the caller, so none is dropped.
pub(crate) fn drain_unsent<C>(
    commands: &mut tokio::sync::mpsc::Receiver<C>,
    state: &mut Option<ResumptionState>,
    stanza: impl Fn(C) -> Option<Box<Stanza>>,
) -> Vec<Stanza> {
    commands.close();
    let mut back = Vec::new();
    while let Ok(command) = commands.try_recv() {
        if let Some(s) = stanza(command) {
            match state {
                Some(state) => state.push_unsent(&s),
                None => back.push(*s),
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

//! TLS for the probe's raw connections (rustls, the `ring` provider, as
//! xmpp-tokio uses): the sasl suite misbehaves after STARTTLS (RFC 6120
//! §5.4.3.3) or direct TLS (XEP-0368), where a server offers its real
//! mechanism list. `--insecure` accepts any certificate (the handshake
//! signatures are still checked); otherwise the roots are those of a
//! login (none given on the command line: see [`super::Target::trust`]).

use std::io;
use std::sync::Arc;

use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::ServerName;
use xmpp_tokio::Trust;

/// The TLS handshake over `tcp` for `domain`, with xmpp-tokio's client
/// configuration (any certificate when `insecure`, its handshake
/// signatures still checked; otherwise no root is trusted); ALPN
/// `xmpp-client` when `direct` (XEP-0368 §2).
pub(crate) async fn connect(
    tcp: TcpStream,
    domain: &str,
    insecure: bool,
    direct: bool,
) -> io::Result<TlsStream<TcpStream>> {
    let trust = if insecure {
        Trust::Insecure
    } else {
        Trust::Roots(Vec::new())
    };
    let mut config = (*xmpp_tokio::tls_client_config(&trust)?).clone();
    if direct {
        config.alpn_protocols = vec![b"xmpp-client".to_vec()];
    }
    let name = ServerName::try_from(domain.to_owned())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    TlsConnector::from(Arc::new(config))
        .connect(name, tcp)
        .await
}

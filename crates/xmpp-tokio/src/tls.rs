//! TLS from rustls (the `ring` provider): server and client
//! configurations, and what the session machines need from an
//! established channel: the version and the channel-binding data
//! (`tls-exporter`, RFC 9266; `tls-server-end-point`, RFC 5929 §4).
//! rustls does not expose the Finished message, so `tls-unique` is never
//! offered; on TLS 1.3 it does not exist anyway.

use std::io;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, ProtocolVersion, SignatureScheme};
use sha2::Digest as _;
use xmpp_sasl::{ChannelBinding, ChannelBindingType, TlsVersion};
use xmpp_session::TlsInfo;

/// The RFC 9266 exporter label.
const EXPORTER_LABEL: &[u8] = b"EXPORTER-Channel-Binding";

/// The `ring` provider: it builds with nothing beyond cc, which the
/// project's machines have (aws-lc-rs would need cmake and a C++ build).
/// rustls marks it deprecated because it has no post-quantum key
/// exchange; X25519 and the NIST curves remain.
#[allow(
    deprecated,
    reason = "ring is chosen on purpose: see the function's doc"
)]
pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn invalid(what: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, what.to_string())
}

/// Where a server's certificate came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertSource {
    /// Generated at start (rcgen), valid for the served domain only.
    SelfSigned,
    /// Read from PEM files.
    Given,
}

impl CertSource {
    /// `self-signed` or `given`, as `xmpp serve` prints it.
    pub fn name(self) -> &'static str {
        match self {
            Self::SelfSigned => "self-signed",
            Self::Given => "given",
        }
    }
}

/// A server's TLS configuration and certificate.
#[derive(Debug, Clone)]
pub struct ServerTls {
    pub(crate) config: Arc<rustls::ServerConfig>,
    /// The leaf certificate, for `tls-server-end-point` (shared: every
    /// session holds a clone of this value).
    pub(crate) cert: Arc<CertificateDer<'static>>,
    source: CertSource,
}

impl ServerTls {
    /// A fresh self-signed certificate for `domain` (an ECDSA P-256 key).
    pub fn self_signed(domain: &str) -> io::Result<Self> {
        let generated =
            rcgen::generate_simple_self_signed(vec![domain.to_owned()]).map_err(invalid)?;
        let cert = generated.cert.der().clone();
        let key = PrivateKeyDer::Pkcs8(generated.key_pair.serialize_der().into());
        Self::build(vec![cert], key, CertSource::SelfSigned)
    }

    /// The certificate chain and key from PEM (leaf first).
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8]) -> io::Result<Self> {
        let certs = CertificateDer::pem_slice_iter(cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(invalid)?;
        if certs.is_empty() {
            return Err(invalid("no certificate in the PEM"));
        }
        let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(invalid)?;
        Self::build(certs, key, CertSource::Given)
    }

    fn build(
        certs: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
        source: CertSource,
    ) -> io::Result<Self> {
        let cert = certs
            .first()
            .cloned()
            .ok_or_else(|| invalid("no certificate"))?;
        let mut config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(invalid)?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(invalid)?;
        // WebSocket is served without TLS here; ALPN is not needed for
        // XMPP over TCP (XEP-0368 names `xmpp-client`, offered for peers
        // that ask).
        config.alpn_protocols = vec![b"xmpp-client".to_vec()];
        // RFC 9266 §2: tls-exporter binds only a handshake with unique
        // master secrets, which TLS 1.2 has with RFC 7627's extended master
        // secret alone (every current TLS 1.2 stack sends it).
        config.require_ems = true;
        Ok(Self {
            config: Arc::new(config),
            cert: Arc::new(cert),
            source,
        })
    }

    /// Where the certificate came from.
    pub fn source(&self) -> CertSource {
        self.source
    }

    /// The leaf certificate (DER), for clients to pin.
    pub fn certificate(&self) -> &[u8] {
        self.cert.as_ref().as_ref()
    }
}

/// Whom a client trusts.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Trust {
    /// Certificates that chain to these roots (PEM), for the server name.
    Roots(Vec<u8>),
    /// Exactly this certificate (DER), whatever its names: a server's
    /// self-signed certificate known in advance.
    Pinned(Vec<u8>),
    /// Any certificate: encryption without authentication, for tests
    /// against servers with self-signed certificates (`--insecure`).
    Insecure,
}

/// The rustls client configuration this crate's client uses for `trust`
/// (the `ring` provider, the default protocol versions; with
/// [`Trust::Pinned`] and [`Trust::Insecure`] the handshake signatures are
/// still verified). For tools that run their own TLS connections beside
/// [`connect`](crate::connect), such as a conformance tester's raw
/// streams; clone it to change ALPN.
pub fn client_config(trust: &Trust) -> io::Result<Arc<rustls::ClientConfig>> {
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(invalid)?;
    let mut config = match trust {
        Trust::Roots(pem) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(pem) {
                roots.add(cert.map_err(invalid)?).map_err(invalid)?;
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        Trust::Pinned(der) => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Verifier {
                pinned: Some(der.clone()),
                provider: provider(),
            }))
            .with_no_client_auth(),
        Trust::Insecure => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Verifier {
                pinned: None,
                provider: provider(),
            }))
            .with_no_client_auth(),
    };
    // RFC 9266 §2: tls-exporter binds only a handshake with unique master
    // secrets: on TLS 1.2, RFC 7627's extended master secret.
    config.require_ems = true;
    Ok(Arc::new(config))
}

/// Accepts the pinned certificate (or any, when none is pinned) and
/// checks the handshake signatures as usual.
#[derive(Debug)]
struct Verifier {
    pinned: Option<Vec<u8>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match &self.pinned {
            Some(der) if der.as_slice() != end_entity.as_ref() => Err(
                rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
            ),
            _ => Ok(ServerCertVerified::assertion()),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

fn version(v: Option<ProtocolVersion>) -> TlsVersion {
    match v {
        Some(ProtocolVersion::TLSv1_2) => TlsVersion::Tls12,
        _ => TlsVersion::Tls13,
    }
}

/// What the server machine needs from its established connection.
pub(crate) fn server_info(conn: &rustls::ServerConnection, cert: &[u8]) -> TlsInfo {
    let ekm = conn
        .export_keying_material([0u8; 32], EXPORTER_LABEL, None)
        .ok();
    info(conn.protocol_version(), ekm, Some(cert))
}

/// What the client machine needs from its established connection.
pub(crate) fn client_info(conn: &rustls::ClientConnection) -> TlsInfo {
    let ekm = conn
        .export_keying_material([0u8; 32], EXPORTER_LABEL, None)
        .ok();
    let cert = conn
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|c| c.as_ref().to_vec());
    info(conn.protocol_version(), ekm, cert.as_deref())
}

/// The version, `tls-exporter` (RFC 9266) and `tls-server-end-point` of
/// the server's certificate (RFC 5929 §4.1).
fn info(
    version_: Option<ProtocolVersion>,
    ekm: Option<[u8; 32]>,
    server_cert: Option<&[u8]>,
) -> TlsInfo {
    let mut info = TlsInfo::new(version(version_));
    if let Some(ekm) = ekm {
        info = info.with_channel_binding(ChannelBinding::new(ChannelBindingType::TlsExporter, ekm));
    }
    if let Some(hash) = server_cert.and_then(end_point_hash) {
        info = info.with_channel_binding(ChannelBinding::new(
            ChannelBindingType::TlsServerEndPoint,
            hash,
        ));
    }
    info
}

/// RFC 5929 §4.1: the certificate hashed with its signature's hash,
/// SHA-256 when that is MD5 or SHA-1; `None` for signatures without one
/// (Ed25519), where the binding is undefined.
pub(crate) fn end_point_hash(cert: &[u8]) -> Option<Vec<u8>> {
    // The signatureAlgorithm OIDs that name SHA-384 or SHA-512, as DER.
    const SHA384: [&[u8]; 2] = [
        &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03], // ecdsa-with-SHA384
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c], // sha384WithRSA
    ];
    const SHA512: [&[u8]; 2] = [
        &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04], // ecdsa-with-SHA512
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d], // sha512WithRSA
    ];
    const ED25519: &[u8] = &[0x2b, 0x65, 0x70];
    // The signatureAlgorithm is the second element of the outer
    // SEQUENCE, after tbsCertificate: look at the tail, where it sits
    // before the signature.
    let tail = outer_signature_algorithm(cert)?;
    let contains = |oid: &[u8]| tail.windows(oid.len()).any(|w| w == oid);
    if contains(ED25519) {
        return None;
    }
    Some(if SHA512.iter().any(|o| contains(o)) {
        sha2::Sha512::digest(cert).to_vec()
    } else if SHA384.iter().any(|o| contains(o)) {
        sha2::Sha384::digest(cert).to_vec()
    } else {
        sha2::Sha256::digest(cert).to_vec()
    })
}

/// The bytes of a certificate's outer signatureAlgorithm: the DER
/// element after tbsCertificate inside the outer SEQUENCE.
fn outer_signature_algorithm(cert: &[u8]) -> Option<&[u8]> {
    let (_, body) = der_element(cert)?;
    let (tbs_len, _) = der_element(body)?;
    let rest = body.get(tbs_len..)?;
    let (alg_len, _) = der_element(rest)?;
    rest.get(..alg_len)
}

/// A DER element at the start of `b`: its whole length and its contents.
fn der_element(b: &[u8]) -> Option<(usize, &[u8])> {
    let first = *b.get(1)?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | usize::from(*b.get(2 + i)?);
        }
        (len, 2 + n)
    };
    let end = header.checked_add(len)?;
    Some((end, b.get(header..end)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9266 §2: no TLS 1.2 handshake without the extended master
    /// secret (RFC 7627), on either side, so tls-exporter always binds.
    #[test]
    fn tls_1_2_requires_the_extended_master_secret() {
        let server = ServerTls::self_signed("example.com").expect("cert");
        assert!(server.config.require_ems);
        for trust in [Trust::Insecure, Trust::Roots(Vec::new())] {
            assert!(client_config(&trust).expect("config").require_ems);
        }
    }

    #[test]
    fn self_signed_end_point_is_sha_256_of_the_certificate() {
        let tls = ServerTls::self_signed("example.com").expect("cert");
        let hash = end_point_hash(tls.certificate()).expect("hash");
        assert_eq!(hash, sha2::Sha256::digest(tls.certificate()).to_vec());
        assert_eq!(tls.source().name(), "self-signed");
    }

    /// A handshake over memory with the client limited to `versions`;
    /// what each end's machine is given.
    async fn handshake(
        versions: &[&'static rustls::SupportedProtocolVersion],
    ) -> (TlsInfo, TlsInfo) {
        let server = ServerTls::self_signed("example.com").expect("cert");
        let client = rustls::ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(versions)
            .expect("versions")
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Verifier {
                pinned: Some(server.certificate().to_vec()),
                provider: provider(),
            }))
            .with_no_client_auth();
        let (a, b) = tokio::io::duplex(64 * 1024);
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::clone(&server.config));
        let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
        let name = ServerName::try_from("example.com").expect("name");
        let (s, c) = tokio::join!(acceptor.accept(a), connector.connect(name, b));
        let (s, c) = (s.expect("server side"), c.expect("client side"));
        (
            server_info(s.get_ref().1, server.certificate()),
            client_info(c.get_ref().1),
        )
    }

    /// The binding data -PLUS mechanisms sign (RFC 9266, RFC 5929 §4.1)
    /// is the same at both ends, on TLS 1.2 (where two rustls ends
    /// negotiate RFC 7627's extended master secret, which RFC 9266 asks
    /// of `tls-exporter` on TLS 1.2) as on TLS 1.3.
    #[tokio::test]
    async fn both_ends_derive_the_same_binding_data_on_tls_1_2_and_1_3() {
        for (versions, expected) in [
            (&[&rustls::version::TLS12][..], TlsVersion::Tls12),
            (&[&rustls::version::TLS13][..], TlsVersion::Tls13),
        ] {
            let (server, client) = handshake(versions).await;
            assert_eq!(server.version, expected);
            assert_eq!(client.version, expected);
            let kinds = |i: &TlsInfo| {
                i.channel_bindings
                    .iter()
                    .map(ChannelBinding::kind)
                    .collect::<Vec<_>>()
            };
            assert_eq!(
                kinds(&server),
                [
                    ChannelBindingType::TlsExporter,
                    ChannelBindingType::TlsServerEndPoint
                ]
            );
            assert_eq!(kinds(&server), kinds(&client));
            for (s, c) in server.channel_bindings.iter().zip(&client.channel_bindings) {
                assert_eq!(s.data(), c.data(), "{:?} on {expected:?}", s.kind());
            }
        }
    }

    #[test]
    fn hostile_der_gives_no_hash_and_no_panic() {
        for bad in [
            &[][..],
            &[0x30],
            &[0x30, 0x85, 1, 2, 3, 4, 5],
            &[0x30, 0x03, 0x30, 0x10],
        ] {
            assert_eq!(end_point_hash(bad), None, "{bad:?}");
        }
    }
}

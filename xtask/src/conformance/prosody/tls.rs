//! The TLS of the run: a self-signed certificate made for it (rcgen), and
//! a rustls client that trusts exactly that certificate and reports what
//! `xmpp-session` needs of the channel ([`TlsInfo`]: the version and the
//! channel-binding data).

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{WebPkiSupportedAlgorithms, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConnection, DigitallySignedStruct, ProtocolVersion, SignatureScheme,
    SupportedProtocolVersion,
};
use sha2::{Digest, Sha256};
use xmpp_sasl::{ChannelBinding, ChannelBindingType};
use xmpp_session::{TlsInfo, TlsVersion};

use crate::util::Result;

/// The RFC 9266 §2 exporter label of `tls-exporter`.
const EXPORTER_LABEL: &[u8] = b"EXPORTER-Channel-Binding";

/// The run's certificate: its DER (what the client accepts) and the PEM
/// files Prosody reads.
pub(crate) struct Certificate {
    der: CertificateDer<'static>,
    /// The certificate, PEM.
    pub(crate) cert_pem: String,
    /// Its private key, PKCS#8 PEM.
    pub(crate) key_pem: String,
}

impl Certificate {
    /// A self-signed ECDSA P-256 / SHA-256 certificate (rcgen's default)
    /// naming `hosts`, valid from January 1st of last year to January 1st
    /// of the year after next. Not rcgen's default validity (to the year
    /// 4096): ejabberd 23.01's `pkix` sets an Erlang timer for the expiry,
    /// which cannot be that far away, and its certificate server crashes,
    /// leaving the server without TLS.
    pub(crate) fn generate(hosts: &[&str]) -> Result<Self> {
        let names = hosts.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>();
        let mut params = rcgen::CertificateParams::new(names)
            .map_err(|e| format!("cannot make the run's certificate: {e}"))?;
        let year = this_year();
        params.not_before = rcgen::date_time_ymd(year - 1, 1, 1);
        params.not_after = rcgen::date_time_ymd(year + 2, 1, 1);
        let key_pair =
            rcgen::KeyPair::generate().map_err(|e| format!("cannot make the run's key: {e}"))?;
        let cert = params
            .self_signed(&key_pair)
            .map_err(|e| format!("cannot make the run's certificate: {e}"))?;
        Ok(Self {
            der: cert.der().clone(),
            cert_pem: cert.pem(),
            key_pem: key_pair.serialize_pem(),
        })
    }

    /// A rustls client configuration (ring) that speaks `versions` and
    /// accepts this certificate and no other.
    pub(super) fn client_config(
        &self,
        versions: &[&'static SupportedProtocolVersion],
    ) -> Result<Arc<rustls::ClientConfig>> {
        // ring, for a small build without cmake or nasm; rustls 0.23.48
        // deprecates its provider for lacking post-quantum key exchange,
        // which a loopback check has no need of.
        #[allow(deprecated, reason = "ring's provider is still rustls' own")]
        let provider = rustls::crypto::ring::default_provider();
        let verifier = ExactCertificate {
            der: self.der.clone(),
            algorithms: provider.signature_verification_algorithms,
        };
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
            .with_protocol_versions(versions)
            .map_err(|e| format!("rustls: {e}"))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        Ok(Arc::new(config))
    }
}

/// The current year by the system clock, give or take one around New
/// Year (the validity above has a year to spare on each side).
fn this_year() -> i32 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    // 365.2425 days of 86,400 seconds.
    1970 + i32::try_from(secs / 31_556_952).unwrap_or(0)
}

/// What the finished handshake of `conn` gives the machine: the version
/// and, in order of preference, `tls-exporter` (RFC 9266: 32 bytes of the
/// exporter with its label and no context; TLS 1.3 only, since rustls
/// does not say whether a TLS 1.2 session used the extended master secret
/// RFC 9266 §3 requires there) and `tls-server-end-point` (RFC 5929 §4.1:
/// the hash of the server's certificate, SHA-256 for ours, which is
/// signed with ECDSA and SHA-256). rustls does not expose `tls-unique`.
pub(super) fn info(conn: &ClientConnection) -> Result<TlsInfo> {
    let version = match conn.protocol_version() {
        Some(ProtocolVersion::TLSv1_3) => TlsVersion::Tls13,
        Some(ProtocolVersion::TLSv1_2) => TlsVersion::Tls12,
        other => return Err(format!("unexpected TLS version {other:?}")),
    };
    let mut info = TlsInfo::new(version);
    if version == TlsVersion::Tls13 {
        let exporter = conn
            .export_keying_material([0u8; 32], EXPORTER_LABEL, None)
            .map_err(|e| format!("tls-exporter: {e}"))?;
        info = info.with_channel_binding(ChannelBinding::new(
            ChannelBindingType::TlsExporter,
            exporter.to_vec(),
        ));
    }
    let certificate = conn
        .peer_certificates()
        .and_then(|chain| chain.first())
        .ok_or("the server sent no certificate")?;
    let end_point = Sha256::digest(certificate.as_ref());
    Ok(info.with_channel_binding(ChannelBinding::new(
        ChannelBindingType::TlsServerEndPoint,
        end_point.to_vec(),
    )))
}

/// Trusts one certificate, compared byte for byte, and checks the
/// handshake signatures made with its key.
#[derive(Debug)]
struct ExactCertificate {
    der: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for ExactCertificate {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.der.as_ref() && intermediates.is_empty() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::UnknownIssuer,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

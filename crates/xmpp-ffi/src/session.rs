//! What the client and server machines share over the C ABI: the
//! session errors as status codes, the configuration integers, and the
//! TLS report.

use xmpp_sasl::{ChannelBinding, ChannelBindingType, TlsVersion};
use xmpp_session::{Error, TlsInfo, TlsPolicy, Transport};
use xmpp_stanza::Stanza;
use zeroize::Zeroizing;

use crate::framer::{
    XMPP_TRANSPORT_TCP, XMPP_TRANSPORT_WEBSOCKET, framing_failure, xmpp_transport,
};
use crate::status::{Failure, Result, xmpp_status};

/// A TLS policy, as a `uint32_t`: one of the `XMPP_TLS_POLICY_*` values.
pub type xmpp_tls_policy = u32;
/// TLS is required (RFC 6120 §5.3.1): the default of real deployments.
pub const XMPP_TLS_POLICY_REQUIRED: xmpp_tls_policy = 0;
/// TLS when the peer offers it.
pub const XMPP_TLS_POLICY_OPTIONAL: xmpp_tls_policy = 1;
/// No TLS (loopback tests, or TLS run below the library).
pub const XMPP_TLS_POLICY_OFF: xmpp_tls_policy = 2;

/// A TLS protocol version, as a `uint32_t`: `XMPP_TLS_VERSION_*`.
pub type xmpp_tls_version = u32;
/// TLS 1.2.
pub const XMPP_TLS_VERSION_1_2: xmpp_tls_version = 0;
/// TLS 1.3.
pub const XMPP_TLS_VERSION_1_3: xmpp_tls_version = 1;

/// A channel-binding type, as a `uint32_t`: `XMPP_CHANNEL_BINDING_*`.
pub type xmpp_channel_binding = u32;
/// No binding data.
pub const XMPP_CHANNEL_BINDING_NONE: xmpp_channel_binding = 0;
/// `tls-unique` (RFC 5929 §3; TLS 1.2 only).
pub const XMPP_CHANNEL_BINDING_TLS_UNIQUE: xmpp_channel_binding = 1;
/// `tls-server-end-point` (RFC 5929 §4).
pub const XMPP_CHANNEL_BINDING_TLS_SERVER_END_POINT: xmpp_channel_binding = 2;
/// `tls-exporter` (RFC 9266).
pub const XMPP_CHANNEL_BINDING_TLS_EXPORTER: xmpp_channel_binding = 3;

fn invalid(what: String) -> Failure {
    Failure::new(xmpp_status::XMPP_INVALID_ARGUMENT, what)
}

pub(crate) fn tls_policy(value: xmpp_tls_policy) -> Result<TlsPolicy> {
    Ok(match value {
        XMPP_TLS_POLICY_REQUIRED => TlsPolicy::Required,
        XMPP_TLS_POLICY_OPTIONAL => TlsPolicy::Optional,
        XMPP_TLS_POLICY_OFF => TlsPolicy::Off,
        other => return Err(invalid(format!("unknown TLS policy {other}"))),
    })
}

pub(crate) fn transport(value: xmpp_transport) -> Result<Transport> {
    Ok(match value {
        XMPP_TRANSPORT_TCP => Transport::Tcp,
        XMPP_TRANSPORT_WEBSOCKET => Transport::WebSocket,
        other => {
            return Err(invalid(format!(
                "transport {other}: a session runs over TCP or WebSocket"
            )));
        }
    })
}

/// The TLS report a driver gives a machine.
pub(crate) fn tls_info(
    version: xmpp_tls_version,
    binding: xmpp_channel_binding,
    data: &[u8],
) -> Result<TlsInfo> {
    let v = match version {
        XMPP_TLS_VERSION_1_2 => TlsVersion::Tls12,
        XMPP_TLS_VERSION_1_3 => TlsVersion::Tls13,
        other => return Err(invalid(format!("unknown TLS version {other}"))),
    };
    let kind = match binding {
        XMPP_CHANNEL_BINDING_NONE => return Ok(TlsInfo::new(v)),
        XMPP_CHANNEL_BINDING_TLS_UNIQUE => ChannelBindingType::TlsUnique,
        XMPP_CHANNEL_BINDING_TLS_SERVER_END_POINT => ChannelBindingType::TlsServerEndPoint,
        XMPP_CHANNEL_BINDING_TLS_EXPORTER => ChannelBindingType::TlsExporter,
        other => return Err(invalid(format!("unknown channel-binding type {other}"))),
    };
    Ok(TlsInfo::new(v).with_channel_binding(ChannelBinding::new(kind, data.to_vec())))
}

/// A session error as its RFC condition (stream, SASL or stanza) or the
/// library's code.
pub(crate) fn session_failure(e: &Error) -> Failure {
    let message = e.to_string();
    let status = match e {
        Error::Framing(f) => return framing_failure(f),
        Error::PeerStreamError(se) => xmpp_status::stream(se.condition.as_str()),
        Error::AuthFailed { condition, .. } => xmpp_status::sasl(condition.as_str()),
        Error::Sasl(se) => xmpp_status::sasl(se.condition().as_str()),
        Error::NoMechanism => xmpp_status::XMPP_NO_MECHANISM,
        Error::TlsRequired => xmpp_status::XMPP_TLS_REQUIRED,
        Error::BindFailed(c) => xmpp_status::stanza(c.as_str()),
        Error::ConnectionLost => xmpp_status::XMPP_CONNECTION_LOST,
        Error::Closed => xmpp_status::XMPP_CLOSED,
        Error::WrongPhase(_) => xmpp_status::XMPP_WRONG_PHASE,
        Error::QueueFull => xmpp_status::XMPP_QUEUE_FULL,
        other => other
            .condition()
            .map_or(xmpp_status::XMPP_OTHER_CONDITION, |c| {
                xmpp_status::stream(c.as_str())
            }),
    };
    Failure::new(status, message)
}

/// Parses one stanza from its XML (`<message xmlns='jabber:client' …>`).
pub(crate) fn parse_stanza(xml: &[u8]) -> Result<Stanza> {
    let element = xmpp_stanza::Element::from_bytes(xml)
        .map_err(|e| Failure::new(xmpp_status::XMPP_INVALID_INPUT, format!("xml: {e}")))?;
    Stanza::try_from(element)
        .map_err(|e| Failure::new(xmpp_status::XMPP_INVALID_INPUT, format!("stanza: {e}")))
}

/// A secret an event exposes (a FAST token): zeroized when the event is
/// replaced, never printed.
#[derive(Default)]
pub(crate) struct Secret(pub(crate) Zeroizing<String>);

impl core::fmt::Debug for Secret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// The XML of each stanza an event lists (acknowledged, undelivered,
/// never acknowledged), oldest first.
pub(crate) fn stanza_list(stanzas: &[Stanza]) -> Vec<String> {
    stanzas.iter().map(|s| s.to_element().to_xml()).collect()
}

/// What a stanza event exposes: its XML, `from` and (for a message) body.
#[derive(Debug, Default)]
pub(crate) struct StanzaView {
    pub(crate) xml: Option<String>,
    pub(crate) from: Option<String>,
    pub(crate) body: Option<String>,
}

impl StanzaView {
    pub(crate) fn of(stanza: &Stanza) -> Self {
        let body = match stanza {
            Stanza::Message(m) => m.body(None).map(|b| b.into_owned()),
            _ => None,
        };
        Self {
            xml: Some(stanza.to_element().to_xml()),
            from: stanza.header().from.as_ref().map(|j| j.as_str().to_owned()),
            body,
        }
    }
}

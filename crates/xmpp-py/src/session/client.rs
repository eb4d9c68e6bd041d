//! `Client`: xmpp-session's c2s client machine.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};
use serde_json::{Value, json};
use xmpp_jid::Jid;
use xmpp_sasl::Mechanism;
use xmpp_session::{ClientConfig, ClientEvent, FastToken, Keepalive, ResumptionState, SmConfig};
use xmpp_stanza::{Message, MessageType, Stanza, StanzaNs, UserAgent};

use super::{
    now, py_bytes, seed, session_error, stanza_event, stanza_list, stream_error_event, tls_info,
    tls_mode, tls_policy, transport,
};
use crate::jid::jid_error;
use crate::json::to_py;
use crate::stanza::stanza_from_xml;

/// A c2s client connection without I/O (xmpp-session `Client`): RFC 6120
/// stream negotiation (STARTTLS, SASL, resource binding), XEP-0198 stream
/// management, XEP-0388 SASL2 with Bind2 and FAST when offered.
///
/// Drive it: write every `poll_transmit()` to the socket; handle every
/// `poll_event()`; pass received bytes to `handle_input()`; on
/// `{"event": "start-tls"}` start TLS on the socket and call
/// `tls_established()`; call `handle_timeout()` when `poll_timeout()`
/// says. After `{"event": "bound"}`, `send_xml()` and `send_message()`
/// send stanzas; `close()` ends the stream and `{"event": "closed"}` says
/// when to close the socket.
#[pyclass(module = "xmpp_primitives")]
pub(crate) struct Client {
    machine: xmpp_session::Client,
}

/// The dict of a client event.
fn event_dict<'py>(py: Python<'py>, event: ClientEvent) -> PyResult<Bound<'py, PyAny>> {
    let value: Value = match event {
        ClientEvent::StartTls { tls_bytes } => {
            let d = PyDict::new(py);
            d.set_item("event", "start-tls")?;
            d.set_item("tls_bytes", PyBytes::new(py, &tls_bytes))?;
            return Ok(d.into_any());
        }
        ClientEvent::Authenticated {
            mechanism,
            channel_binding,
        } => json!({
            "event": "authenticated",
            "mechanism": mechanism.name(),
            "channel_binding": channel_binding.map(|c| c.name()),
        }),
        ClientEvent::Bound { jid } => json!({ "event": "bound", "jid": jid.as_str() }),
        ClientEvent::SmEnabled { resumable } => {
            json!({ "event": "sm-enabled", "resumable": resumable })
        }
        ClientEvent::Resumed { jid, resent } => {
            json!({ "event": "resumed", "jid": jid.as_str(), "resent": resent })
        }
        ClientEvent::ResumeFailed { unacked, condition } => json!({
            "event": "resume-failed",
            "unacked": stanza_list(&unacked),
            "condition": condition.map(|c| c.as_str()),
        }),
        ClientEvent::TokenIssued {
            mechanism,
            token,
            expiry,
        } => json!({
            "event": "token-issued",
            "mechanism": mechanism.name(),
            "token": token.as_str(),
            "expiry": expiry,
        }),
        ClientEvent::TokenRejected => json!({ "event": "token-rejected" }),
        ClientEvent::Stanza(s) => stanza_event(&s),
        ClientEvent::Acked(stanzas) => {
            json!({ "event": "acked", "stanzas": stanza_list(&stanzas) })
        }
        ClientEvent::StreamError(e) => stream_error_event(&e),
        ClientEvent::Closed { resumable } => json!({ "event": "closed", "resumable": resumable }),
        _ => json!({ "event": "unknown" }),
    };
    to_py(py, &value)
}

impl Client {
    fn send(&mut self, py: Python<'_>, stanza: Stanza) -> PyResult<()> {
        self.machine.send(stanza).map_err(|e| session_error(py, &e))
    }
}

#[pymethods]
impl Client {
    /// A client for the account `jid` (a bare JID; a resourcepart in it is
    /// the resource to ask for unless `resource` is given) that opens its
    /// stream at once (the header is the first `poll_transmit()`).
    ///
    /// `tls`: `required` (the default: STARTTLS or nothing), `optional`,
    /// `off`. `tls_mode`: `starttls` or `direct` (XEP-0368). `transport`:
    /// `tcp` or `websocket` (RFC 7395: one message per `handle_input` and
    /// per transmit). `mechanisms`: SASL mechanism names to limit the
    /// choice to; `allow_plain` lets PLAIN run without TLS; `refuse_plain`
    /// never sends PLAIN, even under TLS (set it where the certificate is
    /// not checked). `keepalive`:
    /// white space keepalives and the silence timeout, on by default.
    /// `resume`: the JSON of an earlier `take_resumption_state()`.
    /// `user_agent`: the SASL2 user agent, `(id, software, device)` (each
    /// may be None; `id` a UUID v4 stable for the installation, XEP-0388
    /// §2.1). FAST needs the `id` (XEP-0484 §4.1): without it no token is
    /// asked for or used.
    /// `fast_token`: a XEP-0484 token from an earlier `token-issued` event,
    /// as `(mechanism, token, count)` (store `count + 1` before each use,
    /// so that no count is sent twice); `request_fast_token` asks for one
    /// when the server offers FAST.
    /// `seed`: 32 bytes of randomness (`os.urandom(32)` by default);
    /// `now_ms`: the start time on the driver's clock.
    #[new]
    #[pyo3(signature = (jid, password, *, resource = None, tls = "required", tls_mode = "starttls",
        transport = "tcp", sasl2 = true, stream_management = true, allow_plain = false,
        refuse_plain = false, mechanisms = None, lang = None, keepalive = true, resume = None,
        user_agent = None, fast_token = None, request_fast_token = true, seed = None,
        now_ms = None))]
    #[allow(
        clippy::too_many_arguments,
        reason = "the Python keyword arguments of the constructor"
    )]
    fn new(
        py: Python<'_>,
        jid: &str,
        password: &str,
        resource: Option<String>,
        tls: &str,
        tls_mode: &str,
        transport: &str,
        sasl2: bool,
        stream_management: bool,
        allow_plain: bool,
        refuse_plain: bool,
        mechanisms: Option<Vec<String>>,
        lang: Option<String>,
        keepalive: bool,
        resume: Option<&str>,
        user_agent: Option<(Option<String>, Option<String>, Option<String>)>,
        fast_token: Option<(String, String, u64)>,
        request_fast_token: bool,
        seed: Option<Vec<u8>>,
        now_ms: Option<u64>,
    ) -> PyResult<Self> {
        let account = Jid::new(jid).map_err(|e| jid_error(py, &e))?;
        let mut config = ClientConfig::new(account.to_bare(), password)
            .tls(tls_policy(tls)?)
            .tls_mode(self::tls_mode(tls_mode)?)
            .transport(self::transport(transport)?)
            .sasl2(sasl2)
            .allow_plain_unencrypted(allow_plain)
            .refuse_plain(refuse_plain);
        if let Some(r) = resource.or_else(|| account.resourcepart().map(str::to_owned)) {
            config = config.resource(r);
        }
        if !stream_management {
            config = config.sm(SmConfig::off());
        }
        if !keepalive {
            config = config.keepalive(Keepalive::off());
        }
        if let Some(names) = mechanisms {
            let mut list = Vec::new();
            for name in names {
                list.push(Mechanism::from_name(&name).ok_or_else(|| {
                    pyo3::exceptions::PyValueError::new_err(format!(
                        "unknown SASL mechanism {name:?}"
                    ))
                })?);
            }
            config = config.mechanisms(list);
        }
        if let Some((id, software, device)) = user_agent {
            config = config.user_agent(UserAgent {
                id,
                software,
                device,
            });
        }
        if let Some((name, token, count)) = fast_token {
            let mechanism = Mechanism::from_name(&name)
                .filter(|m| matches!(m, Mechanism::Ht { .. }))
                .ok_or_else(|| {
                    pyo3::exceptions::PyValueError::new_err(format!(
                        "{name:?} is not an HT-* FAST mechanism"
                    ))
                })?;
            config = config.fast_token(FastToken::new(mechanism, token, count));
        }
        config = config.request_fast_token(request_fast_token);
        if let Some(lang) = lang {
            config = config.lang(lang);
        }
        if let Some(state) = resume {
            let state: ResumptionState = serde_json::from_str(state).map_err(|e| {
                pyo3::exceptions::PyValueError::new_err(format!("bad resumption state: {e}"))
            })?;
            config = config.resume(state);
        }
        let machine = xmpp_session::Client::new(config, self::seed(py, seed)?, now(py, now_ms)?);
        Ok(Self { machine })
    }

    /// Bytes from the server: any chunking over TCP, one message per call
    /// over WebSocket. Raises `SessionError` when the session fails (the
    /// stream error it implies is queued first: flush `poll_transmit()`).
    fn handle_input(&mut self, py: Python<'_>, data: &[u8]) -> PyResult<()> {
        self.machine
            .handle_input(data)
            .map_err(|e| session_error(py, &e))
    }

    /// The next bytes to send, or `None`.
    fn poll_transmit<'py>(&mut self, py: Python<'py>) -> Option<Bound<'py, PyBytes>> {
        py_bytes(py, self.machine.poll_transmit())
    }

    /// The next event dict, or `None`: `start-tls` (`tls_bytes`),
    /// `authenticated` (`mechanism`, `channel_binding`), `bound` (`jid`),
    /// `sm-enabled` (`resumable`), `resumed` (`jid`, `resent`),
    /// `resume-failed` (`unacked`), `token-issued` (`mechanism`, `token`,
    /// `expiry`), `token-rejected`, `stanza` (`kind`, `stanza`: the dict
    /// `parse_stanza` gives), `acked` (`stanzas`), `stream-error`
    /// (`condition`, `text`, `see_other_host`), `closed` (`resumable`).
    fn poll_event<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.machine
            .poll_event()
            .map(|e| event_dict(py, e))
            .transpose()
    }

    /// Every queued event, as a list of `poll_event()` dicts.
    fn events<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        while let Some(e) = self.machine.poll_event() {
            list.append(event_dict(py, e)?)?;
        }
        Ok(list)
    }

    /// Time passed (`now_ms` on the driver's clock, `time.monotonic()` in
    /// milliseconds by default): keepalives, ack requests, the timeout.
    #[pyo3(signature = (now_ms = None))]
    fn handle_timeout(&mut self, py: Python<'_>, now_ms: Option<u64>) -> PyResult<()> {
        let t = now(py, now_ms)?;
        self.machine
            .handle_timeout(t)
            .map_err(|e| session_error(py, &e))
    }

    /// When to call `handle_timeout()` next (milliseconds on the driver's
    /// clock), or `None`.
    fn poll_timeout(&self) -> Option<u64> {
        self.machine.poll_timeout().map(|t| t.as_millis())
    }

    /// The TLS handshake asked for by `start-tls` finished: `version` is
    /// `"TLSv1.2"` or `"TLSv1.3"` (`ssl.SSLObject.version()`),
    /// `channel_bindings` the binding data the TLS layer can give, by type
    /// (`{"tls-exporter": b"..."}`; RFC 9266, RFC 5929), for `-PLUS`
    /// mechanisms.
    #[pyo3(signature = (version, channel_bindings = None))]
    fn tls_established(
        &mut self,
        py: Python<'_>,
        version: &str,
        channel_bindings: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        let info = tls_info(version, channel_bindings)?;
        self.machine
            .tls_established(info)
            .map_err(|e| session_error(py, &e))
    }

    /// Sends a stanza written as XML (`bytes` or `str`, default namespace
    /// `jabber:client`) once bound. Raises `StanzaError` for anything but
    /// one valid stanza, `SessionError` before `bound`.
    fn send_xml(&mut self, py: Python<'_>, xml: &Bound<'_, PyAny>) -> PyResult<()> {
        let stanza = stanza_from_xml(py, xml)?;
        self.send(py, stanza)
    }

    /// Sends a message with one body to `to` (RFC 6121 §5.2), `type`
    /// `chat` by default.
    #[pyo3(signature = (to, body, r#type = "chat"))]
    fn send_message(&mut self, py: Python<'_>, to: &str, body: &str, r#type: &str) -> PyResult<()> {
        let to = Jid::new(to).map_err(|e| jid_error(py, &e))?;
        let kind = MessageType::from_name(r#type).ok_or_else(|| {
            pyo3::exceptions::PyValueError::new_err(
                format!("unknown message type {type:?}", type = r#type),
            )
        })?;
        let message = Message::new(StanzaNs::Client)
            .with_to(to)
            .with_type(kind)
            .with_body(None, body);
        self.send(py, Stanza::Message(message))
    }

    /// Asks the server to acknowledge (XEP-0198 `<r/>`), when stream
    /// management is on.
    fn request_ack(&mut self) {
        self.machine.request_ack();
    }

    /// Closes the stream (RFC 6120 §4.4); `closed` follows the server's
    /// close.
    fn close(&mut self, py: Python<'_>) -> PyResult<()> {
        self.machine.close().map_err(|e| session_error(py, &e))
    }

    /// The transport ended without a close.
    fn connection_lost(&mut self) {
        self.machine.connection_lost();
    }

    /// Once the stream is over, the JSON of the state to resume the session
    /// on a new connection (XEP-0198 §5; pass it as `resume=`), or `None`.
    fn take_resumption_state(&mut self) -> PyResult<Option<String>> {
        self.machine
            .take_resumption_state()
            .map(|s| {
                serde_json::to_string(&s)
                    .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))
            })
            .transpose()
    }

    /// The bound full JID, once bound.
    #[getter]
    fn jid(&self) -> Option<String> {
        self.machine.jid().map(|j| j.as_str().to_owned())
    }

    /// Whether the stream is over.
    #[getter]
    fn is_closed(&self) -> bool {
        self.machine.is_closed()
    }

    fn __repr__(&self) -> String {
        match self.machine.jid() {
            Some(j) => format!("<Client {}>", j.as_str()),
            None => "<Client (not bound)>".to_owned(),
        }
    }
}

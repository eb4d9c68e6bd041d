//! `Server`: xmpp-session's c2s server machine, whose decisions
//! (credentials, binding, resumption, FAST tokens) come from Python.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};
use serde_json::{Value, json};
use xmpp_jid::Jid;
use xmpp_sasl::{
    Credentials, CredentialsRequest, FastSlot, FastTokenSlot, Hash, Mechanism, Prep, ServerSecret,
    StoredCredentials,
};
use xmpp_session::{Keepalive, ResumptionState, ServerConfig, ServerEvent, SmConfig};
use xmpp_stanza::{DefinedCondition, FastUse, Message, MessageType, Stanza, StanzaNs};

use super::{
    now, py_bytes, seed, session_error, stanza_event, stanza_list, stream_error_event, tls_info,
    tls_mode, tls_policy, transport,
};
use crate::jid::jid_error;
use crate::json::to_py;
use crate::stanza::stanza_from_xml;

/// A c2s server connection without I/O (xmpp-session `Server`). Driven
/// as `Client` is; its requests come out as events and wait for their
/// answer: `credentials-request` for `provide_password()` (or
/// `provide_token()`), `bind-request` for `accept_bind()` or
/// `reject_bind()`, `resume-request` for `accept_resume()` or
/// `reject_resume()`, `token-request` for `issue_token()` or
/// `decline_token()`, `token-used` for `accept_token_use()` or
/// `refuse_token_use()`.
#[pyclass(module = "xmpp_primitives")]
pub(crate) struct Server {
    machine: xmpp_session::Server,
    /// The PBKDF2 count of the credentials `provide_password` derives.
    iterations: u32,
    /// The credentials request waiting for its answer.
    pending: Option<(CredentialsRequest, Option<FastUse>)>,
    /// The resourcepart `accept_bind()` binds by default: the requested
    /// one, else the suggested one.
    bind_default: Option<String>,
}

impl Server {
    /// The dict of a server event; keeps a credentials request to answer.
    fn event_dict<'py>(
        &mut self,
        py: Python<'py>,
        event: ServerEvent,
    ) -> PyResult<Bound<'py, PyAny>> {
        let value: Value = match event {
            ServerEvent::StartTls { tls_bytes } => {
                let d = PyDict::new(py);
                d.set_item("event", "start-tls")?;
                d.set_item("tls_bytes", PyBytes::new(py, &tls_bytes))?;
                return Ok(d.into_any());
            }
            ServerEvent::CredentialsRequest {
                request,
                fast,
                user_agent,
            } => {
                let value = json!({
                    "event": "credentials-request",
                    "mechanism": request.mechanism.name(),
                    "authcid": request.authcid,
                    "authzid": request.authzid,
                    "fast": fast.map(|f| json!({ "count": f.count, "invalidate": f.invalidate })),
                    "user_agent": user_agent.map(|u| json!({
                        "id": u.id, "software": u.software, "device": u.device,
                    })),
                });
                self.pending = Some((request, fast));
                value
            }
            // The proven token's count to check and record, and whether
            // to drop the token (XEP-0484 §3.4, §3.6).
            ServerEvent::TokenUsed {
                jid,
                mechanism,
                fast,
                slot,
            } => json!({
                "event": "token-used",
                "jid": jid.as_str(),
                "mechanism": mechanism.name(),
                "count": fast.count,
                "invalidate": fast.invalidate,
                "slot": match slot {
                    FastSlot::New => "new",
                    FastSlot::Current => "current",
                },
            }),
            ServerEvent::Authenticated { jid, mechanism } => json!({
                "event": "authenticated",
                "jid": jid.as_str(),
                "mechanism": mechanism.name(),
            }),
            ServerEvent::AuthFailed { condition } => {
                json!({ "event": "auth-failed", "condition": condition.as_str() })
            }
            ServerEvent::BindRequest {
                requested,
                suggested,
            } => {
                let value = json!({
                    "event": "bind-request",
                    "requested": requested,
                    "suggested": suggested,
                });
                self.bind_default = Some(requested.unwrap_or(suggested));
                value
            }
            ServerEvent::TokenRequest { mechanism } => {
                json!({ "event": "token-request", "mechanism": mechanism.name() })
            }
            ServerEvent::ResumeRequest { previd, h } => {
                json!({ "event": "resume-request", "previd": previd, "h": h })
            }
            ServerEvent::Bound { jid } => json!({ "event": "bound", "jid": jid.as_str() }),
            ServerEvent::Resumed { jid, resent } => {
                json!({ "event": "resumed", "jid": jid.as_str(), "resent": resent })
            }
            ServerEvent::SmEnabled { id } => json!({ "event": "sm-enabled", "id": id }),
            ServerEvent::Stanza(s) => stanza_event(&s),
            ServerEvent::Acked(stanzas) => {
                json!({ "event": "acked", "stanzas": stanza_list(&stanzas) })
            }
            ServerEvent::StreamError(e) => stream_error_event(&e),
            ServerEvent::Undelivered(stanzas) => {
                json!({ "event": "undelivered", "stanzas": stanza_list(&stanzas) })
            }
            ServerEvent::Closed { resumable } => {
                json!({ "event": "closed", "resumable": resumable })
            }
            _ => json!({ "event": "unknown" }),
        };
        to_py(py, &value)
    }

    fn answer(&mut self, py: Python<'_>, credentials: Credentials) -> PyResult<()> {
        self.pending = None;
        self.machine
            .provide_credentials(credentials)
            .map_err(|e| session_error(py, &e))
    }
}

#[pymethods]
impl Server {
    /// The server side of a new connection for `domain`.
    ///
    /// `tls`, `tls_mode`, `transport`, `sasl2`, `stream_management`,
    /// `keepalive`, `seed` and `now_ms` as for `Client`. `mechanisms`: the
    /// SASL mechanisms to offer (default: SCRAM-SHA-512/-256/-1, their
    /// -PLUS forms, PLAIN under TLS, the HT-SHA-256 FAST mechanisms);
    /// `allow_plain` offers PLAIN without TLS. `secret` (32 bytes or more,
    /// random by default) derives the made-up salts of unknown users;
    /// `iterations` is the PBKDF2 count of the SCRAM credentials
    /// `provide_password` derives (RFC 5802 §5.1, RFC 7677).
    #[new]
    #[pyo3(signature = (domain, *, tls = "required", tls_mode = "starttls", transport = "tcp",
        sasl2 = true, stream_management = true, allow_plain = false, mechanisms = None,
        keepalive = true, secret = None, iterations = 4096, seed = None, now_ms = None))]
    #[allow(
        clippy::too_many_arguments,
        reason = "the Python keyword arguments of the constructor"
    )]
    fn new(
        py: Python<'_>,
        domain: &str,
        tls: &str,
        tls_mode: &str,
        transport: &str,
        sasl2: bool,
        stream_management: bool,
        allow_plain: bool,
        mechanisms: Option<Vec<String>>,
        keepalive: bool,
        secret: Option<Vec<u8>>,
        iterations: u32,
        seed: Option<Vec<u8>>,
        now_ms: Option<u64>,
    ) -> PyResult<Self> {
        let sasl = |e: xmpp_sasl::Error| PyValueError::new_err(format!("server secret: {e}"));
        let secret = match secret {
            Some(key) => ServerSecret::new(key),
            None => ServerSecret::random(&mut rand_core::OsRng),
        }
        .and_then(|s| s.accounts(Hash::Sha256, xmpp_sasl::scram::SALT_LEN, iterations))
        .map_err(sasl)?;
        let mut config = ServerConfig::new(domain, secret)
            .tls(tls_policy(tls)?)
            .tls_mode(self::tls_mode(tls_mode)?)
            .transport(self::transport(transport)?)
            .sasl2(sasl2)
            .allow_plain_unencrypted(allow_plain);
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
                    PyValueError::new_err(format!("unknown SASL mechanism {name:?}"))
                })?);
            }
            config = config.mechanisms(list);
        }
        let machine = xmpp_session::Server::new(config, self::seed(py, seed)?, now(py, now_ms)?);
        Ok(Self {
            machine,
            iterations,
            pending: None,
            bind_default: None,
        })
    }

    /// Bytes from the client (one message per call over WebSocket).
    fn handle_input(&mut self, py: Python<'_>, data: &[u8]) -> PyResult<()> {
        self.machine
            .handle_input(data)
            .map_err(|e| session_error(py, &e))
    }

    /// The next bytes to send, or `None`.
    fn poll_transmit<'py>(&mut self, py: Python<'py>) -> Option<Bound<'py, PyBytes>> {
        py_bytes(py, self.machine.poll_transmit())
    }

    /// The next event dict, or `None`: `start-tls`, `credentials-request`
    /// (`mechanism`, `authcid`, `authzid`, `fast`), `authenticated` (`jid`,
    /// `mechanism`), `bind-request` (`requested`, `suggested`),
    /// `token-request` (`mechanism`), `resume-request` (`previd`, `h`),
    /// `bound` (`jid`), `resumed` (`jid`, `resent`), `sm-enabled` (`id`),
    /// `stanza`, `acked` (`stanzas`), `stream-error`, `undelivered`
    /// (`stanzas`), `closed` (`resumable`).
    fn poll_event<'py>(&mut self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        match self.machine.poll_event() {
            Some(e) => self.event_dict(py, e).map(Some),
            None => Ok(None),
        }
    }

    /// Every queued event, as a list of `poll_event()` dicts.
    fn events<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        while let Some(e) = self.machine.poll_event() {
            list.append(self.event_dict(py, e)?)?;
        }
        Ok(list)
    }

    /// Time passed (milliseconds on the driver's clock).
    #[pyo3(signature = (now_ms = None))]
    fn handle_timeout(&mut self, py: Python<'_>, now_ms: Option<u64>) -> PyResult<()> {
        let t = now(py, now_ms)?;
        self.machine
            .handle_timeout(t)
            .map_err(|e| session_error(py, &e))
    }

    /// When to call `handle_timeout()` next, or `None`.
    fn poll_timeout(&self) -> Option<u64> {
        self.machine.poll_timeout().map(|t| t.as_millis())
    }

    /// The TLS handshake asked for by `start-tls` finished (as
    /// `Client.tls_established`).
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

    /// Answers `credentials-request` with the account's password (SCRAM
    /// and PLAIN check against SCRAM credentials derived from it with a
    /// fresh salt; for an HT mechanism it is the token), or `None` for no
    /// such account: the exchange then fails exactly as a wrong password
    /// does (RFC 5802 §5.1).
    fn provide_password(&mut self, py: Python<'_>, password: Option<&str>) -> PyResult<()> {
        let Some((request, _)) = &self.pending else {
            return self.answer(py, Credentials::UnknownUser);
        };
        let credentials = match (password, request.mechanism) {
            (None, _) => Credentials::UnknownUser,
            (Some(token), Mechanism::Ht { .. }) => Credentials::Token(token.to_owned().into()),
            (Some(password), mechanism) => StoredCredentials::generate(
                mechanism.scram_hash().unwrap_or(Hash::Sha256),
                Prep::SaslPrep,
                password,
                self.iterations,
                &mut rand_core::OsRng,
            )
            .map(Credentials::Scram)
            .map_err(|e| PyValueError::new_err(format!("credentials: {e}")))?,
        };
        self.answer(py, credentials)
    }

    /// Answers `credentials-request` for a XEP-0484 FAST token: the
    /// client's current `token` (`None`: none), the highest `count`
    /// already processed for it, so that a replayed request fails, and its
    /// `expiry` in seconds since the Unix epoch (`None`: none), compared
    /// with `now` (default `time.time()`), so that an expired token fails
    /// (`credentials-expired`). `new`: the client's `new` slot as
    /// `(token, processed, expiry)`, a token issued and not used yet, tried
    /// first (XEP-0484 §5.1). Record nothing here: the `token-used` event
    /// that follows once a token is proven carries the slot, the count to
    /// record and whether to drop the client's tokens.
    #[pyo3(signature = (token, processed = None, expiry = None, now = None, new = None))]
    fn provide_token(
        &mut self,
        py: Python<'_>,
        token: Option<&str>,
        processed: Option<u64>,
        expiry: Option<u64>,
        now: Option<u64>,
        new: Option<(String, Option<u64>, Option<u64>)>,
    ) -> PyResult<()> {
        let now = match now {
            Some(now) => now,
            None => {
                let secs: f64 = py.import("time")?.call_method0("time")?.extract()?;
                // Whole seconds; a clock before the epoch is 0.
                secs.max(0.0) as u64
            }
        };
        let count = self
            .pending
            .as_ref()
            .and_then(|(_, fast)| fast.as_ref())
            .and_then(|f| f.count);
        let current = token.map(|t| FastTokenSlot::new(t, processed, expiry));
        let new = new.map(|(t, processed, expiry)| FastTokenSlot::new(t, processed, expiry));
        let credentials = if current.is_none() && new.is_none() {
            Credentials::UnknownUser
        } else {
            Credentials::FastToken {
                current,
                new,
                count,
                now,
            }
        };
        self.answer(py, credentials)
    }

    /// Answers `bind-request`: binds `resource` (the requested one, else the
    /// suggested one, when `None`) and returns the full JID.
    #[pyo3(signature = (resource = None))]
    fn accept_bind(&mut self, py: Python<'_>, resource: Option<&str>) -> PyResult<String> {
        let resource = match resource {
            Some(r) => r.to_owned(),
            None => self.bind_default.clone().unwrap_or_default(),
        };
        let jid = self
            .machine
            .accept_bind(&resource)
            .map_err(|e| session_error(py, &e))?;
        self.bind_default = None;
        Ok(jid.as_str().to_owned())
    }

    /// Answers `bind-request` with a stanza error (RFC 6120 §7.6.2,
    /// §7.7.2): `conflict`, `not-allowed`, `resource-constraint`, ...
    #[pyo3(signature = (condition = "conflict"))]
    fn reject_bind(&mut self, py: Python<'_>, condition: &str) -> PyResult<()> {
        let c = DefinedCondition::from_name(condition, "").ok_or_else(|| {
            PyValueError::new_err(format!("unknown stanza error condition {condition:?}"))
        })?;
        self.machine
            .reject_bind(c)
            .map_err(|e| session_error(py, &e))
    }

    /// Answers `token-request`: `token` (fresh and random; keep it for
    /// `provide_token`) goes to the client with `expiry` (XEP-0082).
    fn issue_token(&mut self, py: Python<'_>, token: &str, expiry: &str) -> PyResult<()> {
        self.machine
            .issue_token(token, expiry)
            .map_err(|e| session_error(py, &e))
    }

    /// Answers `token-used` whose use was recorded (in the same step as
    /// the check that `count` is still above the highest recorded): the
    /// login succeeds. With `rotate` (the token is near its expiry, say)
    /// the client gets a new token it did not ask for (XEP-0484 §3.5): a
    /// `token-request` follows, answered as any other.
    #[pyo3(signature = (rotate = false))]
    fn accept_token_use(&mut self, py: Python<'_>, rotate: bool) -> PyResult<()> {
        self.machine
            .accept_token_use(rotate)
            .map_err(|e| session_error(py, &e))
    }

    /// Answers `token-used` that could not be recorded (its count was used
    /// meanwhile, or the token is gone): the login fails with
    /// `not-authorized`, as a wrong token does.
    fn refuse_token_use(&mut self, py: Python<'_>) -> PyResult<()> {
        self.machine
            .refuse_token_use()
            .map_err(|e| session_error(py, &e))
    }

    /// Answers `token-request` with no token.
    fn decline_token(&mut self, py: Python<'_>) -> PyResult<()> {
        self.machine
            .decline_token()
            .map_err(|e| session_error(py, &e))
    }

    /// Answers `resume-request` with the JSON the earlier session's
    /// `take_resumption_state()` gave.
    fn accept_resume(&mut self, py: Python<'_>, state: &str) -> PyResult<()> {
        let state: ResumptionState = serde_json::from_str(state)
            .map_err(|e| PyValueError::new_err(format!("bad resumption state: {e}")))?;
        self.machine
            .accept_resume(state)
            .map_err(|e| session_error(py, &e))
    }

    /// Answers `resume-request`: no such session.
    fn reject_resume(&mut self, py: Python<'_>) -> PyResult<()> {
        self.machine
            .reject_resume()
            .map_err(|e| session_error(py, &e))
    }

    /// Answers `resume-request` for a session whose resumption window
    /// closed: `<failed h='handled'/>` (XEP-0198 §5), `handled` being how
    /// many of the client's stanzas it handled.
    fn reject_resume_timed_out(&mut self, py: Python<'_>, handled: u32) -> PyResult<()> {
        self.machine
            .reject_resume_timed_out(handled)
            .map_err(|e| session_error(py, &e))
    }

    /// Sends a stanza written as XML to the client, once bound.
    fn send_xml(&mut self, py: Python<'_>, xml: &Bound<'_, PyAny>) -> PyResult<()> {
        let stanza = stanza_from_xml(py, xml)?;
        self.machine.send(stanza).map_err(|e| session_error(py, &e))
    }

    /// Sends a message with one body (RFC 6121 §5.2) from `sender` to
    /// the client.
    #[pyo3(signature = (sender, body, r#type = "chat"))]
    fn send_message(
        &mut self,
        py: Python<'_>,
        sender: &str,
        body: &str,
        r#type: &str,
    ) -> PyResult<()> {
        let from = Jid::new(sender).map_err(|e| jid_error(py, &e))?;
        let kind = MessageType::from_name(r#type)
            .ok_or_else(|| PyValueError::new_err(format!("unknown message type {:?}", r#type)))?;
        let mut message = Message::new(StanzaNs::Client)
            .with_type(kind)
            .with_body(None, body);
        message.header.from = Some(from);
        if let Some(to) = self.machine.jid() {
            message.header.to = Some(to.as_jid().clone());
        }
        self.machine
            .send(Stanza::Message(message))
            .map_err(|e| session_error(py, &e))
    }

    /// Closes the stream (RFC 6120 §4.4).
    fn close(&mut self, py: Python<'_>) -> PyResult<()> {
        self.machine.close().map_err(|e| session_error(py, &e))
    }

    /// The transport ended without a close.
    fn connection_lost(&mut self) {
        self.machine.connection_lost();
    }

    /// Once the stream is over, the JSON of the resumable session
    /// (XEP-0198 §5), or `None`.
    fn take_resumption_state(&mut self) -> PyResult<Option<String>> {
        self.machine
            .take_resumption_state()
            .map(|s| serde_json::to_string(&s).map_err(|e| PyValueError::new_err(e.to_string())))
            .transpose()
    }

    /// The client's full JID, once bound.
    #[getter]
    fn jid(&self) -> Option<String> {
        self.machine.jid().map(|j| j.as_str().to_owned())
    }

    /// Whether the stream is over.
    #[getter]
    fn is_closed(&self) -> bool {
        self.machine.is_closed()
    }
}

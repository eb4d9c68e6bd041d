//! `SaslClient` (also `ScramClient`) and `SaslServer`: the SASL mechanisms
//! of xmpp-sasl (PLAIN, EXTERNAL, ANONYMOUS, SCRAM-SHA-*(-PLUS),
//! HT-SHA-256-*) as step objects, bytes in and bytes out (RFC 4422 §3).

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyMapping, PyString};
use xmpp_sasl::{
    CbindFlag, ChannelBinding, ChannelBindingType, Choice, ClientConfig, ClientSession, ClientStep,
    Credentials, CredentialsRequest, Error, Hash, Mechanism, Nonce, Prep, ServerConfig,
    ServerSecret, ServerSession, ServerStep, StoredCredentials, Success,
};

use crate::errors::{SaslError, opt_str, with_attrs};

/// The `SaslError` of an [`xmpp_sasl::Error`]: `condition` is the RFC 6120
/// §6.5 failure condition, `scram_error` the RFC 5802 §7 `e=` value or
/// `None`.
fn sasl_error(py: Python<'_>, e: &Error) -> PyErr {
    with_attrs::<SaslError>(
        py,
        e.to_string(),
        &[
            (
                "condition",
                PyString::new(py, e.condition().as_str()).into_any(),
            ),
            (
                "scram_error",
                opt_str(py, e.scram_error().map(|s| s.as_str())),
            ),
        ],
    )
}

fn mechanism(py: Python<'_>, name: &str) -> PyResult<Mechanism> {
    Mechanism::from_name(name).ok_or_else(|| sasl_error(py, &Error::UnsupportedMechanism))
}

fn prep(name: &str) -> PyResult<Prep> {
    match name {
        "saslprep" => Ok(Prep::SaslPrep),
        "precis" => Ok(Prep::PrecisCaseMapped),
        "precis-case-preserved" => Ok(Prep::PrecisCasePreserved),
        "none" => Ok(Prep::None),
        p => Err(PyValueError::new_err(format!(
            "unknown prep {p:?}: expected saslprep, precis, precis-case-preserved or none"
        ))),
    }
}

fn nonce(py: Python<'_>, given: Option<&str>) -> PyResult<Nonce> {
    given
        .map_or_else(Nonce::from_os, Nonce::new)
        .map_err(|e| sasl_error(py, &e))
}

/// `(type, data)`, e.g. `("tls-exporter", b"...")`, as channel-binding data
/// (RFC 5929, RFC 9266).
fn channel_binding(cb: Option<(String, Vec<u8>)>) -> PyResult<Option<ChannelBinding>> {
    cb.map(|(kind, data)| {
        ChannelBindingType::from_name(&kind)
            .map(|t| ChannelBinding::new(t, data))
            .ok_or_else(|| PyValueError::new_err(format!("unknown channel binding type {kind:?}")))
    })
    .transpose()
}

/// The identities of a finished exchange.
#[derive(Default)]
struct Outcome {
    done: bool,
    authcid: Option<String>,
    authzid: Option<String>,
}

impl Outcome {
    fn succeed(&mut self, s: Success) {
        self.done = true;
        self.authcid = s.authcid;
        self.authzid = s.authzid;
    }
}

/// The client side of one SASL exchange.
///
/// `step(data)` takes the server's last challenge (`b""` to start) and
/// returns the bytes to send, or `None` when there is nothing to send;
/// `done` turns true once the client has nothing left to verify (for SCRAM,
/// after checking the server signature in the success's additional data).
/// A failure raises `SaslError`, and so does every later step.
#[pyclass(module = "xmpp_primitives")]
pub(crate) struct SaslClient {
    session: ClientSession,
    outcome: Outcome,
}

#[pymethods]
impl SaslClient {
    /// A client for `mechanism` (`SCRAM-SHA-256`, `PLAIN`, ...). `nonce`
    /// is for tests (a fresh one comes from the OS otherwise);
    /// `channel_binding` is `(type, data)` for the -PLUS mechanisms;
    /// `prep` is `saslprep` (RFC 4013), `precis` (RFC 8265),
    /// `precis-case-preserved` or `none`.
    #[new]
    #[pyo3(signature = (mechanism, username = None, password = None, *, authzid = None,
        nonce = None, channel_binding = None, prep = "saslprep"))]
    #[allow(
        clippy::too_many_arguments,
        reason = "the Python keyword arguments of the constructor"
    )]
    fn new(
        py: Python<'_>,
        mechanism: &str,
        username: Option<String>,
        password: Option<String>,
        authzid: Option<String>,
        nonce: Option<&str>,
        channel_binding: Option<(String, Vec<u8>)>,
        prep: &str,
    ) -> PyResult<Self> {
        let mech = self::mechanism(py, mechanism)?;
        let cb = self::channel_binding(channel_binding)?;
        let mut config = ClientConfig::new().prep(self::prep(prep)?);
        if let Some(u) = username {
            config = config.username(u);
        }
        if let Some(p) = password {
            // For HT-SHA-256-* the secret is the FAST token (XEP-0484).
            config = config.password(p.clone()).token(p);
        }
        if let Some(a) = authzid {
            config = config.authzid(a);
        }
        let cbind = match mech {
            Mechanism::Ht { binding } => binding.channel_binding_type(),
            Mechanism::Scram { plus: true, .. } => cb.as_ref().map(ChannelBinding::kind),
            _ => None,
        };
        if let Some(cb) = cb {
            config = config.channel_binding(cb);
        }
        let choice = match cbind {
            Some(t) => Choice {
                mechanism: mech,
                cbind: CbindFlag::Bind(t),
            },
            None => Choice::unbound(mech),
        };
        let session = ClientSession::new(choice, config, self::nonce(py, nonce)?)
            .map_err(|e| sasl_error(py, &e))?;
        Ok(Self {
            session,
            outcome: Outcome::default(),
        })
    }

    /// The mechanism's name.
    #[getter]
    fn mechanism(&self) -> String {
        self.session.mechanism().to_string()
    }

    /// One step: the server's message in, the client's reply out.
    #[pyo3(signature = (data = b"".as_slice()))]
    fn step<'py>(&mut self, py: Python<'py>, data: &[u8]) -> PyResult<Option<Bound<'py, PyBytes>>> {
        match self.session.step(data).map_err(|e| sasl_error(py, &e))? {
            ClientStep::Send(bytes) => Ok(Some(PyBytes::new(py, &bytes))),
            ClientStep::Done { send, success } => {
                self.outcome.succeed(success);
                Ok(send.map(|b| PyBytes::new(py, &b)))
            }
        }
    }

    /// Whether the client is done (and, for SCRAM, verified the server).
    #[getter]
    fn done(&self) -> bool {
        self.outcome.done
    }

    /// The authentication identity, once done.
    #[getter]
    fn authcid(&self) -> Option<&str> {
        self.outcome.authcid.as_deref()
    }

    /// The authorization identity sent, once done.
    #[getter]
    fn authzid(&self) -> Option<&str> {
        self.outcome.authzid.as_deref()
    }
}

/// The server side of one SASL exchange.
///
/// `users` maps a (prepared) username to its password, or is a callable
/// that returns the password or `None`; an unknown user fails exactly as a
/// wrong password does (RFC 5802 §9). `step(data)` takes the client's
/// message and returns the challenge to send; once `done`, what it
/// returned is the additional data of the success (SCRAM's `v=`), or
/// `None`. A failure raises `SaslError`.
#[pyclass(module = "xmpp_primitives")]
pub(crate) struct SaslServer {
    session: ServerSession,
    mechanism: Mechanism,
    users: Py<PyAny>,
    prep: Prep,
    iterations: u32,
    external: Option<String>,
    outcome: Outcome,
}

impl SaslServer {
    /// The answer to a credentials request, from `users`.
    fn credentials(&self, py: Python<'_>, request: &CredentialsRequest) -> PyResult<Credentials> {
        if self.mechanism == Mechanism::External {
            return Ok(self
                .external
                .clone()
                .map_or(Credentials::UnknownUser, Credentials::External));
        }
        let Some(authcid) = &request.authcid else {
            return Ok(Credentials::UnknownUser);
        };
        let users = self.users.bind(py);
        let found = if let Ok(map) = users.cast::<PyMapping>() {
            if map.contains(authcid)? {
                Some(map.get_item(authcid)?)
            } else {
                None
            }
        } else {
            Some(users.call1((authcid,))?)
        };
        let Some(password) = found.filter(|p| !p.is_none()) else {
            return Ok(Credentials::UnknownUser);
        };
        let password: String = password.extract()?;
        if let Mechanism::Ht { .. } = self.mechanism {
            return Ok(Credentials::Token(password.into()));
        }
        // PLAIN too checks against SCRAM stored credentials, so a known
        // user costs the PBKDF2 run an unknown one does.
        let hash = self.mechanism.scram_hash().unwrap_or(Hash::Sha256);
        StoredCredentials::generate(
            hash,
            self.prep,
            &password,
            self.iterations,
            &mut rand_core::OsRng,
        )
        .map(Credentials::Scram)
        .map_err(|e| sasl_error(py, &e))
    }
}

#[pymethods]
impl SaslServer {
    /// A server for `mechanism`. `iterations` is the PBKDF2 count of the
    /// SCRAM credentials derived from the passwords; `secret` (32 bytes or
    /// more, random when absent) derives the made-up salts of unknown
    /// users; `external` is the identity established outside SASL for
    /// EXTERNAL; `encrypted` says whether the transport is (PLAIN is
    /// refused on one that is not).
    #[new]
    #[pyo3(signature = (mechanism, users, *, iterations = 4096, nonce = None, secret = None,
        channel_binding = None, external = None, prep = "saslprep", encrypted = true))]
    #[allow(
        clippy::too_many_arguments,
        reason = "the Python keyword arguments of the constructor"
    )]
    fn new(
        py: Python<'_>,
        mechanism: &str,
        users: Py<PyAny>,
        iterations: u32,
        nonce: Option<&str>,
        secret: Option<Vec<u8>>,
        channel_binding: Option<(String, Vec<u8>)>,
        external: Option<String>,
        prep: &str,
        encrypted: bool,
    ) -> PyResult<Self> {
        let mech = self::mechanism(py, mechanism)?;
        let prep = self::prep(prep)?;
        let err = |e: Error| sasl_error(py, &e);
        let secret = match secret {
            Some(key) => ServerSecret::new(key),
            None => ServerSecret::random(&mut rand_core::OsRng),
        }
        .and_then(|s| {
            s.accounts(
                mech.scram_hash().unwrap_or(Hash::Sha256),
                xmpp_sasl::scram::SALT_LEN,
                iterations,
            )
        })
        .map_err(err)?;
        let mut config = ServerConfig::new(secret)
            .mechanisms([mech])
            .prep(prep)
            .encrypted(encrypted);
        if let Some(cb) = self::channel_binding(channel_binding)? {
            config = config.channel_binding(cb);
        }
        let session = ServerSession::new(mech, config, self::nonce(py, nonce)?).map_err(err)?;
        Ok(Self {
            session,
            mechanism: mech,
            users,
            prep,
            iterations,
            external,
            outcome: Outcome::default(),
        })
    }

    /// The mechanism's name.
    #[getter]
    fn mechanism(&self) -> String {
        self.mechanism.to_string()
    }

    /// One step: the client's message in, the challenge (or, once done,
    /// the success's additional data) out.
    fn step<'py>(&mut self, py: Python<'py>, data: &[u8]) -> PyResult<Option<Bound<'py, PyBytes>>> {
        let mut step = self.session.step(data).map_err(|e| sasl_error(py, &e))?;
        if let ServerStep::NeedCredentials(request) = &step {
            let credentials = self.credentials(py, request)?;
            step = self
                .session
                .credentials(credentials)
                .map_err(|e| sasl_error(py, &e))?;
        }
        match step {
            ServerStep::Challenge(bytes) => Ok(Some(PyBytes::new(py, &bytes))),
            ServerStep::Success(s) => {
                let data = s.additional_data.as_deref().map(|d| PyBytes::new(py, d));
                self.outcome.succeed(s);
                Ok(data)
            }
            ServerStep::NeedCredentials(_) => Err(sasl_error(
                py,
                &Error::UnexpectedMessage {
                    expected: "one lookup",
                },
            )),
        }
    }

    /// Whether the exchange succeeded.
    #[getter]
    fn done(&self) -> bool {
        self.outcome.done
    }

    /// The authenticated identity, once done.
    #[getter]
    fn authcid(&self) -> Option<&str> {
        self.outcome.authcid.as_deref()
    }

    /// The requested authorization identity, once done (the caller's to
    /// allow or refuse).
    #[getter]
    fn authzid(&self) -> Option<&str> {
        self.outcome.authzid.as_deref()
    }
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<SaslClient>()?;
    m.add_class::<SaslServer>()?;
    m.add("ScramClient", m.getattr("SaslClient")?)?;
    Ok(())
}

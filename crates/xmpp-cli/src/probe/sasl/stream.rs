//! The raw SASL stream the sasl suite drives: TCP, TLS as `--tls` says
//! (STARTTLS, RFC 6120 §5.4.3.3, or direct, XEP-0368), the features, then
//! `<auth/>`, `<response/>` and `<abort/>` (RFC 6120 §6.4) as the check
//! wants them, and the server's answers read back as [`Reply`]s.

use xmpp_sasl::{Choice, ClientConfig, ClientSession, ClientStep, Hash, Mechanism, Nonce};
use xmpp_stanza::{BIND_NS, Element, SASL_NS, Sasl, StreamFeatures, TLS_NS};

use super::super::raw::{ANSWER, Raw, header};
use super::super::{Target, tls, truncate};

/// The XEP-0440 namespace of the advertised channel-binding types.
const SASL_CB_NS: &str = "urn:xmpp:sasl-cb:0";

/// What the server answered to a SASL element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Reply {
    Challenge(Vec<u8>),
    Success(Option<Vec<u8>>),
    /// `<failure/>` with its condition (RFC 6120 §6.5).
    Failure(String),
    StreamError(String),
    /// Closed, dropped, silent, or something not SASL.
    Other(String),
}

impl Reply {
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::Challenge(_) => "a <challenge/>".into(),
            Self::Success(_) => "<success/>".into(),
            Self::Failure(c) => format!("<failure><{c}/></failure>"),
            Self::StreamError(c) => format!("the stream error <{c}/>"),
            Self::Other(o) => o.clone(),
        }
    }
}

/// A stream (after TLS, unless opened by [`open_cleartext`]) with its
/// offered mechanisms, at the point where the client may send `<auth/>`.
pub(crate) struct SaslStream {
    pub(crate) raw: Raw,
    domain: String,
    /// The mechanism names in the order offered.
    pub(crate) mechanisms: Vec<String>,
    /// The XEP-0440 binding types, if the server advertised them.
    pub(crate) bindings: Option<Vec<String>>,
    /// Whether the features offered STARTTLS.
    pub(crate) starttls: bool,
}

/// One stream of a connection as the server opened it: its header's
/// attributes and its features (RFC 6120 §4.3.2).
#[derive(Debug, Clone)]
pub(crate) struct Opened {
    /// The response header, when one came.
    pub(crate) header: Option<xmpp_stream::StreamHeader>,
    pub(crate) features: Element,
}

impl Opened {
    fn of(raw: &Raw, features: &Element) -> Self {
        Self {
            header: raw.answer().header.clone(),
            features: features.clone(),
        }
    }
}

/// Opens a stream for `t` and negotiates TLS as `--tls` says.
pub(crate) async fn open(t: &Target) -> Result<SaslStream, String> {
    open_streams(t).await.map(|(s, _)| s)
}

/// As [`open`], with every stream the connection opened on the way: the
/// first, then the one after STARTTLS (one only with direct TLS or none).
pub(crate) async fn open_streams(t: &Target) -> Result<(SaslStream, Vec<Opened>), String> {
    let mut raw = Raw::open(&t.server)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let (domain, insecure) = (t.domain.clone(), t.insecure);
    if t.tls == "direct" {
        raw.tls(|tcp| tls::connect(tcp, &domain, insecure, true))
            .await
            .map_err(|e| format!("direct TLS: {e}"))?;
    }
    let mut features = stream_features(&mut raw, &domain).await?;
    let mut opened = vec![Opened::of(&raw, &features)];
    if t.tls == "starttls" {
        if features.get_child("starttls", TLS_NS).is_none() {
            return Err("STARTTLS not offered".into());
        }
        raw.clear();
        raw.send(format!("<starttls xmlns='{TLS_NS}'/>").as_bytes())
            .await;
        let a = raw
            .read(ANSWER, |a| a.elements.iter().any(|e| e.ns() == TLS_NS))
            .await;
        if !a.elements.iter().any(|e| e.is("proceed", TLS_NS)) {
            return Err(a.trouble().unwrap_or_else(|| {
                format!("no <proceed/> to <starttls/>: {}", truncate(&a.received))
            }));
        }
        raw.tls(|tcp| tls::connect(tcp, &domain, insecure, false))
            .await
            .map_err(|e| format!("STARTTLS: {e}"))?;
        features = stream_features(&mut raw, &domain).await?;
        opened.push(Opened::of(&raw, &features));
    }
    Ok((SaslStream::new(raw, domain, &features)?, opened))
}

/// Opens a stream in the clear and reads its first features, before any
/// TLS (the caller skips this for `--tls direct`).
pub(crate) async fn open_cleartext(t: &Target) -> Result<SaslStream, String> {
    let mut raw = Raw::open(&t.server)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let features = stream_features(&mut raw, &t.domain).await?;
    SaslStream::new(raw, t.domain.clone(), &features)
}

/// Sends a stream header and reads the features that follow.
pub(crate) async fn stream_features(raw: &mut Raw, domain: &str) -> Result<Element, String> {
    raw.send(header(domain).as_bytes()).await;
    let a = raw
        .read(ANSWER, |a| {
            a.features().is_some() || a.stream_error.is_some()
        })
        .await;
    a.features().cloned().ok_or_else(|| {
        a.trouble()
            .unwrap_or_else(|| format!("no stream features: {}", truncate(&a.received)))
    })
}

/// The XEP-0440 types advertised in `features`, if the list is there.
fn advertised_bindings(features: &Element) -> Option<Vec<String>> {
    let list = features.get_child("sasl-channel-binding", SASL_CB_NS)?;
    Some(
        list.get_children("channel-binding", SASL_CB_NS)
            .filter_map(|c| c.attr("type").map(String::from))
            .collect(),
    )
}

/// The SCRAM mechanism without `-PLUS` the probe runs among `offered`:
/// SHA-256, then SHA-1, then SHA-512 (the order of what servers store).
pub(crate) fn pick_scram(offered: &[String]) -> Option<Mechanism> {
    [Hash::Sha256, Hash::Sha1, Hash::Sha512]
        .into_iter()
        .map(|hash| Mechanism::Scram { hash, plus: false })
        .find(|m| offered.iter().any(|o| o == m.name()))
}

impl SaslStream {
    /// The stream at `<auth/>` time, from the features just received.
    pub(crate) fn new(raw: Raw, domain: String, features: &Element) -> Result<Self, String> {
        let parsed = StreamFeatures::from_element(features).map_err(|e| e.to_string())?;
        Ok(Self {
            raw,
            domain,
            mechanisms: parsed.mechanisms.unwrap_or_default(),
            bindings: advertised_bindings(features),
            starttls: features.get_child("starttls", TLS_NS).is_some(),
        })
    }

    pub(crate) async fn send(&mut self, element: &Element) {
        self.raw.send(element.to_xml().as_bytes()).await;
    }

    pub(crate) async fn auth(&mut self, mechanism: &str, initial: &[u8]) {
        let auth = Sasl::Auth {
            mechanism: mechanism.to_owned(),
            initial: Some(initial.to_vec()),
        };
        self.send(&auth.to_element()).await;
    }

    /// The server's next SASL element (or what happened instead).
    pub(crate) async fn reply(&mut self) -> Reply {
        self.raw.clear();
        let a = self
            .raw
            .read(ANSWER, |a| {
                a.stream_error.is_some() || a.elements.iter().any(|e| e.ns() == SASL_NS)
            })
            .await;
        if let Some(c) = &a.stream_error {
            return Reply::StreamError(c.clone());
        }
        match a.elements.iter().find(|e| e.ns() == SASL_NS) {
            Some(e) => match Sasl::from_element(e) {
                Ok(Some(Sasl::Challenge(d))) => Reply::Challenge(d.unwrap_or_default()),
                Ok(Some(Sasl::Success(d))) => Reply::Success(d),
                Ok(Some(Sasl::Failure { condition, .. })) => {
                    Reply::Failure(condition.as_str().to_owned())
                }
                _ => Reply::Other(format!("an unexpected {}", e.to_xml())),
            },
            None => Reply::Other(a.trouble().unwrap_or_else(|| {
                if a.eof || a.closed {
                    "the stream ended".into()
                } else {
                    "no answer".into()
                }
            })),
        }
    }

    /// A SCRAM (or PLAIN) exchange run to its end for account `n` of
    /// `t`, with `choice` and `authzid`: the server's last reply, a
    /// success only when its signature verified.
    pub(crate) async fn exchange(
        &mut self,
        t: &Target,
        n: usize,
        choice: Choice,
        authzid: Option<String>,
    ) -> Result<Reply, String> {
        let (name, password) = t.users.get(n).ok_or("no such account")?;
        let mut config = ClientConfig::new()
            .username(name.as_str())
            .password(password.as_str());
        if let Some(a) = authzid {
            config = config.authzid(a);
        }
        let nonce = Nonce::from_os().map_err(|e| e.to_string())?;
        let mut client = ClientSession::new(choice, config, nonce).map_err(|e| e.to_string())?;
        let (first, mut done) = match client.step(b"").map_err(|e| e.to_string())? {
            ClientStep::Send(m) => (m, false),
            ClientStep::Done { send: Some(m), .. } => (m, true),
            ClientStep::Done { send: None, .. } => {
                return Err("the mechanism has no initial response".into());
            }
        };
        self.auth(choice.mechanism.name(), &first).await;
        loop {
            let reply = self.reply().await;
            match &reply {
                Reply::Challenge(c) if !done => {
                    let m = match client.step(c).map_err(|e| format!("the challenge: {e}"))? {
                        ClientStep::Send(m) => m,
                        ClientStep::Done { send, .. } => {
                            done = true;
                            send.unwrap_or_default()
                        }
                    };
                    self.send(&Sasl::Response(Some(m.to_vec())).to_element())
                        .await;
                }
                // The client reports success only after verifying the
                // server's signature (RFC 5802 §5.1 v=).
                Reply::Success(d) if !done => {
                    client
                        .step(d.as_deref().unwrap_or_default())
                        .map_err(|e| format!("<success/>, but: {e}"))?;
                    return Ok(reply);
                }
                _ => return Ok(reply),
            }
        }
    }

    /// A normal login of account `n`: the best SCRAM without `-PLUS`
    /// (gs2 flag `n`), else PLAIN.
    pub(crate) async fn login(&mut self, t: &Target, n: usize) -> Result<Reply, String> {
        let mechanism = pick_scram(&self.mechanisms)
            .or_else(|| {
                self.mechanisms
                    .iter()
                    .any(|m| m == "PLAIN")
                    .then_some(Mechanism::Plain)
            })
            .ok_or("neither SCRAM nor PLAIN offered")?;
        self.exchange(t, n, Choice::unbound(mechanism), None).await
    }

    /// After `<success/>`: restarts the stream and binds, giving the JID
    /// the server assigned (RFC 6120 §7).
    pub(crate) async fn bound_jid(&mut self) -> Result<String, String> {
        self.restart().await?;
        self.bind().await
    }

    /// After `<success/>`: the restarted stream (RFC 6120 §6.4.6), its
    /// header and features.
    pub(crate) async fn restart(&mut self) -> Result<Opened, String> {
        self.raw.restart();
        let domain = self.domain.clone();
        let features = stream_features(&mut self.raw, &domain).await?;
        Ok(Opened::of(&self.raw, &features))
    }

    /// After the features of the restarted stream: binds a resource the
    /// server picks, giving the JID (RFC 6120 §7.6).
    pub(crate) async fn bind(&mut self) -> Result<String, String> {
        self.raw.clear();
        self.raw
            .send(
                format!("<iq type='set' id='probe-bind'><bind xmlns='{BIND_NS}'/></iq>").as_bytes(),
            )
            .await;
        let a = self
            .raw
            .read(ANSWER, |a| {
                a.stream_error.is_some() || a.elements.iter().any(|e| e.name() == "iq")
            })
            .await;
        a.elements
            .iter()
            .filter(|e| e.name() == "iq")
            .find_map(|iq| iq.get_child("bind", BIND_NS)?.get_child("jid", BIND_NS))
            .map(|j| j.text().into_owned())
            .ok_or_else(|| {
                a.trouble()
                    .unwrap_or_else(|| format!("no bound JID: {}", truncate(&a.received)))
            })
    }
}

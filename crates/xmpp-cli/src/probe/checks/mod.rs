//! The catalogue. Raw checks (suite `stream`) speak before TLS, where RFC
//! 6120 puts every header rule and most stream errors; the others log in
//! with the session machine as a well-behaved client would, then misbehave
//! on purpose through it.

use std::time::Duration;

use xmpp_jid::FullJid;
use xmpp_session::{ClientEvent, Error as SessionError};
use xmpp_stanza::{IqType, Stanza};
use xmpp_tokio::{ClientSession, ClientSessionEvent, ConnectOptions};

use super::raw::{Answer, Raw};
use super::{Outcome, Report, Target, truncate};

mod bind;
mod im;
mod sasl;
mod sm;
mod stanza;
mod stream;

/// How long a logged-in exchange may take.
const STEP: Duration = Duration::from_secs(8);
/// The most stanzas [`Logged::gather`] keeps: far more than any check
/// waits for.
const MAX_GATHERED: usize = 1000;
/// Silence after which a raw answer is taken as complete.
const QUIET: Duration = Duration::from_millis(1500);

fn report(
    id: &'static str,
    section: &'static str,
    level: &'static str,
    outcome: Outcome,
    detail: impl Into<String>,
) -> Report {
    super::report(id, section, level, (outcome, detail.into()))
}

pub(crate) async fn run_all(target: &Target, suites: &[String]) -> Vec<Report> {
    let target = &login_policy(target, suites).await;
    let mut out = Vec::new();
    for suite in suites {
        match suite.as_str() {
            "stream" => stream::stream_suite(target, &mut out).await,
            "sasl" => sasl::sasl_suite(target, &mut out).await,
            "bind" => bind::bind_suite(target, &mut out).await,
            "stanza" => stanza::stanza_suite(target, &mut out).await,
            "im" => im::im_suite(target, &mut out).await,
            "sm" => sm::sm_suite(target, &mut out).await,
            _ => {}
        }
    }
    out
}

/// The target the logged-in suites use: `target` itself when the client's
/// own choice logs in (or no suite logs in), else the same with the
/// mechanisms without `-PLUS` when they log in (see
/// [`Target::mechanisms`]).
async fn login_policy(target: &Target, suites: &[String]) -> Target {
    if target.mechanisms.is_some() || suites.iter().all(|s| s == "stream") {
        return target.clone();
    }
    let first = match login(target, 0, |c| c).await {
        Ok(l) => {
            l.close().await;
            return target.clone();
        }
        Err(e) => e,
    };
    let unbound = Target {
        mechanisms: Some(super::unbound_mechanisms()),
        ..target.clone()
    };
    match login(&unbound, 0, |c| c).await {
        Ok(l) => {
            eprintln!(
                "xmpp probe: the client's own choice cannot log in ({first}); \
                 logging in without -PLUS ({}) from here on",
                l.mechanism
            );
            l.close().await;
            unbound
        }
        Err(_) => target.clone(),
    }
}

/// Sends `bytes` on a new plain connection and reads the answer; a
/// flood or a server that stopped reading without a word is the error
/// (see [`Answer::trouble`]).
async fn exchange(target: &Target, bytes: &[u8]) -> Result<Answer, String> {
    let mut raw = Raw::open(&target.server)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    raw.send(bytes).await;
    raw.read(QUIET, |a| a.stream_error.is_some()).await;
    // The close that follows a stream error.
    let a = raw.read(Duration::from_millis(500), |_| false).await;
    match a.trouble() {
        Some(why) => Err(why),
        None => Ok(a.clone()),
    }
}

/// A check that the server closes with a stream error: pass for
/// `expected`, warn for another condition (where RFC 6120 says the
/// condition SHOULD be `expected`), fail for none.
async fn expect_error(
    target: &Target,
    id: &'static str,
    section: &'static str,
    bytes: String,
    expected: &str,
    other_is_warn: bool,
) -> Report {
    let mut r = match exchange(target, bytes.as_bytes()).await {
        Err(e) => report(id, section, "MUST", Outcome::Fail, e),
        Ok(a) => {
            let (outcome, detail) = match &a.stream_error {
                Some(c) if c == expected => (Outcome::Pass, format!("<{c}/>")),
                Some(c) if other_is_warn => (
                    Outcome::Warn,
                    format!("closed with <{c}/>, RFC 6120 names <{expected}/>"),
                ),
                Some(c) => (Outcome::Fail, format!("<{c}/> instead of <{expected}/>")),
                None if a.eof && !a.closed => (
                    Outcome::Fail,
                    "the connection dropped without a stream error".to_owned(),
                ),
                None => (
                    Outcome::Fail,
                    format!(
                        "no stream error (closed: {}, silent: {})",
                        a.closed, a.silent
                    ),
                ),
            };
            let mut r = report(id, section, "MUST", outcome, detail);
            r.received = truncate(&a.received);
            r
        }
    };
    r.sent = truncate(&bytes);
    r
}

/// A logged-in client.
struct Logged {
    session: ClientSession,
    jid: FullJid,
    mechanism: String,
}

/// Logs in account `n` with `tweak` applied; the error names the reason.
async fn login(
    t: &Target,
    n: usize,
    tweak: impl FnOnce(xmpp_session::ClientConfig) -> xmpp_session::ClientConfig,
) -> Result<Logged, String> {
    let config = tweak(t.config(n)?);
    let options = ConnectOptions::new(config, t.server.clone(), t.trust());
    let mut session = xmpp_tokio::connect(options)
        .await
        .map_err(|e| e.to_string())?;
    let mut mechanism = String::new();
    let mut failure: Option<SessionError> = None;
    let result = tokio::time::timeout(STEP, async {
        while let Some(e) = session.next_event().await {
            match e {
                ClientSessionEvent::Failed(e) => failure = Some(e),
                ClientSessionEvent::Session(ClientEvent::Authenticated {
                    mechanism: m, ..
                }) => {
                    mechanism = m.name().to_owned();
                }
                ClientSessionEvent::Session(ClientEvent::Bound { jid }) => return Some(jid),
                ClientSessionEvent::Session(ClientEvent::Closed { .. }) => return None,
                _ => {}
            }
        }
        None
    })
    .await;
    match result {
        Ok(Some(jid)) => Ok(Logged {
            session,
            jid,
            mechanism,
        }),
        Ok(None) => Err(failure.map_or("closed before binding".into(), |e| e.to_string())),
        Err(_) => Err("timed out before binding".into()),
    }
}

/// The first event of `session` that `pick` takes within [`STEP`]; `None`
/// when the time runs out or the session ends first.
async fn next_event<T>(
    session: &mut ClientSession,
    mut pick: impl FnMut(ClientSessionEvent) -> Option<T>,
) -> Option<T> {
    tokio::time::timeout(STEP, async {
        while let Some(e) = session.next_event().await {
            if let Some(t) = pick(e) {
                return Some(t);
            }
        }
        None
    })
    .await
    .ok()
    .flatten()
}

impl Logged {
    /// The next stanza `pick` accepts within [`STEP`].
    async fn expect<T>(&mut self, mut pick: impl FnMut(&Stanza) -> Option<T>) -> Option<T> {
        next_event(&mut self.session, |e| match e {
            ClientSessionEvent::Session(ClientEvent::Stanza(s)) => pick(&s),
            _ => None,
        })
        .await
    }

    /// Whether nothing `pick` accepts arrives within `wait`.
    async fn nothing(&mut self, wait: Duration, mut pick: impl FnMut(&Stanza) -> bool) -> bool {
        tokio::time::timeout(wait, async {
            while let Some(e) = self.session.next_event().await {
                if let ClientSessionEvent::Session(ClientEvent::Stanza(s)) = e {
                    if pick(&s) {
                        return;
                    }
                }
            }
            std::future::pending::<()>().await;
        })
        .await
        .is_err()
    }

    /// Every stanza until `done` has seen what it waits for, [`STEP`]
    /// passed, or [`MAX_GATHERED`] came (a server flooding the probe gets
    /// no more of its memory); roster pushes are answered on the way (RFC
    /// 6121 §2.1.6).
    async fn gather(&mut self, mut done: impl FnMut(&[Stanza]) -> bool) -> Vec<Stanza> {
        let mut got = Vec::new();
        let _ = tokio::time::timeout(STEP, async {
            while let Some(e) = self.session.next_event().await {
                if let ClientSessionEvent::Session(ClientEvent::Stanza(s)) = e {
                    if let Stanza::Iq(iq) = &s {
                        if iq.type_ == IqType::Set {
                            if let Some(result) = iq.make_result(None) {
                                self.session.send(Stanza::Iq(result)).await;
                            }
                        }
                    }
                    got.push(s);
                    if done(&got) || got.len() >= MAX_GATHERED {
                        return;
                    }
                }
            }
        })
        .await;
        got
    }

    /// The condition of a stream error that arrives within `wait`, if
    /// one does (stanzas meanwhile are dropped).
    async fn stream_error(&mut self, wait: Duration) -> Option<String> {
        tokio::time::timeout(wait, async {
            while let Some(e) = self.session.next_event().await {
                match e {
                    ClientSessionEvent::Session(ClientEvent::StreamError(e)) => {
                        return Some(e.condition.as_str().to_owned());
                    }
                    ClientSessionEvent::Failed(SessionError::PeerStreamError(e)) => {
                        return Some(e.condition.as_str().to_owned());
                    }
                    _ => {}
                }
            }
            None
        })
        .await
        .ok()
        .flatten()
    }

    async fn close(self) {
        self.session.close().await;
    }
}

fn pass_if(ok: bool) -> Outcome {
    if ok { Outcome::Pass } else { Outcome::Fail }
}

//! What the checks ask of a [`Session`] on top of the driver: stanzas,
//! iqs and closes, and the outcomes of negotiation (the features the tap
//! saw, the mechanism used, the bound JID).

use xmpp_jid::{FullJid, Jid};
use xmpp_sasl::{ChannelBindingType, Mechanism};
use xmpp_session::{ClientEvent, Error};
use xmpp_stanza::{Iq, IqType, Payload, SaslCondition, Stanza, StreamCondition, StreamFeatures};

use super::session::Session;
use crate::util::Result;

impl Session {
    /// Waits until a resource is bound.
    pub(super) fn bound(&mut self) -> Result<FullJid> {
        self.wait_event(|e| match e {
            ClientEvent::Bound { jid } => Some(jid.clone()),
            _ => None,
        })
    }

    /// The first stanza received for which `want` gives a value; the
    /// others stay for later waits.
    pub(super) fn wait_for<T>(&mut self, mut want: impl FnMut(&Stanza) -> Option<T>) -> Result<T> {
        self.wait_event(|e| match e {
            ClientEvent::Stanza(s) => want(s),
            _ => None,
        })
    }

    /// Sends a stanza; the number of bytes written.
    pub(super) fn send(&mut self, stanza: Stanza) -> Result<usize> {
        if let Err(e) = self.client().send(stanza) {
            return Err(self.fail(format!("send: {e}")));
        }
        self.flush()
    }

    /// Sends `iq` (its id set here) and waits for the answer with its id.
    pub(super) fn iq(&mut self, mut iq: Iq) -> Result<Iq> {
        let id = self.id();
        iq.header.id = Some(id.as_str().into());
        self.send(Stanza::Iq(iq))?;
        self.wait_for(|s| match s {
            Stanza::Iq(r) if r.id() == id && !r.type_.is_request() => Some(r.clone()),
            _ => None,
        })
    }

    /// Like [`iq`](Self::iq), but the answer must be a result; returns its
    /// payload read as `P`, if it has one.
    pub(super) fn iq_result<P: Payload>(&mut self, iq: Iq) -> Result<Option<P>> {
        let answer = self.iq(iq)?;
        self.payload(&answer)
    }

    /// The payload of the result `answer`, read as `P`.
    pub(super) fn payload<P: Payload>(&self, answer: &Iq) -> Result<Option<P>> {
        if answer.type_ != IqType::Result {
            return Err(self.fail(format!("expected an iq result, got {answer:?}")));
        }
        answer
            .payload()
            .map(P::from_element)
            .transpose()
            .map_err(|e| self.fail(format!("bad <{}/> payload: {e}", P::NAME)))
    }

    /// Closes the stream (RFC 6120 §4.4): Prosody's close answers ours,
    /// then the connection ends.
    pub(super) fn close(&mut self) -> Result {
        if let Err(e) = self.client().close() {
            return Err(self.fail(format!("close: {e}")));
        }
        self.closed()?;
        Ok(())
    }

    /// Waits for the end of the stream and of the connection; the
    /// machine's error, if it had one.
    pub(super) fn closed(&mut self) -> Result<Option<Error>> {
        self.wait_event(|e| matches!(e, ClientEvent::Closed { .. }).then_some(()))?;
        self.wait_eof()?;
        Ok(self.error().cloned())
    }

    /// Waits for a `<stream:error/>`, Prosody's close and the end of
    /// input; the condition.
    pub(super) fn stream_error(&mut self) -> Result<StreamCondition> {
        let error = self.wait_event(|e| match e {
            ClientEvent::StreamError(e) => Some(e.condition),
            _ => None,
        })?;
        self.closed()?;
        Ok(error)
    }
}

/// A JID we write ourselves.
pub(super) fn jid(conn: &Session, s: &str) -> Result<Jid> {
    Jid::new(s).map_err(|e| conn.fail(format!("xmpp-jid refuses {s}: {e}")))
}

/// The `<stream:features/>` of stream `n` of `conn`, typed.
pub(super) fn features(conn: &Session, n: usize) -> Result<StreamFeatures> {
    let e = conn
        .tap
        .features
        .get(n)
        .ok_or_else(|| conn.fail(format!("no stream features for stream {n}")))?;
    StreamFeatures::from_element(e).map_err(|e| conn.fail(format!("stream features: {e}")))
}

/// The login ended with `<failure><not-authorized/>`: the machine's error,
/// its close, then Prosody's.
pub(super) fn expect_refused(conn: &mut Session) -> Result {
    match conn.closed()? {
        Some(Error::AuthFailed {
            condition: SaslCondition::NotAuthorized,
            ..
        }) => Ok(()),
        other => Err(conn.fail(format!("wrong password: {other:?}"))),
    }
}

/// The login succeeded with `want` (for SCRAM: the server's signature
/// verified too); the channel-binding type used.
pub(super) fn authenticated(
    conn: &mut Session,
    want: Mechanism,
) -> Result<Option<ChannelBindingType>> {
    let (used, cb) = conn.wait_event(|e| match e {
        ClientEvent::Authenticated {
            mechanism,
            channel_binding,
        } => Some((*mechanism, *channel_binding)),
        _ => None,
    })?;
    if used != want {
        let (used, want) = (used.name(), want.name());
        return Err(conn.fail(format!("authenticated with {used}, not {want}")));
    }
    Ok(cb)
}

/// Checks that the first stream's features offer each of `want` and no
/// STARTTLS requirement; returns the offered mechanisms as text.
pub(super) fn mechanisms(conn: &Session, want: &[Mechanism]) -> Result<String> {
    let features = features(conn, 0)?;
    let offered = features.mechanisms.clone().unwrap_or_default();
    for m in want {
        if !offered.iter().any(|o| o == m.name()) {
            return Err(conn.fail(format!("{} not offered: {features:?}", m.name())));
        }
    }
    if features.tls_required() {
        return Err(conn.fail("STARTTLS required despite the configuration"));
    }
    Ok(offered.join(", "))
}

/// Resource binding (RFC 6120 §7): the bound JID, parsed by xmpp-jid,
/// must be the account's with the resource asked for.
pub(super) fn bind(conn: &mut Session, resource: &str) -> Result<FullJid> {
    let full = conn.bound()?;
    let features = features(conn, conn.tap.features.len().saturating_sub(1))?;
    if !features.bind {
        return Err(conn.fail(format!("no bind feature after SASL: {features:?}")));
    }
    let reparsed = FullJid::new(full.as_str())
        .map_err(|e| conn.fail(format!("bound JID {full} does not parse: {e}")))?;
    if reparsed != full || full.resourcepart() != resource {
        return Err(conn.fail(format!("bound {full}, asked for resource {resource}")));
    }
    Ok(full)
}

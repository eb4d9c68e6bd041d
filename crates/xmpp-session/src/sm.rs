//! XEP-0198 stream management, the part both sides share: the two
//! counters, the unacknowledged queue, ack requests, and the state a
//! resumption needs.
//!
//! Counting (XEP-0198 §4): each side counts the stanzas it sent, from zero
//! after sending `<enable/>` or `<enabled/>`, and the stanzas it received
//! and handled (`h`), from zero after receiving one of them; both wrap at
//! 2^32. An outbound stanza is kept until the peer's `h` covers it: the
//! queue's first stanza is number `acked + 1`. Only `<message/>`,
//! `<presence/>` and `<iq/>` count, never nonzas.

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;

use xmpp_stanza::{Element, Stanza};

use crate::config::SmConfig;
use crate::error::Error;
use crate::routed::Queued;
use crate::time::Instant;

/// The live stream-management state of one stream; `T` is what the queue
/// holds of a stanza sent (the server keeps a [`RoutedStanza`] with the
/// bytes it came in).
///
/// [`RoutedStanza`]: crate::RoutedStanza
#[derive(Debug, Clone)]
pub(crate) struct SmState<T = Stanza> {
    /// The SM-ID, when the stream is resumable.
    pub(crate) id: Option<String>,
    /// The agreed maximum resumption time, seconds.
    pub(crate) max: Option<u32>,
    /// Stanzas received and handled, mod 2^32.
    pub(crate) inbound: u32,
    /// The last `h` the peer acknowledged.
    pub(crate) acked: u32,
    /// Stanzas sent and not yet acknowledged, oldest first.
    pub(crate) queue: VecDeque<T>,
    /// Stanzas sent since the last `<r/>`.
    since_request: u32,
    /// When the oldest stanza not covered by an `<r/>` was sent.
    waiting_since: Option<Instant>,
    /// The weights of the stanzas in `queue` ([`Queued::weight`]).
    bytes: usize,
    /// When the oldest `<r/>` no `<a/>` has answered went out, as the
    /// first tick after it dated it ([`stamp`](Self::stamp)).
    request_out: Option<Instant>,
    /// An `<r/>` went out that no tick has dated yet.
    request_undated: bool,
    /// The send count when the oldest unanswered `<r/>` went out: an
    /// `<a/>` answers it once its `h` reaches this.
    request_covers: u32,
}

/// An `h` the peer claimed that covers stanzas never sent (XEP-0198 §4:
/// `handled-count-too-high`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TooHigh {
    /// The `h` the peer sent.
    pub(crate) h: u32,
    /// How many stanzas were sent (modulo 2^32).
    pub(crate) send_count: u32,
}

impl From<TooHigh> for Error {
    fn from(e: TooHigh) -> Self {
        Self::HandledCountTooHigh {
            h: e.h,
            send_count: e.send_count,
        }
    }
}

impl<T: Queued> SmState<T> {
    pub(crate) fn new() -> Self {
        Self {
            id: None,
            max: None,
            inbound: 0,
            acked: 0,
            queue: VecDeque::new(),
            since_request: 0,
            waiting_since: None,
            bytes: 0,
            request_out: None,
            request_undated: false,
            request_covers: 0,
        }
    }

    /// Whether the queue holds as many stanzas, or bytes, as `config`
    /// allows (XEP-0198 leaves the bound to the implementation).
    pub(crate) fn is_full(&self, config: &SmConfig) -> bool {
        self.queue.len() >= config.max_unacked || self.bytes >= config.max_unacked_bytes
    }

    /// When an unanswered `<r/>` ends the stream ([`SmConfig::ack_timeout`]);
    /// `now` (the machine's clock) while one waits to be dated, so that the
    /// driver ticks at once.
    pub(crate) fn ack_deadline(&self, config: &SmConfig, now: Instant) -> Option<Instant> {
        let timeout = config.ack_timeout?;
        if self.request_undated {
            return Some(now);
        }
        Some(self.request_out? + timeout)
    }

    /// The next instant something of XEP-0198 is due: an `<r/>` by time,
    /// or the end of an unanswered one's wait.
    pub(crate) fn next_deadline(&self, config: &SmConfig, now: Instant) -> Option<Instant> {
        crate::wire::earliest(
            self.request_deadline(config),
            self.ack_deadline(config, now),
        )
    }

    /// At a tick (`now`): whether an `<r/>` has gone unanswered past
    /// [`SmConfig::ack_timeout`], dating one sent since the last tick.
    pub(crate) fn ack_overdue(&mut self, config: &SmConfig, now: Instant) -> bool {
        self.stamp(now);
        self.ack_deadline(config, now).is_some_and(|t| t <= now)
    }

    /// Dates an `<r/>` sent since the last tick. A machine learns the time
    /// only from its ticks, and its clock may be a keepalive interval old
    /// when it sends: dating the request then would end the stream early.
    fn stamp(&mut self, now: Instant) {
        if core::mem::take(&mut self.request_undated) {
            self.request_out = Some(now);
        }
    }

    /// Takes every queued stanza, oldest first.
    pub(crate) fn take_queue(&mut self) -> VecDeque<T> {
        self.bytes = 0;
        core::mem::take(&mut self.queue)
    }

    /// Counts a received stanza as handled.
    pub(crate) fn received(&mut self) {
        self.inbound = self.inbound.wrapping_add(1);
    }

    /// Queues a sent stanza; says whether an `<r/>` is due by count.
    pub(crate) fn sent(&mut self, stanza: T, now: Instant, config: &SmConfig) -> bool {
        self.bytes = self.bytes.saturating_add(stanza.weight());
        self.queue.push_back(stanza);
        self.since_request = self.since_request.saturating_add(1);
        if self.waiting_since.is_none() {
            self.waiting_since = Some(now);
        }
        config.ack_every > 0 && self.since_request >= config.ack_every
    }

    /// Notes that an `<r/>` went out.
    pub(crate) fn requested(&mut self) {
        self.since_request = 0;
        self.waiting_since = None;
        if self.request_out.is_none() && !self.request_undated {
            self.request_covers = self.send_count();
        }
        if self.request_out.is_none() {
            self.request_undated = true;
        }
    }

    /// Stanzas sent in all, modulo 2^32.
    fn send_count(&self) -> u32 {
        self.acked
            .wrapping_add(u32::try_from(self.queue.len()).unwrap_or(u32::MAX))
    }

    /// When an `<r/>` is due by time.
    pub(crate) fn request_deadline(&self, config: &SmConfig) -> Option<Instant> {
        Some(self.waiting_since? + config.ack_after?)
    }

    /// Applies the peer's `h`: returns the stanzas it acknowledges, oldest
    /// first.
    pub(crate) fn ack(&mut self, h: u32) -> Result<Vec<Stanza>, TooHigh> {
        let too_high = || TooHigh {
            h,
            send_count: self.send_count(),
        };
        let n = usize::try_from(h.wrapping_sub(self.acked)).map_err(|_| too_high())?;
        if n > self.queue.len() {
            return Err(too_high());
        }
        // The oldest unanswered `<r/>` is answered once `h` covers what
        // had been sent when it went out. An `<a/>` short of that (a peer
        // repeating a stale `h`) is no answer, and the wait goes on.
        let needed = self.request_covers.wrapping_sub(self.acked);
        if usize::try_from(needed).is_ok_and(|needed| n >= needed) {
            self.request_out = None;
            self.request_undated = false;
        }
        self.acked = h;
        let acked: Vec<T> = self.queue.drain(..n).collect();
        let weight = acked
            .iter()
            .map(Queued::weight)
            .fold(0, usize::saturating_add);
        self.bytes = self.bytes.saturating_sub(weight);
        Ok(acked.into_iter().map(Queued::into_stanza).collect())
    }
}

/// What resuming a stream needs (XEP-0198 §5), taken from a machine whose
/// connection ended and given to the machine of the new connection: the
/// SM-ID, the bound JID, both counters and the stanzas the peer never
/// acknowledged (serialized, so that the state can be stored or moved to
/// another process; with the `serde` feature it is `Serialize` and
/// `Deserialize`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct ResumptionState {
    id: String,
    jid: String,
    inbound: u32,
    acked: u32,
    unacked: Vec<String>,
    max: Option<u32>,
}

impl ResumptionState {
    pub(crate) fn from_sm<T: Queued>(sm: &SmState<T>, id: String, jid: String) -> Self {
        Self {
            id,
            jid,
            inbound: sm.inbound,
            acked: sm.acked,
            unacked: sm
                .queue
                .iter()
                .map(|s| s.stanza().to_element().to_xml())
                .collect(),
            max: sm.max,
        }
    }

    /// The live state back, with the stanzas read again (any that no
    /// longer parse, which only a tampered state can hold, are dropped).
    pub(crate) fn to_sm<T: Queued>(&self) -> SmState<T> {
        let mut sm = SmState::new();
        sm.id = Some(self.id.clone());
        sm.max = self.max;
        sm.inbound = self.inbound;
        sm.acked = self.acked;
        for xml in &self.unacked {
            if let Some(s) = read_stanza(xml) {
                let s = T::reread(s, xml.len());
                sm.bytes = sm.bytes.saturating_add(s.weight());
                sm.queue.push_back(s);
            }
        }
        sm
    }

    /// The SM-ID (`previd` when resuming).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The full JID that was bound.
    pub fn jid(&self) -> &str {
        &self.jid
    }

    /// Stanzas this side handled (`h` to send when resuming).
    pub fn handled(&self) -> u32 {
        self.inbound
    }

    /// The maximum resumption time agreed, seconds.
    pub fn max_resumption(&self) -> Option<u32> {
        self.max
    }

    /// Adds a stanza the application handed over after the connection
    /// ended (a driver drains its command queue into the state): it goes
    /// out after the resent ones when the session resumes (XEP-0198 §5),
    /// or comes back from [`unacked_stanzas`](Self::unacked_stanzas) when
    /// it does not, so it is delivered or bounced, never lost.
    pub fn push_unsent(&mut self, stanza: &Stanza) {
        self.unacked.push(stanza.to_element().to_xml());
    }

    /// The stanzas the peer never acknowledged, oldest first: what a server
    /// bounces, stores or redelivers when the session is not resumed
    /// (XEP-0198 §5).
    pub fn unacked_stanzas(&self) -> Vec<Stanza> {
        self.unacked
            .iter()
            .filter_map(|xml| read_stanza(xml))
            .collect()
    }
}

/// A stanza of a resumption state's queue, read again.
fn read_stanza(xml: &str) -> Option<Stanza> {
    Stanza::from_element(Element::from_bytes(xml.as_bytes()).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use xmpp_jid::Jid;
    use xmpp_stanza::{Message, StanzaNs};

    fn msg(n: u32) -> Stanza {
        let to = Jid::new("a@b").unwrap_or_else(|_| unreachable!());
        Stanza::Message(Message::chat(StanzaNs::Client, to, &n.to_string()))
    }

    #[test]
    fn acks_wrap_at_2_pow_32() {
        let config = SmConfig::default();
        let mut sm = SmState::new();
        sm.acked = u32::MAX - 1;
        for n in 0..4 {
            sm.sent(msg(n), Instant::default(), &config);
        }
        // Numbers u32::MAX, 0, 1, 2.
        assert_eq!(sm.ack(u32::MAX).map(|v| v.len()), Ok(1));
        assert_eq!(sm.ack(1).map(|v| v.len()), Ok(2));
        assert_eq!(sm.ack(1).map(|v| v.len()), Ok(0));
        assert_eq!(
            sm.ack(3),
            Err(TooHigh {
                h: 3,
                send_count: 2
            })
        );
        // A stale (lower) h is as wrong as one too high.
        assert_eq!(
            sm.ack(0),
            Err(TooHigh {
                h: 0,
                send_count: 2
            })
        );
        assert_eq!(sm.ack(2).map(|v| v.len()), Ok(1));
        assert!(sm.queue.is_empty());
    }

    /// An `<a/>` answers the oldest open `<r/>` once its `h` covers what
    /// had been sent when the `<r/>` went out: stanzas sent after it do
    /// not make a correct answer look stale, and a stale `h` is no answer.
    #[test]
    fn an_answer_covers_what_was_sent_before_its_request() {
        let config = SmConfig::default();
        let t = |ms| Instant::from_millis(ms);
        let mut sm: SmState = SmState::new();
        // The idle probe: an <r/> with nothing queued, then one message.
        sm.requested();
        assert!(!sm.ack_overdue(&config, t(0)));
        sm.sent(msg(1), t(1), &config);
        assert_eq!(sm.ack(0).map(|v| v.len()), Ok(0));
        assert_eq!(sm.ack_deadline(&config, t(2)), None, "answered");
        // Now an <r/> covering that message: h=0 again is stale.
        sm.requested();
        assert!(!sm.ack_overdue(&config, t(10)));
        assert_eq!(sm.ack(0).map(|v| v.len()), Ok(0));
        assert!(sm.ack_deadline(&config, t(11)).is_some(), "still waiting");
        // A second <r/> meanwhile keeps the first one's coverage.
        sm.sent(msg(2), t(12), &config);
        sm.requested();
        assert_eq!(sm.ack(1).map(|v| v.len()), Ok(1));
        assert_eq!(sm.ack_deadline(&config, t(13)), None, "answered");
        // Past the timeout, a wait nobody answers ends the stream.
        sm.requested();
        assert!(!sm.ack_overdue(&config, t(20)));
        let timeout = config
            .ack_timeout
            .map(|d| d.as_millis() as u64)
            .unwrap_or(0);
        assert!(sm.ack_overdue(&config, t(20 + timeout)));
    }

    #[test]
    fn requests_by_count() {
        let config = SmConfig {
            ack_every: 2,
            ..SmConfig::default()
        };
        let mut sm = SmState::new();
        assert!(!sm.sent(msg(1), Instant::default(), &config));
        assert!(sm.sent(msg(2), Instant::default(), &config));
        sm.requested();
        assert!(!sm.sent(msg(3), Instant::default(), &config));
    }

    #[test]
    fn resumption_state_round_trips_its_stanzas() {
        let mut sm = SmState::new();
        sm.inbound = 7;
        sm.acked = 3;
        sm.sent(msg(4), Instant::default(), &SmConfig::default());
        let state = ResumptionState::from_sm(&sm, "id1".into(), "a@b/c".into());
        assert_eq!(state.unacked_stanzas(), [msg(4)]);
        let back: SmState = state.to_sm();
        assert_eq!((back.inbound, back.acked, back.queue.len()), (7, 3, 1));
    }
}

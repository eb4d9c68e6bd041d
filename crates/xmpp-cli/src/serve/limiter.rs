//! Failed authentications counted per account and per client address,
//! beyond the machine's three attempts per stream (RFC 6120 §6.4.5), so
//! that guessing a password over many connections is slow: after
//! [`Limits::account_failures`] or [`Limits::source_failures`] failures
//! within [`Limits::window`], the account or address is blocked for
//! [`Limits::block`].
//!
//! A blocked attempt is not refused outright: [`State`](super::state::State)
//! answers it with credentials that cannot succeed (the fake exchange, or
//! the account's real salt and iteration count with keys no password
//! gives), so it fails as a wrong password does, at the same step with
//! the same work and `not-authorized` (RFC 6120 §6.5.10). The client
//! learns neither that it is blocked nor whether the account exists.
//!
//! An attempt is in flight from its credentials request until the machine
//! reports it succeeded (`Authenticated`) or failed (`AuthFailed`); the
//! next attempt, or the end of the connection, settles one that was never
//! reported as failed.
//! For an account, attempts in flight count against the limit as failures
//! would (a guess whose connection stays open is still a guess), and a
//! success takes its own back: so at most the limit of guesses at one
//! password are ever unsettled. For an address only settled failures
//! count, since many users share one behind a NAT and all of them log in
//! at once after an outage; and a loopback address is not counted at all
//! (fail2ban's default too): it is a proxy's (a WebSocket front end, say)
//! or the operator's, and blocking it would lock out every user behind
//! it.
//!
//! Memory is bounded: accounts are counted only when they exist (so by the
//! account list), addresses (IPv6 by /64, which one host usually holds
//! whole) at most [`Limits::max_sources`], pending attempts at most
//! [`Limits::max_pending`]; stale entries go first, then the oldest.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

/// The limiter's policy.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Failures per account within `window` that block it.
    pub(crate) account_failures: u32,
    /// Failures per address within `window` that block it.
    pub(crate) source_failures: u32,
    /// How long failures are remembered, counted from the first.
    pub(crate) window: Duration,
    /// How long a block lasts.
    pub(crate) block: Duration,
    /// Addresses tracked at most.
    pub(crate) max_sources: usize,
    /// Attempts in flight tracked at most.
    pub(crate) max_pending: usize,
}

impl Default for Limits {
    /// 10 failures per address, 20 per account, in 10 minutes block for
    /// 10 minutes: about 2 password guesses a minute per account, where
    /// the review measured 3,700 a second per core without it. Prosody's
    /// and ejabberd's fail2ban-style modules default to the same order.
    fn default() -> Self {
        Self {
            account_failures: 20,
            source_failures: 10,
            window: Duration::from_secs(600),
            block: Duration::from_secs(600),
            max_sources: 16_384,
            max_pending: 65_536,
        }
    }
}

/// Failures of one account or address.
#[derive(Debug, Clone, Copy)]
struct Record {
    failures: u32,
    /// Attempts begun and not yet settled.
    in_flight: u32,
    /// The first failure of the current window.
    since: Instant,
    blocked_until: Option<Instant>,
}

impl Record {
    fn blocked(&self, now: Instant) -> bool {
        self.blocked_until.is_some_and(|t| now < t)
    }

    /// Whether another attempt may begin: not blocked, and its failures
    /// of the window (with the attempts in flight when `in_flight`
    /// counts) below `max`.
    fn allows(&mut self, now: Instant, window: Duration, max: u32, in_flight: bool) -> bool {
        self.expire(now, window);
        let unsettled = if in_flight { self.in_flight } else { 0 };
        !self.blocked(now) && self.failures.saturating_add(unsettled) < max
    }

    /// Neither blocked, nor in flight, nor holding failures of the current
    /// window.
    fn stale(&self, now: Instant, window: Duration) -> bool {
        self.in_flight == 0
            && !self.blocked(now)
            && now.saturating_duration_since(self.since) >= window
    }

    /// Forgets the failures of a window that is over.
    fn expire(&mut self, now: Instant, window: Duration) {
        if !self.blocked(now) && now.saturating_duration_since(self.since) >= window {
            self.failures = 0;
            self.since = now;
            self.blocked_until = None;
        }
    }

    fn fail(&mut self, now: Instant, limits: &Limits, max: u32) {
        self.in_flight = self.in_flight.saturating_sub(1);
        self.expire(now, limits.window);
        self.failures = self.failures.saturating_add(1);
        if self.failures >= max {
            self.blocked_until = Some(now + limits.block);
            self.failures = 0;
            self.since = now;
        }
    }

    fn new(now: Instant) -> Self {
        Self {
            failures: 0,
            in_flight: 0,
            since: now,
            blocked_until: None,
        }
    }
}

/// An attempt between its credentials request and its outcome.
#[derive(Debug)]
struct Pending {
    /// `None` for a loopback address, which is not counted.
    source: Option<IpAddr>,
    /// The account, when it exists and a password is tried.
    account: Option<String>,
    started: Instant,
}

/// The client address as counted: IPv4 (IPv4-mapped IPv6 included) by
/// address, IPv6 by its /64; `None` for a loopback address, which is not
/// counted.
fn source(peer: SocketAddr) -> Option<IpAddr> {
    let ip = match peer.ip() {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None if v6.is_loopback() => return None,
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 @ IpAddr::V4(_) => v4,
    };
    (!ip.is_loopback()).then_some(ip)
}

/// Per-account and per-address failure counts and blocks.
#[derive(Debug, Default)]
pub(crate) struct Limiter {
    limits: Limits,
    accounts: HashMap<String, Record>,
    sources: HashMap<IpAddr, Record>,
    /// By connection (the client's address and port).
    pending: HashMap<SocketAddr, Pending>,
}

impl Limiter {
    /// A limiter with `limits`.
    pub(crate) fn new(limits: Limits) -> Self {
        Self {
            limits,
            ..Self::default()
        }
    }

    /// An attempt starts on the connection from `peer`: for `account`
    /// when it exists and a password is tried (a FAST token, 256 random
    /// bits, is not guessed, so its owner's devices still get in while
    /// someone guesses the password). A pending attempt on that
    /// connection failed. Whether this one may succeed: `false` when the
    /// address or the account is blocked.
    pub(crate) fn begin(&mut self, peer: SocketAddr, account: Option<&str>, now: Instant) -> bool {
        self.ended(peer, now);
        let ip = source(peer);
        let limits = self.limits;
        let window = limits.window;
        let mut allowed = true;
        if let Some(ip) = ip {
            if !self.sources.contains_key(&ip) && self.sources.len() >= limits.max_sources {
                self.evict_sources(now);
            }
            allowed = self
                .sources
                .entry(ip)
                .or_insert_with(|| Record::new(now))
                .allows(now, window, limits.source_failures, false);
        }
        if let Some(a) = account {
            allowed &= self
                .accounts
                .get_mut(a)
                .is_none_or(|r| r.allows(now, window, limits.account_failures, true));
        }
        if !allowed {
            // Nothing to count: this attempt cannot succeed.
            return false;
        }
        if self.pending.len() >= limits.max_pending {
            self.evict_pending(now);
        }
        if let Some(r) = ip.and_then(|ip| self.sources.get_mut(&ip)) {
            r.in_flight = r.in_flight.saturating_add(1);
        }
        if let Some(a) = account {
            let r = self
                .accounts
                .entry(a.to_owned())
                .or_insert_with(|| Record::new(now));
            r.in_flight = r.in_flight.saturating_add(1);
        }
        self.pending.insert(
            peer,
            Pending {
                source: ip,
                account: account.map(str::to_owned),
                started: now,
            },
        );
        true
    }

    /// The attempt on the connection from `peer` succeeded. A record left
    /// with nothing to count goes, so that logins that succeed leave
    /// nothing behind (a record per account that ever logged in would be
    /// part of every idle connection's memory).
    pub(crate) fn succeeded(&mut self, peer: SocketAddr) {
        let Some(p) = self.pending.remove(&peer) else {
            return;
        };
        let settle = |r: &mut Record| {
            r.in_flight = r.in_flight.saturating_sub(1);
            r.in_flight == 0 && r.failures == 0 && r.blocked_until.is_none()
        };
        if let Some(ip) = p.source {
            if self.sources.get_mut(&ip).is_some_and(settle) {
                self.sources.remove(&ip);
            }
        }
        if let Some(a) = p.account {
            if self.accounts.get_mut(&a).is_some_and(settle) {
                self.accounts.remove(&a);
            }
        }
    }

    /// The connection from `peer` moves on or ends: a pending attempt on
    /// it failed.
    pub(crate) fn ended(&mut self, peer: SocketAddr, now: Instant) {
        if let Some(p) = self.pending.remove(&peer) {
            self.failed(p, now);
        }
    }

    fn failed(&mut self, p: Pending, now: Instant) {
        let limits = self.limits;
        if let Some(ip) = p.source {
            self.sources
                .entry(ip)
                .or_insert_with(|| Record::new(now))
                .fail(now, &limits, limits.source_failures);
        }
        if let Some(account) = p.account {
            self.accounts
                .entry(account)
                .or_insert_with(|| Record::new(now))
                .fail(now, &limits, limits.account_failures);
        }
    }

    /// Makes room for an address: the stale ones go, and if none is, the
    /// one whose window started first.
    fn evict_sources(&mut self, now: Instant) {
        let window = self.limits.window;
        self.sources.retain(|_, r| !r.stale(now, window));
        self.accounts.retain(|_, r| !r.stale(now, window));
        if self.sources.len() >= self.limits.max_sources {
            let oldest = self
                .sources
                .iter()
                .min_by_key(|(_, r)| r.since)
                .map(|(ip, _)| *ip);
            if let Some(ip) = oldest {
                self.sources.remove(&ip);
            }
        }
    }

    /// Makes room for an attempt: the oldest pending one counts as
    /// failed (its connection never reported an outcome).
    fn evict_pending(&mut self, now: Instant) {
        let oldest = self
            .pending
            .iter()
            .min_by_key(|(_, p)| p.started)
            .map(|(peer, _)| *peer);
        if let Some(peer) = oldest {
            self.ended(peer, now);
        }
    }

    /// Entries held: addresses, accounts, pending attempts.
    #[cfg(test)]
    pub(crate) fn sizes(&self) -> (usize, usize, usize) {
        (self.sources.len(), self.accounts.len(), self.pending.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(ip: &str, port: u16) -> SocketAddr {
        SocketAddr::new(ip.parse().expect("ip"), port)
    }

    /// `n` failed attempts from `ip`, one connection each.
    fn fail(l: &mut Limiter, ip: &str, account: Option<&str>, n: u16, now: Instant) {
        for port in 0..n {
            assert!(l.begin(peer(ip, port), account, now));
            l.ended(peer(ip, port), now);
        }
    }

    #[test]
    fn an_account_is_blocked_for_a_while_from_every_address() {
        let mut l = Limiter::default();
        let t0 = Instant::now();
        // From many addresses, so that no address is blocked.
        for i in 0..20u8 {
            fail(&mut l, &format!("10.0.0.{i}"), Some("alice"), 1, t0);
        }
        let other = peer("192.0.2.1", 1);
        assert!(!l.begin(other, Some("alice"), t0), "blocked");
        // Another account, and a token for alice, are not.
        assert!(l.begin(other, Some("bob"), t0));
        l.succeeded(other);
        assert!(l.begin(other, None, t0));
        l.succeeded(other);
        let later = t0 + Duration::from_secs(600);
        assert!(l.begin(other, Some("alice"), later), "the block is over");
    }

    #[test]
    fn an_address_is_blocked_and_ipv6_counts_by_64() {
        let mut l = Limiter::default();
        let t0 = Instant::now();
        for i in 0..10 {
            fail(&mut l, &format!("2001:db8:1:2::{i:x}"), None, 1, t0);
        }
        assert!(!l.begin(peer("2001:db8:1:2:ffff::1", 9), Some("alice"), t0));
        assert!(l.begin(peer("2001:db8:1:3::1", 9), Some("alice"), t0));
        // Failures older than the window do not add up.
        fail(&mut l, "10.1.1.1", None, 9, t0);
        fail(&mut l, "10.1.1.1", None, 9, t0 + Duration::from_secs(600));
        assert!(l.begin(peer("10.1.1.1", 99), None, t0 + Duration::from_secs(601)));
    }

    #[test]
    fn attempts_in_flight_count_against_the_account_until_they_succeed() {
        let mut l = Limiter::default();
        let t0 = Instant::now();
        // Twenty logins of one account at once: a twenty-first waits for
        // them (a guess on a connection kept open is still a guess).
        for port in 0..20 {
            assert!(l.begin(peer("10.0.0.1", port), Some("alice"), t0));
        }
        assert!(!l.begin(peer("10.0.0.1", 20), Some("alice"), t0));
        // Other accounts from the same address (a NAT) are not held up.
        for port in 100..150 {
            assert!(l.begin(peer("10.0.0.1", port), Some("bob"), t0));
            l.succeeded(peer("10.0.0.1", port));
        }
        // They succeed: nothing is held against the account.
        for port in 0..20 {
            l.succeeded(peer("10.0.0.1", port));
        }
        for port in 10..30 {
            assert!(l.begin(peer("10.0.0.1", port), Some("alice"), t0));
            l.succeeded(peer("10.0.0.1", port));
        }
        assert_eq!(l.sizes(), (0, 0, 0), "nothing left to count");
        // A second attempt on the same connection settles the first as
        // failed.
        assert!(l.begin(peer("10.0.0.1", 50), Some("alice"), t0));
        assert!(l.begin(peer("10.0.0.1", 50), Some("alice"), t0));
        let r = l
            .sources
            .get(&source(peer("10.0.0.1", 50)).expect("counted"))
            .expect("record");
        assert_eq!((r.failures, r.in_flight), (1, 1));
    }

    #[test]
    fn loopback_is_not_counted() {
        let mut l = Limiter::default();
        let t0 = Instant::now();
        fail(&mut l, "127.0.0.1", None, 50, t0);
        fail(&mut l, "::1", None, 50, t0);
        assert!(l.begin(peer("127.0.0.1", 999), None, t0));
        assert_eq!(l.sizes().0, 0, "no address kept");
        // The account still is.
        fail(&mut l, "127.0.0.1", Some("alice"), 20, t0);
        assert!(!l.begin(peer("127.0.0.1", 998), Some("alice"), t0));
    }

    #[test]
    fn memory_is_bounded() {
        let mut l = Limiter::new(Limits {
            max_sources: 100,
            max_pending: 50,
            ..Limits::default()
        });
        let t0 = Instant::now();
        for i in 0..1_000u32 {
            let ip = std::net::Ipv4Addr::from(0x0a00_0000 + i).to_string();
            fail(&mut l, &ip, None, 1, t0);
        }
        assert!(l.sizes().0 <= 100, "{:?}", l.sizes());
        for port in 0..1_000 {
            l.begin(peer("10.9.9.9", port), None, t0);
        }
        assert!(l.sizes().2 <= 50, "{:?}", l.sizes());
    }
}

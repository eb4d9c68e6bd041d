//! [`Listener::with_max_connections`](crate::Listener::with_max_connections):
//! how many connections a listener holds, in all and per IP address.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The bounds and the live counts, shared by a listener and the drivers
/// of its connections.
#[derive(Debug, Clone)]
pub(crate) struct Gate(Arc<Shared>);

#[derive(Debug)]
struct Shared {
    total: Option<usize>,
    per_address: Option<usize>,
    state: Mutex<Counts>,
}

#[derive(Debug, Default)]
struct Counts {
    open: usize,
    /// Only addresses with a connection open: at most `open` entries.
    by_address: HashMap<IpAddr, usize>,
}

impl Gate {
    pub(crate) fn new(total: Option<usize>, per_address: Option<usize>) -> Self {
        Self(Arc::new(Shared {
            total,
            per_address,
            state: Mutex::new(Counts::default()),
        }))
    }

    /// The counts. Every update is one step, so a panic elsewhere while
    /// the lock was held leaves them consistent.
    fn lock(&self) -> MutexGuard<'_, Counts> {
        self.0.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A place for a connection from `address`, or `None` when a bound is
    /// reached.
    pub(crate) fn admit(&self, address: IpAddr) -> Option<Permit> {
        let mut counts = self.lock();
        if self.0.total.is_some_and(|max| counts.open >= max) {
            return None;
        }
        let from = counts.by_address.get(&address).copied().unwrap_or(0);
        if self.0.per_address.is_some_and(|max| from >= max) {
            return None;
        }
        counts.open += 1;
        counts.by_address.insert(address, from + 1);
        Some(Permit {
            gate: self.clone(),
            address,
        })
    }

    /// The connections open now.
    pub(crate) fn open(&self) -> usize {
        self.lock().open
    }
}

/// One connection's place; given back when dropped.
#[derive(Debug)]
pub(crate) struct Permit {
    gate: Gate,
    address: IpAddr,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut counts = self.gate.lock();
        counts.open = counts.open.saturating_sub(1);
        if let Some(n) = counts.by_address.get_mut(&self.address) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.by_address.remove(&self.address);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_hold_and_places_come_back() {
        let gate = Gate::new(Some(3), Some(2));
        let a: IpAddr = [127, 0, 0, 1].into();
        let b: IpAddr = [127, 0, 0, 2].into();
        let a1 = gate.admit(a).expect("first from a");
        let a2 = gate.admit(a).expect("second from a");
        assert!(gate.admit(a).is_none(), "a third from a");
        let b1 = gate.admit(b).expect("first from b");
        assert!(gate.admit(b).is_none(), "a fourth in all");
        assert_eq!(gate.open(), 3);
        drop(a1);
        assert_eq!(gate.open(), 2);
        let a3 = gate.admit(a).expect("a place came back");
        drop((a2, a3, b1));
        assert_eq!(gate.open(), 0);
        assert!(gate.lock().by_address.is_empty(), "no address kept");
    }

    #[test]
    fn no_bound_admits_all() {
        let gate = Gate::new(None, None);
        let a: IpAddr = [127, 0, 0, 1].into();
        let permits: Vec<_> = (0..100).filter_map(|_| gate.admit(a)).collect();
        assert_eq!(permits.len(), 100);
    }
}

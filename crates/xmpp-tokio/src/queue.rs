//! A bounded queue from many senders to one receiver: a session's commands
//! (the application to its driver) and its events (the driver to the
//! application).
//!
//! tokio's `mpsc` channel does the same, but it allocates its slots 32 at a
//! time from the start and pads its counters to cache lines: measured with
//! massif, about 1.5 KB per channel, two channels per connection, held by
//! every idle connection for its whole life. This queue is a deque behind a
//! mutex, about 150 bytes, and holds no slots while it is empty and shrunk
//! ([`Receiver::shrink`], [`Sender::shrink`]).
//!
//! Wake-ups: the receiver, and a sender waiting in [`Sender::room`], leave
//! their waker in the state under the lock, where the next change finds
//! it; their futures are a pointer wide, which keeps the driver's task
//! small. Senders waiting in `send` (there may be many) wait on a
//! [`Notify`], registered before they look at the state, so a change made
//! between the look and the wait still wakes them; `notify_one` keeps a
//! permit when nobody waits, and tokio passes a `notify_one` on to the
//! next waiter when the woken future is dropped (a cancelled `send`), so
//! no wake-up is lost.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Poll, Waker};

use tokio::sync::Notify;

/// A queue holding at most `capacity` items.
pub(crate) fn channel<T>(capacity: usize) -> (Sender<T>, Receiver<T>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            items: VecDeque::new(),
            capacity,
            senders: 1,
            open: true,
            receiver: None,
            roomer: None,
        }),
        room: Notify::new(),
    });
    (Sender(Arc::clone(&shared)), Receiver(shared))
}

struct Shared<T> {
    state: Mutex<State<T>>,
    /// Wakes senders in `send`: an item was taken, or the receiver closed.
    room: Notify,
}

struct State<T> {
    items: VecDeque<T>,
    capacity: usize,
    /// Live [`Sender`]s; the receiver sees the end when none is left.
    senders: usize,
    /// Whether the receiver takes more (not closed, not dropped).
    open: bool,
    /// The receiver's waker while it waits: an item came, or the last
    /// sender went.
    receiver: Option<Waker>,
    /// The waker of a sender waiting in [`Sender::room`].
    roomer: Option<Waker>,
}

/// Keeps `waker` in `slot` (unless the one there would wake the same
/// task).
fn park(slot: &mut Option<Waker>, waker: &Waker) {
    if !slot.as_ref().is_some_and(|w| w.will_wake(waker)) {
        *slot = Some(waker.clone());
    }
}

impl<T> Shared<T> {
    /// The state. A panic while it was held (there is no code that can
    /// panic there) would leave it consistent: every update is one step.
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes the front item, and the wakers of those waiting for room
    /// (woken by the caller, outside the lock).
    fn pop(&self) -> (Option<T>, Option<Waker>) {
        let mut state = self.lock();
        let value = state.items.pop_front();
        let roomer = if value.is_some() {
            state.roomer.take()
        } else {
            None
        };
        drop(state);
        if value.is_some() {
            self.room.notify_one();
        }
        (value, roomer)
    }

    /// Gives back the deque's memory when it is empty.
    fn shrink(&self) {
        let mut state = self.lock();
        if state.items.is_empty() {
            state.items = VecDeque::new();
        }
    }
}

/// Why [`Sender::try_send`] gave the value back.
#[derive(Debug)]
pub(crate) enum TrySendError<T> {
    /// The queue holds `capacity` items.
    Full(T),
    /// The receiver closed or is gone.
    Closed(T),
}

/// The sending half; cheap to clone.
pub(crate) struct Sender<T>(Arc<Shared<T>>);

impl<T> Sender<T> {
    /// Queues `value` now, or gives it back.
    pub(crate) fn try_send(&self, value: T) -> Result<(), TrySendError<T>> {
        self.push(value, true)
    }

    /// Queues `value` even when the queue is full (for a rare command that
    /// must not wait behind a full queue, such as closing the session);
    /// gives it back only when the receiver closed.
    pub(crate) fn push_always(&self, value: T) -> Result<(), T> {
        self.push(value, false).map_err(|e| match e {
            TrySendError::Full(v) | TrySendError::Closed(v) => v,
        })
    }

    /// Queues `value` unless the receiver closed (or, when `bounded`, the
    /// queue is full), and wakes the receiver outside the lock.
    fn push(&self, value: T, bounded: bool) -> Result<(), TrySendError<T>> {
        let mut state = self.0.lock();
        if !state.open {
            return Err(TrySendError::Closed(value));
        }
        if bounded && state.items.len() >= state.capacity {
            return Err(TrySendError::Full(value));
        }
        state.items.push_back(value);
        let receiver = state.receiver.take();
        drop(state);
        if let Some(w) = receiver {
            w.wake();
        }
        Ok(())
    }

    /// Queues `value`, waiting while the queue is full; gives it back when
    /// the receiver closed.
    pub(crate) async fn send(&self, value: T) -> Result<(), T> {
        self.send_until(value, None).await
    }

    /// Queues `value`, waiting up to `wait` while the queue is full; gives
    /// it back when the receiver closed or the wait ran out.
    pub(crate) async fn send_timeout(&self, value: T, wait: std::time::Duration) -> Result<(), T> {
        self.send_until(value, Some(tokio::time::Instant::now() + wait))
            .await
    }

    async fn send_until(
        &self,
        mut value: T,
        deadline: Option<tokio::time::Instant>,
    ) -> Result<(), T> {
        loop {
            let room = self.0.room.notified();
            tokio::pin!(room);
            room.as_mut().enable();
            match self.try_send(value) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Closed(v)) => return Err(v),
                Err(TrySendError::Full(v)) => value = v,
            }
            match deadline {
                Some(t) => {
                    if tokio::time::timeout_at(t, room).await.is_err() {
                        return Err(value);
                    }
                }
                None => room.await,
            }
        }
    }

    /// Waits until the queue has room (or the receiver closed). Holds
    /// nothing but its waker while it waits, so it may be cancelled at any
    /// point; meant for a queue with one sender (a driver's events), for
    /// which the room is still there when it returns.
    pub(crate) async fn room(&self) {
        core::future::poll_fn(|cx| {
            let mut state = self.0.lock();
            if !state.open || state.items.len() < state.capacity {
                return Poll::Ready(());
            }
            park(&mut state.roomer, cx.waker());
            Poll::Pending
        })
        .await;
    }

    /// Whether the receiver closed or is gone.
    pub(crate) fn is_closed(&self) -> bool {
        !self.0.lock().open
    }

    /// Gives back the queue's memory when it is empty.
    pub(crate) fn shrink(&self) {
        self.0.shrink();
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        self.0.lock().senders += 1;
        Self(Arc::clone(&self.0))
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let receiver = {
            let mut state = self.0.lock();
            state.senders = state.senders.saturating_sub(1);
            if state.senders == 0 {
                state.receiver.take()
            } else {
                None
            }
        };
        if let Some(w) = receiver {
            w.wake();
        }
    }
}

impl<T> core::fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Sender")
    }
}

/// The receiving half.
pub(crate) struct Receiver<T>(Arc<Shared<T>>);

impl<T> Receiver<T> {
    /// The next item; `None` once every sender is gone and the queue is
    /// empty. Cancel-safe: an item is taken only when it is returned.
    pub(crate) async fn recv(&mut self) -> Option<T> {
        core::future::poll_fn(|cx| {
            let mut state = self.0.lock();
            if state.items.is_empty() {
                if state.senders == 0 {
                    return Poll::Ready(None);
                }
                park(&mut state.receiver, cx.waker());
                return Poll::Pending;
            }
            drop(state);
            Poll::Ready(self.try_recv())
        })
        .await
    }

    /// The next item, if one is queued.
    pub(crate) fn try_recv(&mut self) -> Option<T> {
        let (value, roomer) = self.0.pop();
        if let Some(w) = roomer {
            w.wake();
        }
        value
    }

    /// Takes no more items: senders get theirs back from now on. Those
    /// already queued can still be taken.
    pub(crate) fn close(&mut self) {
        let roomer = {
            let mut state = self.0.lock();
            state.open = false;
            state.roomer.take()
        };
        self.0.room.notify_waiters();
        if let Some(w) = roomer {
            w.wake();
        }
    }

    /// Gives back the queue's memory when it is empty.
    pub(crate) fn shrink(&self) {
        self.0.shrink();
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let (items, roomer) = {
            let mut state = self.0.lock();
            state.open = false;
            (core::mem::take(&mut state.items), state.roomer.take())
        };
        self.0.room.notify_waiters();
        if let Some(w) = roomer {
            w.wake();
        }
        // Dropped outside the lock: an item's drop may do anything.
        drop(items);
    }
}

impl<T> core::fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Receiver")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn items_arrive_in_order_and_the_end_is_seen() {
        let (tx, mut rx) = channel(4);
        let tx2 = tx.clone();
        tx.send(1).await.unwrap();
        tx2.try_send(2).unwrap();
        drop(tx);
        assert_eq!(rx.recv().await, Some(1));
        assert_eq!(rx.recv().await, Some(2));
        drop(tx2);
        assert_eq!(rx.recv().await, None);
    }

    #[tokio::test]
    async fn a_push_always_gets_past_a_full_queue() {
        let (tx, mut rx) = channel(1);
        tx.try_send(1).unwrap();
        assert!(matches!(tx.try_send(2), Err(TrySendError::Full(2))));
        tx.push_always(3).unwrap();
        assert_eq!(rx.recv().await, Some(1));
        assert_eq!(rx.recv().await, Some(3));
        rx.close();
        assert_eq!(tx.push_always(4), Err(4));
    }

    #[tokio::test]
    async fn a_full_queue_gives_the_value_back_or_waits_for_room() {
        let (tx, mut rx) = channel(1);
        tx.try_send(1).unwrap();
        assert!(matches!(tx.try_send(2), Err(TrySendError::Full(2))));
        assert_eq!(
            tx.send_timeout(3, Duration::from_millis(20)).await,
            Err(3),
            "no room within the wait"
        );
        let waiting = tokio::spawn({
            let tx = tx.clone();
            async move { tx.send(4).await }
        });
        tokio::task::yield_now().await;
        assert_eq!(rx.recv().await, Some(1));
        assert_eq!(waiting.await.unwrap(), Ok(()));
        assert_eq!(rx.recv().await, Some(4));
    }

    #[tokio::test]
    async fn a_closed_receiver_wakes_and_refuses_senders() {
        let (tx, mut rx) = channel(1);
        tx.try_send(1).unwrap();
        let waiting = tokio::spawn({
            let tx = tx.clone();
            async move { tx.send(2).await }
        });
        tokio::task::yield_now().await;
        rx.close();
        assert_eq!(waiting.await.unwrap(), Err(2));
        assert!(tx.is_closed());
        assert!(matches!(tx.try_send(3), Err(TrySendError::Closed(3))));
        // What was queued before the close is still there.
        assert_eq!(rx.try_recv(), Some(1));
        assert_eq!(rx.try_recv(), None);
        drop(rx);
        assert!(tx.is_closed());
    }

    #[tokio::test]
    async fn room_returns_once_an_item_is_taken() {
        let (tx, mut rx) = channel(1);
        tx.try_send(1).unwrap();
        let room = tokio::spawn({
            let tx = tx.clone();
            async move { tx.room().await }
        });
        tokio::task::yield_now().await;
        assert!(!room.is_finished());
        assert_eq!(rx.recv().await, Some(1));
        room.await.unwrap();
        tx.try_send(2).unwrap();
    }

    #[tokio::test]
    async fn a_cancelled_send_passes_its_wake_up_on() {
        let (tx, mut rx) = channel(1);
        tx.try_send(0).unwrap();
        let (a, b) = (tx.clone(), tx.clone());
        // Two senders wait; the first gives up; the room goes to the
        // second.
        let first = tokio::spawn(async move { a.send_timeout(1, Duration::from_millis(30)).await });
        let second = tokio::spawn(async move { b.send(2).await });
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(first.await.unwrap(), Err(1));
        assert_eq!(rx.recv().await, Some(0));
        assert_eq!(second.await.unwrap(), Ok(()));
        assert_eq!(rx.recv().await, Some(2));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_senders_deliver_everything_exactly_once() {
        let (tx, mut rx) = channel(8);
        let senders: Vec<_> = (0..4u32)
            .map(|s| {
                let tx = tx.clone();
                tokio::spawn(async move {
                    for i in 0..500u32 {
                        tx.send(s * 1000 + i).await.unwrap();
                    }
                })
            })
            .collect();
        drop(tx);
        let mut got = Vec::new();
        while let Some(v) = rx.recv().await {
            got.push(v);
        }
        for s in senders {
            s.await.unwrap();
        }
        got.sort_unstable();
        let want: Vec<u32> = (0..4u32)
            .flat_map(|s| (0..500).map(move |i| s * 1000 + i))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn an_empty_queue_shrinks_to_nothing() {
        let (tx, mut rx) = channel(64);
        for i in 0..64 {
            tx.try_send(i).unwrap();
        }
        while rx.try_recv().is_some() {}
        assert!(rx.0.lock().items.capacity() >= 64);
        tx.shrink();
        assert_eq!(rx.0.lock().items.capacity(), 0);
    }
}

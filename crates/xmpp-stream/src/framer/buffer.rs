//! The input buffer: what `feed` appends, what the scanner consumed, and
//! how a framer gives memory back.
//!
//! # Invariants
//!
//! `buf[..tok]` is consumed (dropped at the next compaction); `buf[tok..pos]`
//! is the scanned part of the token in progress (a whole top-level element,
//! the stream header, an end tag or an XML declaration); `buf[pos..]` has not
//! been looked at. Every position stored in a state, span or stack entry is
//! relative to `tok`, so compaction only moves `tok` and `pos`. The scanner
//! never goes back: each state carries what it needs to resume at `pos`, and
//! the only bytes looked at twice are the at most three bytes of a UTF-8
//! sequence that a chunk boundary cut.

use alloc::boxed::Box;
use alloc::vec::Vec;

use super::Framer;
use super::state::{AttrSpan, Decl, Open, St};
use crate::event::Namespaces;

/// Capacity of its input buffer that an idle framer keeps; it gives the
/// rest back. Keeping it rather than nothing spares a stream of small
/// feeds regrowing the buffer from 8 bytes for every stanza, and a framer
/// could already keep a buffer of this size while idle, so the idle heap
/// does not grow.
pub(super) const IDLE_CAPACITY: usize = 256;

/// Heap above which an idle framer also gives back its scratch stacks
/// (issue 4 asks for under 1 KiB between stanzas).
pub(super) const IDLE_BUDGET: usize = 640;

impl Framer {
    /// Appends received bytes. Nothing is parsed until
    /// [`next_event`](Self::next_event); call it until `Ok(None)` before
    /// feeding again, so that an oversized element is refused before more of
    /// it is buffered.
    #[inline]
    pub fn feed(&mut self, bytes: &[u8]) {
        // One byte at a time is a case this crate promises to keep fast: a
        // push, without a reservation nor a call to memcpy. A failed framer
        // buffers nothing more.
        match bytes {
            [b] if self.failed.is_none() => self.buf.push(*b),
            _ => self.feed_slice(bytes),
        }
    }

    pub(super) fn feed_slice(&mut self, bytes: &[u8]) {
        if self.failed.is_some() {
            return;
        }
        // A call to memcpy costs more than a few bytes copied in line.
        if bytes.len() <= 8 {
            self.buf.reserve(bytes.len());
            for &b in bytes {
                self.buf.push(b);
            }
        } else {
            self.buf.extend_from_slice(bytes);
        }
    }

    /// Takes every byte fed but not yet consumed by a reported event. An
    /// element (or other token) in progress goes with its bytes: the framer
    /// is left between top-level elements, as after the last event.
    pub fn take_unconsumed(&mut self) -> Vec<u8> {
        let rest = self
            .buf
            .get(self.tok..)
            .map(<[u8]>::to_vec)
            .unwrap_or_default();
        self.base += self.buf.len() as u64;
        self.buf = Vec::new();
        self.tok = 0;
        self.pos = 0;
        self.open.clear();
        self.decls.clear();
        self.attrs.clear();
        self.fast = 0;
        self.fast_end = 0;
        if self.failed.is_none() {
            self.st = self.level.between_elements();
        }
        rest
    }

    /// The bytes fed but not yet consumed by a reported event.
    pub fn unconsumed(&self) -> &[u8] {
        self.buf.get(self.tok..).unwrap_or_default()
    }

    /// The bytes of the stream consumed so far (the offset errors count in).
    pub fn consumed(&self) -> u64 {
        self.offset(self.tok)
    }

    /// Bytes of heap the framer holds right now: its buffers' capacities and
    /// the stream header's namespace declarations. Between stanzas this is
    /// well under 1 KiB.
    pub fn heap_size(&self) -> usize {
        use core::mem::size_of;
        let ctx = size_of::<Namespaces>()
            + self.ctx.default.as_ref().map_or(0, |d| d.len())
            + self.ctx.prefixes.capacity() * size_of::<(Box<str>, Box<str>)>()
            + self
                .ctx
                .prefixes
                .iter()
                .map(|(p, n)| p.len() + n.len())
                .sum::<usize>();
        self.buf.capacity()
            + self.attrs.capacity() * size_of::<AttrSpan>()
            + self.open.capacity() * size_of::<Open>()
            + self.decls.capacity() * size_of::<Decl>()
            + self
                .decls
                .iter()
                .map(|d| d.owned.as_ref().map_or(0, |o| o.len()))
                .sum::<usize>()
            + self.scratch.capacity() * size_of::<(u64, usize)>()
            + self.root.capacity()
            + ctx
    }

    pub(crate) fn offset(&self, i: usize) -> u64 {
        self.base + i as u64
    }

    /// Drops consumed bytes; an idle framer also gives back large buffers.
    /// Only the test of whether there is anything to do is in line.
    #[inline(always)]
    pub(super) fn compact(&mut self) {
        if self.tok > 0 || self.buf.is_empty() {
            self.compact_now();
        }
    }

    /// [`compact`](Self::compact) when there may be something to do.
    #[inline(never)]
    pub(super) fn compact_now(&mut self) {
        if self.tok > 0 {
            self.buf.drain(..self.tok);
            self.base += self.tok as u64;
            self.pos -= self.tok;
            self.tok = 0;
        }
        if self.buf.is_empty() && matches!(self.st, St::StreamLevel | St::Prolog | St::Closed) {
            if self.buf.capacity() > IDLE_CAPACITY {
                self.buf.shrink_to(IDLE_CAPACITY);
            }
            // The scratch stacks are kept while they are small, so that a
            // stream of small stanzas does not allocate them per stanza,
            // but an idle framer stays within its heap budget.
            if self.heap_size() > IDLE_BUDGET || self.scratch.capacity() > 0 {
                self.attrs = Vec::new();
                self.open = Vec::new();
                self.decls = Vec::new();
                self.scratch = Vec::new();
            }
        }
    }
}

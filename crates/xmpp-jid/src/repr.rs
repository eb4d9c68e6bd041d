//! The storage of a JID's enforced string: inline up to [`INLINE`] bytes,
//! which covers most full JIDs met in practice, on the heap beyond.
//!
//! Inline, a JID costs no allocation to parse, clone or drop. The inline
//! form is an [`ArrayString`], whose safe API keeps the bytes UTF-8 (its
//! own unsafe code is what lets `as_str` skip validation).

use alloc::string::String;
use arrayvec::ArrayString;
use core::ops::Deref;

/// The longest string kept inline: 48 bytes keep a [`crate::Jid`] at 64
/// bytes (one cache line) and hold the common full JIDs, such as
/// `carol.smith42@conference.example.net/Gajim.x4Tq` (47 bytes).
pub(crate) const INLINE: usize = 48;

/// An enforced JID string, inline or on the heap.
#[derive(Clone)]
pub(crate) enum Repr {
    /// At most [`INLINE`] bytes.
    Inline(ArrayString<INLINE>),
    /// Longer (or grown past [`INLINE`]); a `String` so that one handed
    /// over by the caller is kept, buffer and all.
    Heap(String),
}

impl Repr {
    /// A copy of `s`: allocates only past [`INLINE`] bytes.
    #[inline]
    pub(crate) fn new(s: &str) -> Self {
        match ArrayString::from(s) {
            Ok(a) => Self::Inline(a),
            Err(_) => Self::Heap(String::from(s)),
        }
    }

    /// An empty string with room for `n` bytes: allocates only past
    /// [`INLINE`] bytes.
    #[inline]
    pub(crate) fn with_capacity(n: usize) -> Self {
        if n <= INLINE {
            Self::Inline(ArrayString::new())
        } else {
            Self::Heap(String::with_capacity(n))
        }
    }

    /// `s` inline when it fits (dropping its buffer), or `s` itself.
    pub(crate) fn from_string(s: String) -> Self {
        match ArrayString::from(&s) {
            Ok(a) => Self::Inline(a),
            Err(_) => Self::Heap(s),
        }
    }

    /// The string.
    #[inline]
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Self::Inline(a) => a.as_str(),
            Self::Heap(s) => s.as_str(),
        }
    }

    /// The string, mutably (for in-place case mapping).
    #[inline]
    pub(crate) fn as_mut_str(&mut self) -> &mut str {
        match self {
            Self::Inline(a) => a.as_mut_str(),
            Self::Heap(s) => s.as_mut_str(),
        }
    }

    /// Appends `s`, moving to the heap (one allocation) if it no longer
    /// fits inline.
    pub(crate) fn push_str(&mut self, s: &str) {
        match self {
            Self::Inline(a) => {
                if a.try_push_str(s).is_err() {
                    let mut heap = String::with_capacity(a.len() + s.len());
                    heap.push_str(a);
                    heap.push_str(s);
                    *self = Self::Heap(heap);
                }
            }
            Self::Heap(h) => h.push_str(s),
        }
    }

    /// Appends `c`.
    pub(crate) fn push(&mut self, c: char) {
        self.push_str(c.encode_utf8(&mut [0; 4]));
    }

    /// Shortens the string to `len` bytes; does nothing unless `len` is
    /// shorter and at a character boundary.
    pub(crate) fn truncate(&mut self, len: usize) {
        if len >= self.len() || !self.is_char_boundary(len) {
            return;
        }
        match self {
            Self::Inline(a) => a.truncate(len),
            Self::Heap(s) => s.truncate(len),
        }
    }

    /// The string, owned: allocates when inline.
    pub(crate) fn into_string(self) -> String {
        match self {
            Self::Inline(a) => String::from(a.as_str()),
            Self::Heap(s) => s,
        }
    }
}

impl Deref for Repr {
    type Target = str;
    #[inline]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_up_to_the_capacity() {
        let at = "a".repeat(INLINE);
        assert!(matches!(Repr::new(&at), Repr::Inline(_)));
        let past = "a".repeat(INLINE + 1);
        assert!(matches!(Repr::new(&past), Repr::Heap(_)));
        assert!(matches!(Repr::with_capacity(INLINE), Repr::Inline(_)));
        assert!(matches!(Repr::from_string(at.clone()), Repr::Inline(_)));
        assert!(matches!(Repr::from_string(past.clone()), Repr::Heap(_)));
    }

    #[test]
    fn grows_onto_the_heap() {
        let mut r = Repr::new(&"a".repeat(INLINE - 1));
        r.push('\u{E9}');
        assert!(matches!(r, Repr::Heap(_)));
        assert_eq!(r.len(), INLINE + 1);
        assert!(r.ends_with('\u{E9}'));
        r.truncate(INLINE); // inside the é: ignored
        assert_eq!(r.len(), INLINE + 1);
        r.truncate(3);
        assert_eq!(r.as_str(), "aaa");
        r.as_mut_str().make_ascii_uppercase();
        assert_eq!(r.into_string(), "AAA");
    }
}

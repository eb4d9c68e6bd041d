//! Cheap shared strings for names and namespaces.
//!
//! Element names and namespace names repeat: every child of a stanza usually
//! shares its parent's namespace, and a few dozen names make up most of the
//! traffic. An [`Atom`] is either one of those well-known strings (no
//! allocation at all) or a reference-counted copy (one allocation, shared by
//! every element that inherits it).

use alloc::sync::Arc;
use core::fmt;
use core::hash::{Hash, Hasher};
use core::ops::Deref;

/// An immutable string that is cheap to clone and compares by content.
///
/// 16 bytes: a well-known string is held by a thin pointer to its static
/// `&str`, which leaves the shared variant's null pointer free to tell the
/// two apart (a `&'static str` itself would make the enum 24 bytes). Every
/// element holds two and every attribute two, so this is what an element
/// or attribute moved through the builder copies less of.
#[derive(Clone)]
pub(crate) enum Atom {
    /// A well-known string.
    Static(&'static &'static str),
    /// Anything else, shared.
    Shared(Arc<str>),
}

macro_rules! well_known {
    ($($s:literal,)*) => {
        /// The static copy of `s` when it is one of the namespaces and names
        /// of RFC 6120, RFC 6121 and the XEPs this crate knows (a `match` on
        /// strings compiles to a dispatch on length, then inline
        /// comparisons: measured cheaper than a hash table probed with
        /// `memcmp`).
        fn well_known(s: &str) -> Option<&'static &'static str> {
            match s {
                $($s => Some(&$s),)*
                _ => None,
            }
        }

        /// The strings [`well_known`] knows.
        #[cfg(test)]
        const WELL_KNOWN: &[&str] = &[$($s,)*];
    };
}

// The names of every stanza first: within one length, the match compares
// in this order, so the common names cost the fewest comparisons.
well_known! {
    "from",
    "to",
    "type",
    "id",
    "message",
    "body",
    "thread",
    "jid",
    "name",
    "item",
    "group",
    "subscription",
    "presence",
    "c",
    "hash",
    "node",
    "ver",
    "show",
    "status",
    "priority",
    "iq",
    "query",
    "feature",
    "var",
    "identity",
    "category",
    "active",
    "composing",
    "paused",
    "inactive",
    "gone",
    "lang",
    "",
    "jabber:client",
    "jabber:server",
    "jabber:component:accept",
    "jabber:component:connect",
    "http://etherx.jabber.org/streams",
    "urn:ietf:params:xml:ns:xmpp-stanzas",
    "urn:ietf:params:xml:ns:xmpp-streams",
    "urn:ietf:params:xml:ns:xmpp-tls",
    "urn:ietf:params:xml:ns:xmpp-sasl",
    "urn:ietf:params:xml:ns:xmpp-bind",
    "urn:ietf:params:xml:ns:xmpp-session",
    "http://www.w3.org/XML/1998/namespace",
    "jabber:iq:roster",
    "http://jabber.org/protocol/disco#info",
    "http://jabber.org/protocol/disco#items",
    "http://jabber.org/protocol/caps",
    "http://jabber.org/protocol/chatstates",
    "urn:xmpp:ping",
    "urn:xmpp:delay",
    "urn:xmpp:forward:0",
    "urn:xmpp:carbons:2",
    "urn:xmpp:sid:0",
    "urn:xmpp:receipts",
    "urn:xmpp:chat-markers:0",
    "urn:xmpp:sm:3",
    "urn:xmpp:csi:0",
    "urn:xmpp:sasl:2",
    "urn:xmpp:bind:0",
    "subject",
    "error",
    "text",
    "features",
    "x",
    "delay",
    "forwarded",
    "stanza-id",
    "origin-id",
    "request",
    "received",
    "markable",
    "displayed",
    "ping",
    "bind",
    "resource",
    "by",
    "stamp",
    "ext",
    "ask",
    "approved",
    "mechanism",
    "mechanisms",
    "auth",
    "challenge",
    "response",
    "success",
    "failure",
    "starttls",
    "proceed",
    "required",
}

impl Atom {
    /// The atom for `s`: static when `s` is well known, shared otherwise.
    /// Inline: out of line, its prologue and epilogue cost half as much
    /// as the lookup.
    #[inline(always)]
    pub(crate) fn new(s: &str) -> Self {
        match well_known(s) {
            Some(w) => Self::Static(w),
            None => Self::Shared(Arc::from(s)),
        }
    }

    /// The string.
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Self::Static(s) => s,
            Self::Shared(s) => s,
        }
    }
}

impl Default for Atom {
    fn default() -> Self {
        Self::Static(&"")
    }
}

impl Deref for Atom {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Atom {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Atom {}

impl Hash for Atom {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Debug for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl From<&str> for Atom {
    fn from(s: &str) -> Self {
        Self::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_atom_is_two_words() {
        assert_eq!(size_of::<Atom>(), 16);
    }

    #[test]
    fn well_known_strings_do_not_allocate_and_compare_by_content() {
        assert!(matches!(Atom::new("jabber:client"), Atom::Static(_)));
        assert!(matches!(Atom::new("urn:example:x"), Atom::Shared(_)));
        assert_eq!(Atom::new("body"), Atom::Shared(Arc::from("body")));
        assert_ne!(Atom::new("body"), Atom::new("Body"));
    }

    #[test]
    fn every_well_known_string_is_static_and_others_are_shared() {
        for &s in WELL_KNOWN {
            match Atom::new(s) {
                Atom::Static(w) => assert_eq!(*w, s),
                Atom::Shared(_) => panic!("{s:?} should be well known"),
            }
        }
        let others = [
            "Body",
            "bod",
            "bodyy",
            "jabber:clien",
            "jabber:clientx",
            "urn:xmpp:sm:2",
            "urn:example:x",
            "a",
            "xx",
            "http://jabber.org/protocol/disco#itemz",
            "é",
            "\u{0}",
        ];
        for s in others {
            assert!(!WELL_KNOWN.contains(&s));
            assert!(
                matches!(Atom::new(s), Atom::Shared(ref a) if **a == *s),
                "{s:?}"
            );
        }
        // Near misses: each well-known string with its second byte changed.
        for &s in WELL_KNOWN {
            let mut b = s.as_bytes().to_vec();
            if b.len() < 3 {
                continue;
            }
            b[1] = if b[1] == b'~' { b'!' } else { b'~' };
            let t = core::str::from_utf8(&b).unwrap();
            if !WELL_KNOWN.contains(&t) {
                assert!(matches!(Atom::new(t), Atom::Shared(_)), "{t:?}");
            }
        }
    }
}

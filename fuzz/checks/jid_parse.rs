//! JID parsing on arbitrary input (RFC 7622 and legacy RFC 6122): no panic;
//! a parsed JID re-parses to itself; its parts enforce to themselves and
//! rebuild it; XEP-0106 unescaping never fails and escaping round-trips,
//! also across enforcement.
//!
//! The fuzz target and the regression test of `cargo test -p xtask` (the
//! files of `testdata/fuzz-regressions/jid_parse/`) both run this.

use xmpp_jid::escape::{escape, unescape};
use xmpp_jid::{DomainPart, Jid, LegacyJid, LocalPart, ResourcePart};

/// Runs one input; panics when an invariant does not hold.
pub(crate) fn run(data: &[u8]) {
    let Ok(s) = core::str::from_utf8(data) else {
        return;
    };
    if let Ok(jid) = Jid::new(s) {
        let again = Jid::new(jid.as_str()).expect("an enforced JID must parse again");
        assert_eq!(again, jid, "{s:?} does not re-parse to itself");
        let local = jid
            .localpart()
            .map(|l| LocalPart::new(l).expect("localpart"));
        let domain = DomainPart::new(jid.domainpart()).expect("domainpart");
        let resource = jid
            .resourcepart()
            .map(|r| ResourcePart::new(r).expect("resourcepart"));
        assert_eq!(
            Jid::from_parts(local.as_ref(), &domain, resource.as_ref()),
            jid,
            "{s:?}: parts do not rebuild the JID"
        );
        assert_eq!(Jid::try_from(jid.as_str().to_owned()).as_ref(), Ok(&jid));
    }
    if let Ok(jid) = LegacyJid::new(s) {
        assert_eq!(
            LegacyJid::new(jid.as_str()).as_ref(),
            Ok(&jid),
            "legacy {s:?}"
        );
    }
    if let Ok(escaped) = escape(s) {
        assert_eq!(unescape(&escaped), s, "XEP-0106 round trip of {s:?}");
        // Unescaped after enforcement (XEP-0106 §5.1 rule 2), the name
        // escapes back to the same stored localpart.
        if let Ok(stored) = LocalPart::new(&escaped) {
            let shown = unescape(stored.as_str());
            assert_eq!(
                escape(&shown).as_deref(),
                Ok(stored.as_str()),
                "XEP-0106 across enforcement: {s:?} stored as {stored:?}"
            );
        }
    }
    let _ = unescape(s);
}

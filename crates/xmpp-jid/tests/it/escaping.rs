//! XEP-0106 vectors: escaping, and unescaping of both our escaped form and
//! the XEP's.

use xmpp_jid::Jid;
use xmpp_jid::escape::{escape, unescape};

use crate::{json, mapped, rows};

#[test]
fn xep0106_vectors() {
    let rows = rows("xep0106-escaping.tsv");
    assert!(rows.len() >= 20);
    for (line, f) in rows {
        let [source, plain, ours, theirs] = f.as_slice() else {
            panic!("xep0106-escaping.tsv:{line}: expected 4 columns");
        };
        let case = format!("xep0106-escaping.tsv:{line} ({source})");
        let (plain, ours, theirs) = (json(plain, &case), json(ours, &case), json(theirs, &case));
        let escaped = escape(&plain).unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(escaped, ours, "{case}: escape");
        assert_eq!(unescape(&ours), plain, "{case}: unescape ours");
        assert_eq!(unescape(&theirs), plain, "{case}: unescape the XEP's");
        // The escaped form is a valid localpart unless it holds other
        // characters PRECIS refuses (none of the vectors do).
        let jid = Jid::new(&format!("{ours}@example.com"))
            .unwrap_or_else(|e| panic!("{case}: escaped form is not a localpart: {e}"));
        // What a client shows (XEP-0106 §5.1 rule 2: unescaped after
        // enforcement) is the name as enforcement maps it.
        let stored = jid
            .localpart()
            .unwrap_or_else(|| panic!("{case}: no localpart"));
        assert_eq!(unescape(stored), mapped(&plain), "{case}: shown");
    }
}

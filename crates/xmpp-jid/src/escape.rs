//! JID escaping, XEP-0106: how a gateway or a client puts a user name that
//! holds characters forbidden in a localpart (space, `"`, `&`, `'`, `/`,
//! `:`, `<`, `>`, `@`) into one, and shows it back.
//!
//! Escaping (XEP-0106 §4.2) replaces each such character by `\` and two
//! lower-case hex digits, and a `\` by `\5c` only where it would otherwise
//! start one of the ten escape sequences (§5.1 rule 7 and §5.4, which leave
//! `foo\bar` and `\2plus\2is\4` untouched). Unescaping (§4.3) replaces
//! exactly the ten sequences and leaves everything else, including a
//! trailing `\`, as it is.
//!
//! The example table of XEP-0106 §6.1 escapes *every* backslash
//! (`c:\net` → `c\3a\5cnet`), which contradicts §5.4; we follow §5.4, and
//! both forms unescape to the same string.

use alloc::borrow::Cow;
use alloc::string::String;

use crate::error::{Error, Part};

/// The ten escapable characters and their sequences' hex digits.
const TABLE: [(char, &str); 10] = [
    (' ', "20"),
    ('"', "22"),
    ('&', "26"),
    ('\'', "27"),
    ('/', "2f"),
    (':', "3a"),
    ('<', "3c"),
    ('>', "3e"),
    ('@', "40"),
    ('\\', "5c"),
];

/// The character an escape's two hex digits stand for, if they are one of
/// the ten (lower case only: XEP-0106 §4.1, "case is significant").
fn unescaped(hex: &[u8]) -> Option<char> {
    TABLE
        .iter()
        .find(|(_, h)| h.as_bytes() == hex)
        .map(|&(c, _)| c)
}

/// Whether `rest` (what follows a `\`) starts with one of the ten sequences.
fn starts_escape(rest: &str) -> bool {
    rest.as_bytes().get(..2).and_then(unescaped).is_some()
}

/// Escapes a user-supplied name for use as a localpart (XEP-0106 §4.2).
///
/// Fails when the name starts or ends with a space, since `\20` must not be
/// the first or last sequence of an escaped localpart (XEP-0106 §5.1 rule 6),
/// or is empty. The result still has to be a valid localpart (PRECIS
/// enforcement may refuse other characters).
///
/// ```
/// use xmpp_jid::escape::{escape, unescape};
/// assert_eq!(escape("d'artagnan")?, "d\\27artagnan");
/// assert_eq!(escape("space cadet")?, "space\\20cadet");
/// assert_eq!(escape("c:\\5commas")?, "c\\3a\\5c5commas");
/// assert_eq!(unescape("treville\\40musketeers.lit"), "treville@musketeers.lit");
/// assert!(escape(" leading").is_err());
/// # Ok::<(), xmpp_jid::Error>(())
/// ```
pub fn escape(name: &str) -> Result<Cow<'_, str>, Error> {
    if name.is_empty() {
        return Err(Error::Empty(Part::Localpart));
    }
    if name.starts_with(' ') || name.ends_with(' ') {
        let offset = if name.starts_with(' ') {
            0
        } else {
            name.len() - 1
        };
        return Err(Error::LocalpartCharacter {
            code_point: ' ',
            offset,
        });
    }
    let needs = |(i, c): (usize, char)| match c {
        '\\' => starts_escape(name.get(i + 1..).unwrap_or("")),
        c => c != '\\' && TABLE.iter().any(|&(t, _)| t == c),
    };
    if !name.char_indices().any(needs) {
        return Ok(Cow::Borrowed(name));
    }
    let mut out = String::with_capacity(name.len() + 8);
    for (i, c) in name.char_indices() {
        if needs((i, c)) {
            out.push('\\');
            out.push_str(TABLE.iter().find(|&&(t, _)| t == c).map_or("", |&(_, h)| h));
        } else {
            out.push(c);
        }
    }
    Ok(Cow::Owned(out))
}

/// Unescapes a localpart for display (XEP-0106 §4.3): exactly the ten
/// sequences `\20` `\22` `\26` `\27` `\2f` `\3a` `\3c` `\3e` `\40` `\5c`
/// are replaced; anything else, including a lone or trailing `\`, is kept.
///
/// ```
/// use xmpp_jid::escape::unescape;
/// assert_eq!(unescape("call\\20me\\20\\22ishmael\\22"), "call me \"ishmael\"");
/// assert_eq!(unescape("\\2plus\\2is\\4"), "\\2plus\\2is\\4");
/// assert_eq!(unescape("trailing\\"), "trailing\\");
/// ```
pub fn unescape(localpart: &str) -> Cow<'_, str> {
    let bytes = localpart.as_bytes();
    let Some(first) = (0..bytes.len()).find(|&i| {
        bytes.get(i) == Some(&b'\\') && bytes.get(i + 1..i + 3).and_then(unescaped).is_some()
    }) else {
        return Cow::Borrowed(localpart);
    };
    let mut out = String::with_capacity(localpart.len());
    out.push_str(localpart.get(..first).unwrap_or(""));
    let mut rest = localpart.get(first..).unwrap_or("");
    while let Some(i) = rest.find('\\') {
        out.push_str(rest.get(..i).unwrap_or(""));
        let after = rest.get(i + 1..).unwrap_or("");
        match after.as_bytes().get(..2).and_then(unescaped) {
            Some(c) => {
                out.push(c);
                rest = after.get(2..).unwrap_or("");
            }
            None => {
                out.push('\\');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_of_every_table_character() {
        for (c, _) in TABLE {
            let name = alloc::format!("a{c}b");
            let escaped = escape(&name).unwrap();
            assert_eq!(unescape(&escaped), name, "{name:?} via {escaped:?}");
        }
    }

    #[test]
    fn backslash_only_before_a_sequence() {
        assert_eq!(escape("foo\\bar").unwrap(), "foo\\bar");
        assert_eq!(escape("\\2plus\\2is\\4").unwrap(), "\\2plus\\2is\\4");
        assert_eq!(escape("a\\20b").unwrap(), "a\\5c20b");
        assert_eq!(unescape("a\\5c20b"), "a\\20b");
        assert_eq!(escape("end\\").unwrap(), "end\\");
        assert_eq!(unescape("\\"), "\\");
        assert_eq!(unescape("\\5"), "\\5");
        assert_eq!(unescape("\\5C"), "\\5C");
        assert_eq!(unescape("é\\40é"), "é@é");
    }

    #[test]
    fn spaces_at_the_ends_are_refused() {
        assert!(escape(" a").is_err());
        assert!(escape("a ").is_err());
        assert!(escape("").is_err());
        assert_eq!(escape("a b").unwrap(), "a\\20b");
    }
}

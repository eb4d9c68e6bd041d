//! JID escaping, XEP-0106: how a gateway or a client puts a user name that
//! holds characters forbidden in a localpart (space, `"`, `&`, `'`, `/`,
//! `:`, `<`, `>`, `@`) into one, and shows it back.
//!
//! Escaping (XEP-0106 §4.2) replaces each such character by `\` and two
//! lower-case hex digits, and a `\` by `\5c` only where it would otherwise
//! start one of the ten escape sequences (§5.1 rule 7 and §5.4, which leave
//! `foo\bar` and `\2plus\2is\4` untouched). Unescaping (§4.3) replaces
//! exactly the ten sequences and leaves everything else, including a
//! trailing `\` and upper-case hex such as `\2F`, as it is.
//!
//! The example table of XEP-0106 §6.1 escapes *every* backslash
//! (`c:\net` → `c\3a\5cnet`), which contradicts §5.4; we follow §5.4, and
//! both forms unescape to the same string.
//!
//! # Escaping, enforcement and unescaping
//!
//! An escaped name is enforced like any localpart (UsernameCaseMapped,
//! RFC 7622 §3.3.2: width mapping, case mapping, NFC) before it is stored
//! or compared, and XEP-0106 §5.1 rule 2 unescapes only after that; §4.1
//! keeps the sequences lower-case precisely because preparation case-folds
//! them. So [`unescape`] stays exact (lower-case sequences only, §4.1 "case
//! is significant", §5.1 rule 3), and [`escape`] looks at a name as
//! enforcement will leave it:
//!
//! - a backslash that enforcement would turn into the start of a sequence
//!   is escaped: `a\2Fb` becomes `a\5c2Fb` (stored `a\5c2fb`, shown
//!   `a\2fb`), where it was left alone, stored as `a\2fb` and shown as
//!   `a/b`. The same holds for fullwidth hex digits (`\２Ｆ`).
//! - what escaping cannot express is refused ([`Error::EscapeUnstable`]):
//!   - a combining mark right after a character to be escaped, which NFC
//!     would compose with the sequence's last hex digit (`:` + U+0301
//!     would be stored as `\3á`) or with the character itself (`<` +
//!     U+0338 is `≮` to enforcement); a mark that composes with neither
//!     stays (`@` + U+0F75 is stored as `\40` + U+0F71 U+0F74);
//!   - a fullwidth `＼` (U+FF3C) before what would be a sequence: width
//!     mapping makes it a `\` that starts one, and escaped as `\5c` it
//!     would no longer unescape to `＼`;
//!   - a backslash before a sequence whose last digit NFC composes with a
//!     following mark: `\3a` + U+0307 is stored as `\3ȧ`, no sequence,
//!     so escaping the backslash would give the name another stored form
//!     than its precomposed twin, and keeping it would not unescape to the
//!     name before enforcement.
//!
//! Together: `unescape(escape(name)) == name`, and whenever `escape(name)`
//! succeeds and enforcement accepts the result, unescaping the enforced
//! localpart gives `name` with the enforcement mappings applied
//! (lower-case, narrow, NFC) and nothing else.

use alloc::borrow::Cow;
use alloc::string::String;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::canonical_combining_class;
use xmpp_precis::unicode::width_mapping;

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

/// What enforcement makes of `c`, as far as a backslash or a hex digit can
/// come of it: width mapping (RFC 8264 §5.2.1; fullwidth `＼`, `２`, `Ｆ`),
/// then case mapping (`F` to `f`). No other mapping of UsernameCaseMapped
/// produces one: no case or NFC mapping outside ASCII yields ASCII hex
/// digits or a backslash.
fn enforced(c: char) -> char {
    width_mapping(c).unwrap_or(c).to_ascii_lowercase()
}

/// Whether `c` starts with a combining mark once width-mapped and
/// decomposed: a mark itself (the halfwidth U+FF9E is a starter, its
/// mapping U+3099 is not), or a character such as U+0F75, a starter
/// whose canonical decomposition (U+0F71 U+0F74) is not. No case mapping
/// starts with a combining mark.
fn combines(c: char) -> bool {
    let mut first = None;
    unicode_normalization::char::decompose_canonical(width_mapping(c).unwrap_or(c), |d| {
        first.get_or_insert(d);
    });
    first.is_some_and(|d| canonical_combining_class(d) != 0)
}

/// Whether NFC composes `base` (a hex digit, or a character to escape)
/// with the combining marks that start `rest` (they are enforced first:
/// width-mapped): the first such mark and its byte offset in `rest` when
/// it does, so that escaping would not survive enforcement. A mark NFC
/// composes with neither (U+0F71 after `@` and `\40`) is no harm.
fn composes_with(base: char, rest: &str) -> Option<(char, usize)> {
    // NFC composes a hex digit only with the combining marks right after
    // it; the run is scanned once per sequence before it: linear.
    let mut marks = rest
        .char_indices()
        .take_while(|&(_, c)| combines(c))
        .map(|(i, c)| (i, width_mapping(c).unwrap_or(c)));
    let (offset, mark) = marks.next()?;
    let composed = core::iter::once(base)
        .chain(core::iter::once(mark))
        .chain(marks.map(|(_, c)| c))
        .nfc()
        .next();
    (composed != Some(base)).then_some((mark, offset))
}

/// What follows a backslash, once enforced.
enum After {
    /// No sequence: the backslash is kept.
    Nothing,
    /// One of the ten sequences: the backslash is escaped.
    Sequence,
    /// The digits of a sequence, but NFC composes the second with the
    /// combining mark that follows (here, with its byte offset in `rest`).
    Composed(char, usize),
}

/// What `rest` (what follows a backslash) starts with once enforced: two
/// characters that enforcement maps to one of the ten sequences' hex
/// digits make a sequence, unless NFC composes the second with combining
/// marks after it (`\3a` + U+0307 is stored as `\3ȧ`).
fn after_backslash(rest: &str) -> After {
    let mut chars = rest.char_indices();
    let (Some((_, first)), Some((_, second))) = (chars.next(), chars.next()) else {
        return After::Nothing;
    };
    let (first, second) = (enforced(first), enforced(second));
    let (Ok(a), Ok(b)) = (u8::try_from(first), u8::try_from(second)) else {
        return After::Nothing;
    };
    if unescaped(&[a, b]).is_none() {
        return After::Nothing;
    }
    let after = chars.next().map_or(rest.len(), |(i, _)| i);
    match composes_with(second, rest.get(after..).unwrap_or("")) {
        None => After::Sequence,
        Some((mark, offset)) => After::Composed(mark, after + offset),
    }
}

/// The hex digits `c` (at `offset`) is escaped with, given the `rest` of
/// the name after it, or `None` when it is kept as it is.
fn sequence_of(c: char, offset: usize, rest: &str) -> Result<Option<&'static str>, Error> {
    let after = offset + c.len_utf8();
    if enforced(c) == '\\' {
        return match after_backslash(rest) {
            After::Nothing => Ok(None),
            After::Sequence if c == '\\' => Ok(Some("5c")),
            After::Sequence => Err(Error::EscapeUnstable {
                code_point: c,
                offset,
            }),
            After::Composed(mark, at) => Err(Error::EscapeUnstable {
                code_point: mark,
                offset: after + at,
            }),
        };
    }
    Ok(TABLE.iter().find(|&&(t, _)| t == c).map(|&(_, h)| h))
}

/// Escapes a user-supplied name for use as a localpart (XEP-0106 §4.2).
///
/// Fails when the name starts or ends with a space, since `\20` must not be
/// the first or last sequence of an escaped localpart (XEP-0106 §5.1 rule 6),
/// when it is empty, and when enforcement would change an escape sequence
/// ([`Error::EscapeUnstable`]). The result still has to be a
/// valid localpart (PRECIS enforcement may refuse other characters); once
/// enforced, it unescapes to the name as enforcement maps it (see the
/// [module docs](self)).
///
/// ```
/// use xmpp_jid::escape::{escape, unescape};
/// assert_eq!(escape("d'artagnan")?, "d\\27artagnan");
/// assert_eq!(escape("space cadet")?, "space\\20cadet");
/// assert_eq!(escape("c:\\5commas")?, "c\\3a\\5c5commas");
/// assert_eq!(escape("a\\2Fb")?, "a\\5c2Fb");
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
    // Allocated at the first character that is escaped.
    let mut out: Option<String> = None;
    for (i, c) in name.char_indices() {
        let rest = name.get(i + c.len_utf8()..).unwrap_or("");
        let Some(hex) = sequence_of(c, i, rest)? else {
            if let Some(out) = out.as_mut() {
                out.push(c);
            }
            continue;
        };
        // Neither the sequence's last hex digit nor the character itself
        // may compose with what follows: `:` + U+0301 would be stored as
        // `\3á`, and `<` + U+0338 is `≮` to enforcement, which escaping
        // `<` would hide.
        let last = hex.chars().next_back().unwrap_or('0');
        if let Some((mark, at)) = composes_with(last, rest).or_else(|| composes_with(c, rest)) {
            return Err(Error::EscapeUnstable {
                code_point: mark,
                offset: i + c.len_utf8() + at,
            });
        }
        let out = out.get_or_insert_with(|| {
            let mut out = String::with_capacity(name.len() + 8);
            out.push_str(name.get(..i).unwrap_or(""));
            out
        });
        out.push('\\');
        out.push_str(hex);
    }
    Ok(out.map_or(Cow::Borrowed(name), Cow::Owned))
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

    /// What a server stores and a client shows: escape, enforce (RFC 7622
    /// §3.3.2), unescape (XEP-0106 §5.1 rule 2: only after enforcement).
    fn shown(name: &str) -> String {
        let escaped = escape(name).unwrap();
        let stored = crate::parts::enforce_localpart(&escaped).unwrap();
        unescape(&stored).into_owned()
    }

    #[test]
    fn a_sequence_that_enforcement_would_make_escapes_its_backslash() {
        // Upper-case hex: enforcement lower-cases `\2F` to `\2f`, which
        // would then show as `/`.
        assert_eq!(escape("a\\2Fb").unwrap(), "a\\5c2Fb");
        assert_eq!(shown("a\\2Fb"), "a\\2fb");
        assert_eq!(shown("a\\5Cb"), "a\\5cb");
        assert_eq!(shown("A\\3A"), "a\\3a");
        // Fullwidth digits: width mapping makes them ASCII.
        assert_eq!(
            escape("a\\\u{FF12}\u{FF26}b").unwrap(),
            "a\\5c\u{FF12}\u{FF26}b"
        );
        assert_eq!(shown("a\\\u{FF12}\u{FF26}b"), "a\\2fb");
        assert_eq!(shown("a\\\u{FF14}0"), "a\\40");
        // A fullwidth backslash would become the `\` of a sequence, and
        // escaped it would not unescape to itself: refused.
        assert_eq!(
            escape("a\u{FF3C}2f"),
            Err(Error::EscapeUnstable {
                code_point: '\u{FF3C}',
                offset: 1
            })
        );
        assert!(escape("a\u{FF3C}\u{FF12}\u{FF26}b").is_err());
        // A fullwidth backslash before no sequence is left to enforcement.
        assert_eq!(escape("a\u{FF3C}b").unwrap(), "a\u{FF3C}b");
        assert_eq!(shown("a\u{FF3C}b"), "a\\b");
    }

    #[test]
    fn a_combining_mark_after_an_escaped_character_is_refused() {
        // NFC would compose it with the sequence's last hex digit:
        // `:` + U+0301 would be stored as `\3á` and shown so.
        assert_eq!(
            escape("a:\u{301}"),
            Err(Error::EscapeUnstable {
                code_point: '\u{301}',
                offset: 2
            })
        );
        assert!(escape("</\u{307}").is_err());
        // Width mapping makes the halfwidth voiced mark a combining one,
        // but NFC composes nothing with `a`: the sequence stays.
        assert_eq!(escape(":\u{FF9E}").unwrap(), "\\3a\u{FF9E}");
        assert_eq!(shown(":\u{FF9E}"), ":\u{3099}");
        // U+0F75 is a starter whose decomposition is not (U+0F71 U+0F74),
        // and neither composes with `0`: the name is stored decomposed,
        // and that form escapes to what was stored (found by the
        // `jid_parse` fuzz target, which checks exactly that).
        assert_eq!(escape("@\u{F75}").unwrap(), "\\40\u{F75}");
        let stored = crate::parts::enforce_localpart("\\40\u{F75}").unwrap();
        assert_eq!(stored, "\\40\u{F71}\u{F74}");
        assert_eq!(escape(&unescape(&stored)).unwrap(), stored);
        // A mark after a digit it composes with is refused, and one after
        // an escaped character it composes with: enforcement reads `<` +
        // U+0338 as `≮`, which `\3c` would hide.
        assert!(escape("/\u{307}").is_err());
        assert_eq!(
            escape("<\u{338}"),
            Err(Error::EscapeUnstable {
                code_point: '\u{338}',
                offset: 1
            })
        );
        // After a character that is not escaped it is the user's business.
        assert_eq!(shown("a\u{301}b"), "\u{E1}b");
        assert_eq!(shown("\\3\u{301}"), "\\3\u{301}");
        // A sequence whose last digit NFC composes away: escaping the
        // backslash would store `\5c3ȧ` for the `\3ȧ` of the precomposed
        // name, keeping it would not survive unescaping before enforcement.
        assert_eq!(
            escape("\\3a\u{307}"),
            Err(Error::EscapeUnstable {
                code_point: '\u{307}',
                offset: 3
            })
        );
        assert_eq!(shown("\\3\u{227}"), "\\3\u{227}");
        // A mark that does not compose with the digit keeps the sequence.
        assert_eq!(escape("\\3a\u{316}").unwrap(), "\\5c3a\u{316}");
        assert!(escape("\\3a\u{316}\u{301}").is_err());
        assert!(escape("\\5c\u{327}").is_err());
    }

    #[test]
    fn spaces_at_the_ends_are_refused() {
        assert!(escape(" a").is_err());
        assert!(escape("a ").is_err());
        assert!(escape("").is_err());
        assert_eq!(escape("a b").unwrap(), "a\\20b");
    }
}

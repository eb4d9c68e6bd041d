//! The PRECIS string classes, RFC 8264 §4: which code points a string may
//! hold once a profile's mapping rules have run.

use crate::context::ContextChecker;
use crate::error::Error;
use crate::unicode::{DerivedProperty, Props};

/// A PRECIS string class (RFC 8264 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StringClass {
    /// IdentifierClass (RFC 8264 §4.2): letters and digits, no spaces or
    /// symbols; for usernames, localparts and other identifiers.
    Identifier,
    /// FreeformClass (RFC 8264 §4.3): also spaces, symbols, punctuation and
    /// compatibility characters; for passwords, nicknames, resourceparts.
    Freeform,
}

impl StringClass {
    /// Checks that every code point of `s` is valid in this class, running
    /// the RFC 5892 Appendix A rule of each CONTEXTJ and CONTEXTO code point
    /// (RFC 8264 §4.2.3, §4.3.3). This is the class's behavioural rule, the
    /// last step of RFC 8264 §7; it maps nothing.
    ///
    /// ```
    /// use xmpp_precis::StringClass;
    /// assert!(StringClass::Identifier.check("juliet").is_ok());
    /// assert!(StringClass::Identifier.check("juliet capulet").is_err());
    /// assert!(StringClass::Freeform.check("juliet capulet").is_ok());
    /// ```
    pub fn check(self, s: &str) -> Result<(), Error> {
        let freeform = self == Self::Freeform;
        let mut context: Option<ContextChecker<'_>> = None;
        for (offset, code_point) in s.char_indices() {
            if code_point.is_ascii() {
                // ASCII7 (RFC 8264 §9.11) is PVALID; U+0020 is a space
                // (FREE_PVAL); the rest are controls.
                let ok = matches!(code_point, '!'..='~') || (freeform && code_point == ' ');
                if !ok {
                    return Err(Error::Disallowed { code_point, offset });
                }
                continue;
            }
            match Props::of(code_point).precis() {
                DerivedProperty::Pvalid => {}
                DerivedProperty::FreePval if freeform => {}
                DerivedProperty::FreePval | DerivedProperty::Disallowed => {
                    return Err(Error::Disallowed { code_point, offset });
                }
                DerivedProperty::Unassigned => {
                    return Err(Error::Unassigned { code_point, offset });
                }
                DerivedProperty::ContextJ | DerivedProperty::ContextO => {
                    context
                        .get_or_insert_with(|| ContextChecker::new(s))
                        .check(code_point, offset)
                        .map_err(|rule| Error::Context {
                            rule,
                            code_point,
                            offset,
                        })?;
                }
            }
        }
        Ok(())
    }
}

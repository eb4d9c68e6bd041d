//! Per-code-point Unicode properties the PRECIS and IDNA2008 rules consult,
//! read from the generated tables in `tables.rs` (`cargo xtask codegen`).
//!
//! One packed record per distinct combination of properties, reached through a
//! two-stage table: `STAGE1[cp >> 7]` names a block of 128 entries in
//! `STAGE2`, whose entry names the record in `RECORDS`. A lookup is three
//! loads and no branch on the data.

use crate::tables;

/// The Unicode version of the generated tables (major, minor, update).
pub const UNICODE_VERSION: (u8, u8, u8) = tables::UNICODE_VERSION;

// Record layout; xtask/src/codegen.rs writes the same one.
const PRECIS_SHIFT: u32 = 0;
const IDNA_SHIFT: u32 = 3;
const BIDI_SHIFT: u32 = 6;
const JOINING_SHIFT: u32 = 11;
const SCRIPT_SHIFT: u32 = 14;
const VIRAMA_BIT: u32 = 1 << 16;
const SPACE_BIT: u32 = 1 << 17;
const LOWER_BIT: u32 = 1 << 18;
const WIDTH_BIT: u32 = 1 << 19;
const NFC_UNSAFE_BIT: u32 = 1 << 20;
const NFKC_UNSAFE_BIT: u32 = 1 << 21;

/// A derived property value of RFC 8264 §8 (PRECIS) or RFC 5892 §3
/// (IDNA2008).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DerivedProperty {
    /// Allowed in every string class (and in IDNA2008 labels).
    Pvalid,
    /// RFC 8264 §8 "ID_DIS or FREE_PVAL": disallowed in IdentifierClass,
    /// valid in FreeformClass. Never returned for IDNA2008.
    FreePval,
    /// Allowed where a join-control contextual rule (RFC 5892 Appendix A.1
    /// and A.2) holds.
    ContextJ,
    /// Allowed where another contextual rule (RFC 5892 Appendix A.3 to A.9)
    /// holds.
    ContextO,
    /// Never allowed.
    Disallowed,
    /// Not assigned in the Unicode version of the tables; never allowed.
    Unassigned,
}

impl DerivedProperty {
    fn from_bits(bits: u32) -> Self {
        match bits & 0b111 {
            0 => Self::Pvalid,
            1 => Self::FreePval,
            2 => Self::ContextJ,
            3 => Self::ContextO,
            5 => Self::Unassigned,
            _ => Self::Disallowed,
        }
    }

    /// The property's name as RFC 8264 and RFC 5892 spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pvalid => "PVALID",
            Self::FreePval => "FREE_PVAL",
            Self::ContextJ => "CONTEXTJ",
            Self::ContextO => "CONTEXTO",
            Self::Disallowed => "DISALLOWED",
            Self::Unassigned => "UNASSIGNED",
        }
    }
}

/// The Unicode Bidi_Class of a code point (UAX #9), as RFC 5893 uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs, reason = "the UAX #9 abbreviations name themselves")]
pub enum BidiClass {
    L,
    R,
    AL,
    EN,
    ES,
    ET,
    AN,
    CS,
    NSM,
    BN,
    B,
    S,
    WS,
    ON,
    LRE,
    LRO,
    RLE,
    RLO,
    PDF,
    LRI,
    RLI,
    FSI,
    PDI,
}

impl BidiClass {
    const ALL: [Self; 23] = [
        Self::L,
        Self::R,
        Self::AL,
        Self::EN,
        Self::ES,
        Self::ET,
        Self::AN,
        Self::CS,
        Self::NSM,
        Self::BN,
        Self::B,
        Self::S,
        Self::WS,
        Self::ON,
        Self::LRE,
        Self::LRO,
        Self::RLE,
        Self::RLO,
        Self::PDF,
        Self::LRI,
        Self::RLI,
        Self::FSI,
        Self::PDI,
    ];
}

/// Joining_Type (ArabicShaping.txt), for the ZWNJ rule of RFC 5892 A.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JoiningType {
    U,
    C,
    D,
    L,
    R,
    T,
}

/// The scripts the RFC 5892 Appendix A rules ask about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Script {
    Other,
    Greek,
    Hebrew,
    /// Hiragana, Katakana or Han (RFC 5892 A.7 treats them alike).
    HiraganaKatakanaHan,
}

/// The packed property record of one code point.
#[derive(Clone, Copy)]
pub(crate) struct Props(u32);

impl Props {
    #[inline]
    pub(crate) fn of(c: char) -> Self {
        let cp = c as u32;
        // Every index is in range by construction (the generator covers all
        // of 0..=0x10FFFF); `get` keeps the lookup panic-free regardless, and
        // the exhaustive test below checks that no lookup falls back.
        let block = tables::STAGE1
            .get((cp >> tables::BLOCK_SHIFT) as usize)
            .copied()
            .unwrap_or(0) as usize;
        let offset = (cp & ((1 << tables::BLOCK_SHIFT) - 1)) as usize;
        let record = tables::STAGE2
            .get((block << tables::BLOCK_SHIFT) | offset)
            .copied()
            .unwrap_or(0) as usize;
        Self(
            tables::RECORDS
                .get(record)
                .copied()
                .unwrap_or(DISALLOWED_RECORD),
        )
    }

    #[inline]
    pub(crate) fn precis(self) -> DerivedProperty {
        DerivedProperty::from_bits(self.0 >> PRECIS_SHIFT)
    }

    #[inline]
    pub(crate) fn idna(self) -> DerivedProperty {
        DerivedProperty::from_bits(self.0 >> IDNA_SHIFT)
    }

    #[inline]
    pub(crate) fn bidi(self) -> BidiClass {
        BidiClass::ALL
            .get(((self.0 >> BIDI_SHIFT) & 0b1_1111) as usize)
            .copied()
            .unwrap_or(BidiClass::ON)
    }

    #[inline]
    pub(crate) fn joining(self) -> JoiningType {
        match (self.0 >> JOINING_SHIFT) & 0b111 {
            1 => JoiningType::C,
            2 => JoiningType::D,
            3 => JoiningType::L,
            4 => JoiningType::R,
            5 => JoiningType::T,
            _ => JoiningType::U,
        }
    }

    #[inline]
    pub(crate) fn script(self) -> Script {
        match (self.0 >> SCRIPT_SHIFT) & 0b11 {
            1 => Script::Greek,
            2 => Script::Hebrew,
            3 => Script::HiraganaKatakanaHan,
            _ => Script::Other,
        }
    }

    #[inline]
    pub(crate) fn is_virama(self) -> bool {
        self.0 & VIRAMA_BIT != 0
    }

    /// General_Category Zs (the "Spaces" category of RFC 8264 §9.14).
    #[inline]
    pub(crate) fn is_space(self) -> bool {
        self.0 & SPACE_BIT != 0
    }

    #[inline]
    pub(crate) fn has_lowercase_mapping(self) -> bool {
        self.0 & LOWER_BIT != 0
    }

    #[inline]
    pub(crate) fn has_width_mapping(self) -> bool {
        self.0 & WIDTH_BIT != 0
    }

    /// Whether the code point may take part in a change under NFC (its
    /// NFC_QC is not Yes or its canonical combining class is not 0). A
    /// string without any such code point is in NFC.
    #[inline]
    pub(crate) fn nfc_unsafe(self) -> bool {
        self.0 & NFC_UNSAFE_BIT != 0
    }

    /// As [`Self::nfc_unsafe`], for NFKC.
    #[inline]
    pub(crate) fn nfkc_unsafe(self) -> bool {
        self.0 & NFKC_UNSAFE_BIT != 0
    }
}

/// A record that says DISALLOWED for both properties and nothing else, used
/// if a lookup ever fell outside the tables.
const DISALLOWED_RECORD: u32 = 4 << PRECIS_SHIFT | 4 << IDNA_SHIFT | 13 << BIDI_SHIFT;

/// The PRECIS derived property of a code point (RFC 8264 §8), at the Unicode
/// version of [`UNICODE_VERSION`].
///
/// ```
/// use xmpp_precis::unicode::{DerivedProperty, precis_property};
/// assert_eq!(precis_property('a'), DerivedProperty::Pvalid);
/// assert_eq!(precis_property('\u{212A}'), DerivedProperty::FreePval); // KELVIN SIGN
/// assert_eq!(precis_property('\u{200D}'), DerivedProperty::ContextJ);
/// assert_eq!(precis_property('\u{1100}'), DerivedProperty::Disallowed); // old Hangul jamo
/// ```
pub fn precis_property(c: char) -> DerivedProperty {
    Props::of(c).precis()
}

/// The IDNA2008 derived property of a code point (RFC 5892 §3), at the
/// Unicode version of [`UNICODE_VERSION`].
///
/// ```
/// use xmpp_precis::unicode::{DerivedProperty, idna2008_property};
/// assert_eq!(idna2008_property('ü'), DerivedProperty::Pvalid);
/// assert_eq!(idna2008_property('Ü'), DerivedProperty::Disallowed); // unstable under case folding
/// assert_eq!(idna2008_property('☃'), DerivedProperty::Disallowed);
/// ```
pub fn idna2008_property(c: char) -> DerivedProperty {
    Props::of(c).idna()
}

/// The Bidi_Class of a code point.
pub fn bidi_class(c: char) -> BidiClass {
    Props::of(c).bidi()
}

/// The width mapping of RFC 8264 §5.2.1 (the `<wide>` or `<narrow>`
/// decomposition) of `c`, or `None` when it has none. IDNA2008 domain labels
/// (RFC 5895 §2, RFC 7622 §3.2.2) use the same mapping.
///
/// ```
/// use xmpp_precis::unicode::width_mapping;
/// assert_eq!(width_mapping('\u{FF21}'), Some('A'));
/// assert_eq!(width_mapping('A'), None);
/// ```
pub fn width_mapping(c: char) -> Option<char> {
    if c.is_ascii() || !Props::of(c).has_width_mapping() {
        return None;
    }
    width(c)
}

/// The lower-case mapping of `c` (Unicode toLowerCase, without the
/// context-sensitive Final_Sigma rule, as the profiles apply it), or `None`
/// when `c` maps to itself.
///
/// ```
/// use xmpp_precis::unicode::lowercase_mapping;
/// assert_eq!(lowercase_mapping('\u{0130}'), Some("i\u{307}"));
/// assert_eq!(lowercase_mapping('\u{03A3}'), Some("\u{03C3}"));
/// assert_eq!(lowercase_mapping('a'), None);
/// ```
pub fn lowercase_mapping(c: char) -> Option<&'static str> {
    if c.is_ascii() {
        return match c {
            'A'..='Z' => ASCII_LOWER.get(c as usize - 'A' as usize..=c as usize - 'A' as usize),
            _ => None,
        };
    }
    if !Props::of(c).has_lowercase_mapping() {
        return None;
    }
    lowercase(c)
}

const ASCII_LOWER: &str = "abcdefghijklmnopqrstuvwxyz";

/// The full lowercase mapping of `c` (UnicodeData plus the unconditional
/// SpecialCasing entries; never the final-sigma rule), or `None` when `c`
/// maps to itself.
pub(crate) fn lowercase(c: char) -> Option<&'static str> {
    tables::LOWERCASE
        .binary_search_by_key(&c, |&(k, _)| k)
        .ok()
        .and_then(|i| tables::LOWERCASE.get(i))
        .map(|&(_, m)| m)
}

/// The `<wide>` or `<narrow>` decomposition of `c`, if it has one.
pub(crate) fn width(c: char) -> Option<char> {
    tables::WIDTH
        .binary_search_by_key(&c, |&(k, _)| k)
        .ok()
        .and_then(|i| tables::WIDTH.get(i))
        .map(|&(_, m)| m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_lookup_stays_inside_the_tables() {
        let blocks = tables::STAGE2.len() >> tables::BLOCK_SHIFT;
        assert_eq!(tables::STAGE1.len(), 0x110000 >> tables::BLOCK_SHIFT);
        assert!(tables::STAGE1.iter().all(|&b| (b as usize) < blocks));
        assert!(
            tables::STAGE2
                .iter()
                .all(|&r| (r as usize) < tables::RECORDS.len())
        );
    }

    #[test]
    fn layout_agrees_with_the_generator() {
        assert_eq!(precis_property('A'), DerivedProperty::Pvalid);
        assert_eq!(precis_property(' '), DerivedProperty::FreePval);
        assert_eq!(precis_property('\u{0}'), DerivedProperty::Disallowed);
        assert_eq!(precis_property('\u{0378}'), DerivedProperty::Unassigned);
        assert_eq!(precis_property('\u{00B7}'), DerivedProperty::ContextO);
        assert_eq!(precis_property('\u{FFFF}'), DerivedProperty::Disallowed);
        assert_eq!(idna2008_property('A'), DerivedProperty::Disallowed);
        assert_eq!(idna2008_property('-'), DerivedProperty::Pvalid);
        assert_eq!(idna2008_property('\u{200C}'), DerivedProperty::ContextJ);
        assert_eq!(bidi_class('a'), BidiClass::L);
        assert_eq!(bidi_class('\u{05D0}'), BidiClass::R);
        assert_eq!(bidi_class('\u{0627}'), BidiClass::AL);
        assert_eq!(bidi_class('\u{0660}'), BidiClass::AN);
        assert_eq!(bidi_class('1'), BidiClass::EN);
        assert_eq!(bidi_class('\u{0300}'), BidiClass::NSM);
        assert_eq!(bidi_class('\u{2069}'), BidiClass::PDI);
        assert_eq!(Props::of('\u{0628}').joining(), JoiningType::D);
        assert_eq!(Props::of('\u{0627}').joining(), JoiningType::R);
        assert_eq!(Props::of('\u{064B}').joining(), JoiningType::T);
        assert_eq!(Props::of('\u{A872}').joining(), JoiningType::L);
        assert_eq!(Props::of('a').joining(), JoiningType::U);
        assert_eq!(Props::of('\u{03B1}').script(), Script::Greek);
        assert_eq!(Props::of('\u{05D0}').script(), Script::Hebrew);
        assert_eq!(Props::of('\u{6F22}').script(), Script::HiraganaKatakanaHan);
        assert_eq!(Props::of('\u{30FB}').script(), Script::Other);
        assert!(Props::of('\u{094D}').is_virama());
        assert!(!Props::of('a').is_virama());
        assert!(Props::of('\u{3000}').is_space());
        assert!(!Props::of('\t').is_space());
        assert!(Props::of('\u{0130}').has_lowercase_mapping());
        assert!(Props::of('\u{FF21}').has_width_mapping());
        assert!(Props::of('\u{0301}').nfc_unsafe());
        assert!(Props::of('\u{212B}').nfc_unsafe());
        assert!(!Props::of('\u{00E9}').nfc_unsafe());
        assert!(!Props::of('\u{FB01}').nfc_unsafe());
        assert!(Props::of('\u{FB01}').nfkc_unsafe());
        assert!(Props::of('\u{1161}').nfc_unsafe()); // a jamo vowel composes
        assert_eq!(UNICODE_VERSION, (15, 0, 0));
    }

    #[test]
    fn mappings() {
        assert_eq!(lowercase('\u{0130}'), Some("i\u{307}"));
        assert_eq!(lowercase('\u{03A3}'), Some("\u{03C3}"));
        assert_eq!(lowercase('\u{212A}'), Some("k"));
        assert_eq!(lowercase('a'), None);
        assert_eq!(width('\u{FF21}'), Some('A'));
        assert_eq!(width('\u{FF76}'), Some('\u{30AB}'));
        assert_eq!(width('\u{3000}'), Some(' '));
        assert_eq!(width('a'), None);
    }
}

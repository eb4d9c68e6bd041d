//! `cargo xtask codegen [--check] [--ucd DIR]`: generates
//! `crates/xmpp-precis/src/tables.rs` from the Unicode Character Database.
//!
//! The source is the UCD text files as Debian's `unicode-data` package ships
//! them under `/usr/share/unicode` (UCD 15.0.0 at the time of writing). The
//! generator computes, for every code point:
//!
//! - the PRECIS derived property (RFC 8264 §8, categories of §9);
//! - the IDNA2008 derived property (RFC 5892 §3, categories of §2);
//! - what the contextual rules of RFC 5892 Appendix A and the Bidi Rule of
//!   RFC 5893 need: Bidi_Class, Joining_Type, virama (ccc = 9) and the
//!   Greek / Hebrew / Hiragana-Katakana-Han scripts;
//! - whether it can start a change under NFC or NFKC (quick-check value not
//!   Yes, or a non-zero canonical combining class);
//! - whether it is a space separator (Zs), has a full lowercase mapping
//!   (UnicodeData simple mapping overridden by the unconditional
//!   SpecialCasing entries) or a width mapping (`<wide>`/`<narrow>`
//!   decomposition).
//!
//! Properties are packed into one `u32` per distinct combination and looked
//! up through a two-stage table (a block index, then the block's entries), the
//! same shape the Rust standard library and ICU use.
//!
//! Normalization forms (NFKC for HasCompat and Unstable) come from the
//! `unicode-normalization` crate, whose data may be a newer Unicode version:
//! the Unicode normalization stability policy guarantees that the NFKC form of
//! a code point assigned in 15.0 never changes, and unassigned code points are
//! decided before NFKC is consulted.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use unicode_normalization::UnicodeNormalization;

use crate::util::{Result, flag, root};

/// Code points per block of the second stage.
const BLOCK: usize = 128;
const MAX_CP: u32 = 0x10FFFF;

/// Where Debian's `unicode-data` package puts the UCD: the default source.
pub(crate) const UCD_DIR: &str = "/usr/share/unicode";

/// The UCD files the generator reads, relative to the UCD directory.
pub(crate) const UCD_FILES: [&str; 8] = [
    "DerivedAge.txt",
    "UnicodeData.txt",
    "SpecialCasing.txt",
    "CaseFolding.txt",
    "DerivedNormalizationProps.txt",
    "extracted/DerivedBidiClass.txt",
    "extracted/DerivedJoiningType.txt",
    "Scripts.txt",
];

/// The generated file, relative to the workspace root.
pub(crate) const OUTPUT: &str = "crates/xmpp-precis/src/tables.rs";

pub(crate) fn run(args: &[String]) -> Result {
    let check = args.iter().any(|a| a == "--check");
    let ucd: PathBuf = flag(args, "--ucd", PathBuf::from(UCD_DIR))?;
    let text = generate(&ucd)?;
    let path = root().join(OUTPUT);
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if check {
        if current != text {
            return Err(format!(
                "{OUTPUT} is stale: run `cargo xtask codegen` and commit the result"
            ));
        }
        eprintln!("{OUTPUT} is up to date");
        return Ok(());
    }
    if current != text {
        std::fs::write(&path, text).map_err(|e| format!("write {}: {e}", path.display()))?;
        eprintln!("wrote {OUTPUT}");
    } else {
        eprintln!("{OUTPUT} unchanged");
    }
    Ok(())
}

// The packed layout of one property record. The decoder lives in
// crates/xmpp-precis/src/unicode.rs and must agree; its tests pin known code
// points so a mismatch cannot go unnoticed.
const PRECIS_SHIFT: u32 = 0; // 3 bits
const IDNA_SHIFT: u32 = 3; // 3 bits
const BIDI_SHIFT: u32 = 6; // 5 bits
const JOINING_SHIFT: u32 = 11; // 3 bits
const SCRIPT_SHIFT: u32 = 14; // 2 bits
const VIRAMA_BIT: u32 = 1 << 16;
const SPACE_BIT: u32 = 1 << 17;
const LOWER_BIT: u32 = 1 << 18;
const WIDTH_BIT: u32 = 1 << 19;
/// NFC_QC is No or Maybe, or the canonical combining class is not 0: a
/// string of code points without this bit is already in NFC.
const NFC_UNSAFE_BIT: u32 = 1 << 20;
/// As `NFC_UNSAFE_BIT`, for NFKC.
const NFKC_UNSAFE_BIT: u32 = 1 << 21;

// Derived property values, shared by PRECIS and IDNA2008.
const PVALID: u32 = 0;
const FREE_PVAL: u32 = 1; // PRECIS only: ID_DIS in IdentifierClass, PVALID in FreeformClass
const CONTEXTJ: u32 = 2;
const CONTEXTO: u32 = 3;
const DISALLOWED: u32 = 4;
const UNASSIGNED: u32 = 5;

/// Bidi_Class values in the order of the decoder's enum.
const BIDI: [&str; 23] = [
    "L", "R", "AL", "EN", "ES", "ET", "AN", "CS", "NSM", "BN", "B", "S", "WS", "ON", "LRE", "LRO",
    "RLE", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI",
];
/// Joining_Type values in the order of the decoder's enum.
const JOINING: [&str; 6] = ["U", "C", "D", "L", "R", "T"];
/// Scripts the contextual rules ask about, in the order of the decoder's enum
/// (0 is any other script).
const SCRIPTS: [(&str, u32); 5] = [
    ("Greek", 1),
    ("Hebrew", 2),
    ("Hiragana", 3),
    ("Katakana", 3),
    ("Han", 3),
];

/// RFC 5892 §2.6 Exceptions (F), used by both RFC 8264 §9.6 and RFC 5892.
const EXCEPTIONS: &[(u32, u32)] = &[
    (0x00DF, PVALID),
    (0x03C2, PVALID),
    (0x06FD, PVALID),
    (0x06FE, PVALID),
    (0x0F0B, PVALID),
    (0x3007, PVALID),
    (0x00B7, CONTEXTO),
    (0x0375, CONTEXTO),
    (0x05F3, CONTEXTO),
    (0x05F4, CONTEXTO),
    (0x30FB, CONTEXTO),
    (0x0660, CONTEXTO),
    (0x0661, CONTEXTO),
    (0x0662, CONTEXTO),
    (0x0663, CONTEXTO),
    (0x0664, CONTEXTO),
    (0x0665, CONTEXTO),
    (0x0666, CONTEXTO),
    (0x0667, CONTEXTO),
    (0x0668, CONTEXTO),
    (0x0669, CONTEXTO),
    (0x06F0, CONTEXTO),
    (0x06F1, CONTEXTO),
    (0x06F2, CONTEXTO),
    (0x06F3, CONTEXTO),
    (0x06F4, CONTEXTO),
    (0x06F5, CONTEXTO),
    (0x06F6, CONTEXTO),
    (0x06F7, CONTEXTO),
    (0x06F8, CONTEXTO),
    (0x06F9, CONTEXTO),
    (0x0640, DISALLOWED),
    (0x07FA, DISALLOWED),
    (0x302E, DISALLOWED),
    (0x302F, DISALLOWED),
    (0x3031, DISALLOWED),
    (0x3032, DISALLOWED),
    (0x3033, DISALLOWED),
    (0x3034, DISALLOWED),
    (0x3035, DISALLOWED),
    (0x303B, DISALLOWED),
];

/// Everything read from the UCD files.
struct Ucd {
    version: String,
    category: Vec<&'static str>,
    ccc: Vec<u8>,
    decomposition_tag: Vec<Option<&'static str>>,
    decomposition: HashMap<u32, Vec<u32>>,
    simple_lower: HashMap<u32, u32>,
    special_lower: HashMap<u32, Vec<u32>>,
    case_fold: HashMap<u32, Vec<u32>>,
    default_ignorable: Vec<bool>,
    noncharacter: Vec<bool>,
    white_space: Vec<bool>,
    join_control: Vec<bool>,
    hangul_ljt: Vec<bool>,
    nfc_qc_not_yes: Vec<bool>,
    nfkc_qc_not_yes: Vec<bool>,
    bidi: Vec<u32>,
    joining: Vec<u32>,
    script: Vec<u32>,
}

fn read(ucd: &Path, name: &str) -> Result<String> {
    let path = ucd.join(name);
    std::fs::read_to_string(&path).map_err(|e| {
        format!(
            "cannot read {}: {e} (install Debian's unicode-data package, which \
             `cargo xtask setup` does as root, or pass --ucd DIR)",
            path.display()
        )
    })
}

fn hex(s: &str) -> Result<u32> {
    u32::from_str_radix(s.trim(), 16).map_err(|_| format!("bad code point {s:?}"))
}

/// Iterates the `range ; value` lines of a UCD property file.
fn ranges(text: &str) -> impl Iterator<Item = Result<(u32, u32, &str)>> + '_ {
    text.lines().filter_map(|line| {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            return None;
        }
        let mut fields = line.split(';');
        let range = fields.next().unwrap_or("");
        let value = fields.next().unwrap_or("").trim();
        let parsed = match range.split_once("..") {
            Some((a, b)) => hex(a).and_then(|a| Ok((a, hex(b)?))),
            None => hex(range).map(|a| (a, a)),
        };
        Some(parsed.map(|(a, b)| (a, b, value)))
    })
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

fn set_ranges(ucd: &Path, file: &str, property: &str, out: &mut [bool]) -> Result {
    let text = read(ucd, file)?;
    for r in ranges(&text) {
        let (a, b, v) = r?;
        if v == property {
            for cp in a..=b {
                out[cp as usize] = true;
            }
        }
    }
    Ok(())
}

fn cps(s: &str) -> Result<Vec<u32>> {
    s.split_whitespace().map(hex).collect()
}

fn load(ucd: &Path) -> Result<Ucd> {
    let n = MAX_CP as usize + 1;
    let age = read(ucd, "DerivedAge.txt")?;
    let version = age
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("# DerivedAge-"))
        .and_then(|l| l.strip_suffix(".txt"))
        .ok_or("DerivedAge.txt has no version header")?
        .to_owned();

    let mut u = Ucd {
        version,
        category: vec!["Cn"; n],
        ccc: vec![0; n],
        decomposition_tag: vec![None; n],
        decomposition: HashMap::new(),
        simple_lower: HashMap::new(),
        special_lower: HashMap::new(),
        case_fold: HashMap::new(),
        default_ignorable: vec![false; n],
        noncharacter: vec![false; n],
        white_space: vec![false; n],
        join_control: vec![false; n],
        hangul_ljt: vec![false; n],
        nfc_qc_not_yes: vec![false; n],
        nfkc_qc_not_yes: vec![false; n],
        bidi: vec![0; n],
        joining: vec![0; n],
        script: vec![0; n],
    };

    // UnicodeData.txt: category, ccc, decomposition, simple lowercase; large
    // ranges appear as `<..., First>` / `<..., Last>` pairs.
    let data = read(ucd, "UnicodeData.txt")?;
    let mut first: Option<u32> = None;
    let mut categories: HashMap<String, &'static str> = HashMap::new();
    for line in data.lines() {
        let f: Vec<&str> = line.split(';').collect();
        if f.len() < 15 {
            continue;
        }
        let cp = hex(f[0])?;
        let cat = *categories
            .entry(f[2].to_owned())
            .or_insert_with(|| leak(f[2]));
        let ccc: u8 = f[3].parse().map_err(|_| format!("bad ccc in {line}"))?;
        let start = if f[1].ends_with(", Last>") {
            first.take().ok_or("range Last without First")?
        } else {
            if f[1].ends_with(", First>") {
                first = Some(cp);
            }
            cp
        };
        for c in start..=cp {
            u.category[c as usize] = cat;
            u.ccc[c as usize] = ccc;
        }
        if !f[5].is_empty() {
            let (tag, rest) = match f[5].strip_prefix('<') {
                Some(r) => {
                    let (t, rest) = r.split_once('>').ok_or("bad decomposition tag")?;
                    (Some(leak(t)), rest)
                }
                None => (None, f[5]),
            };
            u.decomposition_tag[cp as usize] = tag;
            u.decomposition.insert(cp, cps(rest)?);
        }
        if !f[13].is_empty() {
            u.simple_lower.insert(cp, hex(f[13])?);
        }
    }

    // SpecialCasing.txt: only the unconditional entries (no condition list);
    // the final-sigma and language-sensitive ones are left out on purpose.
    let special = read(ucd, "SpecialCasing.txt")?;
    for line in special.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        let f: Vec<&str> = line.split(';').map(str::trim).collect();
        if f.len() < 4 || f.len() > 5 || !f.get(4).is_none_or(|c| c.is_empty()) {
            continue;
        }
        u.special_lower.insert(hex(f[0])?, cps(f[1])?);
    }

    // CaseFolding.txt: full case folding (statuses C and F).
    let folding = read(ucd, "CaseFolding.txt")?;
    for line in folding.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        let f: Vec<&str> = line.split(';').map(str::trim).collect();
        if f.len() >= 3 && (f[1] == "C" || f[1] == "F") {
            u.case_fold.insert(hex(f[0])?, cps(f[2])?);
        }
    }

    set_ranges(
        ucd,
        "DerivedCoreProperties.txt",
        "Default_Ignorable_Code_Point",
        &mut u.default_ignorable,
    )?;
    set_ranges(
        ucd,
        "PropList.txt",
        "Noncharacter_Code_Point",
        &mut u.noncharacter,
    )?;
    set_ranges(ucd, "PropList.txt", "White_Space", &mut u.white_space)?;
    set_ranges(ucd, "PropList.txt", "Join_Control", &mut u.join_control)?;
    for t in ["L", "V", "T"] {
        set_ranges(ucd, "HangulSyllableType.txt", t, &mut u.hangul_ljt)?;
    }

    // DerivedNormalizationProps.txt: `range ; NFC_QC; N|M` lines.
    let norm = read(ucd, "DerivedNormalizationProps.txt")?;
    for line in norm.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        let f: Vec<&str> = line.split(';').map(str::trim).collect();
        let [range, property, value] = f.as_slice() else {
            continue;
        };
        let target = match *property {
            "NFC_QC" => &mut u.nfc_qc_not_yes,
            "NFKC_QC" => &mut u.nfkc_qc_not_yes,
            _ => continue,
        };
        if *value != "N" && *value != "M" {
            continue;
        }
        let (a, b) = match range.split_once("..") {
            Some((a, b)) => (hex(a)?, hex(b)?),
            None => (hex(range)?, hex(range)?),
        };
        for cp in a..=b {
            target[cp as usize] = true;
        }
    }

    let bidi = read(ucd, "extracted/DerivedBidiClass.txt")?;
    for r in ranges(&bidi) {
        let (a, b, v) = r?;
        let idx = BIDI
            .iter()
            .position(|x| *x == v)
            .ok_or_else(|| format!("unknown Bidi_Class {v}"))?;
        for cp in a..=b {
            u.bidi[cp as usize] = idx as u32;
        }
    }
    let joining = read(ucd, "extracted/DerivedJoiningType.txt")?;
    for r in ranges(&joining) {
        let (a, b, v) = r?;
        let idx = JOINING
            .iter()
            .position(|x| *x == v)
            .ok_or_else(|| format!("unknown Joining_Type {v}"))?;
        for cp in a..=b {
            u.joining[cp as usize] = idx as u32;
        }
    }
    let scripts = read(ucd, "Scripts.txt")?;
    for r in ranges(&scripts) {
        let (a, b, v) = r?;
        if let Some((_, idx)) = SCRIPTS.iter().find(|(s, _)| *s == v) {
            for cp in a..=b {
                u.script[cp as usize] = *idx;
            }
        }
    }
    Ok(u)
}

fn is_surrogate(cp: u32) -> bool {
    (0xD800..=0xDFFF).contains(&cp)
}

fn nfkc(cp: u32) -> Vec<u32> {
    char::from_u32(cp)
        .map(|c| c.to_string().nfkc().map(u32::from).collect())
        .unwrap_or_else(|| vec![cp])
}

fn nfkc_str(cps: &[u32]) -> Vec<u32> {
    let s: String = cps.iter().filter_map(|&c| char::from_u32(c)).collect();
    s.nfkc().map(u32::from).collect()
}

impl Ucd {
    fn unassigned(&self, cp: u32) -> bool {
        self.category[cp as usize] == "Cn" && !self.noncharacter[cp as usize]
    }

    /// RFC 8264 §8: the PRECIS derived property.
    fn precis(&self, cp: u32) -> u32 {
        let i = cp as usize;
        let cat = self.category[i];
        if let Some(&(_, v)) = EXCEPTIONS.iter().find(|(c, _)| *c == cp) {
            return v;
        }
        // BackwardCompatible (G) is empty for every Unicode version so far.
        if self.unassigned(cp) {
            return UNASSIGNED;
        }
        if (0x21..=0x7E).contains(&cp) {
            return PVALID;
        }
        if self.join_control[i] {
            return CONTEXTJ;
        }
        if self.hangul_ljt[i] {
            return DISALLOWED;
        }
        if self.default_ignorable[i] || self.noncharacter[i] {
            return DISALLOWED;
        }
        if cat == "Cc" {
            return DISALLOWED;
        }
        if is_surrogate(cp) {
            return DISALLOWED;
        }
        if nfkc(cp) != [cp] {
            return FREE_PVAL;
        }
        match cat {
            "Ll" | "Lu" | "Lo" | "Nd" | "Lm" | "Mn" | "Mc" => PVALID,
            "Lt" | "Nl" | "No" | "Me" => FREE_PVAL,
            "Zs" => FREE_PVAL,
            "Sm" | "Sc" | "Sk" | "So" => FREE_PVAL,
            "Pc" | "Pd" | "Ps" | "Pe" | "Pi" | "Pf" | "Po" => FREE_PVAL,
            _ => DISALLOWED,
        }
    }

    /// RFC 5892 §3: the IDNA2008 derived property.
    fn idna(&self, cp: u32) -> u32 {
        let i = cp as usize;
        if let Some(&(_, v)) = EXCEPTIONS.iter().find(|(c, _)| *c == cp) {
            return v;
        }
        if self.unassigned(cp) {
            return UNASSIGNED;
        }
        // LDH (E).
        if cp == 0x2D || (0x30..=0x39).contains(&cp) || (0x61..=0x7A).contains(&cp) {
            return PVALID;
        }
        if self.join_control[i] {
            return CONTEXTJ;
        }
        if is_surrogate(cp) {
            return DISALLOWED;
        }
        // Unstable (B): cp != NFKC(CaseFold(NFKC(cp))).
        let folded: Vec<u32> = nfkc(cp)
            .into_iter()
            .flat_map(|c| self.case_fold.get(&c).cloned().unwrap_or_else(|| vec![c]))
            .collect();
        if nfkc_str(&folded) != [cp] {
            return DISALLOWED;
        }
        // IgnorableProperties (C).
        if self.default_ignorable[i] || self.white_space[i] || self.noncharacter[i] {
            return DISALLOWED;
        }
        // IgnorableBlocks (D).
        if (0x20D0..=0x20FF).contains(&cp)
            || (0x1D100..=0x1D1FF).contains(&cp)
            || (0x1D200..=0x1D24F).contains(&cp)
        {
            return DISALLOWED;
        }
        // OldHangulJamo (I).
        if self.hangul_ljt[i] {
            return DISALLOWED;
        }
        match self.category[i] {
            "Ll" | "Lu" | "Lo" | "Nd" | "Lm" | "Mn" | "Mc" => PVALID,
            _ => DISALLOWED,
        }
    }

    /// Full lowercase mapping, without the conditional SpecialCasing rules.
    fn lower(&self, cp: u32) -> Option<Vec<u32>> {
        if let Some(m) = self.special_lower.get(&cp) {
            return (m != &[cp]).then(|| m.clone());
        }
        self.simple_lower
            .get(&cp)
            .filter(|&&l| l != cp)
            .map(|&l| vec![l])
    }

    /// RFC 8264 §9.? width mapping: the `<wide>`/`<narrow>` decomposition.
    fn width(&self, cp: u32) -> Option<u32> {
        match self.decomposition_tag[cp as usize] {
            Some("wide" | "narrow") => match self.decomposition.get(&cp)?.as_slice() {
                [one] => Some(*one),
                _ => None,
            },
            _ => None,
        }
    }

    fn record(&self, cp: u32) -> u32 {
        let i = cp as usize;
        let mut r = self.precis(cp) << PRECIS_SHIFT
            | self.idna(cp) << IDNA_SHIFT
            | self.bidi[i] << BIDI_SHIFT
            | self.joining[i] << JOINING_SHIFT
            | self.script[i] << SCRIPT_SHIFT;
        if self.ccc[i] == 9 {
            r |= VIRAMA_BIT;
        }
        if self.category[i] == "Zs" {
            r |= SPACE_BIT;
        }
        if self.lower(cp).is_some() {
            r |= LOWER_BIT;
        }
        if self.width(cp).is_some() {
            r |= WIDTH_BIT;
        }
        if self.ccc[i] != 0 || self.nfc_qc_not_yes[i] {
            r |= NFC_UNSAFE_BIT;
        }
        if self.ccc[i] != 0 || self.nfkc_qc_not_yes[i] {
            r |= NFKC_UNSAFE_BIT;
        }
        r
    }
}

fn rust_char(cp: u32) -> String {
    if (0x20..0x7F).contains(&cp) && cp != u32::from(b'\'') && cp != u32::from(b'\\') {
        format!("'{}'", char::from_u32(cp).unwrap_or('?'))
    } else {
        format!("'\\u{{{cp:04X}}}'")
    }
}

fn rust_str(cps: &[u32]) -> String {
    let mut s = String::from("\"");
    for &cp in cps {
        if (0x20..0x7F).contains(&cp) && cp != u32::from(b'"') && cp != u32::from(b'\\') {
            s.push(char::from_u32(cp).unwrap_or('?'));
        } else {
            let _ = write!(s, "\\u{{{cp:04X}}}");
        }
    }
    s.push('"');
    s
}

/// Writes `items` as the body of a Rust array, `per_line` to a line.
fn array<T: std::fmt::Display>(out: &mut String, items: &[T], per_line: usize) {
    for chunk in items.chunks(per_line) {
        out.push_str("   ");
        for item in chunk {
            let _ = write!(out, " {item},");
        }
        out.push('\n');
    }
}

pub(crate) fn generate(ucd_dir: &Path) -> Result<String> {
    let ucd = load(ucd_dir)?;

    // Distinct records, numbered in order of first appearance.
    let mut records: Vec<u32> = Vec::new();
    let mut record_index: HashMap<u32, u16> = HashMap::new();
    let mut per_cp: Vec<u16> = Vec::with_capacity(MAX_CP as usize + 1);
    for cp in 0..=MAX_CP {
        let r = ucd.record(cp);
        let next = records.len();
        let idx = *record_index.entry(r).or_insert_with(|| {
            records.push(r);
            next as u16
        });
        per_cp.push(idx);
    }
    let wide = records.len() > 256;

    // Two stages: distinct blocks of BLOCK entries, and a block index per block.
    let mut blocks: Vec<&[u16]> = Vec::new();
    let mut block_index: HashMap<&[u16], u16> = HashMap::new();
    let mut stage1: Vec<u16> = Vec::new();
    for chunk in per_cp.chunks(BLOCK) {
        let next = blocks.len();
        let idx = *block_index.entry(chunk).or_insert_with(|| {
            blocks.push(chunk);
            next as u16
        });
        stage1.push(idx);
    }

    let mut lower: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    let mut width: BTreeMap<u32, u32> = BTreeMap::new();
    for cp in 0..=MAX_CP {
        if let Some(l) = ucd.lower(cp) {
            lower.insert(cp, l);
        }
        if let Some(w) = ucd.width(cp) {
            width.insert(cp, w);
        }
    }

    let version: Vec<&str> = ucd.version.split('.').collect();
    let [major, minor, update] = version.as_slice() else {
        return Err(format!("unexpected Unicode version {}", ucd.version));
    };

    let mut out = String::new();
    let _ = writeln!(
        out,
        "// Generated by cargo xtask codegen; do not edit.\n\
         // Source: Unicode Character Database {v} (UnicodeData, PropList,\n\
         // DerivedCoreProperties, Scripts, DerivedJoiningType, DerivedBidiClass,\n\
         // HangulSyllableType, DerivedNormalizationProps, SpecialCasing, CaseFolding,\n\
         // DerivedAge), as shipped in\n\
         // Debian's unicode-data package; NFKC from the unicode-normalization crate.\n\
         // Layout: see xtask/src/codegen.rs and src/unicode.rs.\n",
        v = ucd.version
    );
    let _ = writeln!(
        out,
        "/// The Unicode version the tables were generated from.\n\
         pub(crate) const UNICODE_VERSION: (u8, u8, u8) = ({major}, {minor}, {update});\n"
    );
    let _ = writeln!(
        out,
        "/// Code points per second-stage block.\npub(crate) const BLOCK_SHIFT: u32 = {};\n",
        BLOCK.trailing_zeros()
    );
    let _ = writeln!(
        out,
        "/// Distinct packed property records.\npub(crate) static RECORDS: [u32; {}] = [",
        records.len()
    );
    let hex_records: Vec<String> = records.iter().map(|r| format!("0x{r:05X}")).collect();
    array(&mut out, &hex_records, 8);
    out.push_str("];\n\n");
    let _ = writeln!(
        out,
        "/// Block number of each run of {BLOCK} code points.\npub(crate) static STAGE1: [u16; {}] = [",
        stage1.len()
    );
    array(&mut out, &stage1, 16);
    out.push_str("];\n\n");
    let flat: Vec<u16> = blocks.iter().flat_map(|b| b.iter().copied()).collect();
    let elem = if wide { "u16" } else { "u8" };
    let _ = writeln!(
        out,
        "/// Record number of each code point, block by block.\npub(crate) static STAGE2: [{elem}; {}] = [",
        flat.len()
    );
    array(&mut out, &flat, 20);
    out.push_str("];\n\n");

    let _ = writeln!(
        out,
        "/// Full lowercase mappings (unconditional), sorted by code point.\n\
         pub(crate) static LOWERCASE: [(char, &str); {}] = [",
        lower.len()
    );
    let items: Vec<String> = lower
        .iter()
        .map(|(cp, m)| format!("({}, {})", rust_char(*cp), rust_str(m)))
        .collect();
    array(&mut out, &items, 4);
    out.push_str("];\n\n");
    let _ = writeln!(
        out,
        "/// Width mappings (`<wide>` and `<narrow>` decompositions), sorted.\n\
         pub(crate) static WIDTH: [(char, char); {}] = [",
        width.len()
    );
    let items: Vec<String> = width
        .iter()
        .map(|(cp, m)| format!("({}, {})", rust_char(*cp), rust_char(*m)))
        .collect();
    array(&mut out, &items, 4);
    out.push_str("];\n");
    Ok(out)
}

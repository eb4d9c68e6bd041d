//! A generated, realistic client-to-server XML stream for the framing
//! benches: messages with body, thread and chat states, presence with
//! entity capabilities, roster results of 50 items, service discovery
//! results, escaped text, and about 1 % non-ASCII text. Deterministic (a
//! fixed-seed generator), made at bench time, never committed.

/// A small deterministic generator (SplitMix64), so the corpus is the same
/// on every machine without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const WORDS: &[&str] = &[
    "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "hello", "world", "meeting",
    "tomorrow", "lunch", "server", "release", "patch", "review", "coffee", "later", "thanks",
];
const NON_ASCII: &[&str] = &["café", "naïve", "日本語", "Ромео", "😀", "Grüße"];
const ESCAPED: &[&str] = &[
    "&lt;3",
    "fish &amp; chips",
    "&quot;quoted&quot;",
    "a &gt; b",
    "it&apos;s",
];
const STATES: &[&str] = &["active", "composing", "paused", "inactive", "gone"];

/// The stream header the corpus starts with.
pub const HEADER: &str = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
    xmlns:stream='http://etherx.jabber.org/streams' from='example.com' \
    id='++TR84Sm6A3hnt3Q065SnAbbk3Y=' to='juliet@example.com' version='1.0' xml:lang='en'>";

fn text(rng: &mut Rng, out: &mut String, words: u64) {
    for i in 0..words {
        if i > 0 {
            out.push(' ');
        }
        // About 1 % of the bytes are non-ASCII: one word in 40 or so.
        match rng.below(100) {
            0..=2 => out.push_str(NON_ASCII[rng.below(NON_ASCII.len() as u64) as usize]),
            3..=5 => out.push_str(ESCAPED[rng.below(ESCAPED.len() as u64) as usize]),
            _ => out.push_str(WORDS[rng.below(WORDS.len() as u64) as usize]),
        }
    }
}

fn message(rng: &mut Rng, out: &mut String, n: u64) {
    let state = STATES[rng.below(STATES.len() as u64) as usize];
    out.push_str(&format!(
        "<message from='romeo{}@montague.example/orchard' to='juliet@example.com/balcony' type='chat' id='m{n}'>",
        rng.below(100)
    ));
    if rng.below(4) != 0 {
        out.push_str("<body>");
        let words = 3 + rng.below(30);
        text(rng, out, words);
        out.push_str("</body>");
        out.push_str(&format!("<thread>t{}</thread>", rng.below(1000)));
    }
    out.push_str(&format!(
        "<{state} xmlns='http://jabber.org/protocol/chatstates'/></message>"
    ));
}

fn presence(rng: &mut Rng, out: &mut String) {
    out.push_str(&format!(
        "<presence from='contact{}@example.org/laptop' to='juliet@example.com'>\
         <c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='https://example.org/client' \
         ver='QgayPKawpkPSDYmwT/WM94uAlu0='/><show>away</show><status>",
        rng.below(500)
    ));
    let words = 1 + rng.below(6);
    text(rng, out, words);
    out.push_str("</status><priority>5</priority></presence>");
}

fn roster(rng: &mut Rng, out: &mut String, n: u64) {
    out.push_str(&format!(
        "<iq id='r{n}' to='juliet@example.com/balcony' type='result'><query xmlns='jabber:iq:roster' ver='ver{n}'>"
    ));
    for i in 0..50 {
        out.push_str(&format!(
            "<item jid='contact{i}@example.org' name='Contact {i}' subscription='both'><group>{}</group></item>",
            if rng.below(2) == 0 { "Friends" } else { "Work &amp; Co" }
        ));
    }
    out.push_str("</query></iq>");
}

fn disco(out: &mut String, n: u64) {
    out.push_str(&format!(
        "<iq from='example.com' id='d{n}' to='juliet@example.com/balcony' type='result'>\
         <query xmlns='http://jabber.org/protocol/disco#info'>\
         <identity category='server' type='im' name='Example Server'/>\
         <feature var='http://jabber.org/protocol/disco#info'/>\
         <feature var='http://jabber.org/protocol/disco#items'/>\
         <feature var='urn:xmpp:ping'/><feature var='urn:xmpp:carbons:2'/>\
         <feature var='urn:xmpp:mam:2'/><feature var='jabber:iq:roster'/>\
         <feature var='urn:xmpp:blocking'/><feature var='vcard-temp'/></query></iq>"
    ));
}

/// A stream of at least `target` bytes: the header, then stanzas (about
/// 70 % messages, 20 % presence, the rest roster and disco results), with a
/// newline between some of them as keepalives. Not closed.
pub fn c2s_stream(target: usize) -> Vec<u8> {
    let mut rng = Rng(0x5EED_0F0C);
    let mut out = String::with_capacity(target + 4096);
    out.push_str(HEADER);
    let mut n = 0;
    while out.len() < target {
        match rng.below(100) {
            0..=69 => message(&mut rng, &mut out, n),
            70..=89 => presence(&mut rng, &mut out),
            90..=94 => roster(&mut rng, &mut out, n),
            _ => disco(&mut out, n),
        }
        if rng.below(8) == 0 {
            out.push('\n');
        }
        n += 1;
    }
    out.into_bytes()
}

//! Property: any chunking of a stream yields the same events as feeding it
//! whole (ARCHITECTURE.md's sans-I/O contract), for the golden streams and
//! for generated ones, valid or not.

use proptest::prelude::*;

use crate::render::{Run, frame, transport_of};

/// Feeds `input` cut at `cuts` (sorted, deduplicated offsets).
fn frame_cut(name: &str, input: &[u8], cuts: &[usize]) -> Vec<String> {
    let mut run = Run::new(transport_of(name));
    let mut at = 0;
    for &c in cuts.iter().chain(std::iter::once(&input.len())) {
        let c = c.min(input.len());
        if c > at {
            run.feed(&input[at..c]);
            at = c;
        }
    }
    run.finish()
}

/// The golden streams, read once (one is 10 MB).
fn golden_inputs() -> &'static [(String, Vec<u8>)] {
    static INPUTS: std::sync::OnceLock<Vec<(String, Vec<u8>)>> = std::sync::OnceLock::new();
    INPUTS.get_or_init(read_golden_inputs)
}

fn read_golden_inputs() -> Vec<(String, Vec<u8>)> {
    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/streams");
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .map(|p| {
            (
                p.file_stem().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

/// Pieces that make streams, well-formed or not, to be glued at random.
const PIECES: &[&str] = &[
    "<message to='a@b' id='1'>",
    "</message>",
    "<body>",
    "</body>",
    "hello wörld €𝄞",
    "&amp;&#x20AC;&#65;",
    " ",
    "\n",
    "<presence/>",
    "<x:y xmlns:x='urn:x' x:a='&lt;'/>",
    "<![CDATA[ ]] > ]]>",
    "]]>",
    "<!-- c -->",
    "&bogus;",
    "</stream:stream>",
    "<a b='1' b='2'/>",
    "\u{0}",
    "\u{FFFE}",
    // Nested tags, which 1-byte feeds end without the scanner when
    // there is nothing to check, and the cases that must still be checked.
    "<item jid='a@b' name='A'>",
    "</item>",
    "<group >",
    "</group >",
    "<e/>",
    "<f a='1'/>",
    "<g\tb=\"2\" />",
    "<p:h xmlns:p='urn:p'>",
    "</p:h>",
    "<i c='1' c='2'>",
    "</>",
    "<j:>",
];

const HEAD: &str =
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

fn arb_stream() -> impl Strategy<Value = Vec<u8>> {
    (
        proptest::collection::vec(0..PIECES.len(), 0..24),
        proptest::collection::vec(any::<u8>(), 0..3),
    )
        .prop_map(|(idx, junk)| {
            let mut s = HEAD.as_bytes().to_vec();
            for i in idx {
                s.extend_from_slice(PIECES[i].as_bytes());
            }
            s.extend_from_slice(&junk);
            s
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn golden_streams_any_chunking(which in any::<prop::sample::Index>(), cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..40)) {
        let inputs = golden_inputs();
        let (name, input) = which.get(inputs);
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c.index(input.len() + 1)).collect();
        cuts.sort_unstable();
        cuts.dedup();
        let whole = frame(transport_of(name), input, input.len());
        prop_assert_eq!(frame_cut(name, input, &cuts), whole, "{} cut at {:?}", name, cuts);
    }

    #[test]
    fn generated_streams_any_chunking(input in arb_stream(), cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..40)) {
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c.index(input.len() + 1)).collect();
        cuts.sort_unstable();
        cuts.dedup();
        let whole = frame_cut("generated", &input, &[]);
        prop_assert_eq!(frame_cut("generated", &input, &cuts), whole.clone());
        prop_assert_eq!(frame(transport_of("generated"), &input, 1), whole);
    }
}

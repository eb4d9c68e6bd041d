//! Inputs too large to keep as files: a 10 MB attribute, deep nesting,
//! many tiny chunks. Each must end in a typed error or in the events, with
//! bounded memory, whatever the chunking.

use xmpp_stream::{Condition, Event, Framer, FramingError, Limit, Limits, Transport};

const HEAD: &[u8] =
    b"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

/// Feeds `input` in `chunk`-sized pieces; the events and the first error,
/// and the largest heap the framer held between calls.
fn drive(limits: Limits, input: &[u8], chunk: usize) -> (Vec<Event>, Option<FramingError>, usize) {
    let mut f = Framer::with_limits(Transport::Tcp, limits).unwrap();
    let mut events = Vec::new();
    let mut peak = 0;
    for c in input.chunks(chunk) {
        f.feed(c);
        loop {
            match f.next_event() {
                Ok(Some(e)) => events.push(e),
                Ok(None) => break,
                Err(e) => return (events, Some(e), peak),
            }
        }
        peak = peak.max(f.heap_size());
    }
    let err = f.finish().err();
    (events, err, peak)
}

fn ten_mb_attribute() -> Vec<u8> {
    let mut s = HEAD.to_vec();
    s.extend_from_slice(b"<message id='");
    s.resize(s.len() + 10_000_000, b'a');
    s.extend_from_slice(b"'/>");
    s
}

#[test]
fn ten_mb_attribute_is_refused_at_the_limit_in_any_chunking() {
    let input = ten_mb_attribute();
    for chunk in [1, 64, 1500, 65536, input.len()] {
        let (events, err, peak) = drive(Limits::default(), &input, chunk);
        assert_eq!(events.len(), 1, "chunk {chunk}");
        let err = err.unwrap();
        assert!(
            matches!(
                err,
                FramingError::LimitExceeded {
                    limit: Limit::ElementBytes,
                    max: 262_144,
                    ..
                }
            ),
            "chunk {chunk}: {err:?}"
        );
        if chunk < input.len() {
            // The buffer holds at most the limit plus one chunk; Vec growth may
            // double that capacity.
            assert!(
                peak < 2 * (262_144 + chunk) + 4096,
                "chunk {chunk}: peak {peak}"
            );
        }
    }
}

#[test]
fn ten_mb_attribute_is_accepted_when_the_limit_allows_it() {
    let input = ten_mb_attribute();
    let limits = Limits::default().with_max_element_bytes(11_000_000);
    for chunk in [64, 65536] {
        let (events, err, _) = drive(limits, &input, chunk);
        assert_eq!(err, None, "chunk {chunk}");
        let Some(Event::Element(e)) = events.get(1) else {
            panic!("chunk {chunk}")
        };
        assert_eq!(e.id().map(|v| v.len()), Some(10_000_000));
    }
}

#[test]
fn deep_nesting_with_prefixes_is_refused_at_the_depth_limit() {
    let mut input = HEAD.to_vec();
    input.extend_from_slice(b"<a xmlns:p='urn:p'>");
    for _ in 0..100_000 {
        input.extend_from_slice(b"<p:b>");
    }
    let (_, err, _) = drive(Limits::default(), &input, 4096);
    assert!(
        matches!(
            err,
            Some(FramingError::LimitExceeded {
                limit: Limit::Depth,
                max: 256,
                ..
            })
        ),
        "{err:?}"
    );
}

#[test]
fn many_tiny_stanzas_in_tiny_chunks() {
    let mut input = HEAD.to_vec();
    for i in 0..20_000 {
        input.extend_from_slice(format!("<presence id='{i}'/> ").as_bytes());
    }
    for chunk in [1, 3, 64] {
        let (events, err, peak) = drive(Limits::default(), &input, chunk);
        assert_eq!(err, None);
        assert_eq!(events.len(), 1 + 2 * 20_000, "chunk {chunk}");
        assert!(peak < 1024, "chunk {chunk}: idle heap {peak}");
    }
}

#[test]
fn many_attributes_and_declarations_are_bounded() {
    let mut input = HEAD.to_vec();
    input.extend_from_slice(b"<message");
    for i in 0..10_000 {
        input.extend_from_slice(format!(" a{i}='x'").as_bytes());
    }
    input.extend_from_slice(b"/>");
    let (_, err, _) = drive(Limits::default(), &input, 1500);
    assert!(matches!(
        err,
        Some(FramingError::LimitExceeded {
            limit: Limit::Attributes,
            ..
        })
    ));
    let limits = Limits::default()
        .with_max_attributes(20_000)
        .with_max_element_bytes(1 << 20);
    let (events, err, _) = drive(limits, &input, 1500);
    assert_eq!(err, None);
    assert_eq!(events.len(), 2);
}

#[test]
fn billion_laughs_never_expands() {
    let mut input = b"<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>".to_vec();
    for i in 1..10 {
        input.extend_from_slice(
            format!(
                "<!ENTITY lol{i} '{}'>",
                format!("&lol{};", i - 1).repeat(10)
            )
            .as_bytes(),
        );
    }
    input.extend_from_slice(b"]>");
    let (_, err, _) = drive(Limits::default(), &input, 16);
    assert_eq!(err.map(|e| e.condition()), Some(Condition::RestrictedXml));
}

/// What Prosody 0.12 relays for a message at the author-side limit: every
/// `'` of the body re-escaped as `&apos;` (6 bytes for 1), `from` added.
fn relayed_message(quotes: usize) -> Vec<u8> {
    let mut s = HEAD.to_vec();
    s.extend_from_slice(
        b"<message xml:lang='en' from='alice@example.test/a' to='bob@example.test' \
          type='chat' id='big'><body>",
    );
    for _ in 0..quotes {
        s.extend_from_slice(b"&apos;");
    }
    s.extend_from_slice(b"</body></message>");
    s
}

#[test]
fn relayed_limits_admit_what_a_server_relays_of_a_default_sized_element() {
    // The author's message: a body of `quotes` apostrophes, within the
    // default limit by the size of its markup.
    let quotes = 256 * 1024 - 100;
    let input = relayed_message(quotes);
    let (events, err, _) = drive(Limits::default(), &input, 65536);
    assert!(
        matches!(
            err,
            Some(FramingError::LimitExceeded {
                limit: Limit::ElementBytes,
                ..
            })
        ),
        "{err:?}"
    );
    assert_eq!(events.len(), 1);
    let (events, err, _) = drive(Limits::relayed(), &input, 65536);
    assert_eq!(err, None);
    let Some(Event::Element(e)) = events.get(1) else {
        panic!("{events:?}")
    };
    assert_eq!(e.xml().len(), input.len() - HEAD.len());
}

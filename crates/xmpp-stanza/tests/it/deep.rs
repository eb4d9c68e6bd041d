//! The deepest tree the limits allow, on an ordinary thread's stack.

use xmpp_stanza::{Element, Limits, ParseError};

/// A tree as deep as any limits allow is written, cloned, compared,
/// hashed and dropped on a 2 MiB thread stack (Rust's default for spawned
/// threads); deeper limits are refused before parsing, where 100,001 levels
/// used to overflow the stack in `to_xml`.
#[test]
fn the_deepest_tree_fits_a_thread_stack() {
    use core::hash::BuildHasher;
    let deep = |n: usize| {
        "<a xmlns='urn:a' x='1'>".to_string() + &"<a x='1'>".repeat(n - 1) + &"</a>".repeat(n)
    };
    let too_deep = Limits::default()
        .with_max_depth(100_001)
        .with_max_element_bytes(4 << 20);
    assert!(matches!(
        Element::from_bytes_with_limits(deep(3).as_bytes(), &too_deep),
        Err(ParseError::InvalidLimits(_))
    ));
    let n = xmpp_stream::MAX_DEPTH;
    let limits = Limits::default().with_max_depth(n);
    let input = deep(n);
    let ok = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || {
            let e = Element::from_bytes_with_limits(input.as_bytes(), &limits).unwrap();
            let xml = e.to_xml();
            let c = e.clone();
            assert_eq!(c, e);
            let h = std::hash::RandomState::new();
            assert_eq!(h.hash_one(&c), h.hash_one(&e));
            drop(c);
            drop(e);
            xml.len()
        })
        .unwrap()
        .join();
    assert!(ok.is_ok());
}

//! The batch of realistic JIDs of the JID bench (d), shared by the criterion
//! bench and the `jid_count` driver so that both measure the same inputs.

/// A deterministic batch of 10,000 realistic JIDs: mostly ASCII, some upper
/// case, some non-ASCII, about half with a resourcepart.
pub fn batch() -> Vec<String> {
    const LOCAL: &[&str] = &[
        "alice",
        "bob",
        "carol.smith",
        "dave_99",
        "Eve",
        "FRANK",
        "j\u{FC}rgen",
        "Ren\u{E9}e",
        "\u{43C}\u{430}\u{448}\u{430}",
        "\u{674E}\u{96F7}",
        "support",
        "noreply",
    ];
    const DOMAIN: &[&str] = &[
        "example.com",
        "jabber.org",
        "conference.example.net",
        "xmpp.example.co.uk",
        "Example.ORG",
        "b\u{FC}cher.example",
        "chat.example.de",
    ];
    const RESOURCE: &[&str] = &[
        "Gajim.x4Tq",
        "Conversations.9a1",
        "phone",
        "Balcony",
        "laptop 2",
    ];
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    (0..10_000)
        .map(|i| {
            let local = LOCAL[next(LOCAL.len())];
            let domain = DOMAIN[next(DOMAIN.len())];
            let mut s = format!("{local}{}@{domain}", i % 97);
            if next(2) == 0 {
                s.push('/');
                s.push_str(RESOURCE[next(RESOURCE.len())]);
            }
            s
        })
        .collect()
}

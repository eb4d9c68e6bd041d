//! A driver for instruction counts of the JID benches (`perf stat -e
//! instructions`, callgrind), steadier than wall time on a shared machine:
//! `jid_count <a|b|c|d> <ours|peer> <iterations>`.

use core::hint::black_box;

fn batch() -> Vec<String> {
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

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let which = args.get(1).map_or("d", String::as_str);
    let peer = args.get(2).is_some_and(|a| a == "peer");
    let n: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(1);
    let inputs: Vec<String> = match which {
        "a" => vec!["user@example.com".into()],
        "b" => vec!["Juliet@Example.COM/Balcony".into()],
        "c" => vec!["J\u{FC}rgen@B\u{FC}cher.example/K\u{FC}che".into()],
        _ => batch(),
    };
    for _ in 0..n {
        for s in &inputs {
            if peer {
                let _ = black_box(jid::Jid::new(black_box(s)));
            } else {
                let _ = black_box(xmpp_jid::Jid::new(black_box(s)));
            }
        }
    }
}

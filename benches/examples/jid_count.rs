//! A driver for instruction counts of the JID benches (`perf stat -e
//! instructions`, callgrind), steadier than wall time on a shared machine:
//! `jid_count <a|b|c|d|clone> <ours|peer> <iterations>`; `clone` clones
//! the parsed batch (d) instead of parsing it.

use core::hint::black_box;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let which = args.get(1).map_or("d", String::as_str);
    let peer = args.get(2).is_some_and(|a| a == "peer");
    let n: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(1);
    let inputs: Vec<String> = match which {
        "a" => vec!["user@example.com".into()],
        "b" => vec!["Juliet@Example.COM/Balcony".into()],
        "c" => vec!["J\u{FC}rgen@B\u{FC}cher.example/K\u{FC}che".into()],
        _ => xmpp_benches::jids::batch(),
    };
    if which == "clone" {
        let ours: Vec<xmpp_jid::Jid> = inputs.iter().filter_map(|s| s.parse().ok()).collect();
        let theirs: Vec<jid::Jid> = inputs.iter().filter_map(|s| s.parse().ok()).collect();
        for _ in 0..n {
            if peer {
                for j in &theirs {
                    black_box(black_box(j).clone());
                }
            } else {
                for j in &ours {
                    black_box(black_box(j).clone());
                }
            }
        }
        return;
    }
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

//! `xmpp serve` under hostile or careless clients (the findings of a
//! denial-of-service review): each test drives the server as a process
//! and fails on the behaviour the finding describes.

use std::time::{Duration, Instant};

use crate::serve::{Raw, Served};

fn plain() -> Served {
    Served::start(&["--tls", "off", "--allow-plain"])
}

/// Logs `user` in as `resource` with XEP-0198 resumption (`max`
/// seconds); gives the client and the SM-ID.
fn resumable(server: &str, user: (&str, &str), resource: &str, max: u32) -> (Raw, String) {
    let mut raw = Raw::login(server, user.0, user.1, resource);
    raw.send(&format!(
        "<enable xmlns='urn:xmpp:sm:3' resume='true' max='{max}'/>"
    ));
    raw.until_any(&["<enabled"]);
    raw.until_any(&["/>"]);
    let id = raw.attribute("<enabled", "id");
    assert!(!id.is_empty(), "{}", String::from_utf8_lossy(&raw.seen));
    (raw, id)
}

/// Asks to resume `id` with `h`: whether `<resumed/>` came back.
fn resume(server: &str, user: (&str, &str), id: &str, h: u32) -> (Raw, bool) {
    let mut raw = Raw::authenticate(server, user.0, user.1);
    raw.send(&format!(
        "<resume xmlns='urn:xmpp:sm:3' previd='{id}' h='{h}'/>"
    ));
    let which = raw.until_any(&["<resumed", "<failed", "</stream:stream>"]);
    (raw, which == 0)
}

const JULIET: (&str, &str) = ("juliet", "r0m30");

/// A resumption the machine refuses (`h` too high) does not consume the
/// session: its owner still resumes it, and its resource is not left
/// taken for ever (review finding 5).
#[test]
fn a_refused_resumption_leaves_the_session_to_its_owner() {
    let served = plain();
    let server = served.c2s();
    let (first, id) = resumable(&server, JULIET, "r1", 300);
    drop(first);
    std::thread::sleep(Duration::from_millis(300));
    let (mut bad, resumed) = resume(&server, JULIET, &id, 1000);
    assert!(!resumed);
    bad.until_any(&["handled-count-too-high"]);
    drop(bad);
    let (mut owner, resumed) = resume(&server, JULIET, &id, 0);
    assert!(resumed, "{}", String::from_utf8_lossy(&owner.seen));
    // The resumed session gets what is sent to its full JID.
    owner.seen.clear();
    let mut romeo = Raw::login(&server, "romeo", "j4l13t", "x");
    romeo.send("<message to='juliet@localhost/r1' type='chat' id='q1'><body>hi</body></message>");
    owner.until("id='q1'");
}

/// A session resumed and cut again gets its whole second window: the
/// first hibernation's timer does not end it (review finding 15).
#[test]
fn a_second_hibernation_gets_its_own_window() {
    let served = plain();
    let server = served.c2s();
    let (first, id) = resumable(&server, JULIET, "r2", 4);
    let cut = Instant::now();
    drop(first);
    std::thread::sleep(Duration::from_millis(1000));
    let (again, resumed) = resume(&server, JULIET, &id, 0);
    assert!(resumed);
    std::thread::sleep(Duration::from_millis(200));
    drop(again);
    // The first window ends 4 s after the first cut; the second, 4 s
    // after the second.
    std::thread::sleep(Duration::from_millis(4600).saturating_sub(cut.elapsed()));
    let (raw, resumed) = resume(&server, JULIET, &id, 0);
    assert!(resumed, "{}", String::from_utf8_lossy(&raw.seen));
}

/// A reader that stops reading stdout does not stall the server: lines
/// are dropped and counted instead, and the count is reported once the
/// reader reads again (review finding 9).
#[test]
fn a_stdout_nobody_reads_stalls_nothing() {
    use std::io::BufRead as _;
    let mut served = plain();
    let server = served.c2s();
    // Each connection is a `closed` line: far more than the pipe and the
    // queue hold.
    let addr: std::net::SocketAddr = server.parse().expect("address");
    for _ in 0..3000 {
        let tcp = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(10));
        drop(tcp.expect("connect"));
    }
    let mut juliet = Raw::login(&server, "juliet", "r0m30", "j");
    juliet.send("<iq type='get' id='p' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
    juliet.until("id='p'");
    let mut line = String::new();
    loop {
        line.clear();
        assert!(served.out.read_line(&mut line).expect("a line") > 0);
        if line.contains("\"dropped\"") {
            break;
        }
    }
}

/// Binds `resource` for `user` after authenticating: the bound JID, or
/// the bind's error condition.
fn bind(server: &str, user: (&str, &str), resource: &str) -> (Raw, Result<(), String>) {
    let mut raw = Raw::authenticate(server, user.0, user.1);
    raw.send(&format!(
        "<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>\
         <resource>{resource}</resource></bind></iq>"
    ));
    let which = raw.until_any(&["</jid>", "</error>"]);
    let text = String::from_utf8_lossy(&raw.seen).into_owned();
    (raw, if which == 0 { Ok(()) } else { Err(text) })
}

/// An account binds at most `--max-resources` resources at once; the
/// next bind is refused with `resource-constraint` (RFC 6120 §7.6.2.1;
/// review finding 4).
#[test]
fn resources_per_account_are_capped() {
    let served = Served::start(&["--tls", "off", "--allow-plain", "--max-resources", "2"]);
    let server = served.c2s();
    let (_a, first) = bind(&server, JULIET, "a");
    let (b, second) = bind(&server, JULIET, "b");
    assert_eq!((first, second), (Ok(()), Ok(())));
    let (_c, third) = bind(&server, JULIET, "c");
    assert!(
        third
            .as_ref()
            .is_err_and(|e| e.contains("<resource-constraint")),
        "{third:?}"
    );
    // Another account is not affected; a resource that goes frees a place.
    assert_eq!(bind(&server, ("romeo", "j4l13t"), "a").1, Ok(()));
    drop(b);
    let start = Instant::now();
    loop {
        let (_d, fourth) = bind(&server, JULIET, "d");
        if fourth.is_ok() {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "{fourth:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(crate::xmpp(&["serve", "--max-resources", "0"], None).0, 2);
}

/// A user learns nothing about which accounts exist from headline and
/// groupchat messages or subscription requests: romeo exists (offline),
/// nobody does not, and both get the same answers (RFC 6121 §8.5.1,
/// §8.5.2.2.1, §3.1.2; review finding 8).
#[test]
fn answers_do_not_tell_which_accounts_exist() {
    let served = plain();
    let server = served.c2s();
    let mut juliet = Raw::login(&server, "juliet", "r0m30", "j");
    let answers = |juliet: &mut Raw, to: &str| {
        juliet.seen.clear();
        juliet.send(&format!(
            "<message to='{to}@localhost' type='headline' id='h'><body>x</body></message>\
             <message to='{to}@localhost' type='groupchat' id='g'><body>x</body></message>\
             <presence to='{to}@localhost' type='subscribe'/>\
             <iq type='get' id='p' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>"
        ));
        juliet.until("id='p'");
        let text = String::from_utf8_lossy(&juliet.seen).into_owned();
        let headline = text.contains("id='h'");
        let groupchat = text.contains("id='g'") && text.contains("<service-unavailable");
        let push =
            text.contains(&format!("jid='{to}@localhost'")) && text.contains("ask='subscribe'");
        (headline, groupchat, push)
    };
    let romeo = answers(&mut juliet, "romeo");
    let nobody = answers(&mut juliet, "nobody");
    assert_eq!(romeo, (false, true, true));
    assert_eq!(nobody, romeo);
}

/// What arrived for a hibernating session is delivered whole when it
/// resumes, even past the session's 256-command queue (review finding 15).
#[test]
fn a_resumed_session_gets_everything_that_waited() {
    let served = plain();
    let server = served.c2s();
    let (first, id) = resumable(&server, JULIET, "r1", 300);
    drop(first);
    std::thread::sleep(Duration::from_millis(300));
    let mut romeo = Raw::login(&server, "romeo", "j4l13t", "x");
    const N: usize = 600;
    let mut batch = String::new();
    for i in 0..N {
        batch.push_str(&format!(
            "<message to='juliet@localhost/r1' type='chat' id='m{i}'><body>{i}</body></message>"
        ));
    }
    batch.push_str("<iq type='get' id='p' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>");
    romeo.send(&batch);
    romeo.until("id='p'");
    let (mut juliet, resumed) = resume(&server, JULIET, &id, 0);
    assert!(resumed);
    juliet.until_n("</message>", N);
    let text = String::from_utf8_lossy(&juliet.seen).into_owned();
    let ids: Vec<usize> = text
        .split("<body>")
        .skip(1)
        .filter_map(|s| s.split('<').next()?.parse().ok())
        .collect();
    assert_eq!(ids, (0..N).collect::<Vec<_>>());
}

/// An iq request queued for a session whose resumption window closes is
/// answered (RFC 6120 §8.2.3; review finding 15).
#[test]
fn an_iq_to_a_session_that_expires_is_answered() {
    let served = plain();
    let server = served.c2s();
    let (first, _) = resumable(&server, JULIET, "r3", 1);
    drop(first);
    std::thread::sleep(Duration::from_millis(200));
    let mut romeo = Raw::login(&server, "romeo", "j4l13t", "x");
    romeo.send("<iq to='juliet@localhost/r3' type='get' id='q'><ping xmlns='urn:xmpp:ping'/></iq>");
    romeo.until_any(&["id='q'"]);
    romeo.until_any(&["</iq>"]);
    let text = String::from_utf8_lossy(&romeo.seen);
    assert!(text.contains("<service-unavailable"), "{text}");
}

/// Roster pushes have ids of their own (RFC 6120 §8.1.3; review finding
/// 15).
#[test]
fn roster_pushes_have_unique_ids() {
    let served = plain();
    let server = served.c2s();
    let mut juliet = Raw::login(&server, "juliet", "r0m30", "j");
    for (id, contact) in [("s1", "a@example.org"), ("s2", "b@example.org")] {
        juliet.send(&format!(
            "<iq type='set' id='{id}'><query xmlns='jabber:iq:roster'>\
             <item jid='{contact}'/></query></iq>"
        ));
    }
    juliet.until_n("jabber:iq:roster", 2);
    juliet.until_any(&["id='s2'"]);
    let text = String::from_utf8_lossy(&juliet.seen).into_owned();
    let pushes: Vec<&str> = text
        .split("<iq")
        .filter(|s| s.contains("type='set'"))
        .filter_map(|s| s.split("id='").nth(1)?.split('\'').next())
        .collect();
    assert_eq!(pushes.len(), 2, "{text}");
    assert_ne!(pushes[0], pushes[1], "{text}");
}

/// `--max-connections`: a connection past the bound is closed at once,
/// and a place comes back when a connection ends.
#[test]
fn connections_past_max_connections_are_closed() {
    use std::io::{Read as _, Write as _};
    let served = Served::start(&["--tls", "off", "--allow-plain", "--max-connections", "2"]);
    let server = served.c2s();
    let header = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
        xmlns:stream='http://etherx.jabber.org/streams' to='localhost' version='1.0'>";
    let open = || {
        let mut tcp = std::net::TcpStream::connect(&server).expect("connect");
        tcp.set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let _ = tcp.write_all(header.as_bytes());
        tcp
    };
    // Whether the server answers with its own header (or else closes).
    let answered = |tcp: &mut std::net::TcpStream| {
        let mut buf = [0u8; 512];
        loop {
            match tcp.read(&mut buf) {
                Ok(0) => return false,
                Ok(_) => return true,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return false,
            }
        }
    };
    let mut first = open();
    let mut second = open();
    assert!(answered(&mut first) && answered(&mut second));
    let mut third = open();
    assert!(!answered(&mut third), "a third connection is closed");
    drop(first);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut again = open();
        if answered(&mut again) {
            break;
        }
        assert!(Instant::now() < deadline, "no place came back");
        std::thread::sleep(Duration::from_millis(100));
    }
}

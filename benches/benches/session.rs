//! xmpp-session's server side, the figures of issue 11:
//!
//! 1. the heap an idle, bound server session holds (framer, buffers and
//!    XEP-0198 state included): counted with `stats_alloc` (bytes live
//!    after binding minus before, and after `Server::shrink_idle`, which
//!    xmpp-tokio's driver calls once a session is bound) and as
//!    `Server::heap_size()` reports it;
//! 2. the server's CPU per login, stream open to bound with XEP-0198
//!    enabled, SCRAM-SHA-256 with stored keys (no PBKDF2 on the server):
//!    a client's bytes are recorded once and replayed into fresh `Server`s
//!    with the same seed, so that its proof stays valid and no client work
//!    is timed;
//! 3. one routed message in steady state, bytes in to bytes out: a bound
//!    session reads a chat message's bytes and emits the stanza event, and
//!    another bound session sends it and emits its bytes. `forwarded` is
//!    what a router does, handing the event's `RoutedStanza` on as it is
//!    (the second session copies the bytes it came in, `from` stamped);
//!    `typed` takes the `Stanza` out first, as an application that edits
//!    it does, and the second session serializes it. Both with XEP-0198
//!    off and on, and the allocations per message of each.
//!
//! The figures are CPU time of the bench thread.
//!
//! `cargo bench -p xmpp-benches --bench session -- --warm-up-time 1 --measurement-time 3`

#![allow(
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    reason = "a benchmark binary; criterion_group! generates an undocumented function"
)]

use std::alloc::System;
use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use xmpp_jid::{BareJid, Jid};
use xmpp_sasl::{Credentials, Hash, Mechanism, Prep, ServerSecret, StoredCredentials};
use xmpp_session::{
    Client, ClientConfig, ClientEvent, Instant, Seed, Server, ServerConfig, ServerEvent, SmConfig,
    TlsPolicy,
};
use xmpp_stanza::{Message, Stanza, StanzaNs};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const DOMAIN: &str = "example.com";
const MECH: Mechanism = Mechanism::Scram {
    hash: Hash::Sha256,
    plus: false,
};
const SERVER_SEED: [u8; 32] = [2; 32];

/// The server's policy: SCRAM-SHA-256 only, no TLS (a bench has none to
/// run), stream management as given.
fn server_config(sm: SmConfig) -> ServerConfig {
    let secret = ServerSecret::new([7; 32])
        .unwrap()
        .accounts(Hash::Sha256, 16, 4096)
        .unwrap();
    ServerConfig::new(DOMAIN, secret)
        .tls(TlsPolicy::Off)
        .mechanisms([MECH])
        .sm(sm)
}

/// The account's stored keys: what the server's database gives.
fn stored(password: &str) -> StoredCredentials {
    StoredCredentials::from_password(
        Hash::Sha256,
        Prep::SaslPrep,
        password,
        b"salt-of-sixteen!",
        4096,
    )
    .unwrap()
}

/// A login, as the client's bytes and what the server needs to answer.
struct Login {
    /// The client's transmits, in order, each up to the server's answer.
    transcript: Vec<Vec<u8>>,
    stored: StoredCredentials,
    resource: String,
}

/// Answers the server's requests; true once a resource is bound.
fn serve(server: &mut Server, login: &Login) -> bool {
    let mut bound = false;
    while let Some(event) = server.poll_event() {
        match event {
            ServerEvent::CredentialsRequest { .. } => {
                server
                    .provide_credentials(Credentials::Scram(login.stored.clone()))
                    .unwrap();
            }
            ServerEvent::BindRequest { .. } => {
                server.accept_bind(&login.resource).unwrap();
            }
            ServerEvent::Bound { .. } => bound = true,
            _ => {}
        }
    }
    bound
}

/// Runs a real client against a server with [`SERVER_SEED`] and records
/// the client's bytes up to its `Bound` (the XEP-0198 `<enable/>` after
/// it included).
fn record(user: &str, password: &str, sm: SmConfig) -> Login {
    let now = Instant::from_millis(0);
    let jid = BareJid::new(&format!("{user}@{DOMAIN}")).unwrap();
    let resource = format!("{user}-res");
    let mut client = Client::new(
        ClientConfig::new(jid, password)
            .tls(TlsPolicy::Off)
            .resource(resource.clone())
            .sm(sm),
        Seed::new([1; 32]),
        now,
    );
    let mut server = Server::new(server_config(sm), Seed::new(SERVER_SEED), now);
    let mut login = Login {
        transcript: Vec::new(),
        stored: stored(password),
        resource,
    };
    let mut client_bound = false;
    for _ in 0..20 {
        let mut sent = Vec::new();
        while let Some(bytes) = client.poll_transmit() {
            sent.extend_from_slice(&bytes);
        }
        if !sent.is_empty() {
            server.handle_input(&sent).unwrap();
            login.transcript.push(sent);
        }
        serve(&mut server, &login);
        while let Some(bytes) = server.poll_transmit() {
            client.handle_input(&bytes).unwrap();
        }
        while let Some(event) = client.poll_event() {
            client_bound |= matches!(event, ClientEvent::Bound { .. });
        }
        if client_bound {
            // What the client queued with it (<enable/>) is the last.
            let mut rest = Vec::new();
            while let Some(bytes) = client.poll_transmit() {
                rest.extend_from_slice(&bytes);
            }
            if !rest.is_empty() {
                server.handle_input(&rest).unwrap();
                login.transcript.push(rest);
            }
            return login;
        }
    }
    panic!("the recorded login did not bind");
}

/// A fresh server through the recorded login: stream open to bound.
fn replay(config: ServerConfig, login: &Login) -> Server {
    let mut server = Server::new(config, Seed::new(SERVER_SEED), Instant::from_millis(0));
    let mut bound = false;
    for bytes in &login.transcript {
        server.handle_input(bytes).unwrap();
        bound |= serve(&mut server, login);
        while server.poll_transmit().is_some() {}
    }
    assert!(bound, "the replayed login must bind");
    server
}

/// Bytes allocated and not freed since `region` began, by the counting
/// allocator (which counts a `realloc`'s growth or shrinkage in both).
fn live(region: &Region<'_, System>) -> isize {
    let s = region.change();
    s.bytes_allocated as isize - s.bytes_deallocated as isize
}

fn idle_heap(_: &mut Criterion<CpuTime>) {
    for (name, sm) in [("sm on", SmConfig::default()), ("sm off", SmConfig::off())] {
        let login = record("juliet", "r0m30", sm);
        let config = server_config(sm);
        let config_alone = {
            let region = Region::new(GLOBAL);
            let copy = config.clone();
            let n = live(&region);
            drop(copy);
            n
        };
        let fresh = {
            let copy = config.clone();
            let region = Region::new(GLOBAL);
            let server = Server::new(copy, Seed::new(SERVER_SEED), Instant::from_millis(0));
            let n = live(&region);
            drop(server);
            n
        };
        let region = Region::new(GLOBAL);
        let mut server = replay(config.clone(), &login);
        let counted = live(&region);
        let reported = server.heap_size();
        let trimmed = live(&region);
        // What xmpp-tokio's driver does once a session is bound.
        server.shrink_idle();
        let shrunk = live(&region);
        // Ten more, to see no one-time cost in the figure.
        let region = Region::new(GLOBAL);
        let more: Vec<Server> = (0..10).map(|_| replay(config.clone(), &login)).collect();
        let each = live(&region) / 10 - size_of::<Server>() as isize;
        eprintln!(
            "idle bound server session ({name}): {counted} bytes live after binding \
             ({trimmed} after heap_size()'s trim, {shrunk} after shrink_idle()), of which \
             {config_alone} are its \
             ServerConfig; a new Server holds {fresh}; heap_size() reports {reported}; \
             ten more hold {each} each; inline: Server {} bytes, ServerEvent {} bytes",
            size_of::<Server>(),
            size_of::<ServerEvent>(),
        );
        black_box((&server, &more));
    }
}

fn login(c: &mut Criterion<CpuTime>) {
    let sm = SmConfig::default();
    let login = record("juliet", "r0m30", sm);
    let config = server_config(sm);
    let mut g = c.benchmark_group("server login, stored keys, open to bound (sm enabled)");
    g.bench_function("xmpp-session", |b| {
        b.iter_batched(
            || config.clone(),
            |config| black_box(replay(config, &login)),
            BatchSize::SmallInput,
        );
    });
    g.finish();
}

/// Two bound sessions, alice's and bob's, and the bytes of a chat message
/// alice's client sends to bob.
fn routing_pair(sm: SmConfig) -> (Server, Server, Vec<u8>) {
    let alice = record("alice", "a-secret", sm);
    let bob = record("bob", "b-secret", sm);
    let a = replay(server_config(sm), &alice);
    let b = replay(server_config(sm), &bob);
    let to = Jid::new("bob@example.com/bob-res").unwrap();
    let message = Message::chat(StanzaNs::Client, to, "Wherefore art thou, Romeo?").with_id("m1");
    let mut xml = String::new();
    Stanza::Message(message)
        .to_element()
        .write_xml_in(&mut xml, xmpp_stanza::CLIENT_NS);
    (a, b, xml.into_bytes())
}

/// How the stanza goes from one session to the other.
#[derive(Clone, Copy)]
enum Path {
    /// The `RoutedStanza` as it comes: its bytes are forwarded.
    Forwarded,
    /// The typed `Stanza` taken out: it is serialized again.
    Typed,
}

/// One message through: bytes into `a`, the stanza out of it, into `b`,
/// bytes out of `b`.
fn route(a: &mut Server, b: &mut Server, bytes: &[u8], path: Path) -> usize {
    a.handle_input(bytes).unwrap();
    let mut out = 0;
    while let Some(event) = a.poll_event() {
        if let ServerEvent::Stanza(stanza) = event {
            match path {
                Path::Forwarded => b.send(stanza).unwrap(),
                Path::Typed => b.send(stanza.into_stanza()).unwrap(),
            }
        }
    }
    // alice's session answers nothing; bob's writes the message.
    while a.poll_transmit().is_some() {}
    while let Some(sent) = b.poll_transmit() {
        out += sent.len();
    }
    // What bob's session reports (XEP-0198 acknowledgements) is taken,
    // as a driver does.
    while let Some(event) = b.poll_event() {
        black_box(event);
    }
    out
}

/// Routes messages from `a` to `b` one by one; with XEP-0198 on, bob's
/// client acknowledges every 5 stanzas, as a client with the default
/// policy would.
struct Router {
    a: Server,
    b: Server,
    sm: bool,
    routed: u32,
}

impl Router {
    fn new(sm: SmConfig) -> (Self, Vec<u8>) {
        let (a, b, bytes) = routing_pair(sm);
        let router = Self {
            a,
            b,
            sm: sm.enabled,
            routed: 0,
        };
        (router, bytes)
    }

    fn route(&mut self, bytes: &[u8], path: Path) -> usize {
        let n = route(&mut self.a, &mut self.b, bytes, path);
        self.routed = self.routed.wrapping_add(1);
        if self.sm && self.routed % 5 == 0 {
            let ack = format!("<a xmlns='urn:xmpp:sm:3' h='{}'/>", self.routed);
            self.b.handle_input(ack.as_bytes()).unwrap();
        }
        n
    }
}

fn routing(c: &mut Criterion<CpuTime>) {
    let mut g = c.benchmark_group("routed message, bytes in to bytes out");
    g.throughput(Throughput::Elements(1));
    for (sm_name, sm) in [
        ("sm off", SmConfig::off()),
        ("sm on, acked every 5", SmConfig::default()),
    ] {
        for (path_name, path) in [("forwarded", Path::Forwarded), ("typed", Path::Typed)] {
            let (mut router, bytes) = Router::new(sm);
            let out = router.route(&bytes, path);
            assert!(out > 0, "bob's session must write the message");
            let region = Region::new(GLOBAL);
            for _ in 0..1000 {
                router.route(&bytes, path);
            }
            let allocations = region.change().allocations as f64 / 1000.0;
            eprintln!(
                "routed message ({path_name}, {sm_name}): {} bytes in, {out} bytes out, \
                 {allocations} allocations",
                bytes.len()
            );
            let name = format!("xmpp-session {path_name} ({sm_name})");
            g.bench_function(name, |bench| {
                bench.iter(|| black_box(router.route(black_box(&bytes), path)));
            });
        }
    }
    g.finish();
}

/// CPU time of the measuring thread: on a machine shared with other
/// builds, wall time mostly measures them.
struct CpuTime;

static WALL: WallTime = WallTime;

impl Measurement for CpuTime {
    type Intermediate = cpu_time::ThreadTime;
    type Value = Duration;

    fn start(&self) -> Self::Intermediate {
        cpu_time::ThreadTime::now()
    }

    fn end(&self, i: Self::Intermediate) -> Duration {
        i.elapsed()
    }

    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }

    fn zero(&self) -> Duration {
        Duration::ZERO
    }

    fn to_f64(&self, v: &Duration) -> f64 {
        v.as_nanos() as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        WALL.formatter()
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().with_measurement(CpuTime);
    targets = idle_heap, login, routing
}
criterion_main!(benches);

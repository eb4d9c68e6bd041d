//! The checked-in seeds of the `session_*_input` fuzz targets reach the
//! phases they were written for, driven as the targets drive them.

use std::path::PathBuf;

use xmpp_jid::BareJid;
use xmpp_sasl::Credentials;
use xmpp_session::{
    Client, ClientConfig, ClientEvent, Instant, Seed, Server, ServerConfig, ServerEvent, TlsPolicy,
};
use zeroize::Zeroizing;

fn seed(target: &str, name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/seeds")
        .join(target)
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_server_seed_logs_in_binds_and_routes() {
    let data = seed("session_server_input", "plain-login-bind-sm-message");
    let (_, input) = data.split_first().expect("layout");
    let secret =
        xmpp_sasl::ServerSecret::new(*b"a fuzzing secret of 32 bytes....").expect("secret");
    let config = ServerConfig::new("example.com", secret)
        .tls(TlsPolicy::Off)
        .allow_plain_unencrypted(true);
    let mut server = Server::new(config, Seed::new([3; 32]), Instant::from_millis(0));
    server
        .handle_input(input)
        .expect("the seed is a valid session");
    let mut kinds = Vec::new();
    while let Some(event) = server.poll_event() {
        match &event {
            ServerEvent::CredentialsRequest { .. } => server
                .provide_credentials(Credentials::Password(Zeroizing::new("pencil".into())))
                .expect("credentials"),
            ServerEvent::BindRequest { suggested, .. } => {
                server.accept_bind(suggested).expect("bind");
            }
            _ => {}
        }
        kinds.push(
            format!("{event:?}")
                .split([' ', '(', '{'])
                .next()
                .unwrap_or("")
                .to_owned(),
        );
    }
    assert_eq!(
        kinds,
        [
            "CredentialsRequest",
            "Authenticated",
            "BindRequest",
            "Bound",
            "SmEnabled",
            "Stanza",
            "Closed"
        ]
    );
}

#[test]
fn the_client_seed_logs_in_binds_and_receives() {
    let data = seed("session_client_input", "plain-login-bind-sm-message");
    let (_, input) = data.split_first().expect("layout");
    let config = ClientConfig::new(BareJid::new("juliet@example.com").expect("jid"), "pencil")
        .tls(TlsPolicy::Off)
        .allow_plain_unencrypted(true);
    let mut client = Client::new(config, Seed::new([4; 32]), Instant::from_millis(0));
    client
        .handle_input(input)
        .expect("the seed is a valid session");
    let mut bound = false;
    let mut stanzas = 0;
    while let Some(event) = client.poll_event() {
        match event {
            ClientEvent::Bound { .. } => bound = true,
            ClientEvent::Stanza(_) => stanzas += 1,
            _ => {}
        }
    }
    assert!(bound);
    assert_eq!(stanzas, 1);
}

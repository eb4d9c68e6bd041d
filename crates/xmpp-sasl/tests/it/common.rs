//! Shared helpers: reading `testdata/sasl/` and building sessions from a
//! vector's header.

use std::collections::BTreeMap;
use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use xmpp_sasl::{
    CbindFlag, ChannelBinding, ChannelBindingType, Choice, ClientConfig, Credentials, HtVersion,
    Limits, Mechanism, Prep, ServerConfig, ServerSecret, Ssdp, SsdpForm, StoredCredentials,
};

/// The choice a test runs `mech` with: bound to the client's first binding
/// type of the mechanism's kind where it binds, gs2 flag `n` otherwise.
pub(crate) fn choice(mech: Mechanism, client: &ClientConfig) -> Choice {
    let cbind = match mech {
        Mechanism::Ht { binding } => binding
            .channel_binding_type()
            .map_or(CbindFlag::Unsupported, CbindFlag::Bind),
        Mechanism::Scram { plus: true, .. } => client
            .channel_binding_types()
            .first()
            .map_or(CbindFlag::Unsupported, |t| CbindFlag::Bind(*t)),
        _ => CbindFlag::Unsupported,
    };
    Choice {
        mechanism: mech,
        cbind,
    }
}

/// The server secret of every test: fixed, so failures reproduce.
pub(crate) fn secret() -> ServerSecret {
    ServerSecret::new(*b"the tests' server secret, 32 B..").expect("long enough")
}

/// A server configuration with the test secret, every mechanism enabled,
/// and otherwise default policy.
pub(crate) fn server_config() -> ServerConfig {
    ServerConfig::new(secret()).mechanisms(Mechanism::all())
}

/// `testdata/sasl/` in the workspace.
pub(crate) fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/sasl")
}

/// One exchange: header keys and the messages in order.
#[derive(Debug, Clone)]
pub(crate) struct Vector {
    pub(crate) name: String,
    pub(crate) keys: BTreeMap<String, String>,
    /// (from client?, bytes)
    pub(crate) messages: Vec<(bool, Vec<u8>)>,
}

impl Vector {
    pub(crate) fn parse(name: &str, text: &str) -> Self {
        let mut keys = BTreeMap::new();
        let mut messages = Vec::new();
        for line in text.lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let (k, v) = line
                .split_once(": ")
                .unwrap_or_else(|| panic!("{name}: bad line {line:?}"));
            match k {
                "C" => messages.push((true, v.as_bytes().to_vec())),
                "S" => messages.push((false, v.as_bytes().to_vec())),
                "C64" => messages.push((true, STANDARD.decode(v).expect("C64 base64"))),
                "S64" => messages.push((false, STANDARD.decode(v).expect("S64 base64"))),
                _ => {
                    keys.insert(k.to_owned(), v.to_owned());
                }
            }
        }
        Self {
            name: name.to_owned(),
            keys,
            messages,
        }
    }

    pub(crate) fn get(&self, k: &str) -> Option<&str> {
        self.keys.get(k).map(String::as_str)
    }

    pub(crate) fn mechanism(&self) -> Mechanism {
        let m = self
            .get("mechanism")
            .unwrap_or_else(|| panic!("{}: no mechanism", self.name));
        Mechanism::from_name(m).unwrap_or_else(|| panic!("{}: unknown mechanism {m}", self.name))
    }

    pub(crate) fn channel_binding(&self) -> Option<ChannelBinding> {
        let kind = ChannelBindingType::from_name(self.get("cb-type")?).expect("cb-type");
        Some(ChannelBinding::new(
            kind,
            STANDARD
                .decode(self.get("cb-data-b64")?)
                .expect("cb-data-b64"),
        ))
    }

    pub(crate) fn limits(&self) -> Limits {
        Limits::default()
    }

    fn ssdp(&self) -> Option<Ssdp> {
        let mechs = self
            .get("ssdp-mechanisms")?
            .split(' ')
            .map(str::to_owned)
            .collect::<Vec<_>>();
        let cbs = self
            .get("ssdp-channel-bindings")
            .map(|c| c.split(' ').map(str::to_owned).collect::<Vec<_>>());
        Some(Ssdp::new(mechs, cbs))
    }

    pub(crate) fn client_config(&self) -> ClientConfig {
        let mut c = ClientConfig::new().limits(self.limits());
        if let Some(u) = self.get("username") {
            c = c.username(u);
        }
        if let Some(p) = self.get("password") {
            c = c.password(p);
        }
        if let Some(a) = self.get("authzid") {
            c = c.authzid(a);
        }
        if let Some(t) = self.get("trace") {
            c = c.trace(t);
        }
        if let Some(cb) = self.channel_binding() {
            c = c.channel_binding(cb);
        }
        if let Some(s) = self.ssdp() {
            c = c.ssdp(s);
        }
        if let Some(t) = self.get("token") {
            c = c.token(t);
        }
        c.ht_version(self.ht_version())
    }

    fn ht_version(&self) -> HtVersion {
        match self.get("ht-version") {
            Some("ietf-01") => HtVersion::Ietf01,
            _ => HtVersion::Schmaus09,
        }
    }

    pub(crate) fn server_config(&self) -> ServerConfig {
        let mut c = server_config().limits(self.limits()).encrypted(true);
        if let Some(cb) = self.channel_binding() {
            c = c.channel_binding(cb);
        }
        // The server advertises exactly the vector's lists: those
        // mechanisms, and binding data (made up where the vector has none)
        // for each listed type.
        if let Some(mechs) = self.get("ssdp-mechanisms") {
            c = c.mechanisms(mechs.split(' ').filter_map(Mechanism::from_name));
            for name in self.get("ssdp-channel-bindings").unwrap_or("").split(' ') {
                let kind = ChannelBindingType::from_name(name).expect("cb type");
                if !c.channel_binding_types().contains(&kind) {
                    c = c.channel_binding(ChannelBinding::new(kind, *b"unused"));
                }
            }
            c = c.ssdp(SsdpForm::Current);
        }
        c.ht_version(self.ht_version())
    }

    /// What the server's caller answers to a credentials request.
    pub(crate) fn credentials(&self) -> Credentials {
        let mech = self.mechanism();
        if let Some(token) = self.get("token") {
            return Credentials::Token(token.to_owned().into());
        }
        if let Some(id) = self.get("external-identity") {
            return Credentials::External(id.to_owned());
        }
        let password = self
            .get("server-password")
            .or(self.get("password"))
            .unwrap_or_default();
        match mech.scram_hash() {
            Some(hash) => {
                let salt = STANDARD
                    .decode(self.get("salt-b64").expect("salt-b64"))
                    .expect("salt base64");
                let iterations = self
                    .get("iterations")
                    .expect("iterations")
                    .parse()
                    .expect("iterations");
                Credentials::Scram(
                    StoredCredentials::from_password(
                        hash,
                        Prep::SaslPrep,
                        password,
                        &salt,
                        iterations,
                    )
                    .expect("derivable"),
                )
            }
            None => Credentials::Password(password.to_owned().into()),
        }
    }
}

/// Every file in `testdata/sasl/` whose name matches `filter`, parsed.
pub(crate) fn vectors(filter: impl Fn(&str) -> bool) -> Vec<Vector> {
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(dir())
        .expect("testdata/sasl")
        .flatten()
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".txt") && filter(&name) {
            let text = std::fs::read_to_string(e.path()).expect("readable");
            out.push(Vector::parse(&name, &text));
        }
    }
    out
}

/// Renders bytes for a failure message.
pub(crate) fn show(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

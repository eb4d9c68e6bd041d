//! Mechanism names (the IANA "SASL Mechanisms" registry) and the client's
//! choice among the ones a server offers.

use core::fmt;

use crate::cb::{ChannelBindingType, TlsVersion};

/// The hash function of a SCRAM or HT mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Hash {
    /// SHA-1 (RFC 5802).
    Sha1,
    /// SHA-256 (RFC 7677).
    Sha256,
    /// SHA-512 (draft-melnikov-scram-sha-512).
    Sha512,
}

impl Hash {
    /// The output length in bytes.
    pub const fn output_len(self) -> usize {
        match self {
            Self::Sha1 => 20,
            Self::Sha256 => 32,
            Self::Sha512 => 64,
        }
    }

    pub(crate) const fn suffix(self) -> &'static str {
        match self {
            Self::Sha1 => "SHA-1",
            Self::Sha256 => "SHA-256",
            Self::Sha512 => "SHA-512",
        }
    }
}

/// The channel binding of an HT mechanism (draft-schmaus-kitten-sasl-ht §3):
/// the suffix of `HT-SHA-256-…`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum HtBinding {
    /// `-NONE`: no channel binding.
    None,
    /// `-UNIQ`: `tls-unique`.
    Unique,
    /// `-ENDP`: `tls-server-end-point`.
    EndPoint,
    /// `-EXPR`: `tls-exporter`.
    Exporter,
}

impl HtBinding {
    /// The channel-binding type it uses.
    pub const fn channel_binding_type(self) -> Option<ChannelBindingType> {
        match self {
            Self::None => None,
            Self::Unique => Some(ChannelBindingType::TlsUnique),
            Self::EndPoint => Some(ChannelBindingType::TlsServerEndPoint),
            Self::Exporter => Some(ChannelBindingType::TlsExporter),
        }
    }
}

/// A SASL mechanism this crate implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mechanism {
    /// `PLAIN` (RFC 4616).
    Plain,
    /// `EXTERNAL` (RFC 4422 Appendix A).
    External,
    /// `ANONYMOUS` (RFC 4505).
    Anonymous,
    /// `SCRAM-SHA-*` and, with `plus`, `SCRAM-SHA-*-PLUS` (RFC 5802, RFC 7677).
    Scram {
        /// The hash function.
        hash: Hash,
        /// Whether this is the channel-binding (`-PLUS`) variant.
        plus: bool,
    },
    /// `HT-SHA-256-*` (XEP-0484 FAST tokens).
    Ht {
        /// The channel binding.
        binding: HtBinding,
    },
}

/// Every mechanism, for iteration.
const ALL: [Mechanism; 13] = [
    Mechanism::Scram {
        hash: Hash::Sha512,
        plus: true,
    },
    Mechanism::Scram {
        hash: Hash::Sha256,
        plus: true,
    },
    Mechanism::Scram {
        hash: Hash::Sha1,
        plus: true,
    },
    Mechanism::Scram {
        hash: Hash::Sha512,
        plus: false,
    },
    Mechanism::Scram {
        hash: Hash::Sha256,
        plus: false,
    },
    Mechanism::Scram {
        hash: Hash::Sha1,
        plus: false,
    },
    Mechanism::Ht {
        binding: HtBinding::Exporter,
    },
    Mechanism::Ht {
        binding: HtBinding::Unique,
    },
    Mechanism::Ht {
        binding: HtBinding::EndPoint,
    },
    Mechanism::Ht {
        binding: HtBinding::None,
    },
    Mechanism::Plain,
    Mechanism::External,
    Mechanism::Anonymous,
];

impl Mechanism {
    /// The registered name, e.g. `SCRAM-SHA-256-PLUS`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Plain => "PLAIN",
            Self::External => "EXTERNAL",
            Self::Anonymous => "ANONYMOUS",
            Self::Scram { hash, plus } => match (hash, plus) {
                (Hash::Sha1, false) => "SCRAM-SHA-1",
                (Hash::Sha1, true) => "SCRAM-SHA-1-PLUS",
                (Hash::Sha256, false) => "SCRAM-SHA-256",
                (Hash::Sha256, true) => "SCRAM-SHA-256-PLUS",
                (Hash::Sha512, false) => "SCRAM-SHA-512",
                (Hash::Sha512, true) => "SCRAM-SHA-512-PLUS",
            },
            Self::Ht { binding } => match binding {
                HtBinding::None => "HT-SHA-256-NONE",
                HtBinding::Unique => "HT-SHA-256-UNIQ",
                HtBinding::EndPoint => "HT-SHA-256-ENDP",
                HtBinding::Exporter => "HT-SHA-256-EXPR",
            },
        }
    }

    /// Parses a registered name (exact, upper case as registered).
    pub fn from_name(name: &str) -> Option<Self> {
        ALL.into_iter().find(|m| m.name() == name)
    }

    /// Every mechanism this crate implements, strongest first.
    pub fn all() -> impl Iterator<Item = Self> {
        ALL.into_iter()
    }

    /// Whether the mechanism sends the password in the clear (only PLAIN).
    pub const fn is_plaintext(self) -> bool {
        matches!(self, Self::Plain)
    }

    /// Whether the mechanism binds the exchange to the TLS channel.
    pub const fn uses_channel_binding(self) -> bool {
        match self {
            Self::Scram { plus, .. } => plus,
            Self::Ht { binding } => !matches!(binding, HtBinding::None),
            _ => false,
        }
    }

    /// The SCRAM hash, for SCRAM mechanisms.
    pub const fn scram_hash(self) -> Option<Hash> {
        match self {
            Self::Scram { hash, .. } => Some(hash),
            _ => None,
        }
    }

    /// The hash whose name the mechanism carries (`SHA-…`), used by XEP-0474.
    pub const fn hash(self) -> Option<Hash> {
        match self {
            Self::Scram { hash, .. } => Some(hash),
            Self::Ht { .. } => Some(Hash::Sha256),
            _ => None,
        }
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.suffix())
    }
}

/// What a client can complete, for [`select`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Capabilities<'a> {
    /// The client has a password (SCRAM, PLAIN).
    pub password: bool,
    /// The client holds a FAST token (HT).
    pub token: bool,
    /// The client authenticates with something outside SASL, such as a TLS
    /// client certificate (EXTERNAL).
    pub external: bool,
    /// The client wants ANONYMOUS when nothing else fits.
    pub anonymous: bool,
    /// The client may send the password in the clear (PLAIN); set this only
    /// on a TLS-protected stream.
    pub allow_plain: bool,
    /// The channel-binding types the TLS layer can give data for, in order of
    /// preference.
    pub channel_bindings: &'a [ChannelBindingType],
    /// The types the server advertised with XEP-0440, if it did.
    pub server_channel_bindings: Option<&'a [ChannelBindingType]>,
    /// The TLS version of the connection. `tls-unique` is chosen only on a
    /// known TLS 1.2 (RFC 9266 §3 forbids it on TLS 1.3).
    pub tls_version: Option<TlsVersion>,
    /// The mechanisms the client's policy allows (`None`: every one). The
    /// others are never chosen but still count as offered: a server that
    /// offers `-PLUS` to a client whose policy excludes it gets gs2 flag
    /// `n`, not `y`.
    pub allowed: Option<&'a [Mechanism]>,
}

/// How the chosen mechanism uses channel binding: for SCRAM the
/// gs2-cbind-flag (RFC 5802 §6, §7), for HT its binding type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CbindFlag {
    /// `n`: no binding. The client has no binding data the server takes,
    /// or the mechanism binds nothing (PLAIN, HT-SHA-256-NONE, …).
    Unsupported,
    /// `y`: the client could bind but the server offered no `-PLUS`
    /// mechanism. A server that does offer one sees the downgrade and
    /// refuses (`server-does-support-channel-binding`).
    NotOffered,
    /// `p=<type>`: bind to the data of this type (`-PLUS`, bound HT).
    Bind(ChannelBindingType),
}

/// The client's choice: which mechanism, and how it binds to the channel.
/// [`select`] makes one; [`ClientSession::new`](crate::ClientSession::new)
/// runs it and refuses a flag that does not fit the mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Choice {
    /// The mechanism to run.
    pub mechanism: Mechanism,
    /// The channel-binding flag to send.
    pub cbind: CbindFlag,
}

impl Choice {
    /// A mechanism run without channel binding (gs2 flag `n` for SCRAM):
    /// PLAIN, EXTERNAL, ANONYMOUS, SCRAM without `-PLUS`, HT-SHA-256-NONE.
    pub const fn unbound(mechanism: Mechanism) -> Self {
        Self {
            mechanism,
            cbind: CbindFlag::Unsupported,
        }
    }
}

/// Picks the strongest offered mechanism the client can complete.
///
/// Order: HT (a FAST token) with binding, SCRAM-PLUS (SHA-512, SHA-256,
/// SHA-1), SCRAM, HT without binding, EXTERNAL, PLAIN (only when
/// `allow_plain`), ANONYMOUS (only when asked). A binding type is used only
/// if the client has data for it and, where the server advertised its types
/// (XEP-0440), the server lists it; the client's order of preference wins.
/// Unknown offered names are ignored. `tls-unique` is used only on a
/// known TLS 1.2 ([`Capabilities::tls_version`], RFC 9266 §3). Where the
/// server advertised no types, only the default of the TLS version
/// ([`TlsVersion::default_channel_binding`]) is used.
///
/// The choice carries the gs2-cbind-flag SCRAM must send (RFC 5802 §6):
/// when the server offers `-PLUS` but shares no binding type with the
/// client, plain SCRAM with `n`; when the client has binding data and the
/// server offers no `-PLUS` at all (perhaps stripped by a man in the
/// middle), plain SCRAM with `y`, so that a server which does support
/// binding detects it. Give the client the advertised lists
/// ([`crate::Ssdp`]) to check XEP-0474's hash too.
pub fn select<'s>(
    offered: impl IntoIterator<Item = &'s str> + Clone,
    caps: &Capabilities<'_>,
) -> Option<Choice> {
    // The server takes what it advertised (XEP-0440), else only the
    // default type of the TLS version: binding with another is refused
    // (Prosody 0.12 on TLS 1.2 answers `tls-server-end-point` with
    // malformed-request). On an unknown version, any.
    let server_takes = |t: &ChannelBindingType| match caps.server_channel_bindings {
        Some(s) => s.contains(t),
        None => caps
            .tls_version
            .is_none_or(|v| v.default_channel_binding() == *t),
    };
    let usable = |t: &ChannelBindingType| {
        t.allowed_on(caps.tls_version) && caps.channel_bindings.contains(t) && server_takes(t)
    };
    let binding = caps.channel_bindings.iter().copied().find(usable);
    let can_bind = caps
        .channel_bindings
        .iter()
        .any(|t| t.allowed_on(caps.tls_version));
    let offers = |m: Mechanism| offered.clone().into_iter().any(|o| o == m.name());
    let plus_offered = ALL
        .into_iter()
        .any(|m| matches!(m, Mechanism::Scram { plus: true, .. }) && offers(m));
    let mut order = ALL;
    // A token beats a password: FAST exists to skip the password.
    order.sort_by_key(|m| match m {
        Mechanism::Ht { binding: b } if !matches!(b, HtBinding::None) => 0,
        Mechanism::Scram { plus: true, .. } => 1,
        Mechanism::Scram { plus: false, .. } => 2,
        Mechanism::Ht { .. } => 3,
        Mechanism::External => 4,
        Mechanism::Plain => 5,
        Mechanism::Anonymous => 6,
    });
    let allowed = |m: &Mechanism| caps.allowed.is_none_or(|a| a.contains(m));
    order
        .into_iter()
        .filter(|m| offers(*m) && allowed(m))
        .find_map(|m| {
            let completes = match m {
                Mechanism::Scram { plus: true, .. } => caps.password && binding.is_some(),
                Mechanism::Scram { plus: false, .. } => caps.password,
                Mechanism::Ht { binding: b } => {
                    caps.token && b.channel_binding_type().is_none_or(|t| usable(&t))
                }
                Mechanism::External => caps.external,
                Mechanism::Plain => caps.password && caps.allow_plain,
                Mechanism::Anonymous => caps.anonymous,
            };
            let cbind = match m {
                Mechanism::Scram { plus: true, .. } => binding.map(CbindFlag::Bind),
                Mechanism::Scram { plus: false, .. } if can_bind && !plus_offered => {
                    Some(CbindFlag::NotOffered)
                }
                Mechanism::Ht { binding: b } => b.channel_binding_type().map(CbindFlag::Bind),
                _ => None,
            };
            completes.then_some(Choice {
                mechanism: m,
                cbind: cbind.unwrap_or(CbindFlag::Unsupported),
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for m in Mechanism::all() {
            assert_eq!(Mechanism::from_name(m.name()), Some(m), "{m}");
        }
        assert_eq!(Mechanism::from_name("scram-sha-1"), None);
    }

    #[test]
    fn prefers_plus_with_binding_data() {
        let offered = ["PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-1-PLUS", "SCRAM-SHA-256"];
        let caps = Capabilities {
            password: true,
            channel_bindings: &[ChannelBindingType::TlsExporter],
            ..Capabilities::default()
        };
        let c = select(offered, &caps).expect("a choice");
        assert_eq!(c.mechanism.name(), "SCRAM-SHA-1-PLUS");
        assert_eq!(c.cbind, CbindFlag::Bind(ChannelBindingType::TlsExporter));
        let caps = Capabilities {
            password: true,
            ..Capabilities::default()
        };
        assert_eq!(
            select(offered, &caps).map(|c| c.mechanism.name()),
            Some("SCRAM-SHA-256")
        );
    }

    #[test]
    fn a_policy_that_excludes_plus_still_sees_it_offered() {
        let offered = ["SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"];
        let only = [Mechanism::Scram {
            hash: Hash::Sha256,
            plus: false,
        }];
        let caps = Capabilities {
            password: true,
            channel_bindings: &[ChannelBindingType::TlsExporter],
            allowed: Some(&only),
            ..Capabilities::default()
        };
        let c = select(offered, &caps).expect("a choice");
        assert_eq!(c.mechanism, only[0]);
        // The server offers -PLUS: `n`, since nothing was stripped.
        assert_eq!(c.cbind, CbindFlag::Unsupported);
        let c = select(["SCRAM-SHA-256"], &caps).expect("a choice");
        assert_eq!(c.cbind, CbindFlag::NotOffered);
    }

    #[test]
    fn honours_xep_0440_advertisement() {
        let offered = ["SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"];
        let mine = [
            ChannelBindingType::TlsExporter,
            ChannelBindingType::TlsServerEndPoint,
        ];
        let caps = Capabilities {
            password: true,
            channel_bindings: &mine,
            server_channel_bindings: Some(&[ChannelBindingType::TlsServerEndPoint]),
            ..Capabilities::default()
        };
        let c = select(offered, &caps).expect("a choice");
        assert_eq!(
            c.cbind,
            CbindFlag::Bind(ChannelBindingType::TlsServerEndPoint)
        );
        let caps = Capabilities {
            server_channel_bindings: Some(&[ChannelBindingType::TlsUnique]),
            ..caps
        };
        assert_eq!(
            select(offered, &caps).map(|c| c.mechanism.name()),
            Some("SCRAM-SHA-256")
        );
    }

    #[test]
    fn unbound_ht_ranks_after_scram_bound_ht_first() {
        let offered = ["SCRAM-SHA-256", "HT-SHA-256-EXPR", "HT-SHA-256-NONE"];
        let caps = Capabilities {
            password: true,
            token: true,
            ..Capabilities::default()
        };
        assert_eq!(
            select(offered, &caps).map(|c| c.mechanism.name()),
            Some("SCRAM-SHA-256")
        );
        let caps = Capabilities {
            password: false,
            ..caps
        };
        assert_eq!(
            select(offered, &caps).map(|c| c.mechanism.name()),
            Some("HT-SHA-256-NONE")
        );
        let caps = Capabilities {
            channel_bindings: &[ChannelBindingType::TlsExporter],
            ..caps
        };
        let c = select(offered, &caps).expect("a choice");
        assert_eq!(
            (c.mechanism.name(), c.cbind),
            (
                "HT-SHA-256-EXPR",
                CbindFlag::Bind(ChannelBindingType::TlsExporter)
            )
        );
        assert_eq!(select(["DIGEST-MD5", "X-UNKNOWN"], &caps), None);
    }

    #[test]
    fn plain_only_when_allowed() {
        let caps = Capabilities {
            password: true,
            ..Capabilities::default()
        };
        assert_eq!(select(["PLAIN"], &caps), None);
        let caps = Capabilities {
            allow_plain: true,
            ..caps
        };
        assert_eq!(
            select(["PLAIN"], &caps).map(|c| c.mechanism),
            Some(Mechanism::Plain)
        );
    }

    #[test]
    fn the_choice_carries_the_gs2_flag() {
        // RFC 5802 §6: `n` when the server offers -PLUS with no type in
        // common, `y` when the client could bind but saw no -PLUS at all.
        let mine = [ChannelBindingType::TlsExporter];
        let caps = Capabilities {
            password: true,
            channel_bindings: &mine,
            server_channel_bindings: Some(&[ChannelBindingType::TlsServerEndPoint]),
            ..Capabilities::default()
        };
        let no_common = select(["SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"], &caps);
        let stripped = select(["SCRAM-SHA-256"], &caps);
        let scram = Mechanism::Scram {
            hash: Hash::Sha256,
            plus: false,
        };
        assert_eq!(
            no_common,
            Some(Choice {
                mechanism: scram,
                cbind: CbindFlag::Unsupported
            })
        );
        assert_eq!(
            stripped,
            Some(Choice {
                mechanism: scram,
                cbind: CbindFlag::NotOffered
            })
        );
        // Without binding data there is nothing to downgrade: `n`.
        let caps = Capabilities {
            channel_bindings: &[],
            ..caps
        };
        assert_eq!(
            select(["SCRAM-SHA-256"], &caps).map(|c| c.cbind),
            Some(CbindFlag::Unsupported)
        );
    }

    #[test]
    fn without_xep_0440_only_the_default_type_binds() {
        // RFC 5929 §3: tls-unique on TLS 1.2; RFC 9266 §3: tls-exporter on
        // TLS 1.3. A client without that data runs plain SCRAM with `n`
        // (the server offers -PLUS, so nothing was stripped).
        let offered = ["SCRAM-SHA-1", "SCRAM-SHA-1-PLUS"];
        let pick = |mine: &[ChannelBindingType], tls_version| {
            let caps = Capabilities {
                password: true,
                channel_bindings: mine,
                tls_version: Some(tls_version),
                ..Capabilities::default()
            };
            select(offered, &caps).map(|c| (c.mechanism.name(), c.cbind))
        };
        let endpoint_exporter = [
            ChannelBindingType::TlsServerEndPoint,
            ChannelBindingType::TlsExporter,
        ];
        assert_eq!(
            pick(&endpoint_exporter, TlsVersion::Tls12),
            Some(("SCRAM-SHA-1", CbindFlag::Unsupported))
        );
        assert_eq!(
            pick(&endpoint_exporter, TlsVersion::Tls13),
            Some((
                "SCRAM-SHA-1-PLUS",
                CbindFlag::Bind(ChannelBindingType::TlsExporter)
            ))
        );
        assert_eq!(
            pick(&[ChannelBindingType::TlsUnique], TlsVersion::Tls12),
            Some((
                "SCRAM-SHA-1-PLUS",
                CbindFlag::Bind(ChannelBindingType::TlsUnique)
            ))
        );
    }

    #[test]
    fn never_tls_unique_on_tls_1_3() {
        // RFC 9266 §3.
        let mine = [
            ChannelBindingType::TlsUnique,
            ChannelBindingType::TlsServerEndPoint,
        ];
        let offered = ["SCRAM-SHA-1", "SCRAM-SHA-1-PLUS", "HT-SHA-256-UNIQ"];
        // The server lists both (XEP-0440).
        let caps = |tls_version| Capabilities {
            password: true,
            token: true,
            channel_bindings: &mine,
            server_channel_bindings: Some(&mine),
            tls_version,
            ..Capabilities::default()
        };
        let pick = |tls| select(offered, &caps(tls)).map(|c| (c.mechanism.name(), c.cbind));
        assert_eq!(
            pick(Some(TlsVersion::Tls13)),
            Some((
                "SCRAM-SHA-1-PLUS",
                CbindFlag::Bind(ChannelBindingType::TlsServerEndPoint)
            ))
        );
        assert_eq!(
            pick(None).map(|p| p.1),
            pick(Some(TlsVersion::Tls13)).map(|p| p.1)
        );
        assert_eq!(
            pick(Some(TlsVersion::Tls12)),
            Some((
                "HT-SHA-256-UNIQ",
                CbindFlag::Bind(ChannelBindingType::TlsUnique)
            ))
        );
    }
}

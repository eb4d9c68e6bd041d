//! Channel bindings (RFC 5056): the types of RFC 5929 and RFC 9266 and the
//! data the caller's TLS layer provides for them.

use alloc::vec::Vec;
use core::fmt;

use zeroize::Zeroizing;

/// A channel-binding type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ChannelBindingType {
    /// `tls-unique` (RFC 5929 §3): the first Finished message; TLS 1.2 only.
    TlsUnique,
    /// `tls-server-end-point` (RFC 5929 §4): the hash of the server
    /// certificate.
    TlsServerEndPoint,
    /// `tls-exporter` (RFC 9266): a TLS exporter value; TLS 1.3.
    TlsExporter,
}

impl ChannelBindingType {
    /// The registered name, e.g. `tls-exporter`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::TlsUnique => "tls-unique",
            Self::TlsServerEndPoint => "tls-server-end-point",
            Self::TlsExporter => "tls-exporter",
        }
    }

    /// Parses a registered name.
    pub fn from_name(name: &str) -> Option<Self> {
        [Self::TlsUnique, Self::TlsServerEndPoint, Self::TlsExporter]
            .into_iter()
            .find(|t| t.name() == name)
    }
}

impl fmt::Display for ChannelBindingType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The TLS version of the connection, which decides the binding types it
/// has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TlsVersion {
    /// TLS 1.2: `tls-unique` is defined (RFC 5929 §3).
    Tls12,
    /// TLS 1.3: `tls-unique` is not defined and must never be used
    /// (RFC 9266 §3; RFC 8446 §C.5).
    Tls13,
}

impl TlsVersion {
    /// The name TLS libraries and logs use, e.g. `TLSv1.3`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Tls12 => "TLSv1.2",
            Self::Tls13 => "TLSv1.3",
        }
    }

    /// The channel-binding type a `-PLUS` mechanism uses when the server
    /// did not say which it takes (no XEP-0440 list): `tls-unique` on TLS
    /// 1.2 (RFC 5929 §3, RFC 5802 §6), `tls-exporter` on TLS 1.3 (RFC 9266
    /// §3 makes it the default after 1.2).
    pub const fn default_channel_binding(self) -> ChannelBindingType {
        match self {
            Self::Tls12 => ChannelBindingType::TlsUnique,
            Self::Tls13 => ChannelBindingType::TlsExporter,
        }
    }
}

impl ChannelBindingType {
    /// Whether the type is defined on a connection of this TLS version
    /// (`None`: unknown, which allows no `tls-unique`).
    pub fn allowed_on(self, tls: Option<TlsVersion>) -> bool {
        self != Self::TlsUnique || tls == Some(TlsVersion::Tls12)
    }
}

/// Channel-binding data from the TLS layer, with its type.
#[derive(Clone, PartialEq, Eq)]
pub struct ChannelBinding {
    kind: ChannelBindingType,
    data: Zeroizing<Vec<u8>>,
}

impl ChannelBinding {
    /// Binding data of the given type, as the TLS layer computed it.
    pub fn new(kind: ChannelBindingType, data: impl Into<Vec<u8>>) -> Self {
        Self {
            kind,
            data: Zeroizing::new(data.into()),
        }
    }

    /// The type.
    pub fn kind(&self) -> ChannelBindingType {
        self.kind
    }

    /// The data.
    pub fn data(&self) -> &[u8] {
        &self.data
    }
}

impl fmt::Debug for ChannelBinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChannelBinding")
            .field("kind", &self.kind)
            .field("len", &self.data.len())
            .finish()
    }
}

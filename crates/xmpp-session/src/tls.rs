//! What the driver's TLS layer reports to a machine. The machines never
//! encrypt (RFC 6120 §5 is the driver's to run); they decide when TLS must
//! start and use what it yields: the protocol version and the
//! channel-binding data (RFC 5929, RFC 9266) for `-PLUS` mechanisms and
//! the XEP-0440 list.

use alloc::vec::Vec;

use xmpp_sasl::{ChannelBinding, TlsVersion};

/// The established TLS channel, as the driver's TLS layer knows it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TlsInfo {
    /// The negotiated version.
    pub version: TlsVersion,
    /// The channel-binding data the TLS layer can give, in order of
    /// preference (for example `tls-exporter`, then `tls-server-end-point`).
    pub channel_bindings: Vec<ChannelBinding>,
}

impl TlsInfo {
    /// A channel of `version` with no binding data yet.
    pub fn new(version: TlsVersion) -> Self {
        Self {
            version,
            channel_bindings: Vec::new(),
        }
    }

    /// Adds binding data.
    #[must_use]
    pub fn with_channel_binding(mut self, cb: ChannelBinding) -> Self {
        self.channel_bindings.push(cb);
        self
    }

    /// The binding data that may be used: `tls-unique` is dropped on TLS
    /// 1.3, where it is not defined (RFC 9266 §3; RFC 8446 has no unique
    /// first Finished message to bind to).
    pub(crate) fn usable_bindings(&self) -> impl Iterator<Item = &ChannelBinding> {
        self.channel_bindings
            .iter()
            .filter(move |cb| cb.kind().allowed_on(Some(self.version)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xmpp_sasl::ChannelBindingType;

    #[test]
    fn tls_unique_is_never_used_on_tls_1_3() {
        let info = TlsInfo::new(TlsVersion::Tls13)
            .with_channel_binding(ChannelBinding::new(ChannelBindingType::TlsUnique, [1; 12]))
            .with_channel_binding(ChannelBinding::new(
                ChannelBindingType::TlsExporter,
                [2; 32],
            ));
        let kinds: Vec<_> = info.usable_bindings().map(ChannelBinding::kind).collect();
        assert_eq!(kinds, [ChannelBindingType::TlsExporter]);
        let info = TlsInfo {
            version: TlsVersion::Tls12,
            ..info
        };
        assert_eq!(info.usable_bindings().count(), 2);
    }
}

//! The SCRAM server (RFC 5802 §5), one type per phase:
//! [`ScramServer::client_first`] → [`NeedsCredentials`] →
//! [`ServerFirstSent`] → [`Authenticated`].

use alloc::string::String;
use alloc::vec::Vec;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::keys::StoredCredentials;
use super::parse::{self, CbFlag};
use crate::cb::{ChannelBinding, ChannelBindingType};
use crate::config::{Limits, Nonce};
use crate::error::{Error, Field, Message, ScramError};
use crate::mechanism::Hash;
use crate::prep::Prep;
use crate::ssdp::{Ssdp, SsdpForm};

/// The parameters of a SCRAM server exchange.
#[derive(Debug, Clone)]
pub struct ScramServer {
    /// The hash of the mechanism.
    pub hash: Hash,
    /// Whether the client chose the `-PLUS` variant.
    pub plus: bool,
    /// The binding data this connection can give, one per supported type.
    /// Non-empty means the server offers `-PLUS`, so a client sending `y` is
    /// a downgrade (RFC 5802 §6).
    pub channel_bindings: Vec<ChannelBinding>,
    /// How usernames are prepared.
    pub prep: Prep,
    /// Bounds on what the client may send.
    pub limits: Limits,
    /// The advertised lists for XEP-0474, and the attribute form.
    pub ssdp: Option<(Ssdp, SsdpForm)>,
}

/// The client-first-message was accepted; the caller looks up the
/// credentials of [`authcid`](Self::authcid).
#[derive(Debug)]
pub struct NeedsCredentials {
    params: ScramServer,
    authcid: String,
    authzid: Option<String>,
    gs2_header: String,
    bare: String,
    client_nonce: String,
    binding: Option<ChannelBindingType>,
}

/// The server-first-message was sent; waiting for the client's proof.
pub struct ServerFirstSent {
    credentials: StoredCredentials,
    authcid: String,
    authzid: Option<String>,
    /// The gs2-header and the channel-binding data: secret, zeroized.
    cbind_expected: Zeroizing<Vec<u8>>,
    nonce: String,
    bare: String,
    server_first: String,
    limits: Limits,
}

impl core::fmt::Debug for ServerFirstSent {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ServerFirstSent")
            .field("credentials", &self.credentials)
            .field("authcid", &self.authcid)
            .field("authzid", &self.authzid)
            .finish_non_exhaustive()
    }
}

/// The client proved it knows the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    /// The prepared username.
    pub authcid: String,
    /// The authzid the client asked for, if any; the caller decides whether
    /// the authcid may act for it.
    pub authzid: Option<String>,
    /// The server-final-message (`v=…`), to send as the additional data of
    /// the success.
    pub server_final: Vec<u8>,
}

impl ScramServer {
    /// Checks the client-first-message (RFC 5802 §5.1, §6).
    pub fn client_first(self, msg: &[u8]) -> Result<NeedsCredentials, Error> {
        let cf = parse::client_first(msg, self.limits.max_message_len)?;
        let cb_error = |error| Err(Error::ChannelBinding { error });
        let binding = match (cf.flag, self.plus) {
            (CbFlag::Plus(name), true) => {
                if self.channel_bindings.is_empty() {
                    return cb_error(ScramError::ChannelBindingNotSupported);
                }
                let Some(kind) = ChannelBindingType::from_name(name) else {
                    return cb_error(ScramError::UnsupportedChannelBindingType);
                };
                if !self.channel_bindings.iter().any(|c| c.kind() == kind) {
                    return cb_error(ScramError::UnsupportedChannelBindingType);
                }
                Some(kind)
            }
            // -PLUS without binding, or binding on a mechanism without it.
            (CbFlag::No | CbFlag::Yes, true) | (CbFlag::Plus(_), false) => {
                return cb_error(ScramError::ChannelBindingsDontMatch);
            }
            (CbFlag::Yes, false) if !self.channel_bindings.is_empty() => {
                return cb_error(ScramError::ServerDoesSupportChannelBinding);
            }
            (CbFlag::Yes | CbFlag::No, false) => None,
        };
        if cf.nonce.len() < self.limits.min_nonce_len {
            return Err(Error::NonceTooShort {
                message: Message::ClientFirst,
                min: self.limits.min_nonce_len,
                len: cf.nonce.len(),
            });
        }
        let authcid = self
            .prep
            .prepare(&cf.username, Field::Authcid)?
            .into_owned();
        let authzid = self.prep.prepare_authzid(cf.authzid)?;
        Ok(NeedsCredentials {
            authcid,
            authzid,
            gs2_header: String::from(cf.gs2_header),
            bare: String::from(cf.bare),
            client_nonce: String::from(cf.nonce),
            binding,
            params: self,
        })
    }
}

impl NeedsCredentials {
    /// The prepared username to look up.
    pub fn authcid(&self) -> &str {
        &self.authcid
    }

    /// The requested authorization identity.
    pub fn authzid(&self) -> Option<&str> {
        self.authzid.as_deref()
    }

    /// The hash of the mechanism, which the stored credentials must use.
    pub fn hash(&self) -> Hash {
        self.params.hash
    }

    /// Builds the server-first-message from the stored credentials and a
    /// fresh server nonce of at least [`Limits::min_nonce_len`] characters
    /// (the server holds itself to the length it demands of clients).
    pub fn credentials(
        self,
        credentials: StoredCredentials,
        nonce: &Nonce,
    ) -> Result<(ServerFirstSent, Vec<u8>), Error> {
        let p = &self.params;
        check_server_nonce(nonce, &p.limits)?;
        if credentials.hash() != p.hash {
            return Err(Error::CredentialsMismatch);
        }
        let mut combined = self.client_nonce.clone();
        combined.push_str(nonce.as_str());
        let mut server_first = String::from("r=");
        server_first.push_str(&combined);
        server_first.push_str(",s=");
        server_first.push_str(&STANDARD.encode(credentials.salt()));
        server_first.push_str(",i=");
        server_first.push_str(&alloc::format!("{}", credentials.iterations()));
        if let Some((ssdp, form)) = &p.ssdp {
            server_first.push(',');
            server_first.push(Ssdp::attribute(*form));
            server_first.push('=');
            server_first.push_str(&ssdp.value(p.hash, *form));
        }
        let cb_data = self
            .binding
            .and_then(|kind| p.channel_bindings.iter().find(|c| c.kind() == kind))
            .map(ChannelBinding::data)
            .unwrap_or_default();
        let mut cbind_expected =
            Zeroizing::new(Vec::with_capacity(self.gs2_header.len() + cb_data.len()));
        cbind_expected.extend_from_slice(self.gs2_header.as_bytes());
        cbind_expected.extend_from_slice(cb_data);
        let msg = server_first.clone().into_bytes();
        Ok((
            ServerFirstSent {
                credentials,
                authcid: self.authcid,
                authzid: self.authzid,
                cbind_expected,
                nonce: combined,
                bare: self.bare,
                server_first,
                limits: p.limits,
            },
            msg,
        ))
    }
}

/// Refuses a server nonce shorter than the limit (RFC 5802 §5.1: the
/// server's part of the nonce must be fresh and random).
pub(crate) fn check_server_nonce(nonce: &Nonce, limits: &Limits) -> Result<(), Error> {
    let len = nonce.as_str().len();
    if len < limits.min_nonce_len {
        return Err(Error::NonceTooShort {
            message: Message::ServerFirst,
            min: limits.min_nonce_len,
            len,
        });
    }
    Ok(())
}

impl ServerFirstSent {
    /// Verifies the client-final-message: channel binding, nonce, and the
    /// proof (in constant time). On success returns the server-final-message
    /// to send.
    pub fn client_final(self, msg: &[u8]) -> Result<Authenticated, Error> {
        let cf = parse::client_final(msg, self.limits.max_message_len)?;
        if !bool::from(cf.channel_binding.as_slice().ct_eq(&self.cbind_expected)) {
            return Err(Error::ChannelBinding {
                error: ScramError::ChannelBindingsDontMatch,
            });
        }
        if cf.nonce != self.nonce {
            return Err(Error::NonceMismatch);
        }
        let hash = self.credentials.hash();
        if cf.proof.len() != hash.output_len() {
            return Err(Error::InvalidProof);
        }
        let parts: [&[u8]; 5] = [
            self.bare.as_bytes(),
            b",",
            self.server_first.as_bytes(),
            b",",
            cf.without_proof.as_bytes(),
        ];
        let client_signature = hash.hmac(self.credentials.stored_key(), &parts);
        let client_key = client_signature.xor(&cf.proof);
        let stored_key = hash.digest(client_key.as_bytes());
        if !stored_key.ct_eq(self.credentials.stored_key_output().as_bytes()) {
            return Err(Error::InvalidProof);
        }
        let server_signature = hash.hmac(self.credentials.server_key(), &parts);
        let mut server_final = Vec::from(&b"v="[..]);
        server_final.extend_from_slice(STANDARD.encode(server_signature.as_bytes()).as_bytes());
        Ok(Authenticated {
            authcid: self.authcid,
            authzid: self.authzid,
            server_final,
        })
    }
}

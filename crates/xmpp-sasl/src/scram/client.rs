//! The SCRAM client (RFC 5802 §5), one type per phase:
//! [`ScramClient::start`] → [`ClientFirstSent`] → [`NeedsSaltedPassword`] →
//! [`ClientFinalSent`] → [`ServerVerified`].

use alloc::string::String;
use alloc::vec::Vec;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use super::keys::SaltedPassword;
use super::parse::{self, ServerFinal};
use crate::cb::ChannelBinding;
use crate::config::{Limits, Nonce};
use crate::error::{Error, Field, ScramError};
use crate::mechanism::Hash;
use crate::prep::Prep;
use crate::ssdp::{Ssdp, SsdpForm};

/// The client's channel-binding stance, which sets the gs2-cbind-flag
/// (RFC 5802 §6).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ClientBinding {
    /// `n`: the client cannot do channel binding (no TLS data).
    Unsupported,
    /// `y`: the client can, but the server offered no `-PLUS` mechanism. A
    /// server that does offer `-PLUS` will refuse this (downgrade detected).
    NotOffered,
    /// `p=<type>`: bind to this data (the `-PLUS` mechanisms).
    Bind(ChannelBinding),
}

/// The parameters of a SCRAM client exchange.
#[derive(Debug, Clone)]
pub struct ScramClient {
    /// The hash of the mechanism.
    pub hash: Hash,
    /// The channel-binding stance; `Bind` exactly for `-PLUS`.
    pub binding: ClientBinding,
    /// The username (authcid), before preparation.
    pub username: String,
    /// The authorization identity, if it differs from the authcid.
    pub authzid: Option<String>,
    /// How the username and password are prepared.
    pub prep: Prep,
    /// Bounds on what the server may demand.
    pub limits: Limits,
    /// The advertised lists to check XEP-0474 against, if the client
    /// implements it.
    pub ssdp: Option<Ssdp>,
}

/// A SCRAM client that sent its client-first-message.
#[derive(Debug)]
pub struct ClientFirstSent {
    params: ScramClient,
    nonce: Nonce,
    gs2_header: String,
    bare: String,
}

/// The server-first-message was accepted; the client needs the salted
/// password for [`salt`](Self::salt) and [`iterations`](Self::iterations),
/// from PBKDF2 over the password or from a cache.
#[derive(Debug)]
pub struct NeedsSaltedPassword {
    params: ScramClient,
    gs2_header: String,
    bare: String,
    server_first: String,
    nonce: String,
    salt: Vec<u8>,
    iterations: u32,
}

/// A SCRAM client that sent its client-final-message and waits for the
/// server's signature.
pub struct ClientFinalSent {
    hash: Hash,
    /// Secret until the server sends it: whoever has it can pose as the
    /// server to this client.
    expected_signature: Zeroizing<Vec<u8>>,
    salted: SaltedPassword,
}

impl core::fmt::Debug for ClientFinalSent {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientFinalSent")
            .field("hash", &self.hash)
            .finish_non_exhaustive()
    }
}

/// The server proved it knows the password: the exchange succeeded.
#[derive(Debug)]
pub struct ServerVerified {
    /// The salted password, which the caller may cache with the salt and
    /// iteration count to skip PBKDF2 next time.
    pub salted_password: SaltedPassword,
}

impl ScramClient {
    /// Builds the client-first-message (RFC 5802 §5.1); `nonce` is the
    /// client nonce, fresh for every exchange.
    pub fn start(self, nonce: Nonce) -> Result<(ClientFirstSent, Vec<u8>), Error> {
        let username = self.prep.prepare(&self.username, Field::Authcid)?;
        let mut gs2_header = String::new();
        match &self.binding {
            ClientBinding::Unsupported => gs2_header.push('n'),
            ClientBinding::NotOffered => gs2_header.push('y'),
            ClientBinding::Bind(cb) => {
                gs2_header.push_str("p=");
                gs2_header.push_str(cb.kind().name());
            }
        }
        gs2_header.push(',');
        if let Some(a) = &self.authzid {
            if a.is_empty() {
                return Err(Error::InvalidAuthzid);
            }
            gs2_header.push_str("a=");
            gs2_header.push_str(&parse::encode_saslname(
                &self.prep.prepare(a, Field::Authzid)?,
            ));
        }
        gs2_header.push(',');
        let mut bare = String::from("n=");
        bare.push_str(&parse::encode_saslname(&username));
        bare.push_str(",r=");
        bare.push_str(nonce.as_str());
        let mut msg = Vec::with_capacity(gs2_header.len() + bare.len());
        msg.extend_from_slice(gs2_header.as_bytes());
        msg.extend_from_slice(bare.as_bytes());
        Ok((
            ClientFirstSent {
                params: self,
                nonce,
                gs2_header,
                bare,
            },
            msg,
        ))
    }
}

impl ClientFirstSent {
    /// Checks the server-first-message: the nonce extends ours, salt and
    /// iteration count are within bounds, no mandatory extension, and the
    /// XEP-0474 hash (if sent and if we check it) matches.
    pub fn server_first(self, msg: &[u8]) -> Result<NeedsSaltedPassword, Error> {
        let limits = self.params.limits;
        let sf = parse::server_first(msg, limits.max_message_len)?;
        let ours = self.nonce.as_str();
        let theirs = sf.nonce.strip_prefix(ours).ok_or(Error::NonceNotExtended)?;
        if theirs.is_empty() {
            return Err(Error::NonceNotExtended);
        }
        if theirs.len() < limits.min_nonce_len {
            return Err(Error::NonceTooShort {
                message: crate::error::Message::ServerFirst,
                min: limits.min_nonce_len,
                len: theirs.len(),
            });
        }
        if sf.salt.len() < limits.min_salt_len {
            return Err(Error::SaltTooShort {
                min: limits.min_salt_len,
                len: sf.salt.len(),
            });
        }
        if !(limits.min_iterations..=limits.max_iterations).contains(&sf.iterations) {
            return Err(Error::IterationCount {
                count: sf.iterations,
                min: limits.min_iterations,
                max: limits.max_iterations,
            });
        }
        if let Some(ssdp) = &self.params.ssdp {
            for form in [SsdpForm::Current, SsdpForm::Legacy] {
                let name = Ssdp::attribute(form);
                if let Some((_, value)) = sf.extensions.iter().find(|(n, _)| *n == name) {
                    if *value != ssdp.value(self.params.hash, form) {
                        return Err(Error::DowngradeDetected);
                    }
                }
            }
        }
        let (nonce, salt, iterations) = (String::from(sf.nonce), sf.salt, sf.iterations);
        Ok(NeedsSaltedPassword {
            server_first: String::from_utf8_lossy(msg).into_owned(),
            params: self.params,
            gs2_header: self.gs2_header,
            bare: self.bare,
            nonce,
            salt,
            iterations,
        })
    }
}

impl NeedsSaltedPassword {
    /// The salt the server sent.
    pub fn salt(&self) -> &[u8] {
        &self.salt
    }

    /// The iteration count the server sent (within the limits).
    pub fn iterations(&self) -> u32 {
        self.iterations
    }

    /// Runs PBKDF2 on the password, then [`Self::salted_password`].
    pub fn password(self, password: &str) -> Result<(ClientFinalSent, Zeroizing<Vec<u8>>), Error> {
        let salted = SaltedPassword::derive(
            self.params.hash,
            self.params.prep,
            password,
            &self.salt,
            self.iterations,
        )?;
        self.salted_password(salted)
    }

    /// Builds the client-final-message (RFC 5802 §3) from a salted password
    /// for this salt and iteration count.
    ///
    /// The message carries the channel-binding data (in `c=`), so it and
    /// every buffer on the way are allocated at their final size and
    /// zeroized on drop.
    pub fn salted_password(
        self,
        salted: SaltedPassword,
    ) -> Result<(ClientFinalSent, Zeroizing<Vec<u8>>), Error> {
        let hash = self.params.hash;
        if salted.hash() != hash {
            return Err(Error::CredentialsMismatch);
        }
        let cb_data = match &self.params.binding {
            ClientBinding::Bind(cb) => cb.data(),
            _ => &[],
        };
        let mut cbind_input =
            Zeroizing::new(Vec::with_capacity(self.gs2_header.len() + cb_data.len()));
        cbind_input.extend_from_slice(self.gs2_header.as_bytes());
        cbind_input.extend_from_slice(cb_data);
        let cbind_b64 = Zeroizing::new(STANDARD.encode(cbind_input.as_slice()));
        let proof_b64_len = hash.output_len().div_ceil(3) * 4;
        let mut without_proof = Zeroizing::new(String::with_capacity(
            cbind_b64.len() + self.nonce.len() + 5 + proof_b64_len + 3,
        ));
        without_proof.push_str("c=");
        without_proof.push_str(&cbind_b64);
        without_proof.push_str(",r=");
        without_proof.push_str(&self.nonce);
        let parts: [&[u8]; 5] = [
            self.bare.as_bytes(),
            b",",
            self.server_first.as_bytes(),
            b",",
            without_proof.as_bytes(),
        ];
        let client_key = salted.client_key();
        let stored_key = hash.digest(client_key.as_bytes());
        let client_signature = hash.hmac(stored_key.as_bytes(), &parts);
        let proof = client_key.xor(client_signature.as_bytes());
        let server_signature = hash.hmac(salted.server_key().as_bytes(), &parts);
        // The capacity reserved above holds the proof too: no reallocation.
        let mut msg = Zeroizing::new(core::mem::take(&mut *without_proof).into_bytes());
        msg.extend_from_slice(b",p=");
        msg.extend_from_slice(STANDARD.encode(proof.as_bytes()).as_bytes());
        Ok((
            ClientFinalSent {
                hash,
                expected_signature: Zeroizing::new(server_signature.as_bytes().to_vec()),
                salted,
            },
            msg,
        ))
    }
}

impl ClientFinalSent {
    /// Checks the server-final-message: `v=` must carry the server signature
    /// (compared in constant time); `e=` is the server's refusal.
    pub fn server_final(self, msg: &[u8], limits: &Limits) -> Result<ServerVerified, Error> {
        match parse::server_final(msg, limits.max_message_len)? {
            ServerFinal::Error(value) => Err(Error::ServerError {
                error: ScramError::from_name(value),
                value: String::from(value),
            }),
            ServerFinal::Verifier(v) => {
                let ok = v.len() == self.hash.output_len()
                    && bool::from(subtle::ConstantTimeEq::ct_eq(
                        v.as_slice(),
                        self.expected_signature.as_slice(),
                    ));
                if ok {
                    Ok(ServerVerified {
                        salted_password: self.salted,
                    })
                } else {
                    Err(Error::InvalidServerSignature)
                }
            }
        }
    }
}

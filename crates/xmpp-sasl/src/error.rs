//! The crate's one error type and the wire values it maps to: the SASL
//! failure conditions of RFC 6120 §6.5 and the SCRAM `server-error-value`s of
//! RFC 5802 §7.

use alloc::string::String;
use core::fmt;

/// A SASL failure condition (RFC 6120 §6.5), the child element of `<failure/>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Condition {
    /// §6.5.1: the receiving entity acknowledges an `<abort/>`.
    Aborted,
    /// §6.5.2: the account has been disabled.
    AccountDisabled,
    /// §6.5.3: the credentials have expired.
    CredentialsExpired,
    /// §6.5.4: the mechanism requires encryption of the stream first.
    EncryptionRequired,
    /// §6.5.5: the base64 encoding of the data is incorrect.
    IncorrectEncoding,
    /// §6.5.6: the authzid is not valid or the authcid may not act for it.
    InvalidAuthzid,
    /// §6.5.7: the mechanism is not supported.
    InvalidMechanism,
    /// §6.5.8: the request is malformed.
    MalformedRequest,
    /// §6.5.9: the mechanism is weaker than policy allows.
    MechanismTooWeak,
    /// §6.5.10: the credentials are not valid.
    NotAuthorized,
    /// §6.5.11: a temporary error on the receiving entity's side.
    TemporaryAuthFailure,
}

impl Condition {
    /// The element name, e.g. `not-authorized`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Aborted => "aborted",
            Self::AccountDisabled => "account-disabled",
            Self::CredentialsExpired => "credentials-expired",
            Self::EncryptionRequired => "encryption-required",
            Self::IncorrectEncoding => "incorrect-encoding",
            Self::InvalidAuthzid => "invalid-authzid",
            Self::InvalidMechanism => "invalid-mechanism",
            Self::MalformedRequest => "malformed-request",
            Self::MechanismTooWeak => "mechanism-too-weak",
            Self::NotAuthorized => "not-authorized",
            Self::TemporaryAuthFailure => "temporary-auth-failure",
        }
    }

    /// Every condition, in RFC 6120 order.
    pub const ALL: [Self; 11] = [
        Self::Aborted,
        Self::AccountDisabled,
        Self::CredentialsExpired,
        Self::EncryptionRequired,
        Self::IncorrectEncoding,
        Self::InvalidAuthzid,
        Self::InvalidMechanism,
        Self::MalformedRequest,
        Self::MechanismTooWeak,
        Self::NotAuthorized,
        Self::TemporaryAuthFailure,
    ];

    /// Parses an element name such as `not-authorized`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A SCRAM `server-error-value` (RFC 5802 §7), sent as `e=…` in the
/// server-final-message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScramError {
    /// `invalid-encoding`
    InvalidEncoding,
    /// `extensions-not-supported` (a mandatory `m=` extension was sent)
    ExtensionsNotSupported,
    /// `invalid-proof`
    InvalidProof,
    /// `channel-bindings-dont-match`
    ChannelBindingsDontMatch,
    /// `server-does-support-channel-binding` (downgrade detected: the client
    /// sent gs2 flag `y` to a server that offers `-PLUS`)
    ServerDoesSupportChannelBinding,
    /// `channel-binding-not-supported`
    ChannelBindingNotSupported,
    /// `unsupported-channel-binding-type`
    UnsupportedChannelBindingType,
    /// `unknown-user`
    UnknownUser,
    /// `invalid-username-encoding`
    InvalidUsernameEncoding,
    /// `no-resources`
    NoResources,
    /// `other-error`
    OtherError,
}

impl ScramError {
    /// The wire value, e.g. `invalid-proof`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidEncoding => "invalid-encoding",
            Self::ExtensionsNotSupported => "extensions-not-supported",
            Self::InvalidProof => "invalid-proof",
            Self::ChannelBindingsDontMatch => "channel-bindings-dont-match",
            Self::ServerDoesSupportChannelBinding => "server-does-support-channel-binding",
            Self::ChannelBindingNotSupported => "channel-binding-not-supported",
            Self::UnsupportedChannelBindingType => "unsupported-channel-binding-type",
            Self::UnknownUser => "unknown-user",
            Self::InvalidUsernameEncoding => "invalid-username-encoding",
            Self::NoResources => "no-resources",
            Self::OtherError => "other-error",
        }
    }

    const ALL: [Self; 11] = [
        Self::InvalidEncoding,
        Self::ExtensionsNotSupported,
        Self::InvalidProof,
        Self::ChannelBindingsDontMatch,
        Self::ServerDoesSupportChannelBinding,
        Self::ChannelBindingNotSupported,
        Self::UnsupportedChannelBindingType,
        Self::UnknownUser,
        Self::InvalidUsernameEncoding,
        Self::NoResources,
        Self::OtherError,
    ];

    /// Parses a wire value; `None` for a `server-error-value-ext`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// The server-final-message that carries this error: `e=<value>`.
    pub fn server_final_message(self) -> String {
        let mut s = String::from("e=");
        s.push_str(self.as_str());
        s
    }
}

impl fmt::Display for ScramError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which message of an exchange an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Message {
    /// The PLAIN message (RFC 4616 §2).
    Plain,
    /// The EXTERNAL message (RFC 4422 Appendix A).
    External,
    /// The ANONYMOUS trace message (RFC 4505 §2).
    Anonymous,
    /// SCRAM client-first-message (RFC 5802 §7).
    ClientFirst,
    /// SCRAM server-first-message.
    ServerFirst,
    /// SCRAM client-final-message.
    ClientFinal,
    /// SCRAM server-final-message.
    ServerFinal,
    /// HT initial response (draft-schmaus-kitten-sasl-ht).
    HtInitial,
    /// HT final server message.
    HtFinal,
    /// The additional data of a success outcome for a mechanism that has none.
    Outcome,
    /// Stored credentials as text (RFC 5803 §3), from an account database.
    StoredCredentials,
}

impl Message {
    /// A short name for the message.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Plain => "PLAIN message",
            Self::External => "EXTERNAL message",
            Self::Anonymous => "ANONYMOUS message",
            Self::ClientFirst => "client-first-message",
            Self::ServerFirst => "server-first-message",
            Self::ClientFinal => "client-final-message",
            Self::ServerFinal => "server-final-message",
            Self::HtInitial => "HT initial response",
            Self::HtFinal => "HT final message",
            Self::Outcome => "success additional data",
            Self::StoredCredentials => "stored credentials text",
        }
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which string a preparation (SASLprep, a PRECIS profile) failed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Field {
    /// The authentication identity (username).
    Authcid,
    /// The authorization identity.
    Authzid,
    /// The password.
    Password,
}

impl Field {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Authcid => "username",
            Self::Authzid => "authzid",
            Self::Password => "password",
        }
    }
}

/// Everything that can end an exchange unsuccessfully. After a session
/// returns an error it keeps returning the same error.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A message is longer than [`Limits::max_message_len`](crate::Limits).
    MessageTooLong {
        /// Which message.
        message: Message,
        /// The limit in bytes.
        max: usize,
        /// The length received.
        len: usize,
    },
    /// A message does not follow its grammar.
    Malformed {
        /// Which message.
        message: Message,
        /// The ABNF rule (RFC 5802 §7, RFC 4616 §2, …) that failed.
        rule: &'static str,
        /// The byte offset in the message where it failed.
        offset: usize,
    },
    /// A base64 value inside a message is not strict base64 (RFC 4648 §4,
    /// canonical padding, no line breaks).
    Base64 {
        /// Which message.
        message: Message,
        /// The attribute holding it (`c`, `s`, `p`, `v`, `h`, …).
        attribute: char,
    },
    /// A username or authzid uses `=` other than in `=2C` or `=3D`
    /// (RFC 5802 §5.1).
    UsernameEncoding {
        /// Which message.
        message: Message,
        /// Which field.
        field: Field,
    },
    /// A string failed its preparation profile (SASLprep or PRECIS), or
    /// is empty after it.
    Prep {
        /// Which field.
        field: Field,
        /// The offending code point, when one is to blame.
        code_point: Option<char>,
    },
    /// The preparation profile asked for is not compiled in.
    PrepUnavailable,
    /// A mandatory extension (`m=`, RFC 5802 §5.1) was sent; none is defined.
    MandatoryExtension {
        /// Which message.
        message: Message,
    },
    /// A nonce is shorter than the configured minimum.
    NonceTooShort {
        /// Which message.
        message: Message,
        /// The minimum in characters.
        min: usize,
        /// The length received.
        len: usize,
    },
    /// The server nonce does not start with the client nonce, or adds
    /// nothing to it (RFC 5802 §5.1).
    NonceNotExtended,
    /// The nonce of the client-final-message is not the one of the
    /// server-first-message.
    NonceMismatch,
    /// The iteration count is outside the accepted bounds.
    IterationCount {
        /// The count received.
        count: u32,
        /// The smallest accepted.
        min: u32,
        /// The largest accepted.
        max: u32,
    },
    /// The salt is shorter than the configured minimum.
    SaltTooShort {
        /// The minimum in bytes.
        min: usize,
        /// The length received.
        len: usize,
    },
    /// A made-up account's salt would be longer than a secret can derive
    /// ([`ServerSecret::MAX_SALT_LEN`](crate::ServerSecret::MAX_SALT_LEN)).
    SaltTooLong {
        /// The maximum in bytes.
        max: usize,
        /// The length asked for.
        len: usize,
    },
    /// The server secret is shorter than
    /// [`ServerSecret::MIN_LEN`](crate::ServerSecret::MIN_LEN).
    SecretTooShort {
        /// The minimum in bytes.
        min: usize,
        /// The length given.
        len: usize,
    },
    /// The client proof does not verify (RFC 5802 §5.1 `e=invalid-proof`).
    InvalidProof,
    /// The server signature does not verify: the server does not know the
    /// password, or the exchange was tampered with.
    InvalidServerSignature,
    /// The server answered `e=…`.
    ServerError {
        /// The value, if it is one of RFC 5802's.
        error: Option<ScramError>,
        /// The value as sent.
        value: String,
    },
    /// A channel-binding rule was broken (RFC 5802 §6, RFC 5929, RFC 9266).
    ChannelBinding {
        /// Which rule, as the SCRAM error value the server sends for it.
        error: ScramError,
    },
    /// The XEP-0474 downgrade-protection hash does not match the mechanisms
    /// and channel-binding types this client saw advertised.
    DowngradeDetected,
    /// The authzid is not acceptable.
    InvalidAuthzid,
    /// The caller refused the credentials lookup with this condition
    /// (unknown user, account disabled, credentials expired, …).
    Refused {
        /// The condition the caller chose.
        condition: Condition,
    },
    /// An HT request's XEP-0484 `count` is missing or not above the highest
    /// one processed for the token: a replay.
    Replay {
        /// The count the client sent.
        count: Option<u64>,
        /// The highest count processed before.
        processed: Option<u64>,
    },
    /// An HT request proved a XEP-0484 FAST token whose lifetime is over
    /// (`credentials-expired`, XEP-0484 §4.2).
    TokenExpired {
        /// When the token expired, in seconds since the Unix epoch.
        expiry: u64,
        /// The time of the request, on the same scale.
        now: u64,
    },
    /// The credentials handed to the session do not fit its mechanism (for
    /// example SHA-1 stored keys for SCRAM-SHA-256).
    CredentialsMismatch,
    /// The channel-binding flag of a [`Choice`](crate::Choice) does not fit
    /// its mechanism (`-PLUS` without a binding type, `p=` on PLAIN, …).
    InvalidChoice {
        /// The mechanism of the choice.
        mechanism: crate::Mechanism,
    },
    /// The session is missing a credential it needs (a password, a token).
    MissingCredential {
        /// Which one.
        what: &'static str,
    },
    /// A mechanism name is not one this crate implements, or none of the
    /// offered ones can be completed.
    UnsupportedMechanism,
    /// The mechanism may not run on this connection (PLAIN without TLS).
    EncryptionRequired,
    /// The exchange was aborted (by the peer ending it, or an `<abort/>`).
    Aborted,
    /// A message arrived when the session expected none, or the session was
    /// used out of order (for example stepped again after completing).
    UnexpectedMessage {
        /// What the session was waiting for.
        expected: &'static str,
    },
    /// The random number generator failed.
    Random,
}

impl Error {
    /// The RFC 6120 §6.5 condition to report for this error.
    pub fn condition(&self) -> Condition {
        match self {
            Self::MessageTooLong { .. }
            | Self::Malformed { .. }
            | Self::UsernameEncoding { .. }
            | Self::Prep {
                field: Field::Authcid | Field::Password,
                ..
            }
            | Self::MandatoryExtension { .. }
            | Self::NonceTooShort { .. }
            | Self::UnexpectedMessage { .. } => Condition::MalformedRequest,
            Self::Base64 { .. } => Condition::IncorrectEncoding,
            Self::IterationCount { count, min, .. } if count < min => Condition::MechanismTooWeak,
            Self::SaltTooShort { .. } => Condition::MechanismTooWeak,
            Self::IterationCount { .. }
            | Self::NonceNotExtended
            | Self::NonceMismatch
            | Self::InvalidProof
            | Self::InvalidServerSignature
            | Self::ServerError { .. }
            | Self::ChannelBinding { .. }
            | Self::DowngradeDetected
            | Self::Replay { .. } => Condition::NotAuthorized,
            Self::InvalidAuthzid
            | Self::Prep {
                field: Field::Authzid,
                ..
            } => Condition::InvalidAuthzid,
            Self::Refused { condition } => *condition,
            Self::TokenExpired { .. } => Condition::CredentialsExpired,
            Self::CredentialsMismatch
            | Self::MissingCredential { .. }
            | Self::InvalidChoice { .. }
            | Self::PrepUnavailable
            | Self::SaltTooLong { .. }
            | Self::SecretTooShort { .. }
            | Self::Random => Condition::TemporaryAuthFailure,
            Self::UnsupportedMechanism => Condition::InvalidMechanism,
            Self::EncryptionRequired => Condition::EncryptionRequired,
            Self::Aborted => Condition::Aborted,
        }
    }

    /// The SCRAM `e=` value a server sends for this error, where RFC 5802
    /// defines one.
    pub fn scram_error(&self) -> Option<ScramError> {
        Some(match self {
            Self::Malformed { .. } | Self::MessageTooLong { .. } | Self::NonceTooShort { .. } => {
                ScramError::OtherError
            }
            Self::Base64 { .. } => ScramError::InvalidEncoding,
            Self::UsernameEncoding { .. } => ScramError::InvalidUsernameEncoding,
            Self::Prep {
                field: Field::Authcid | Field::Authzid,
                ..
            } => ScramError::InvalidUsernameEncoding,
            Self::MandatoryExtension { .. } => ScramError::ExtensionsNotSupported,
            Self::NonceMismatch | Self::InvalidProof => ScramError::InvalidProof,
            Self::ChannelBinding { error } => *error,
            // Never `unknown-user`: an unknown user fails like a wrong
            // password (RFC 5802 §9), see `Credentials::UnknownUser`.
            Self::Refused { .. } | Self::CredentialsMismatch => ScramError::OtherError,
            Self::InvalidAuthzid => ScramError::OtherError,
            _ => return None,
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MessageTooLong { message, max, len } => {
                write!(
                    f,
                    "{message} of {len} bytes is longer than the limit of {max}"
                )
            }
            Self::Malformed {
                message,
                rule,
                offset,
            } => {
                write!(f, "{message} does not match rule `{rule}` at byte {offset}")
            }
            Self::Base64 { message, attribute } => {
                write!(
                    f,
                    "attribute `{attribute}` of the {message} is not strict base64"
                )
            }
            Self::UsernameEncoding { message, field } => write!(
                f,
                "{} in the {message} uses `=` other than as `=2C` or `=3D`",
                field.as_str()
            ),
            Self::Prep {
                field,
                code_point: Some(c),
            } => write!(
                f,
                "{} is refused by its preparation profile at U+{:04X}",
                field.as_str(),
                u32::from(*c)
            ),
            Self::Prep {
                field,
                code_point: None,
            } => {
                write!(
                    f,
                    "{} is refused by its preparation profile",
                    field.as_str()
                )
            }
            Self::PrepUnavailable => {
                f.write_str("the requested preparation profile is not compiled in")
            }
            Self::MandatoryExtension { message } => {
                write!(
                    f,
                    "{message} carries a mandatory extension (m=), none is supported"
                )
            }
            Self::NonceTooShort { message, min, len } => {
                write!(
                    f,
                    "nonce in the {message} has {len} characters, fewer than {min}"
                )
            }
            Self::NonceNotExtended => f.write_str("server nonce does not extend the client nonce"),
            Self::NonceMismatch => {
                f.write_str("client-final-message nonce differs from the server's")
            }
            Self::IterationCount { count, min, max } => {
                write!(f, "iteration count {count} is outside {min}..={max}")
            }
            Self::SaltTooShort { min, len } => {
                write!(f, "salt of {len} bytes is shorter than {min}")
            }
            Self::SaltTooLong { max, len } => {
                write!(f, "salt of {len} bytes is longer than {max}")
            }
            Self::SecretTooShort { min, len } => {
                write!(f, "server secret of {len} bytes is shorter than {min}")
            }
            Self::InvalidProof => f.write_str("client proof does not verify"),
            Self::InvalidServerSignature => f.write_str("server signature does not verify"),
            Self::ServerError { value, .. } => write!(f, "server reported error `{value}`"),
            Self::ChannelBinding { error } => write!(f, "channel binding failed: {error}"),
            Self::DowngradeDetected => {
                f.write_str("downgrade-protection hash does not match the advertised mechanisms")
            }
            Self::InvalidAuthzid => f.write_str("authzid is not acceptable"),
            Self::Refused { condition } => write!(f, "credentials refused: {condition}"),
            Self::Replay { count: None, .. } => f.write_str("FAST request carries no count"),
            Self::Replay {
                count: Some(count),
                processed,
            } => write!(
                f,
                "FAST count {count} is not above the processed {}",
                processed.unwrap_or_default()
            ),
            Self::TokenExpired { expiry, now } => {
                write!(f, "FAST token expired at {expiry}, {now} now")
            }
            Self::CredentialsMismatch => f.write_str("credentials do not fit the mechanism"),
            Self::MissingCredential { what } => write!(f, "no {what} was given"),
            Self::InvalidChoice { mechanism } => {
                write!(f, "channel-binding flag does not fit {mechanism}")
            }
            Self::UnsupportedMechanism => f.write_str("no supported mechanism"),
            Self::EncryptionRequired => f.write_str("mechanism requires an encrypted connection"),
            Self::Aborted => f.write_str("exchange aborted"),
            Self::UnexpectedMessage { expected } => {
                write!(f, "unexpected message, expected {expected}")
            }
            Self::Random => f.write_str("random number generator failed"),
        }
    }
}

impl core::error::Error for Error {}

//! Status codes: every entry point returns one. The library's own
//! failures come first; then the RFC 6120 conditions (stream errors from
//! 100, SASL failures from 200, stanza errors from 300), so that a code
//! names the condition a peer would see on the wire. The message of the
//! last failure on the calling thread is kept for
//! [`xmpp_last_error_message`](crate::xmpp_last_error_message).

use std::cell::RefCell;
use std::ffi::{CStr, CString};

/// What a call did: `XMPP_OK`, or why it failed. A `uint32_t` in C, so
/// that its size never depends on the compiler.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum xmpp_status {
    /// Success.
    XMPP_OK = 0,
    /// A required pointer was null, a length does not fit, or an integer
    /// argument is not one of the documented values.
    XMPP_INVALID_ARGUMENT = 1,
    /// A string argument is not valid UTF-8.
    XMPP_INVALID_UTF8 = 2,
    /// The library panicked (a bug in it); the handle must only be freed.
    XMPP_PANIC = 3,
    /// The input is invalid and no RFC condition fits it (the message
    /// says why): a bad SASL nonce or secret, a stanza that is not one.
    XMPP_INVALID_INPUT = 4,
    /// A command this phase does not allow (not fatal), for example
    /// sending before the session is bound.
    XMPP_WRONG_PHASE = 5,
    /// XEP-0198: too many unacknowledged stanzas (not fatal: wait).
    XMPP_QUEUE_FULL = 6,
    /// The stream is closed; nothing more can be sent.
    XMPP_CLOSED = 7,
    /// The transport ended without the stream being closed.
    XMPP_CONNECTION_LOST = 8,
    /// The server offered no mechanism this client may use.
    XMPP_NO_MECHANISM = 9,
    /// Policy requires TLS and the peer does not offer it, or it failed.
    XMPP_TLS_REQUIRED = 10,
    /// A SASL or session failure whose condition the library does not
    /// know by name (the message carries it).
    XMPP_OTHER_CONDITION = 11,
    /// RFC 6120 §4.9.3.1 stream error `<bad-format/>`.
    XMPP_STREAM_BAD_FORMAT = 100,
    /// RFC 6120 §4.9.3.2 stream error `<bad-namespace-prefix/>`.
    XMPP_STREAM_BAD_NAMESPACE_PREFIX = 101,
    /// RFC 6120 §4.9.3.3 stream error `<conflict/>`.
    XMPP_STREAM_CONFLICT = 102,
    /// RFC 6120 §4.9.3.4 stream error `<connection-timeout/>`.
    XMPP_STREAM_CONNECTION_TIMEOUT = 103,
    /// RFC 6120 §4.9.3.5 stream error `<host-gone/>`.
    XMPP_STREAM_HOST_GONE = 104,
    /// RFC 6120 §4.9.3.6 stream error `<host-unknown/>`.
    XMPP_STREAM_HOST_UNKNOWN = 105,
    /// RFC 6120 §4.9.3.7 stream error `<improper-addressing/>`.
    XMPP_STREAM_IMPROPER_ADDRESSING = 106,
    /// RFC 6120 §4.9.3.8 stream error `<internal-server-error/>`.
    XMPP_STREAM_INTERNAL_SERVER_ERROR = 107,
    /// RFC 6120 §4.9.3.9 stream error `<invalid-from/>`.
    XMPP_STREAM_INVALID_FROM = 108,
    /// RFC 6120 §4.9.3.10 stream error `<invalid-namespace/>`.
    XMPP_STREAM_INVALID_NAMESPACE = 109,
    /// RFC 6120 §4.9.3.11 stream error `<invalid-xml/>`.
    XMPP_STREAM_INVALID_XML = 110,
    /// RFC 6120 §4.9.3.12 stream error `<not-authorized/>`.
    XMPP_STREAM_NOT_AUTHORIZED = 111,
    /// RFC 6120 §4.9.3.13 stream error `<not-well-formed/>`.
    XMPP_STREAM_NOT_WELL_FORMED = 112,
    /// RFC 6120 §4.9.3.14 stream error `<policy-violation/>`.
    XMPP_STREAM_POLICY_VIOLATION = 113,
    /// RFC 6120 §4.9.3.15 stream error `<remote-connection-failed/>`.
    XMPP_STREAM_REMOTE_CONNECTION_FAILED = 114,
    /// RFC 6120 §4.9.3.16 stream error `<reset/>`.
    XMPP_STREAM_RESET = 115,
    /// RFC 6120 §4.9.3.17 stream error `<resource-constraint/>`.
    XMPP_STREAM_RESOURCE_CONSTRAINT = 116,
    /// RFC 6120 §4.9.3.18 stream error `<restricted-xml/>`.
    XMPP_STREAM_RESTRICTED_XML = 117,
    /// RFC 6120 §4.9.3.19 stream error `<see-other-host/>`.
    XMPP_STREAM_SEE_OTHER_HOST = 118,
    /// RFC 6120 §4.9.3.20 stream error `<system-shutdown/>`.
    XMPP_STREAM_SYSTEM_SHUTDOWN = 119,
    /// RFC 6120 §4.9.3.21 stream error `<undefined-condition/>`.
    XMPP_STREAM_UNDEFINED_CONDITION = 120,
    /// RFC 6120 §4.9.3.22 stream error `<unsupported-encoding/>`.
    XMPP_STREAM_UNSUPPORTED_ENCODING = 121,
    /// RFC 6120 §4.9.3.23 stream error `<unsupported-feature/>`.
    XMPP_STREAM_UNSUPPORTED_FEATURE = 122,
    /// RFC 6120 §4.9.3.24 stream error `<unsupported-stanza-type/>`.
    XMPP_STREAM_UNSUPPORTED_STANZA_TYPE = 123,
    /// RFC 6120 §4.9.3.25 stream error `<unsupported-version/>`.
    XMPP_STREAM_UNSUPPORTED_VERSION = 124,
    /// RFC 6120 §6.5.1 SASL failure `<aborted/>`.
    XMPP_SASL_ABORTED = 200,
    /// RFC 6120 §6.5.2 SASL failure `<account-disabled/>`.
    XMPP_SASL_ACCOUNT_DISABLED = 201,
    /// RFC 6120 §6.5.3 SASL failure `<credentials-expired/>`.
    XMPP_SASL_CREDENTIALS_EXPIRED = 202,
    /// RFC 6120 §6.5.4 SASL failure `<encryption-required/>`.
    XMPP_SASL_ENCRYPTION_REQUIRED = 203,
    /// RFC 6120 §6.5.5 SASL failure `<incorrect-encoding/>`.
    XMPP_SASL_INCORRECT_ENCODING = 204,
    /// RFC 6120 §6.5.6 SASL failure `<invalid-authzid/>`.
    XMPP_SASL_INVALID_AUTHZID = 205,
    /// RFC 6120 §6.5.7 SASL failure `<invalid-mechanism/>`.
    XMPP_SASL_INVALID_MECHANISM = 206,
    /// RFC 6120 §6.5.8 SASL failure `<malformed-request/>`.
    XMPP_SASL_MALFORMED_REQUEST = 207,
    /// RFC 6120 §6.5.9 SASL failure `<mechanism-too-weak/>`.
    XMPP_SASL_MECHANISM_TOO_WEAK = 208,
    /// RFC 6120 §6.5.10 SASL failure `<not-authorized/>`.
    XMPP_SASL_NOT_AUTHORIZED = 209,
    /// RFC 6120 §6.5.11 SASL failure `<temporary-auth-failure/>`.
    XMPP_SASL_TEMPORARY_AUTH_FAILURE = 210,
    /// RFC 6120 §8.3.3.1 stanza error `<bad-request/>`.
    XMPP_STANZA_BAD_REQUEST = 300,
    /// RFC 6120 §8.3.3.2 stanza error `<conflict/>`.
    XMPP_STANZA_CONFLICT = 301,
    /// RFC 6120 §8.3.3.3 stanza error `<feature-not-implemented/>`.
    XMPP_STANZA_FEATURE_NOT_IMPLEMENTED = 302,
    /// RFC 6120 §8.3.3.4 stanza error `<forbidden/>`.
    XMPP_STANZA_FORBIDDEN = 303,
    /// RFC 6120 §8.3.3.5 stanza error `<gone/>`.
    XMPP_STANZA_GONE = 304,
    /// RFC 6120 §8.3.3.6 stanza error `<internal-server-error/>`.
    XMPP_STANZA_INTERNAL_SERVER_ERROR = 305,
    /// RFC 6120 §8.3.3.7 stanza error `<item-not-found/>`.
    XMPP_STANZA_ITEM_NOT_FOUND = 306,
    /// RFC 6120 §8.3.3.8 stanza error `<jid-malformed/>`.
    XMPP_STANZA_JID_MALFORMED = 307,
    /// RFC 6120 §8.3.3.9 stanza error `<not-acceptable/>`.
    XMPP_STANZA_NOT_ACCEPTABLE = 308,
    /// RFC 6120 §8.3.3.10 stanza error `<not-allowed/>`.
    XMPP_STANZA_NOT_ALLOWED = 309,
    /// RFC 6120 §8.3.3.11 stanza error `<not-authorized/>`.
    XMPP_STANZA_NOT_AUTHORIZED = 310,
    /// RFC 6120 §8.3.3.12 stanza error `<policy-violation/>`.
    XMPP_STANZA_POLICY_VIOLATION = 311,
    /// RFC 6120 §8.3.3.13 stanza error `<recipient-unavailable/>`.
    XMPP_STANZA_RECIPIENT_UNAVAILABLE = 312,
    /// RFC 6120 §8.3.3.14 stanza error `<redirect/>`.
    XMPP_STANZA_REDIRECT = 313,
    /// RFC 6120 §8.3.3.15 stanza error `<registration-required/>`.
    XMPP_STANZA_REGISTRATION_REQUIRED = 314,
    /// RFC 6120 §8.3.3.16 stanza error `<remote-server-not-found/>`.
    XMPP_STANZA_REMOTE_SERVER_NOT_FOUND = 315,
    /// RFC 6120 §8.3.3.17 stanza error `<remote-server-timeout/>`.
    XMPP_STANZA_REMOTE_SERVER_TIMEOUT = 316,
    /// RFC 6120 §8.3.3.18 stanza error `<resource-constraint/>`.
    XMPP_STANZA_RESOURCE_CONSTRAINT = 317,
    /// RFC 6120 §8.3.3.19 stanza error `<service-unavailable/>`.
    XMPP_STANZA_SERVICE_UNAVAILABLE = 318,
    /// RFC 6120 §8.3.3.20 stanza error `<subscription-required/>`.
    XMPP_STANZA_SUBSCRIPTION_REQUIRED = 319,
    /// RFC 6120 §8.3.3.21 stanza error `<undefined-condition/>`.
    XMPP_STANZA_UNDEFINED_CONDITION = 320,
    /// RFC 6120 §8.3.3.22 stanza error `<unexpected-request/>`.
    XMPP_STANZA_UNEXPECTED_REQUEST = 321,
}

#[allow(
    dead_code,
    reason = "the SASL and session modules, next, use all of it"
)]
impl xmpp_status {
    /// The RFC condition name (`not-well-formed`) or, for the library's
    /// own codes, a short kebab-case name.
    pub(crate) fn c_name(self) -> &'static CStr {
        match self {
            Self::XMPP_OK => c"ok",
            Self::XMPP_INVALID_ARGUMENT => c"invalid-argument",
            Self::XMPP_INVALID_UTF8 => c"invalid-utf8",
            Self::XMPP_PANIC => c"panic",
            Self::XMPP_INVALID_INPUT => c"invalid-input",
            Self::XMPP_WRONG_PHASE => c"wrong-phase",
            Self::XMPP_QUEUE_FULL => c"queue-full",
            Self::XMPP_CLOSED => c"closed",
            Self::XMPP_CONNECTION_LOST => c"connection-lost",
            Self::XMPP_NO_MECHANISM => c"no-mechanism",
            Self::XMPP_TLS_REQUIRED => c"tls-required",
            Self::XMPP_OTHER_CONDITION => c"other-condition",
            Self::XMPP_STREAM_BAD_FORMAT => c"bad-format",
            Self::XMPP_STREAM_BAD_NAMESPACE_PREFIX => c"bad-namespace-prefix",
            Self::XMPP_STREAM_CONFLICT => c"conflict",
            Self::XMPP_STREAM_CONNECTION_TIMEOUT => c"connection-timeout",
            Self::XMPP_STREAM_HOST_GONE => c"host-gone",
            Self::XMPP_STREAM_HOST_UNKNOWN => c"host-unknown",
            Self::XMPP_STREAM_IMPROPER_ADDRESSING => c"improper-addressing",
            Self::XMPP_STREAM_INTERNAL_SERVER_ERROR => c"internal-server-error",
            Self::XMPP_STREAM_INVALID_FROM => c"invalid-from",
            Self::XMPP_STREAM_INVALID_NAMESPACE => c"invalid-namespace",
            Self::XMPP_STREAM_INVALID_XML => c"invalid-xml",
            Self::XMPP_STREAM_NOT_AUTHORIZED => c"not-authorized",
            Self::XMPP_STREAM_NOT_WELL_FORMED => c"not-well-formed",
            Self::XMPP_STREAM_POLICY_VIOLATION => c"policy-violation",
            Self::XMPP_STREAM_REMOTE_CONNECTION_FAILED => c"remote-connection-failed",
            Self::XMPP_STREAM_RESET => c"reset",
            Self::XMPP_STREAM_RESOURCE_CONSTRAINT => c"resource-constraint",
            Self::XMPP_STREAM_RESTRICTED_XML => c"restricted-xml",
            Self::XMPP_STREAM_SEE_OTHER_HOST => c"see-other-host",
            Self::XMPP_STREAM_SYSTEM_SHUTDOWN => c"system-shutdown",
            Self::XMPP_STREAM_UNDEFINED_CONDITION => c"undefined-condition",
            Self::XMPP_STREAM_UNSUPPORTED_ENCODING => c"unsupported-encoding",
            Self::XMPP_STREAM_UNSUPPORTED_FEATURE => c"unsupported-feature",
            Self::XMPP_STREAM_UNSUPPORTED_STANZA_TYPE => c"unsupported-stanza-type",
            Self::XMPP_STREAM_UNSUPPORTED_VERSION => c"unsupported-version",
            Self::XMPP_SASL_ABORTED => c"aborted",
            Self::XMPP_SASL_ACCOUNT_DISABLED => c"account-disabled",
            Self::XMPP_SASL_CREDENTIALS_EXPIRED => c"credentials-expired",
            Self::XMPP_SASL_ENCRYPTION_REQUIRED => c"encryption-required",
            Self::XMPP_SASL_INCORRECT_ENCODING => c"incorrect-encoding",
            Self::XMPP_SASL_INVALID_AUTHZID => c"invalid-authzid",
            Self::XMPP_SASL_INVALID_MECHANISM => c"invalid-mechanism",
            Self::XMPP_SASL_MALFORMED_REQUEST => c"malformed-request",
            Self::XMPP_SASL_MECHANISM_TOO_WEAK => c"mechanism-too-weak",
            Self::XMPP_SASL_NOT_AUTHORIZED => c"not-authorized",
            Self::XMPP_SASL_TEMPORARY_AUTH_FAILURE => c"temporary-auth-failure",
            Self::XMPP_STANZA_BAD_REQUEST => c"bad-request",
            Self::XMPP_STANZA_CONFLICT => c"conflict",
            Self::XMPP_STANZA_FEATURE_NOT_IMPLEMENTED => c"feature-not-implemented",
            Self::XMPP_STANZA_FORBIDDEN => c"forbidden",
            Self::XMPP_STANZA_GONE => c"gone",
            Self::XMPP_STANZA_INTERNAL_SERVER_ERROR => c"internal-server-error",
            Self::XMPP_STANZA_ITEM_NOT_FOUND => c"item-not-found",
            Self::XMPP_STANZA_JID_MALFORMED => c"jid-malformed",
            Self::XMPP_STANZA_NOT_ACCEPTABLE => c"not-acceptable",
            Self::XMPP_STANZA_NOT_ALLOWED => c"not-allowed",
            Self::XMPP_STANZA_NOT_AUTHORIZED => c"not-authorized",
            Self::XMPP_STANZA_POLICY_VIOLATION => c"policy-violation",
            Self::XMPP_STANZA_RECIPIENT_UNAVAILABLE => c"recipient-unavailable",
            Self::XMPP_STANZA_REDIRECT => c"redirect",
            Self::XMPP_STANZA_REGISTRATION_REQUIRED => c"registration-required",
            Self::XMPP_STANZA_REMOTE_SERVER_NOT_FOUND => c"remote-server-not-found",
            Self::XMPP_STANZA_REMOTE_SERVER_TIMEOUT => c"remote-server-timeout",
            Self::XMPP_STANZA_RESOURCE_CONSTRAINT => c"resource-constraint",
            Self::XMPP_STANZA_SERVICE_UNAVAILABLE => c"service-unavailable",
            Self::XMPP_STANZA_SUBSCRIPTION_REQUIRED => c"subscription-required",
            Self::XMPP_STANZA_UNDEFINED_CONDITION => c"undefined-condition",
            Self::XMPP_STANZA_UNEXPECTED_REQUEST => c"unexpected-request",
        }
    }

    /// [`Self::c_name`] as text.
    pub(crate) fn name(self) -> &'static str {
        self.c_name().to_str().unwrap_or("unknown")
    }

    /// Every code, for the name look-up of [`crate::xmpp_status_name`].
    pub(crate) fn from_u32(code: u32) -> Option<Self> {
        ALL.iter().copied().find(|s| *s as u32 == code)
    }

    /// The code of an RFC 6120 §4.9.3 stream error condition.
    pub(crate) fn stream(name: &str) -> Self {
        match name {
            "bad-format" => Self::XMPP_STREAM_BAD_FORMAT,
            "bad-namespace-prefix" => Self::XMPP_STREAM_BAD_NAMESPACE_PREFIX,
            "conflict" => Self::XMPP_STREAM_CONFLICT,
            "connection-timeout" => Self::XMPP_STREAM_CONNECTION_TIMEOUT,
            "host-gone" => Self::XMPP_STREAM_HOST_GONE,
            "host-unknown" => Self::XMPP_STREAM_HOST_UNKNOWN,
            "improper-addressing" => Self::XMPP_STREAM_IMPROPER_ADDRESSING,
            "internal-server-error" => Self::XMPP_STREAM_INTERNAL_SERVER_ERROR,
            "invalid-from" => Self::XMPP_STREAM_INVALID_FROM,
            "invalid-namespace" => Self::XMPP_STREAM_INVALID_NAMESPACE,
            "invalid-xml" => Self::XMPP_STREAM_INVALID_XML,
            "not-authorized" => Self::XMPP_STREAM_NOT_AUTHORIZED,
            "not-well-formed" => Self::XMPP_STREAM_NOT_WELL_FORMED,
            "policy-violation" => Self::XMPP_STREAM_POLICY_VIOLATION,
            "remote-connection-failed" => Self::XMPP_STREAM_REMOTE_CONNECTION_FAILED,
            "reset" => Self::XMPP_STREAM_RESET,
            "resource-constraint" => Self::XMPP_STREAM_RESOURCE_CONSTRAINT,
            "restricted-xml" => Self::XMPP_STREAM_RESTRICTED_XML,
            "see-other-host" => Self::XMPP_STREAM_SEE_OTHER_HOST,
            "system-shutdown" => Self::XMPP_STREAM_SYSTEM_SHUTDOWN,
            "undefined-condition" => Self::XMPP_STREAM_UNDEFINED_CONDITION,
            "unsupported-encoding" => Self::XMPP_STREAM_UNSUPPORTED_ENCODING,
            "unsupported-feature" => Self::XMPP_STREAM_UNSUPPORTED_FEATURE,
            "unsupported-stanza-type" => Self::XMPP_STREAM_UNSUPPORTED_STANZA_TYPE,
            "unsupported-version" => Self::XMPP_STREAM_UNSUPPORTED_VERSION,
            _ => Self::XMPP_OTHER_CONDITION,
        }
    }

    /// The code of an RFC 6120 §6.5 SASL failure condition.
    pub(crate) fn sasl(name: &str) -> Self {
        match name {
            "aborted" => Self::XMPP_SASL_ABORTED,
            "account-disabled" => Self::XMPP_SASL_ACCOUNT_DISABLED,
            "credentials-expired" => Self::XMPP_SASL_CREDENTIALS_EXPIRED,
            "encryption-required" => Self::XMPP_SASL_ENCRYPTION_REQUIRED,
            "incorrect-encoding" => Self::XMPP_SASL_INCORRECT_ENCODING,
            "invalid-authzid" => Self::XMPP_SASL_INVALID_AUTHZID,
            "invalid-mechanism" => Self::XMPP_SASL_INVALID_MECHANISM,
            "malformed-request" => Self::XMPP_SASL_MALFORMED_REQUEST,
            "mechanism-too-weak" => Self::XMPP_SASL_MECHANISM_TOO_WEAK,
            "not-authorized" => Self::XMPP_SASL_NOT_AUTHORIZED,
            "temporary-auth-failure" => Self::XMPP_SASL_TEMPORARY_AUTH_FAILURE,
            _ => Self::XMPP_OTHER_CONDITION,
        }
    }

    /// The code of an RFC 6120 §8.3.3 stanza error condition.
    pub(crate) fn stanza(name: &str) -> Self {
        match name {
            "bad-request" => Self::XMPP_STANZA_BAD_REQUEST,
            "conflict" => Self::XMPP_STANZA_CONFLICT,
            "feature-not-implemented" => Self::XMPP_STANZA_FEATURE_NOT_IMPLEMENTED,
            "forbidden" => Self::XMPP_STANZA_FORBIDDEN,
            "gone" => Self::XMPP_STANZA_GONE,
            "internal-server-error" => Self::XMPP_STANZA_INTERNAL_SERVER_ERROR,
            "item-not-found" => Self::XMPP_STANZA_ITEM_NOT_FOUND,
            "jid-malformed" => Self::XMPP_STANZA_JID_MALFORMED,
            "not-acceptable" => Self::XMPP_STANZA_NOT_ACCEPTABLE,
            "not-allowed" => Self::XMPP_STANZA_NOT_ALLOWED,
            "not-authorized" => Self::XMPP_STANZA_NOT_AUTHORIZED,
            "policy-violation" => Self::XMPP_STANZA_POLICY_VIOLATION,
            "recipient-unavailable" => Self::XMPP_STANZA_RECIPIENT_UNAVAILABLE,
            "redirect" => Self::XMPP_STANZA_REDIRECT,
            "registration-required" => Self::XMPP_STANZA_REGISTRATION_REQUIRED,
            "remote-server-not-found" => Self::XMPP_STANZA_REMOTE_SERVER_NOT_FOUND,
            "remote-server-timeout" => Self::XMPP_STANZA_REMOTE_SERVER_TIMEOUT,
            "resource-constraint" => Self::XMPP_STANZA_RESOURCE_CONSTRAINT,
            "service-unavailable" => Self::XMPP_STANZA_SERVICE_UNAVAILABLE,
            "subscription-required" => Self::XMPP_STANZA_SUBSCRIPTION_REQUIRED,
            "undefined-condition" => Self::XMPP_STANZA_UNDEFINED_CONDITION,
            "unexpected-request" => Self::XMPP_STANZA_UNEXPECTED_REQUEST,
            _ => Self::XMPP_OTHER_CONDITION,
        }
    }
}

/// Every code, in order.
const ALL: &[xmpp_status] = &[
    xmpp_status::XMPP_OK,
    xmpp_status::XMPP_INVALID_ARGUMENT,
    xmpp_status::XMPP_INVALID_UTF8,
    xmpp_status::XMPP_PANIC,
    xmpp_status::XMPP_INVALID_INPUT,
    xmpp_status::XMPP_WRONG_PHASE,
    xmpp_status::XMPP_QUEUE_FULL,
    xmpp_status::XMPP_CLOSED,
    xmpp_status::XMPP_CONNECTION_LOST,
    xmpp_status::XMPP_NO_MECHANISM,
    xmpp_status::XMPP_TLS_REQUIRED,
    xmpp_status::XMPP_OTHER_CONDITION,
    xmpp_status::XMPP_STREAM_BAD_FORMAT,
    xmpp_status::XMPP_STREAM_BAD_NAMESPACE_PREFIX,
    xmpp_status::XMPP_STREAM_CONFLICT,
    xmpp_status::XMPP_STREAM_CONNECTION_TIMEOUT,
    xmpp_status::XMPP_STREAM_HOST_GONE,
    xmpp_status::XMPP_STREAM_HOST_UNKNOWN,
    xmpp_status::XMPP_STREAM_IMPROPER_ADDRESSING,
    xmpp_status::XMPP_STREAM_INTERNAL_SERVER_ERROR,
    xmpp_status::XMPP_STREAM_INVALID_FROM,
    xmpp_status::XMPP_STREAM_INVALID_NAMESPACE,
    xmpp_status::XMPP_STREAM_INVALID_XML,
    xmpp_status::XMPP_STREAM_NOT_AUTHORIZED,
    xmpp_status::XMPP_STREAM_NOT_WELL_FORMED,
    xmpp_status::XMPP_STREAM_POLICY_VIOLATION,
    xmpp_status::XMPP_STREAM_REMOTE_CONNECTION_FAILED,
    xmpp_status::XMPP_STREAM_RESET,
    xmpp_status::XMPP_STREAM_RESOURCE_CONSTRAINT,
    xmpp_status::XMPP_STREAM_RESTRICTED_XML,
    xmpp_status::XMPP_STREAM_SEE_OTHER_HOST,
    xmpp_status::XMPP_STREAM_SYSTEM_SHUTDOWN,
    xmpp_status::XMPP_STREAM_UNDEFINED_CONDITION,
    xmpp_status::XMPP_STREAM_UNSUPPORTED_ENCODING,
    xmpp_status::XMPP_STREAM_UNSUPPORTED_FEATURE,
    xmpp_status::XMPP_STREAM_UNSUPPORTED_STANZA_TYPE,
    xmpp_status::XMPP_STREAM_UNSUPPORTED_VERSION,
    xmpp_status::XMPP_SASL_ABORTED,
    xmpp_status::XMPP_SASL_ACCOUNT_DISABLED,
    xmpp_status::XMPP_SASL_CREDENTIALS_EXPIRED,
    xmpp_status::XMPP_SASL_ENCRYPTION_REQUIRED,
    xmpp_status::XMPP_SASL_INCORRECT_ENCODING,
    xmpp_status::XMPP_SASL_INVALID_AUTHZID,
    xmpp_status::XMPP_SASL_INVALID_MECHANISM,
    xmpp_status::XMPP_SASL_MALFORMED_REQUEST,
    xmpp_status::XMPP_SASL_MECHANISM_TOO_WEAK,
    xmpp_status::XMPP_SASL_NOT_AUTHORIZED,
    xmpp_status::XMPP_SASL_TEMPORARY_AUTH_FAILURE,
    xmpp_status::XMPP_STANZA_BAD_REQUEST,
    xmpp_status::XMPP_STANZA_CONFLICT,
    xmpp_status::XMPP_STANZA_FEATURE_NOT_IMPLEMENTED,
    xmpp_status::XMPP_STANZA_FORBIDDEN,
    xmpp_status::XMPP_STANZA_GONE,
    xmpp_status::XMPP_STANZA_INTERNAL_SERVER_ERROR,
    xmpp_status::XMPP_STANZA_ITEM_NOT_FOUND,
    xmpp_status::XMPP_STANZA_JID_MALFORMED,
    xmpp_status::XMPP_STANZA_NOT_ACCEPTABLE,
    xmpp_status::XMPP_STANZA_NOT_ALLOWED,
    xmpp_status::XMPP_STANZA_NOT_AUTHORIZED,
    xmpp_status::XMPP_STANZA_POLICY_VIOLATION,
    xmpp_status::XMPP_STANZA_RECIPIENT_UNAVAILABLE,
    xmpp_status::XMPP_STANZA_REDIRECT,
    xmpp_status::XMPP_STANZA_REGISTRATION_REQUIRED,
    xmpp_status::XMPP_STANZA_REMOTE_SERVER_NOT_FOUND,
    xmpp_status::XMPP_STANZA_REMOTE_SERVER_TIMEOUT,
    xmpp_status::XMPP_STANZA_RESOURCE_CONSTRAINT,
    xmpp_status::XMPP_STANZA_SERVICE_UNAVAILABLE,
    xmpp_status::XMPP_STANZA_SUBSCRIPTION_REQUIRED,
    xmpp_status::XMPP_STANZA_UNDEFINED_CONDITION,
    xmpp_status::XMPP_STANZA_UNEXPECTED_REQUEST,
];

/// A failure: the code and the message kept for the caller.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) status: xmpp_status,
    pub(crate) message: String,
    /// A finer kebab-case name than the code, when the layer has one
    /// (a JID error kind such as `localpart-disallowed`).
    pub(crate) kind: Option<&'static str>,
}

impl Failure {
    pub(crate) fn new(status: xmpp_status, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            kind: None,
        }
    }

    /// The same failure with a finer kind.
    pub(crate) fn with_kind(mut self, kind: &'static str) -> Self {
        self.kind = Some(kind);
        self
    }
}

/// The result of an entry point's body.
pub(crate) type Result<T = ()> = core::result::Result<T, Failure>;

thread_local! {
    /// The message of the last failure on this thread, NUL-terminated.
    static LAST_ERROR: RefCell<Option<CString>> = const { RefCell::new(None) };
    /// Its finer kind, NUL-terminated.
    static LAST_KIND: RefCell<Option<CString>> = const { RefCell::new(None) };
}

/// A C string of `text`; an interior NUL, which would cut it short, is
/// replaced.
fn c_string(text: &str) -> CString {
    CString::new(text.replace('\0', "\u{FFFD}")).unwrap_or_default()
}

/// Records a failure for this thread.
pub(crate) fn set_last_error(failure: &Failure) {
    let message = c_string(&failure.message);
    let kind = failure.kind.map(c_string);
    LAST_ERROR.with(|slot| *slot.borrow_mut() = Some(message));
    LAST_KIND.with(|slot| *slot.borrow_mut() = kind);
}

/// Forgets the last failure (every entry point that can fail starts with
/// it).
pub(crate) fn clear_last_error() {
    LAST_ERROR.with(|slot| *slot.borrow_mut() = None);
    LAST_KIND.with(|slot| *slot.borrow_mut() = None);
}

/// The last kind, or null, valid as [`last_error_ptr`]'s result is.
pub(crate) fn last_kind_ptr() -> *const core::ffi::c_char {
    LAST_KIND.with(|slot| {
        slot.borrow()
            .as_ref()
            .map_or(core::ptr::null(), |s| s.as_ptr())
    })
}

/// The last message, or null: valid until the next call into the library
/// on this thread.
pub(crate) fn last_error_ptr() -> *const core::ffi::c_char {
    LAST_ERROR.with(|slot| {
        slot.borrow()
            .as_ref()
            .map_or(core::ptr::null(), |s| s.as_ptr())
    })
}

"""Type stubs of xmpp_primitives (the native module is xmpp_primitives._native)."""

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Literal, Optional, Union

from typing_extensions import Self, TypedDict

from . import precis as precis
from .precis import PrecisError as PrecisError

Transport = Literal["tcp", "websocket", "bosh", "bosh-requests"]

class JidError(ValueError):
    """RFC 7622 (or RFC 6122) enforcement refused the address."""

    condition: str
    """The kind `xmpp jid` prints: `empty-localpart`, `domainpart-disallowed`, ..."""
    part: Literal["localpart", "domainpart", "resourcepart"]
    stanza_condition: str
    """The RFC 6120 §8.3.3 stanza error condition: `jid-malformed`."""

class StreamError(ValueError):
    """A framing error; the stream is over."""

    condition: str
    """The RFC 6120 §4.9.3 stream error condition (`not-well-formed`, ...)."""
    events: list[dict[str, Any]]
    """Set by Framer.events(): the events framed before the error."""

class StanzaError(ValueError):
    """A stanza or nonza that cannot be read."""

    condition: str
    kind: Optional[str]
    reply: Optional[str]

class SaslError(ValueError):
    """A failed SASL exchange."""

    condition: str
    """The RFC 6120 §6.5 SASL failure condition."""
    scram_error: Optional[str]
    """The RFC 5802 §7 `e=` value, if any."""

class Jid:
    """An XMPP address, parsed and enforced (RFC 7622 §3; RFC 6122 with legacy=True)."""

    def __init__(self, s: str, *, legacy: bool = False) -> None: ...
    @staticmethod
    def legacy(s: str) -> Jid: ...
    @property
    def localpart(self) -> Optional[str]: ...
    @property
    def domainpart(self) -> str: ...
    @property
    def resourcepart(self) -> Optional[str]: ...
    @property
    def bare(self) -> Jid: ...
    @property
    def is_bare(self) -> bool: ...
    @property
    def is_full(self) -> bool: ...
    @property
    def is_legacy(self) -> bool: ...
    def __str__(self) -> str: ...
    def __repr__(self) -> str: ...
    def __hash__(self) -> int: ...
    def __eq__(self, other: object) -> bool: ...
    def __ne__(self, other: object) -> bool: ...

def escape_localpart(name: str) -> str:
    """XEP-0106 §4.2 escaping; raises JidError."""

def unescape_localpart(localpart: str) -> str:
    """XEP-0106 §4.3 unescaping of the ten sequences."""

class StreamOpenEvent(TypedDict):
    event: Literal["stream-open"]
    name: str
    ns: str
    attrs: dict[str, str]

class ElementEvent(TypedDict):
    event: Literal["element"]
    name: str
    ns: str
    attrs: dict[str, str]
    xml: str

class WhitespaceEvent(TypedDict):
    event: Literal["whitespace"]

class StreamCloseEvent(TypedDict):
    event: Literal["stream-close"]

Event = Union[StreamOpenEvent, ElementEvent, WhitespaceEvent, StreamCloseEvent]

class Framer:
    """Incremental framing of an XMPP stream into event dicts (`xmpp frame` shapes)."""

    def __init__(
        self,
        transport: Transport = "tcp",
        *,
        max_stanza: Optional[int] = None,
        auto_restart: bool = False,
    ) -> None: ...
    def feed(self, data: bytes) -> None: ...
    def feed_message(self, message: bytes) -> Event: ...
    def events(self) -> list[Event]: ...
    def __iter__(self) -> Self: ...
    def __next__(self) -> Event: ...
    def restart(self) -> None: ...
    @property
    def awaiting_restart(self) -> bool: ...
    def unconsumed(self) -> bytes: ...
    def take_unconsumed(self) -> bytes: ...
    @property
    def consumed(self) -> int: ...
    def finish(self) -> None: ...

def parse_stanza(xml: Union[bytes, str], *, ns: str = "jabber:client") -> dict[str, Any]:
    """One element as `xmpp stanza` prints it: {"event": "stanza"|"nonza", "kind", ...}."""

class SaslClient:
    def __init__(
        self,
        mechanism: str,
        username: Optional[str] = None,
        password: Optional[str] = None,
        *,
        authzid: Optional[str] = None,
        nonce: Optional[str] = None,
        channel_binding: Optional[tuple[str, bytes]] = None,
        prep: Literal["saslprep", "precis", "precis-case-preserved", "none"] = "saslprep",
    ) -> None: ...
    @property
    def mechanism(self) -> str: ...
    def step(self, data: bytes = b"") -> Optional[bytes]: ...
    @property
    def done(self) -> bool: ...
    @property
    def authcid(self) -> Optional[str]: ...
    @property
    def authzid(self) -> Optional[str]: ...

ScramClient = SaslClient

class SaslServer:
    def __init__(
        self,
        mechanism: str,
        users: Union[Mapping[str, str], Callable[[str], Optional[str]]],
        *,
        iterations: int = 4096,
        nonce: Optional[str] = None,
        secret: Optional[bytes] = None,
        channel_binding: Optional[tuple[str, bytes]] = None,
        external: Optional[str] = None,
        prep: Literal["saslprep", "precis", "precis-case-preserved", "none"] = "saslprep",
        encrypted: bool = True,
    ) -> None: ...
    @property
    def mechanism(self) -> str: ...
    def step(self, data: bytes) -> Optional[bytes]: ...
    @property
    def done(self) -> bool: ...
    @property
    def authcid(self) -> Optional[str]: ...
    @property
    def authzid(self) -> Optional[str]: ...

class SessionError(ValueError):
    """A refused command (not fatal) or the end of a session (fatal)."""

    condition: str
    """The stream condition sent or received, the SASL failure, the stanza
    error of a failed bind, or the kind (`tls-required`, `wrong-phase`, ...)."""
    kind: Literal[
        "framing",
        "protocol",
        "peer-stream-error",
        "auth-failed",
        "sasl",
        "no-mechanism",
        "tls-required",
        "bind-failed",
        "timeout",
        "connection-lost",
        "closed",
        "wrong-phase",
        "queue-full",
        "other",
    ]
    fatal: bool

TlsPolicy = Literal["required", "optional", "off"]
TlsMode = Literal["starttls", "direct"]
SessionTransport = Literal["tcp", "websocket"]

class StanzaEvent(TypedDict):
    event: Literal["stanza"]
    kind: Literal["message", "presence", "iq"]
    stanza: dict[str, Any]
    """The dict parse_stanza gives under "stanza"."""

SessionEvent = dict[str, Any]
"""{"event": name, ...}: see Client.poll_event and Server.poll_event."""

class Client:
    """xmpp-session's c2s client machine, without I/O."""

    def __init__(
        self,
        jid: str,
        password: str,
        *,
        resource: Optional[str] = None,
        tls: TlsPolicy = "required",
        tls_mode: TlsMode = "starttls",
        transport: SessionTransport = "tcp",
        sasl2: bool = True,
        stream_management: bool = True,
        allow_plain: bool = False,
        refuse_plain: bool = False,
        mechanisms: Optional[list[str]] = None,
        lang: Optional[str] = None,
        keepalive: bool = True,
        resume: Optional[str] = None,
        user_agent: Optional[tuple[Optional[str], Optional[str], Optional[str]]] = None,
        fast_token: Optional[tuple[str, str, int]] = None,
        request_fast_token: bool = True,
        seed: Optional[bytes] = None,
        now_ms: Optional[int] = None,
    ) -> None: ...
    def handle_input(self, data: bytes) -> None: ...
    def poll_transmit(self) -> Optional[bytes]: ...
    def poll_event(self) -> Optional[SessionEvent]:
        """start-tls (tls_bytes), authenticated (mechanism, channel_binding),
        bound (jid), sm-enabled (resumable), resumed (jid, resent),
        resume-failed (unacked, condition), token-issued (mechanism, token, expiry),
        token-rejected, stanza (kind, stanza), acked (stanzas),
        stream-error (condition, text, see_other_host), closed (resumable)."""
    def events(self) -> list[SessionEvent]: ...
    def handle_timeout(self, now_ms: Optional[int] = None) -> None: ...
    def poll_timeout(self) -> Optional[int]: ...
    def tls_established(
        self, version: str, channel_bindings: Optional[dict[str, bytes]] = None
    ) -> None: ...
    def send_xml(self, xml: Union[bytes, str]) -> None: ...
    def send_message(self, to: str, body: str, type: str = "chat") -> None: ...
    def request_ack(self) -> None: ...
    def close(self) -> None: ...
    def connection_lost(self) -> None: ...
    def take_resumption_state(self) -> Optional[str]: ...
    @property
    def jid(self) -> Optional[str]: ...
    @property
    def is_closed(self) -> bool: ...

class Server:
    """xmpp-session's c2s server machine, without I/O; its decisions are yours."""

    def __init__(
        self,
        domain: str,
        *,
        tls: TlsPolicy = "required",
        tls_mode: TlsMode = "starttls",
        transport: SessionTransport = "tcp",
        sasl2: bool = True,
        stream_management: bool = True,
        allow_plain: bool = False,
        mechanisms: Optional[list[str]] = None,
        keepalive: bool = True,
        secret: Optional[bytes] = None,
        iterations: int = 4096,
        seed: Optional[bytes] = None,
        now_ms: Optional[int] = None,
    ) -> None: ...
    def handle_input(self, data: bytes) -> None: ...
    def poll_transmit(self) -> Optional[bytes]: ...
    def poll_event(self) -> Optional[SessionEvent]:
        """start-tls, credentials-request (mechanism, authcid, authzid, fast:
        the claimed count and invalidate, unverified; user_agent: id,
        software, device, or None), token-used (jid, mechanism, count,
        invalidate, slot "new" or "current": a proven token's use, to check
        and record in one step), authenticated (jid, mechanism), auth-failed
        (condition), bind-request (requested, suggested),
        token-request (mechanism), resume-request (previd, h), bound (jid),
        resumed (jid, resent), sm-enabled (id), stanza, acked (stanzas),
        stream-error, undelivered (stanzas), closed (resumable)."""
    def events(self) -> list[SessionEvent]: ...
    def handle_timeout(self, now_ms: Optional[int] = None) -> None: ...
    def poll_timeout(self) -> Optional[int]: ...
    def tls_established(
        self, version: str, channel_bindings: Optional[dict[str, bytes]] = None
    ) -> None: ...
    def provide_password(self, password: Optional[str]) -> None: ...
    def provide_token(
        self,
        token: Optional[str],
        processed: Optional[int] = None,
        expiry: Optional[int] = None,
        now: Optional[int] = None,
        new: Optional[tuple[str, Optional[int], Optional[int]]] = None,
    ) -> None: ...
    def accept_bind(self, resource: Optional[str] = None) -> str: ...
    def reject_bind(self, condition: str = "conflict") -> None: ...
    def issue_token(self, token: str, expiry: str) -> None: ...
    def decline_token(self) -> None: ...
    def accept_token_use(self, rotate: bool = False) -> None: ...
    def refuse_token_use(self) -> None: ...
    def accept_resume(self, state: str) -> None: ...
    def reject_resume(self) -> None: ...
    def reject_resume_timed_out(self, handled: int) -> None: ...
    def send_xml(self, xml: Union[bytes, str]) -> None: ...
    def send_message(self, sender: str, body: str, type: str = "chat") -> None: ...
    def close(self) -> None: ...
    def connection_lost(self) -> None: ...
    def take_resumption_state(self) -> Optional[str]: ...
    @property
    def jid(self) -> Optional[str]: ...
    @property
    def is_closed(self) -> bool: ...

__all__: list[str]

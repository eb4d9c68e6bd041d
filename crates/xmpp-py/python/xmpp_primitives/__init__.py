"""XMPP primitives from Rust: RFC 7622 addresses, PRECIS, stream framing,
typed stanzas, SASL and the c2s session machines (Client, Server), with the names the ``xmpp`` command uses.

>>> from xmpp_primitives import Jid
>>> jid = Jid("Juliet@Example.COM/Balcony")
>>> str(jid), jid.localpart, jid.resourcepart
('juliet@example.com/Balcony', 'juliet', 'Balcony')
"""

from . import precis
from ._native import (
    Client,
    Framer,
    Jid,
    JidError,
    PrecisError,
    SaslClient,
    SaslError,
    SaslServer,
    ScramClient,
    Server,
    SessionError,
    StanzaError,
    StreamError,
    escape_localpart,
    parse_stanza,
    unescape_localpart,
)

__all__ = [
    "Client",
    "Framer",
    "Jid",
    "JidError",
    "PrecisError",
    "SaslClient",
    "SaslError",
    "SaslServer",
    "ScramClient",
    "Server",
    "SessionError",
    "StanzaError",
    "StreamError",
    "escape_localpart",
    "parse_stanza",
    "precis",
    "unescape_localpart",
]

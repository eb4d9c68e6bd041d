"""XMPP primitives from Rust: RFC 7622 addresses, PRECIS, stream framing,
typed stanzas and SASL, with the names the ``xmpp`` command uses.

>>> from xmpp_primitives import Jid
>>> jid = Jid("Juliet@Example.COM/Balcony")
>>> str(jid), jid.localpart, jid.resourcepart
('juliet@example.com/Balcony', 'juliet', 'Balcony')
"""

from . import precis
from ._native import (
    Framer,
    Jid,
    JidError,
    PrecisError,
    SaslClient,
    SaslError,
    SaslServer,
    ScramClient,
    StanzaError,
    StreamError,
    escape_localpart,
    parse_stanza,
    unescape_localpart,
)

__all__ = [
    "Framer",
    "Jid",
    "JidError",
    "PrecisError",
    "SaslClient",
    "SaslError",
    "SaslServer",
    "ScramClient",
    "StanzaError",
    "StreamError",
    "escape_localpart",
    "parse_stanza",
    "precis",
    "unescape_localpart",
]

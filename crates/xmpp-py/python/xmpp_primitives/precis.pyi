"""Type stubs of xmpp_primitives.precis."""

from typing import Literal, Optional

Profile = Literal["username-case-mapped", "username-case-preserved", "opaque-string", "nickname"]

class PrecisError(ValueError):
    """A string refused by a PRECIS profile (RFC 8264)."""

    condition: Literal["empty", "disallowed", "unassigned", "context-rule", "bidi-rule", "unstable"]
    code_point: Optional[str]
    offset: Optional[int]

PROFILES: tuple[str, ...]

def enforce(profile: str, s: str) -> str: ...
def compare(profile: str, a: str, b: str) -> bool: ...
def comparison_form(profile: str, s: str) -> str: ...

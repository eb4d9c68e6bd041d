"""PRECIS (RFC 8264) enforcement and comparison under the profiles that
``xmpp precis`` names: ``username-case-mapped``, ``username-case-preserved``
(RFC 8265 §3), ``opaque-string`` (RFC 8265 §4) and ``nickname`` (RFC 8266).

>>> from xmpp_primitives import precis
>>> precis.enforce("username-case-mapped", "Ｊｕｌｉｅｔ")
'juliet'
>>> precis.compare("nickname", "Romeo", "ROMEO")
True
"""

from ._native import PrecisError
from ._native import precis as _precis

enforce = _precis.enforce
compare = _precis.compare
comparison_form = _precis.comparison_form
PROFILES = tuple(_precis.PROFILES)

__all__ = ["PROFILES", "PrecisError", "compare", "comparison_form", "enforce"]

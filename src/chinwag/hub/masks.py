"""Ban masks: ``nick!user@host`` patterns with ``*`` and ``?`` wildcards.

A member is described as ``nick!user@host`` (``user`` is the name their client gave, or
the generated client name; ``host`` is their address). Masks are compared under the
same case-folding as names, so ``*!*@10.0.0.*`` and ``Bob!*@*`` mean what they say.
"""

import re
from functools import lru_cache

from chinwag.hub import names


def normalize(mask: str) -> str:
    """The full ``nick!user@host`` form of a mask given in short: ``bob`` is ``bob!*@*``."""
    mask = mask.strip()
    if "!" not in mask and "@" not in mask:
        return f"{mask}!*@*"
    if "@" not in mask:
        return f"{mask}@*"
    if "!" not in mask:
        return f"*!{mask}"
    return mask


@lru_cache(maxsize=1024)
def _compile(mask: str) -> re.Pattern[str]:
    pattern = "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char)
        for char in names.fold(mask)
    )
    return re.compile(pattern, re.DOTALL)


def matches(mask: str, nick: str, user: str, host: str) -> bool:
    """Whether ``mask`` describes the member ``nick!user@host``."""
    return _compile(normalize(mask)).fullmatch(names.fold(f"{nick}!{user}@{host}")) is not None

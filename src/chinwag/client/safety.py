"""Making received text harmless to show on a terminal.

Anything a peer (or a hostile server) sends reaches the user's terminal, where an escape
sequence can clear the screen, move the cursor, retitle the window or paste into the
shell. Rather than deleting such characters (which would hide that something odd was
sent), they are made visible: C0 controls and DEL in caret notation (``\\x1b`` -> ``^[``,
so ``\\x1b[2J`` shows as ``^[[2J``), C1 controls, bidirectional overrides and line/paragraph
separators as ``<U+XXXX>``. Tabs stay. After this no byte of the result is interpreted
by a terminal.
"""

from __future__ import annotations

import re

# C0 controls except tab, DEL, C1 controls, bidi embeddings/overrides/isolates (which can
# make text read differently from what it is), and Unicode line/paragraph separators.
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return "^" + chr(code + 0x40)
    if code == 0x7F:
        return "^?"
    return f"<U+{code:04X}>"


def neutralise(text: str) -> str:
    """``text`` with every control character and escape introducer made visible."""
    if text.isprintable():  # the common case: one C-level scan, no regex
        return text
    return _UNSAFE.sub(_visible, text)

"""Which characters must never reach another user's terminal, and the check for them.

Whatever one user sends is shown to others, on terminals (``nc``, ``telnet``) that obey
control characters: ESC starts sequences that clear the screen, retitle the window or
write the clipboard, and the bidirectional overrides make text read differently from
what it is. Each front end removes them where text enters
(:func:`chinwag.text.sanitize.clean`); every event checks its text fields with
:func:`is_clean` and refuses to be built otherwise, so a path that forgets to clean fails
loudly instead of reaching a terminal.
"""

import re

# C0 controls except tab, DEL, C1 controls (ESC and the 8-bit CSI among them), the line
# and paragraph separators, then every bidirectional control (Unicode's Bidi_Control: the
# marks, embeddings, overrides and isolates): the body of a character class.
UNSAFE_CHARACTERS = (
    "\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
)
_UNSAFE = re.compile(f"[{UNSAFE_CHARACTERS}]")


def is_clean(text: str) -> bool:
    """Whether ``text`` holds no character in :data:`UNSAFE_CHARACTERS`."""
    # isprintable() is one C-level scan that passes almost every line; tabs, emoji
    # joiners and the like fail it without being unsafe, so those take the search.
    return text.isprintable() or _UNSAFE.search(text) is None


def require_clean(*texts: str) -> None:
    """Raise :class:`ValueError` unless every text is clean: a front end forgot to clean."""
    for text in texts:
        if not (text.isprintable() or _UNSAFE.search(text) is None):
            raise ValueError(f"text must be cleaned before it is relayed: {text!r}")

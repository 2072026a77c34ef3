"""Making received text safe to relay: no control characters, no terminal escapes.

Whatever one user sends is shown on other users' terminals, so escape sequences (which
can clear a screen, move the cursor or retitle a window) and control characters are
removed before relaying. Tabs are kept. Removing the whole sequence, not just the ESC,
keeps ``\\x1b[2J`` from leaving a stray ``[2J`` behind.
"""

import re

from chinwag.hub.cleaning import UNSAFE_CHARACTERS

# CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), other ESC-introduced sequences
# (ESC followed by one character), then single C0/C1 controls and DEL (tab excepted).
_ESCAPES = re.compile(
    rf"""
    \x1b\[[0-?]*[ -/]*[@-~]           # CSI
  | \x1b\][^\x07\x1b]*(?:\x07|\x1b\\)? # OSC, terminated by BEL or ST
  | \x1b[PX^_][^\x1b]*(?:\x1b\\)?      # DCS, SOS, PM, APC strings
  | \x1b.?                            # any other escape
  | \x9b[0-?]*[ -/]*[@-~]             # 8-bit CSI
  | [{UNSAFE_CHARACTERS}]     # remaining controls (tab kept), bidirectional overrides
    """,
    re.VERBOSE | re.DOTALL,
)


def clean(text: str) -> str:
    """``text`` without escape sequences and control characters."""
    if text.isprintable():  # the common case costs one C-level scan
        return text
    return _ESCAPES.sub("", text)

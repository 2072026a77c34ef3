"""Fuzz target: ``sanitize.clean``, the filter between one user's text and others' terminals.

Invariants checked for every input:

* no ESC, no other C0/C1 control character, no DEL, no bidirectional control (Unicode's
  Bidi_Control) and no line or paragraph separator survives (tab is the one control kept);
* cleaning is idempotent: ``clean(clean(s)) == clean(s)``;
* it only removes: the result is a subsequence of the input, and text with nothing to
  remove comes back unchanged.

Inputs are built from the fuzzer's bytes so that escape-sequence material is common:
Latin-1 decoding reaches every C0/C1 control, and a second part adds arbitrary Unicode.

Run: ``python fuzz/fuzz_sanitize.py -atheris_runs=100000`` or ``-max_total_time=60``.
"""

from __future__ import annotations

import sys
import unicodedata

import atheris

with atheris.instrument_imports(include=["chinwag"]):
    from chinwag.text.sanitize import clean

# Bidi_Control (Unicode's PropList.txt), and the line and paragraph separators.
_UNSAFE_FORMATTING = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029"
)


def forbidden(char: str) -> bool:
    """Whether ``char`` must never reach another user's terminal."""
    if char == "\t":
        return False
    return unicodedata.category(char) == "Cc" or char in _UNSAFE_FORMATTING


def is_subsequence(part: str, whole: str) -> bool:
    remaining = iter(whole)
    return all(char in remaining for char in part)


def test_one_input(raw: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(raw)
    escapes = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 256)).decode("latin-1")
    text = escapes + fdp.ConsumeUnicode(fdp.remaining_bytes())

    cleaned = clean(text)
    bad = [char for char in cleaned if forbidden(char)]
    assert not bad, (text, cleaned, bad)
    assert clean(cleaned) == cleaned, (text, cleaned, clean(cleaned))
    assert is_subsequence(cleaned, text), (text, cleaned)
    if not any(forbidden(char) or char == "\x1b" for char in text):
        assert cleaned == text, (text, cleaned)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()

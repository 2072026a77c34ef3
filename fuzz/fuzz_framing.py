"""Fuzz target: text framing (``LineBuffer``), bytes in, frames out.

Invariants checked for every input:

* the frames equal those of a plain reference model (split on ``\\n``, drop one ``\\r``,
  one ``LineTooLong`` per line over the limit), so each over-long line is reported once;
* no ``Line`` holds a ``\\n``, and the buffer never holds more than the limit plus one;
* however the bytes are cut into chunks (random cuts, then one byte at a time), the frames
  are the same as when the input is fed whole.

Run: ``python fuzz/fuzz_framing.py -atheris_runs=100000`` or ``-max_total_time=60``.
"""

from __future__ import annotations

import sys

import atheris

with atheris.instrument_imports(include=["chinwag"]):
    from chinwag.text.framing import Frame, Line, LineBuffer, LineTooLong

# Small limits make over-long lines (and the "\r" slack at the limit) common.
MAX_LIMIT = 64


def reference(data: bytes, limit: int) -> list[Frame]:
    """What ``LineBuffer`` must produce for ``data`` fed in any number of pieces."""
    *complete, rest = data.split(b"\n")
    frames: list[Frame] = []
    for raw in complete:
        line = raw.removesuffix(b"\r")
        if len(line) > limit:
            frames.append(LineTooLong(limit))
        else:
            text = line.decode("utf-8", "replace")
            frames.append(Line(text, replaced=text.encode("utf-8") != line))
    # An unfinished line is reported as soon as it cannot fit any more (the one byte of
    # slack is for the "\r" of a "\r\n").
    if len(rest) > limit + 1:
        frames.append(LineTooLong(limit))
    return frames


def feed(buffer: LineBuffer, chunks: list[bytes]) -> list[Frame]:
    frames: list[Frame] = []
    for chunk in chunks:
        frames += buffer.feed(chunk)
        assert buffer.buffered <= buffer.max_line_bytes + 1, buffer.buffered
    return frames


def cut(data: bytes, fdp: atheris.FuzzedDataProvider) -> list[bytes]:
    """``data`` cut at places the fuzzer chooses (empty chunks included)."""
    chunks = []
    start = 0
    while start < len(data):
        size = fdp.ConsumeIntInRange(0, len(data) - start) if fdp.remaining_bytes() else len(data)
        chunks.append(data[start : start + size])
        start += size
    return chunks


def test_one_input(raw: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(raw)
    limit = fdp.ConsumeIntInRange(1, MAX_LIMIT)
    data = fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 4 * MAX_LIMIT))
    expected = reference(data, limit)

    whole = feed(LineBuffer(limit), [data])
    assert whole == expected, (data, limit, whole, expected)
    for frame in whole:
        if isinstance(frame, Line):
            assert "\n" not in frame.text, frame

    pieces = feed(LineBuffer(limit), cut(data, fdp))
    assert pieces == expected, (data, limit, pieces, expected)

    bytewise = feed(LineBuffer(limit), [data[i : i + 1] for i in range(len(data))])
    assert bytewise == expected, (data, limit, bytewise, expected)


def main() -> None:
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()

"""LineBuffer: the same lines however the byte stream is cut, and bounded memory."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chinwag.text.framing import DEFAULT_MAX_LINE_BYTES, Frame, Line, LineBuffer, LineTooLong


def feed_chunks(buffer: LineBuffer, chunks: list[bytes]) -> list[Frame]:
    frames: list[Frame] = []
    for chunk in chunks:
        frames += buffer.feed(chunk)
        # The bound holds after every feed, not only at the end.
        assert buffer.buffered <= buffer.max_line_bytes + 1
    return frames


def whole(data: bytes) -> list[bytes]:
    return [data]


def bytewise(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


def halves(data: bytes) -> list[bytes]:
    return [data[: len(data) // 2], data[len(data) // 2 :]]


SPLITS: list[Callable[[bytes], list[bytes]]] = [whole, bytewise, halves]


def frames_of(data: bytes, split: Callable[[bytes], list[bytes]], limit: int = 64) -> list[Frame]:
    return feed_chunks(LineBuffer(limit), split(data))


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"hello\n", ["hello"]),
        (b"hello\r\n", ["hello"]),
        (b"one\ntwo\r\nthree\n", ["one", "two", "three"]),
        (b"\n\r\n", ["", ""]),  # empty lines are framed; the session ignores them
        (b"a\rb\n", ["a\rb"]),  # only a CR right before the LF belongs to the line end
        (b"a\r\r\n", ["a\r"]),
        ("héllo ✓ 🙂\n".encode(), ["héllo ✓ 🙂"]),
        ("Привет, мир\r\n".encode(), ["Привет, мир"]),
    ],
)
def test_lines(data: bytes, expected: list[str], split: Callable[[bytes], list[bytes]]) -> None:
    assert frames_of(data, split) == [Line(text) for text in expected]


@pytest.mark.parametrize("split", SPLITS)
def test_trailing_partial_line_waits_for_its_end(split: Callable[[bytes], list[bytes]]) -> None:
    buffer = LineBuffer()
    assert feed_chunks(buffer, split(b"first\nsecond\r\nthi")) == [Line("first"), Line("second")]
    assert buffer.buffered == 3
    assert buffer.feed(b"rd\r") == []
    assert buffer.feed(b"\n") == [Line("third")]
    assert buffer.buffered == 0


def test_no_data_no_frames() -> None:
    buffer = LineBuffer()
    assert buffer.feed(b"") == []
    assert buffer.feed(b"abc") == []
    assert buffer.feed(b"") == []
    assert buffer.buffered == 3


def test_multibyte_character_split_at_every_byte_boundary() -> None:
    data = "añ€🙂\r\n".encode()
    for cut in range(len(data) + 1):
        buffer = LineBuffer()
        frames = buffer.feed(data[:cut]) + buffer.feed(data[cut:])
        assert frames == [Line("añ€🙂")], f"cut at byte {cut}"


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"caf\xc3\n", "caf\ufffd"),  # a truncated character
        (b"\xff\xfe ok\n", "\ufffd\ufffd ok"),
        (b"\xed\xa0\x80\n", "\ufffd\ufffd\ufffd"),  # an encoded surrogate is not UTF-8
        (b"\xc0\xaf\n", "\ufffd\ufffd"),  # an over-long encoding of '/'
    ],
)
def test_invalid_utf8_becomes_replacement_characters(
    data: bytes, expected: str, split: Callable[[bytes], list[bytes]]
) -> None:
    assert frames_of(data, split) == [Line(expected, replaced=True)]


def test_a_line_that_was_utf8_says_nothing_was_replaced() -> None:
    assert LineBuffer().feed("ok \ufffd\n".encode()) == [Line("ok \ufffd", replaced=False)]


@pytest.mark.parametrize("split", SPLITS)
def test_line_of_exactly_the_limit_is_accepted(split: Callable[[bytes], list[bytes]]) -> None:
    eight = b"x" * 8
    data = eight + b"\n" + eight + b"\r\n"
    assert frames_of(data, split, limit=8) == [Line("xxxxxxxx"), Line("xxxxxxxx")]


@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("ending", [b"\n", b"\r\n"])
def test_line_one_byte_over_the_limit_is_dropped(
    split: Callable[[bytes], list[bytes]], ending: bytes
) -> None:
    data = b"x" * 9 + ending + b"ok" + ending
    assert frames_of(data, split, limit=8) == [LineTooLong(8), Line("ok")]


@pytest.mark.parametrize("split", SPLITS)
def test_over_long_line_reported_once_and_the_next_line_works(
    split: Callable[[bytes], list[bytes]],
) -> None:
    data = b"y" * 1000 + b"\r\nafter\n" + b"z" * 50 + b"\nlast\n"
    assert frames_of(data, split, limit=16) == [
        LineTooLong(16),
        Line("after"),
        LineTooLong(16),
        Line("last"),
    ]


def test_over_long_line_is_reported_before_its_end_arrives() -> None:
    # The report must not wait for a newline a misbehaving client may never send.
    buffer = LineBuffer(8)
    assert buffer.feed(b"x" * 9) == []  # may still be 8 bytes and a CR
    assert buffer.feed(b"x") == [LineTooLong(8)]
    assert buffer.buffered == 0
    for _ in range(1000):
        assert buffer.feed(b"x" * 100) == []
        assert buffer.buffered == 0
    assert buffer.feed(b"\nfine\n") == [Line("fine")]


def test_buffer_never_exceeds_the_limit() -> None:
    limit = 32
    buffer = LineBuffer(limit)
    reports = 0
    for chunk in [b"a" * 7] * 200:
        reports += len(buffer.feed(chunk))
        assert buffer.buffered <= limit + 1  # one byte of slack for a CR
    assert reports == 1
    # A huge chunk after a complete line is not kept either.
    assert buffer.feed(b"\nshort\n" + b"b" * 10_000) == [Line("short"), LineTooLong(limit)]
    assert buffer.buffered == 0


def test_default_limit() -> None:
    assert DEFAULT_MAX_LINE_BYTES == 4096
    buffer = LineBuffer()
    assert buffer.feed(b"x" * 4096 + b"\n") == [Line("x" * 4096)]
    assert buffer.feed(b"x" * 4097 + b"\n") == [LineTooLong(4096)]


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        LineBuffer(0)


# --- properties ---------------------------------------------------------------------------

# Pieces chosen to make the interesting cases likely: line ends, lone CRs, multi-byte
# characters, stray continuation bytes and runs long enough to cross small limits.
PIECES = [
    b"a",
    b"\n",
    b"\r",
    b"\r\n",
    "é".encode(),
    "€".encode(),
    "🙂".encode(),
    b"\xc3",
    b"\x80",
    b"\xff",
    b"0123456789",
]
streams = st.lists(st.sampled_from(PIECES), max_size=40).map(b"".join)


def reference_frames(data: bytes, limit: int) -> list[Frame]:
    """The frames a stream fed whole should give, by a direct reading of the rules."""
    *complete, tail = data.split(b"\n")
    frames: list[Frame] = []
    for raw in complete:
        line = raw.removesuffix(b"\r")
        text = line.decode("utf-8", "replace")
        replaced = text.encode("utf-8") != line
        frames.append(LineTooLong(limit) if len(line) > limit else Line(text, replaced))
    if len(tail) > limit + 1:  # an unfinished line already too long to end well
        frames.append(LineTooLong(limit))
    return frames


@settings(max_examples=300, deadline=None)
@given(data=streams, limit=st.integers(1, 24), cuts=st.lists(st.integers(0, 400), max_size=12))
def test_any_split_gives_the_frames_of_the_whole(data: bytes, limit: int, cuts: list[int]) -> None:
    points = sorted({min(cut, len(data)) for cut in cuts})
    chunks = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    assert b"".join(chunks) == data
    expected = reference_frames(data, limit)
    assert feed_chunks(LineBuffer(limit), [data]) == expected
    assert feed_chunks(LineBuffer(limit), chunks) == expected


@settings(max_examples=100, deadline=None)
@given(data=streams, limit=st.integers(1, 24))
def test_one_byte_at_a_time_gives_the_frames_of_the_whole(data: bytes, limit: int) -> None:
    assert feed_chunks(LineBuffer(limit), bytewise(data)) == reference_frames(data, limit)


@settings(max_examples=100, deadline=None)
@given(text=st.text(st.characters(exclude_characters="\r\n"), max_size=30))
def test_valid_utf8_lines_round_trip(text: str) -> None:
    data = text.encode("utf-8", "surrogatepass")
    expected = data.decode("utf-8", "replace")  # lone surrogates are not valid UTF-8
    replaced = expected != text
    assert feed_chunks(LineBuffer(4096), bytewise(data + b"\r\n")) == [Line(expected, replaced)]

"""The log's hot commands as RESP bytes, and raw XREAD replies read back as entries."""

from __future__ import annotations

import pytest

from chinwag.cluster import wire


def test_a_command_is_an_array_of_bulk_strings() -> None:
    assert wire.pack(b"XADD", b"", b"caf\xc3\xa9") == (
        b"*3\r\n$4\r\nXADD\r\n$0\r\n\r\n$5\r\ncaf\xc3\xa9\r\n"
    )


@pytest.mark.parametrize("operation", [b"{}", b'{"k":"say","text":"a\\r\\nb"}', b"\r\n" * 40])
@pytest.mark.parametrize("sequence", [1, 9, 10, 123456789])
def test_an_append_is_the_xadd_packed_in_full(operation: bytes, sequence: int) -> None:
    appends = wire.Appends(b"chinwag:log", 100_000, b"node1#c0ffee", (b"n", b"s", b"o"))
    whole = wire.pack(
        b"XADD", b"chinwag:log", b"MAXLEN", b"~", b"100000", b"*",
        b"n", b"node1#c0ffee", b"s", str(sequence).encode(), b"o", operation,
    )  # fmt: skip
    assert appends.command(sequence, operation) == whole


def test_xread_asks_for_what_follows_an_id() -> None:
    assert wire.xread(b"log", "1700000000000-3", 1024, 1000) == wire.pack(
        b"XREAD", b"COUNT", b"1024", b"BLOCK", b"1000", b"STREAMS", b"log", b"1700000000000-3"
    )


ENTRIES = [
    [b"1-0", [b"n", b"a", b"s", b"1", b"o", b"{}"]],
    [b"1-1", [b"n", b"b", b"s", b"7", b"o", b"[]"]],
]
EXPECTED = [
    ("1-0", {b"n": b"a", b"s": b"1", b"o": b"{}"}),
    ("1-1", {b"n": b"b", b"s": b"7", b"o": b"[]"}),
]


def test_a_resp2_reply_is_a_list_of_streams() -> None:
    assert wire.entries([[b"log", ENTRIES]]) == EXPECTED


def test_a_resp3_reply_is_a_map_of_streams() -> None:
    assert wire.entries({b"log": ENTRIES}) == EXPECTED


@pytest.mark.parametrize("timed_out", [None, [], {}])
def test_a_read_that_timed_out_has_no_entries(timed_out: object) -> None:
    assert wire.entries(timed_out) == []

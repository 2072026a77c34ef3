"""SASL PLAIN as another way to give the server password: offered only when there is one."""

from __future__ import annotations

from base64 import b64encode
from dataclasses import replace

from tests.irc.conftest import UNIT_CONFIG, IrcHarness, MemoryClient, World

PASSWORD_CONFIG = replace(UNIT_CONFIG, password="sesame")


def _plain(password: str, user: str = "jilles") -> str:
    return b64encode(b"\0".join([user.encode(), user.encode(), password.encode()])).decode()


def _negotiating(world: World) -> MemoryClient:
    client = world.irc()
    client.send("CAP LS 302", "NICK alice", "USER al 0 * :Alice")
    assert "sasl=PLAIN" in client.lines()[0].split(":", 2)[2].split()
    client.send("CAP REQ :sasl")
    assert client.lines() == [":irc.test CAP alice ACK :sasl"]
    return client


def test_sasl_is_offered_only_with_a_server_password(world: World) -> None:
    client = world.irc()
    client.send("CAP LS 302", "CAP REQ :sasl", "AUTHENTICATE PLAIN")
    ls, nak, fail = client.lines()
    assert "sasl" not in ls
    assert nak == ":irc.test CAP * NAK :sasl"
    assert fail.startswith(":irc.test 904 * ")


def test_the_server_password_by_sasl_plain_registers() -> None:
    world = World(PASSWORD_CONFIG)
    client = _negotiating(world)
    client.send("AUTHENTICATE PLAIN")
    assert client.lines() == ["AUTHENTICATE +"]
    client.send(f"AUTHENTICATE {_plain('sesame')}")
    assert client.lines() == [":irc.test 903 alice :SASL authentication successful"]
    client.send("CAP END")
    assert "001" in client.numerics()
    client.send("AUTHENTICATE PLAIN")
    assert client.numerics() == ["907"]


def test_a_wrong_password_fails_and_may_be_tried_again() -> None:
    world = World(PASSWORD_CONFIG)
    client = _negotiating(world)
    client.send("AUTHENTICATE PLAIN", f"AUTHENTICATE {_plain('millet')}")
    assert client.numerics() == ["AUTHENTICATE", "904"]
    client.send("AUTHENTICATE PLAIN", "AUTHENTICATE ***", "AUTHENTICATE PLAIN")
    assert client.numerics() == ["AUTHENTICATE", "904", "AUTHENTICATE"]
    client.send("AUTHENTICATE *")  # abort
    assert client.numerics() == ["906"]
    client.send("CAP END")  # no password given either way: refused, as without SASL
    refusal, error = client.numerics()  # wrong, or not checked so soon after a wrong one
    assert refusal in ("464", "263") and error == "ERROR"
    assert client.closed


def test_unknown_mechanism_lists_plain() -> None:
    world = World(PASSWORD_CONFIG)
    client = _negotiating(world)
    client.send("AUTHENTICATE SCRAM-SHA-256")
    assert client.lines() == [
        ":irc.test 908 alice PLAIN :are available SASL mechanisms",
        ":irc.test 904 alice :SASL authentication failed",
    ]


def test_long_payloads_come_in_pieces_of_400() -> None:
    world = World(replace(UNIT_CONFIG, password="bar" * 100))
    client = _negotiating(world)
    payload = _plain("bar" * 100, "foo")
    assert len(payload) > 400
    client.send("AUTHENTICATE PLAIN", f"AUTHENTICATE {payload[:400]}")
    assert client.numerics() == ["AUTHENTICATE"]
    client.send(f"AUTHENTICATE {payload[400:]}")
    assert client.numerics() == ["903"]

    world = World(replace(UNIT_CONFIG, password="bar" * 97))
    client = _negotiating(world)
    payload = _plain("bar" * 97, "foo")
    assert len(payload) == 400
    client.send("AUTHENTICATE PLAIN", f"AUTHENTICATE {payload}", "AUTHENTICATE +")
    assert client.numerics() == ["AUTHENTICATE", "903"]


def test_a_piece_over_400_bytes_or_too_many_is_905() -> None:
    world = World(PASSWORD_CONFIG)
    client = _negotiating(world)
    client.send("AUTHENTICATE PLAIN", "AUTHENTICATE " + "A" * 401)
    assert client.numerics() == ["AUTHENTICATE", "905"]
    client.send("AUTHENTICATE PLAIN", *["AUTHENTICATE " + "A" * 400] * 5)
    assert client.numerics() == ["AUTHENTICATE", "905"]


def test_sasl_over_a_socket(make_irc_server) -> None:  # type: ignore[no-untyped-def]
    server: IrcHarness = make_irc_server(password="sesame")
    client = server.raw_irc()
    client.send("CAP LS 302", "NICK alice", "USER al 0 * :Alice", "CAP REQ :sasl")
    client.expect(r"CAP alice ACK :sasl")
    client.send("AUTHENTICATE PLAIN")
    client.expect(r"^AUTHENTICATE \+$")
    client.send(f"AUTHENTICATE {_plain('sesame')}")
    client.expect(r" 903 ")
    client.send("CAP END")
    client.expect(r" 001 alice ")

"""Over real sockets: the server's own name and service names are nobody's nickname."""

from __future__ import annotations

from collections.abc import Callable

from tests.irc.conftest import IrcHarness


def test_server_and_service_names_are_refused_in_both_protocols(
    make_irc_server: Callable[..., IrcHarness],
) -> None:
    harness = make_irc_server()  # its server_name is irc.test
    irc = harness.raw_irc()
    for nick in ("irc.test", "IRC.test", "irc", "NickServ", "ChanServ", "nickserv"):
        irc.send(f"NICK {nick}")
        irc.expect(rf" 432 \* {nick} :")
    irc.send("NICK real", "USER real 0 * :Real")
    irc.expect(r" 001 real ")
    irc.send("NICK Global")
    irc.expect(r" 432 real Global ")

    text = harness.text("alice")
    for nick in ("irc.test", "NickServ", "services", "\uff2e\uff49\uff43\uff4b\uff33erv"):
        text.send(f"/nick {nick}")
        text.expect(r"^! .*reserved")
    text.send("/nick a\u3164")
    text.expect(r"^! .*invisible")
    text.send("/nick re\u0430l")  # a Cyrillic a in a Latin name
    text.expect(r"^! .*mixes")
    text.send("/nick rea1")  # looks like the IRC user's name
    text.expect(r"^! the name rea1 looks like real")

    other = harness.raw_irc()
    other.send("NICK REAL", "NICK reaI", "NICK ALlCE")  # a capital i, then a small L
    other.expect(r" 433 \* REAL :")
    other.expect(r" 433 \* reaI :")
    other.expect(r" 433 \* ALlCE :")  # alice, the text user

"""What IRC users do, as text users see it: topics on joining, away messages, /whois."""

from __future__ import annotations

from tests.irc.conftest import IrcHarness


def test_a_text_user_sees_the_topic_an_irc_user_set_on_joining(irc_server: IrcHarness) -> None:
    op = irc_server.irc("op")
    op.send("JOIN #club", "TOPIC #club :chess on tuesdays")
    op.expect(r" TOPIC #club :chess on tuesdays$")
    text = irc_server.text("texter")
    text.send("/join #club")
    text.expect(r"^\* you are now in club \(2 here\)$")
    text.expect(r"^\* topic: chess on tuesdays \(set by op, \d{4}-\d\d-\d\d \d\d:\d\d\)$")


def test_an_irc_users_away_message_reaches_text_users(irc_server: IrcHarness) -> None:
    sleepy = irc_server.irc("sleepy")
    sleepy.send("JOIN #lobby", "AWAY :gone to bed")
    sleepy.expect(r" 306 sleepy ")
    text = irc_server.text("texter")
    text.send("/msg sleepy good night")
    text.expect(r"^\* sleepy is away: gone to bed$")
    sleepy.expect(r"PRIVMSG sleepy :good night$")
    text.send("/whois sleepy")
    text.expect(r"^\* sleepy$")
    text.expect(r"^\*   rooms: lobby$")
    text.expect(r"^\*   away: gone to bed$")

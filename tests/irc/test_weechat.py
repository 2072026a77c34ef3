"""A second real IRC client, WeeChat (headless), against the server: it asks for every
capability it knows, so it must be refused none and keep working with them."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.irc.conftest import IrcHarness, wait_for

pytestmark = pytest.mark.skipif(
    shutil.which("weechat-headless") is None,
    reason="WeeChat is not installed (apt-get install weechat-headless)",
)


@pytest.fixture
def weechat(irc_server: IrcHarness, tmp_path: Path) -> Iterator[Path]:
    """WeeChat connected as ``weeuser`` and in ``#c``; yields its log directory."""
    host, port = irc_server.irc_address
    commands = ";".join(
        (
            "/set logger.file.flush_delay 0",
            f"/server add chinwag {host}/{port} -notls -nicks=weeuser -autojoin=#c",
            "/connect chinwag",
        )
    )
    process = subprocess.Popen(
        ["weechat-headless", "--stdout", "-d", str(tmp_path / "wee"), "-s", "-r", commands],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield tmp_path / "wee" / "logs"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _log(logs: Path, name: str) -> str:
    path = logs / name
    return path.read_text(errors="replace") if path.exists() else ""


def test_weechat_is_refused_nothing_and_sees_the_notify_capabilities(
    irc_server: IrcHarness, weechat: Path
) -> None:
    server_log = "irc.server.chinwag.weechatlog"
    wanted = ("away-notify", "extended-join", "invite-notify", "server-time")

    def acknowledged() -> bool:
        lines = _log(weechat, server_log).splitlines()
        enabled = " ".join(line for line in lines if "client capability, enabled" in line)
        return all(capability in enabled for capability in wanted)

    wait_for(acknowledged, timeout=15, what="WeeChat's CAP ACK")
    # WeeChat made #c, so it is its operator: bob must come after it.
    hub = irc_server.server.hub
    wait_for(
        lambda: any(member.nick == "weeuser" for member in hub.room_members("c")),
        timeout=15,
        what="WeeChat in #c",
    )
    log = _log(weechat, server_log)
    enabled = [line for line in log.splitlines() if "client capability" in line]
    assert not [line for line in enabled if "refused" in line], log
    for capability in wanted:
        assert capability in " ".join(enabled), log
    bob = irc_server.irc("bob")
    bob.send("JOIN #c")
    bob.expect(r" 366 bob #c ")
    bob.send("SETNAME :Bob Builder", "PRIVMSG #c :hello weechat", "PRIVMSG @#c :ops only")
    channel_log = "irc.chinwag.#c.weechatlog"
    wait_for(lambda: "ops only" in _log(weechat, channel_log), timeout=10, what="WeeChat's #c log")
    log = _log(weechat, channel_log)
    assert "hello weechat" in log
    assert "bob (bob) (bob@" in log  # the realname, from extended-join
    assert 'bob has changed real name to "Bob Builder"' in log  # setname


def _run_in_channel(weechat_dir: Path, command: str) -> None:
    """Have WeeChat run ``command`` in its #c buffer, through its FIFO."""
    wait_for(lambda: any(weechat_dir.glob("weechat_fifo_*")), timeout=15, what="WeeChat's FIFO")
    fifo = next(weechat_dir.glob("weechat_fifo_*"))
    with fifo.open("w") as pipe:
        pipe.write(f"irc.chinwag.#c *{command}\n")


def test_weechat_shows_an_away_user_in_the_away_colour(
    irc_server: IrcHarness, weechat: Path
) -> None:
    """away-notify: WeeChat draws an away user's nick in its nick list's away colour (the
    option ``weechat.color.nicklist_away``), and in the usual colour once back. Asked of
    WeeChat itself: its ``/eval`` reads the nick list and says the answer in #c."""
    hub = irc_server.server.hub
    wait_for(
        lambda: any(member.nick == "weeuser" for member in hub.room_members("c")),
        timeout=15,
        what="WeeChat in #c",
    )
    bob = irc_server.irc("bob")
    bob.send("JOIN #c")
    bob.expect(r" 366 bob #c ")
    channel_log = "irc.chinwag.#c.weechatlog"
    # WeeChat reads bob's lines in order: once the marker is in its log, the AWAY before it
    # has been handled too.
    bob.send("AWAY :lunch", "PRIVMSG #c :marker one")
    wait_for(lambda: "marker one" in _log(weechat, channel_log), timeout=10, what="marker one")
    # WeeChat's nick list: the group of nicks without a mode (the last), holding bob alone.
    nick = "${buffer.nicklist_root.last_child.nicks"
    ask = f"/eval nicklist {nick}.name}} {nick}.color}}"
    _run_in_channel(weechat.parent, ask)
    assert bob.expect(r" PRIVMSG #c :nicklist ").endswith(
        " :nicklist bob weechat.color.nicklist_away"
    )
    bob.send("AWAY", "PRIVMSG #c :marker two")
    wait_for(lambda: "marker two" in _log(weechat, channel_log), timeout=10, what="marker two")
    _run_in_channel(weechat.parent, ask)
    back = bob.expect(r" PRIVMSG #c :nicklist ")
    assert back.startswith(":weeuser!") and back.endswith(" :nicklist bob bar_fg")

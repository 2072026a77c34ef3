"""A real terminal IRC client, irssi, driven in tmux against the server."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.irc.conftest import IrcHarness, wait_for

pytestmark = pytest.mark.skipif(
    shutil.which("irssi") is None or shutil.which("tmux") is None,
    reason="irssi and tmux are not installed (CI installs them with apt-get)",
)


class Tmux:
    """One tmux server on its own socket, running one program in one pane."""

    def __init__(self, socket_dir: Path, command: list[str]) -> None:
        self.socket = str(socket_dir / "tmux.sock")
        self._run("new-session", "-d", "-s", "t", "-x", "160", "-y", "50", *command)

    def _run(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-S", self.socket, *args], check=True, capture_output=True, text=True
        ).stdout

    def type(self, text: str) -> None:
        self._run("send-keys", "-t", "t", "-l", text)
        self._run("send-keys", "-t", "t", "Enter")

    def screen(self) -> str:
        return self._run("capture-pane", "-p", "-t", "t", "-S", "-200")

    def wait_for_text(self, text: str) -> None:
        wait_for(lambda: text in self.screen(), timeout=10, what=f"irssi to show {text!r}")

    def kill(self) -> None:
        subprocess.run(["tmux", "-S", self.socket, "kill-server"], check=False, capture_output=True)


@pytest.fixture
def irssi(irc_server: IrcHarness, tmp_path: Path) -> Iterator[Tmux]:
    home = tmp_path / "irssi"
    home.mkdir()
    # No theme timestamps and no autoconnect surprises: a bare configuration.
    (home / "config").write_text('settings = { "fe-common/core" = { timestamps = "no"; }; };\n')
    host, port = irc_server.irc_address
    command = ["irssi", f"--home={home}", "-n", "termuser", "-c", host, "-p", str(port)]
    tmux = Tmux(tmp_path, command)
    try:
        yield tmux
    finally:
        tmux.kill()


def test_irssi_talks_with_a_text_user(irc_server: IrcHarness, irssi: Tmux) -> None:
    irssi.wait_for_text("Welcome to the chinwag IRC network")
    bob = irc_server.text("bob")
    irssi.type("/join #lobby")
    bob.expect(r"^\* termuser joined lobby$")
    bob.send("hello terminal")
    irssi.wait_for_text("hello terminal")
    irssi.type("hello nc")
    bob.expect(r"\] termuser: hello nc$")
    irssi.type("/msg bob just for you")
    bob.expect(r"\] \*termuser\* just for you$")
    bob.send("/msg termuser whisper back")
    irssi.type("/query bob")  # irssi shows private messages in the query's own window
    irssi.wait_for_text("whisper back")
    irssi.type("/nick termuser2")
    bob.expect(r"^\* termuser is now known as termuser2$")
    irssi.type("/quit leaving now")
    bob.expect(r"^\* termuser2 left the chat \(Quit: leaving now\)$")


def test_irssi_is_refused_nothing_it_asks_for(irssi: Tmux, tmp_path: Path) -> None:
    """irssi asks for the capabilities it knows among those offered: every one it asks
    for must be acknowledged, and it must work on with them."""
    irssi.wait_for_text("Welcome to the chinwag IRC network")
    raw = tmp_path / "raw.log"
    irssi.type(f"/rawlog save {raw}")
    wait_for(lambda: raw.exists() and "001" in raw.read_text(), timeout=10, what="the raw log")
    log = raw.read_text()
    assert " CAP * LS" in log
    assert " NAK " not in log
    acknowledged = [line for line in log.splitlines() if " CAP " in line and " ACK " in line]
    assert acknowledged, log
    assert "multi-prefix" in " ".join(acknowledged)
    irssi.type("/join #caps")
    irssi.wait_for_text("@termuser")  # the nick list, in NAMES, of a multi-prefix client

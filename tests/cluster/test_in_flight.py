"""A connection's messages are written without waiting, several at a time, and still reach
every node once and in the order said; what needs the answer in its reply still waits.

Over real sockets on three nodes, and, for a refusal found only when the message is
applied, on a node's hub driven by hand (its threads not started, on a real redis-server,
fed entries as its reader would hand them over: see ``by_hand``).
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Callable, Iterator

import pytest

from chinwag.cluster import ops
from chinwag.cluster.hub import IN_FLIGHT, ClusterHub
from chinwag.hub import errors
from chinwag.hub.events import Delivery, Problem, RoomMessage, ToMembers
from chinwag.hub.model import Member
from tests.cluster.by_hand import Log, arrive, hub_by_hand
from tests.cluster.conftest import Cluster
from tests.redis_support import RedisServer
from tests.support import wait_for

STAMP = r"\[\d\d:\d\d:\d\d\]"
THERE = "there#2"  # another node


def test_a_paste_reaches_every_node_once_and_in_order(cluster: Cluster) -> None:
    ann = cluster.nodes[0].connect("ann")
    readers = cluster.users("r1", "r2", "r3")  # one on each node, ann's included
    irc = cluster.nodes[1].irc("ircr")
    irc.send("JOIN #lobby")
    irc.expect(r" 366 ircr #lobby ")
    count = 3 * IN_FLIGHT  # past the bound of messages not waited for, several times
    # A rename in the middle waits for its entry: the lines before it, which did not
    # wait, still reach everyone before it, under the old name, and the rest after it.
    first = [f"line-{i:04d}" for i in range(count)]
    second = [f"line-{i:04d}" for i in range(count, 2 * count)]
    ann.send(*first, "/nick anna", *second)
    for reader in readers:
        reader.saw(f"^{STAMP} anna: line-{2 * count - 1:04d}$", timeout=20)
        shown = [
            line
            for line in reader.received
            if re.match(f"^{STAMP} ann?a?: ", line) or "is now known as anna" in line
        ]
        expected = [f"ann: {text}" for text in first]
        expected += ["* ann is now known as anna"] + [f"anna: {text}" for text in second]
        assert [re.sub(f"^{STAMP} ", "", line) for line in shown] == expected
    irc.saw(f"PRIVMSG #lobby :line-{2 * count - 1:04d}$", timeout=20)
    said = [line for line in irc.received if " PRIVMSG #lobby :" in line or " NICK " in line]
    assert [line.rsplit(" :", 1)[-1] if "PRIVMSG" in line else "NICK" for line in said] == [
        *first,
        "NICK",
        *second,
    ]
    ann.send("/whois nobody")  # a round trip: nothing more came back to the sender
    ann.expect(r"^! there is no user called nobody$")
    assert not [line for line in ann.received if "line-" in line]


def test_echo_message_and_labeled_responses_still_answer_across_nodes(cluster: Cluster) -> None:
    ann = cluster.nodes[0].irc("ann")
    bob = cluster.nodes[1].irc("bob")
    ann.send("CAP REQ :echo-message labeled-response batch message-tags")
    ann.expect(r" CAP ann ACK ")
    for client, nick in ((ann, "ann"), (bob, "bob")):
        client.send("JOIN #dev")
        client.expect(f" 366 {nick} #dev ")
    lines = [f"echo-{i:03d}" for i in range(2 * IN_FLIGHT)]
    ann.send(*(f"PRIVMSG #dev :{text}" for text in lines))
    ann.send("@label=one PRIVMSG #dev :labeled", "@label=two PRIVMSG bob :in private")
    ann.send("PING :barrier")
    ann.expect(r"PONG \S+ :?barrier$")
    # Each echo once, in order, before the answer to what followed them.
    echoes = [line.rsplit(" :", 1)[1] for line in ann.received if " PRIVMSG #dev :" in line]
    assert echoes == [*lines, "labeled"]
    assert re.match(r"^@\S*label=one\S* :ann!\S+ PRIVMSG #dev :labeled$", ann.saw(":labeled$"))
    assert re.match(r"^@\S*label=two\S* :ann!\S+ PRIVMSG bob :in private$", ann.saw("private$"))
    bob.expect(r"^:ann!\S+ PRIVMSG bob :in private$")
    got = [line.rsplit(" :", 1)[1] for line in bob.received if " PRIVMSG #dev :" in line]
    assert got == [*lines, "labeled"]
    assert not [line for line in bob.received if "label=" in line]


def test_a_refused_message_without_waiting_is_told_as_before(cluster: Cluster) -> None:
    ann, bob = cluster.users("ann", "bob")
    bob.send("/join dev")
    bob.expect(r"^\* you are now in dev")
    ann.send("/msg nobody hello", "/msg bob psst")  # refused here: the usual error
    ann.expect(r"^! there is no user called nobody$")
    bob.expect(f"^{STAMP} \\*ann\\* psst$")


# --- refused when applied: a node's hub by hand -------------------------------------------


@pytest.fixture
def hub(redis_server: Callable[[], RedisServer]) -> Iterator[ClusterHub]:
    made = hub_by_hand(redis_server().url)
    yield made
    made.link.commands.close()


def _in_dev(hub: ClusterHub, log: Log) -> tuple[Member, list[Delivery]]:
    """``Client-1`` of this node in room ``dev`` with ``Client-2`` of another, its
    operator; and what the hub dispatches itself, as the server's sender would get it."""
    delivered: list[Delivery] = []
    hub._deliver = delivered.extend
    arrive(hub, log, "Client-2", node=THERE, sequence=1)
    ann = arrive(hub, log, "Client-1")
    for member in ("Client-2", "Client-1"):
        join = {"k": "join", "m": member, "room": "dev", "password": ""}
        hub.apply_entries(log.entry(0, join, writer=THERE))
    delivered.clear()
    return ann, delivered


def _said(text: str, *, notice: bool = False) -> ops.Operation:
    return {"k": "say", "m": "Client-1", "room": "dev", "text": text, "a": False, "n": notice}


def test_a_message_refused_when_applied_is_told_to_its_sender(hub: ClusterHub) -> None:
    log = Log()
    ann, delivered = _in_dev(hub, log)
    assert hub.say(ann, "dev", "first", reply=False) == []  # accepted: it is applied
    assert hub.say(ann, "dev", "second", reply=False) == []  # accepted here, for now
    assert hub.say(ann, "dev", "a notice", notice=True, reply=False) == []
    assert hub.waiting() == 3
    hub.apply_entries(log.entry(1, _said("first")))
    (message,) = delivered
    assert isinstance(message.event, RoomMessage) and message.event.text == "first"
    delivered.clear()
    # The room's operator, on another node, puts the sender out before the rest is read.
    kick = {"k": "kick-from", "m": "Client-2", "room": "dev", "nick": "Client-1", "reason": ""}
    hub.apply_entries(log.entry(2, kick, writer=THERE))
    delivered.clear()
    hub.apply_entries(log.entry(2, _said("second")) + log.entry(3, _said("a notice", notice=True)))
    # Told as the in-process hub's refusal is; a notice is never answered.
    assert delivered == [Delivery(Problem("you are not in dev"), ToMembers(("Client-1",)))]
    assert hub.waiting() == 0


def test_at_the_bound_a_sender_waits_until_half_of_its_messages_are_applied(
    hub: ClusterHub,
) -> None:
    log = Log()
    ann, delivered = _in_dev(hub, log)
    for number in range(1, IN_FLIGHT + 1):
        assert hub.say(ann, "dev", f"m{number}", reply=False) == []
    answer: list[list[Delivery]] = []
    caller = threading.Thread(
        target=lambda: answer.append(hub.say(ann, "dev", "more", reply=False))
    )
    caller.start()
    wait_for(lambda: _blocked(caller), what="the sender waiting at the bound")
    half = IN_FLIGHT // 2
    entries = [e for n in range(1, half) for e in log.entry(n, _said(f"m{n}"))]
    hub.apply_entries(entries)  # one short of half: it still waits, and queued nothing
    assert caller.is_alive()
    assert hub.waiting() == IN_FLIGHT - half + 1
    hub.apply_entries(log.entry(half, _said(f"m{half}")))
    caller.join(timeout=5)
    assert not caller.is_alive()
    assert answer == [[]]  # not waited for either
    assert hub.waiting() == IN_FLIGHT - half + 1
    texts = [d.event.text for d in delivered if isinstance(d.event, RoomMessage)]
    assert texts == [f"m{number}" for number in range(1, half + 1)]


def _blocked(thread: threading.Thread) -> bool:
    """Whether ``thread`` waits on a condition (its innermost Python frame)."""
    frame = sys._current_frames().get(thread.ident or 0)
    return frame is not None and frame.f_code.co_name == "wait"


def test_a_message_the_replica_refuses_waits_and_raises_as_before(hub: ClusterHub) -> None:
    log = Log()
    ann, _ = _in_dev(hub, log)
    outcome: list[BaseException] = []

    def say() -> None:
        try:
            hub.say(ann, "elsewhere", "hi", reply=False)
        except errors.ChatError as error:
            outcome.append(error)

    caller = threading.Thread(target=say)
    caller.start()
    wait_for(hub.waiting, what="the message queued, to be waited for")
    said = {"k": "say", "m": "Client-1", "room": "elsewhere", "text": "hi", "a": False, "n": False}
    hub.apply_entries(log.entry(1, said))
    caller.join(timeout=5)
    assert [str(error) for error in outcome] == ["you are not in elsewhere"]

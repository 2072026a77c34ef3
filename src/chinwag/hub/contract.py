"""What every hub offers its front ends: one contract, several implementations.

Theory of operation: the text and IRC sessions, the connections and the console use a
hub only through these methods. Today's in-process :class:`~chinwag.hub.hub.Hub` is the
first implementation; a hub whose members live partly on other servers is meant to be
the next. Every implementation returns deliveries that name their audience by member id
or by room (:class:`~chinwag.hub.events.ToMembers`, :class:`~chinwag.hub.events.ToRoom`),
never by endpoint, so each server's router can resolve them against its own connections;
and every implementation must pass the shared contract suite
(``tests/contract/test_hub_contract.py``): no ghosts, every departure announced once to
each who shared a room, each sender's messages in the order sent.

Methods that change state return the deliveries the change causes and raise a
:class:`~chinwag.hub.errors.ChatError` for the user at fault; queries return snapshots.
One exception, for messages (``say``, ``say_to_status``, ``tell``): a caller that does not
need the deliveries in its own reply passes ``reply=False``, and a hub that has to wait to
know them (the cluster's) may then return none and dispatch them itself once the message
is applied; a refusal it can only find then reaches the
sender as a :class:`~chinwag.hub.events.Problem` (none for a notice, which is never
answered). A refusal it can foresee is raised as usual. The in-process hub always answers
at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

from chinwag.hub import modes, visibility
from chinwag.hub.bans import Ban, BanList
from chinwag.hub.events import ClientTags, Delivery
from chinwag.hub.model import Member, MemberView, RoomView
from chinwag.hub.whowas import Departed
from chinwag.password_guard import PasswordGuard


class ChatHub(Protocol):
    """The hub as its front ends see it (see the module docstring)."""

    history: Replayer | None  # what front ends show of history; none: no history

    # Read-only for front ends: a hub may keep them as attributes or work them out.
    @property
    def bans(self) -> BanList: ...
    @property
    def passwords(self) -> PasswordGuard: ...
    @property
    def max_rooms_per_member(self) -> int: ...
    @property
    def max_rooms(self) -> int: ...
    @property
    def most_members(self) -> int: ...  # the most members there have been at once

    # --- arriving and leaving ----------------------------------------------------------

    def add(self, member: Member) -> list[Delivery]: ...
    def register(
        self, member: Member, nick: str, username: str = "", realname: str = ""
    ) -> list[Delivery]: ...
    def remove(self, member: Member, reason: str = "") -> list[Delivery]: ...
    def close(self) -> None: ...

    # --- rooms and messages ------------------------------------------------------------

    def join(self, member: Member, room_name: str, password: str = "") -> list[Delivery]: ...
    def part(self, member: Member, room_name: str, reason: str = "") -> list[Delivery]: ...
    def say(
        self,
        member: Member,
        room_name: str,
        text: str,
        *,
        action: bool = False,
        notice: bool = False,
        tags: ClientTags = (),
        reply: bool = True,
    ) -> list[Delivery]: ...
    def say_to_status(
        self,
        member: Member,
        room_name: str,
        text: str,
        status: str,
        *,
        action: bool = False,
        notice: bool = False,
        tags: ClientTags = (),
        reply: bool = True,
    ) -> list[Delivery]: ...
    def tell(
        self,
        member: Member,
        nick: str,
        text: str,
        *,
        notice: bool = False,
        tags: ClientTags = (),
        reply: bool = True,
    ) -> list[Delivery]: ...
    def tag_room(
        self, member: Member, room_name: str, tags: ClientTags, status: str = ""
    ) -> list[Delivery]: ...
    def tag_member(self, member: Member, nick: str, tags: ClientTags) -> list[Delivery]: ...
    def set_topic(self, member: Member, room_name: str, topic: str) -> list[Delivery]: ...
    def change_modes(
        self, actor: Member, room_name: str, changes: Iterable[modes.ModeChange]
    ) -> list[Delivery]: ...
    def kick_from(
        self, actor: Member, room_name: str, nick: str, reason: str = ""
    ) -> list[Delivery]: ...
    def invite(self, actor: Member, nick: str, room_name: str) -> list[Delivery]: ...

    # --- the member's own settings and name --------------------------------------------

    def set_away(self, member: Member, message: str) -> list[Delivery]: ...
    def set_invisible(self, member: Member, invisible: bool) -> list[Delivery]: ...
    def set_bot(self, member: Member, bot: bool) -> list[Delivery]: ...
    def set_realname(self, member: Member, realname: str) -> list[Delivery]: ...
    def rename(self, member: Member, nick: str) -> list[Delivery]: ...
    def check_name(self, member: Member, nick: str, *, taken: bool = True) -> None: ...

    # --- queries -----------------------------------------------------------------------

    def find(self, nick: str) -> Member | None: ...
    def members(self) -> tuple[Member, ...]: ...
    def room(self, room_name: str, *, members: bool = True) -> RoomView: ...
    def needs_key(self, room_name: str) -> bool: ...
    def room_views(self, viewer: Member) -> list[RoomView]: ...
    def whois(self, viewer: Member, nick: str) -> MemberView: ...
    def whowas(self, viewer: Member, nick: str, count: int = 0) -> list[tuple[Departed, str]]: ...
    def who(self, viewer: Member, room_name: str) -> tuple[visibility.Seen, ...]: ...
    def who_all(self, viewer: Member) -> tuple[visibility.Seen, ...]: ...
    def shown_host(self, viewer: Member, member: Member) -> str: ...
    def cloak(self, address: str) -> str: ...
    def room_members(self, room_name: str) -> tuple[Member, ...]: ...
    def rooms(self) -> list[tuple[str, int]]: ...

    # --- server operators --------------------------------------------------------------

    def authenticate_operator(self, member: Member, password: str) -> list[Delivery]: ...
    def drop_operator(self, member: Member) -> list[Delivery]: ...
    def kick(self, actor: Member, nick: str, reason: str = "") -> list[Delivery]: ...
    def ban(self, actor: Member, target: str, minutes: float | None = None) -> list[Delivery]: ...
    def unban(self, actor: Member, target: str) -> list[Delivery]: ...
    def ban_list(self, actor: Member) -> list[Ban]: ...
    def wall(self, actor: Member, text: str) -> list[Delivery]: ...


if TYPE_CHECKING:
    from chinwag.history.replay import Replayer
    from chinwag.hub.hub import Hub

    def _in_process_hub_keeps_the_contract(hub: Hub) -> ChatHub:
        return hub  # mypy checks this: the in-process hub is a ChatHub

"""The protocol-neutral actions, through a real hub, with no front end and no network."""

from __future__ import annotations

import pytest

from chinwag import actions
from chinwag.history.replay import Replayer
from chinwag.history.service import History
from chinwag.history.store import MemoryHistory
from chinwag.history.writer import HistoryWriter
from chinwag.hub import errors, modes
from chinwag.hub.events import HistoryReplay, Invited, Joined, Parted, Problem, RoomMessage
from chinwag.hub.hub import Hub, Member
from tests.unit.fakes import NOON, fan_out, fixed_clock, make_member


@pytest.fixture
def hub() -> Hub:
    return Hub(clock=fixed_clock)


def enter(hub: Hub, client_id: str, address: str = "10.0.0.1") -> Member:
    member = make_member(client_id, address)
    hub.add(member)
    return member


# --- reading modes ---------------------------------------------------------------------------


def test_a_mode_string_is_read_into_one_item_per_letter_in_order() -> None:
    items = actions.read_modes("+kx-l+b", ["secret", "bob"])
    assert items[0] == modes.ModeChange(True, "k", "secret")
    assert isinstance(items[1], errors.UnknownMode) and items[1].letter == "x"
    assert items[2] == modes.ModeChange(False, "l", "")
    assert items[3] == modes.ModeChange(True, "b", "bob!*@*")  # the mask, normalized
    assert len(items) == 4


def test_a_list_mode_without_an_argument_asks_for_the_list() -> None:
    assert actions.read_modes("+b", []) == [actions.ListAsked("b")]
    assert actions.read_modes("-b", []) == [actions.ListAsked("b")]


def test_a_mode_with_no_argument_left_is_missing_one() -> None:
    [item] = actions.read_modes("+k", [])
    assert isinstance(item, errors.MissingModeArgument)
    assert item.letter == "k"
    assert str(item) == "mode k needs an argument"
    [voice, op] = actions.read_modes("+vo", ["bob"])
    assert voice == modes.ModeChange(True, "v", "bob")
    assert isinstance(op, errors.MissingModeArgument) and op.letter == "o"


def test_an_empty_argument_is_invalid_not_missing() -> None:
    [item] = actions.read_modes("+k", [""])
    assert isinstance(item, errors.InvalidModeArgument)
    assert (item.letter, item.argument) == ("k", "*")
    # A flag takes no argument, so an empty word is left for nobody.
    assert actions.read_modes("+m", [""]) == [modes.ModeChange(True, "m", "")]


def test_a_bad_argument_is_refused_with_its_letter_and_value() -> None:
    [limit, key] = actions.read_modes("+lk", ["lots", "a,b"])
    assert isinstance(limit, errors.InvalidModeArgument)
    assert (limit.letter, limit.argument) == ("l", "lots")
    assert isinstance(key, errors.InvalidModeArgument) and key.letter == "k"


def test_modes_shown_without_their_arguments(hub: Hub) -> None:
    ann = enter(hub, "Client-1")
    hub.join(ann, "games")
    changes = [modes.ModeChange(True, "k", "x"), modes.ModeChange(True, "l", "5")]
    hub.change_modes(ann, "games", changes)
    assert actions.modes_shown(hub.room("games")) == "+ntkl"


# --- rooms -----------------------------------------------------------------------------------


def test_joining_answers_with_the_room_as_found(hub: Hub) -> None:
    ann, bob = enter(hub, "Client-1"), enter(hub, "Client-2", "10.0.0.2")
    hub.join(ann, "Games")
    hub.set_topic(ann, "games", "chess tonight")
    entered = actions.join(hub, bob, "GAMES")
    assert entered.name == "Games"  # as the hub spells it, not as asked
    assert fan_out(entered.deliveries) == {ann: [Joined("Client-2", "Games")]}
    assert entered.view is not None
    assert entered.view.topic == "chess tonight"
    assert [member for member, _ in entered.view.members] == [ann, bob]
    assert actions.inside(entered.view, bob)
    assert entered.replay == []  # this hub keeps no history


def test_joining_a_room_one_may_not_enter_is_the_hubs_refusal(hub: Hub) -> None:
    ann, bob = enter(hub, "Client-1"), enter(hub, "Client-2", "10.0.0.2")
    hub.join(ann, "games")
    hub.change_modes(ann, "games", [modes.ModeChange(True, "i")])
    with pytest.raises(errors.InviteOnly):
        actions.join(hub, bob, "games")


def history_hub() -> tuple[Hub, History]:
    store = MemoryHistory()
    kept = History(store, HistoryWriter(store))
    hub = Hub(clock=fixed_clock, recorder=kept.record)
    hub.history = Replayer(kept, on_join=5, clock=lambda: NOON)
    return hub, kept


def test_joining_replays_what_was_said_before_only_when_asked() -> None:
    hub, kept = history_hub()
    ann, bob = enter(hub, "Client-1"), enter(hub, "Client-2", "10.0.0.2")
    hub.join(ann, "games")
    hub.say(ann, "games", "first")
    kept.writer.flush()
    entered = actions.join(hub, bob, "games")
    [replay] = entered.replay
    assert isinstance(replay.event, HistoryReplay)
    assert [m.text for m in replay.event.messages] == ["first"]
    assert fan_out(entered.replay) == {bob: [replay.event]}
    hub.part(bob, "games")
    assert actions.join(hub, bob, "games", replay=False).replay == []


def test_a_replay_that_cannot_be_read_is_a_problem_for_the_joiner() -> None:
    hub, kept = history_hub()
    ann = enter(hub, "Client-1")
    kept.writer.available = False
    assert fan_out(actions.joined_replay(hub, ann, "lobby")) == {
        ann: [Problem(actions.HISTORY_UNAVAILABLE)]
    }


def test_leaving_names_the_room_as_the_hub_spells_it_even_when_alone(hub: Hub) -> None:
    ann, bob = enter(hub, "Client-1"), enter(hub, "Client-2", "10.0.0.2")
    hub.join(ann, "Games")
    alone = actions.part(hub, ann, "GAMES", "bye")
    assert (alone.name, alone.deliveries) == ("Games", [])
    hub.join(ann, "Games")
    hub.join(bob, "games")
    left = actions.part(hub, bob, "GAMES")
    assert left.name == "Games"
    assert fan_out(left.deliveries) == {ann: [Parted("Client-2", "Games")]}


def test_leaving_a_room_says_whether_it_is_there_at_all(hub: Hub) -> None:
    ann, bob = enter(hub, "Client-1"), enter(hub, "Client-2", "10.0.0.2")
    hub.join(ann, "games")
    with pytest.raises(errors.NoSuchRoom):
        actions.part(hub, bob, "nowhere")
    with pytest.raises(errors.NotInRoom):
        actions.part(hub, bob, "games")


def test_a_secret_room_is_read_only_from_inside_or_by_a_server_operator(hub: Hub) -> None:
    ann, bob = enter(hub, "Client-1"), enter(hub, "Client-2", "10.0.0.2")
    hub.join(ann, "hideout")
    hub.change_modes(ann, "hideout", [modes.ModeChange(True, "s")])
    assert actions.visible_room(hub, ann, "HIDEOUT").name == "hideout"
    with pytest.raises(errors.SecretRoom) as refused:
        actions.visible_room(hub, bob, "HIDEOUT")
    assert isinstance(refused.value, errors.NoSuchRoom)  # to them it is not there
    assert str(refused.value) == "there is no room called HIDEOUT"
    assert refused.value.room == "hideout"
    bob.operator = True
    assert actions.visible_room(hub, bob, "hideout").secret
    with pytest.raises(errors.NoSuchRoom):
        actions.visible_room(hub, bob, "nowhere")


def test_view_or_none(hub: Hub) -> None:
    assert actions.view_or_none(hub, "nowhere") is None
    view = actions.view_or_none(hub, "LOBBY")
    assert view is not None and view.name == "lobby"


# --- messages --------------------------------------------------------------------------------


def test_a_message_to_a_room_that_is_not_there_is_told_apart_from_one_not_allowed(
    hub: Hub,
) -> None:
    ann, bob = enter(hub, "Client-1"), enter(hub, "Client-2", "10.0.0.2")
    hub.join(ann, "games")  # +n: no messages from outside
    with pytest.raises(errors.NoSuchRoom):
        actions.say(hub, bob, "nowhere", "hello?")
    with pytest.raises(errors.NotInRoom):
        actions.say(hub, bob, "games", "let me in")
    with pytest.raises(errors.NoSuchRoom):
        actions.tag_room(hub, bob, "nowhere", (("+typing", "active"),))
    with pytest.raises(errors.NotInRoom):
        actions.tag_room(hub, bob, "games", (("+typing", "active"),))


def test_a_message_to_a_room_or_to_its_operators(hub: Hub) -> None:
    ann, bob = enter(hub, "Client-1"), enter(hub, "Client-2", "10.0.0.2")
    hub.join(ann, "games")
    hub.join(bob, "games")
    said = RoomMessage(NOON, "Client-2", "games", "hi")
    assert fan_out(actions.say(hub, bob, "games", "hi")) == {ann: [said]}
    to_ops = RoomMessage(NOON, "Client-2", "games", "psst", status="@")
    assert fan_out(actions.say(hub, bob, "games", "psst", status="@")) == {ann: [to_ops]}


def test_away_is_told_with_the_name_as_the_hub_spells_it(hub: Hub) -> None:
    enter(hub, "Client-1")
    bob = enter(hub, "Client-2", "10.0.0.2")
    hub.rename(bob, "Bob")
    assert actions.away(hub, "bob") is None  # present
    assert actions.away(hub, "nobody") is None
    hub.set_away(bob, "lunch")
    assert actions.away(hub, "BOB") == actions.Away("Bob", "lunch")


def test_an_invitation_names_the_invitee_as_the_hub_spells_them(hub: Hub) -> None:
    ann, bob = enter(hub, "Client-1"), enter(hub, "Client-2", "10.0.0.2")
    hub.rename(bob, "Bob")
    hub.join(ann, "games")
    invitation = actions.invite(hub, ann, "BOB", "games")
    assert invitation.nick == "Bob"
    assert fan_out(invitation.deliveries) == {bob: [Invited("Client-1", "Bob", "games")]}
    with pytest.raises(errors.AlreadyInvited):
        actions.invite(hub, bob, "Client-1", "lobby")


# --- operators --------------------------------------------------------------------------------


def test_a_ban_on_ones_own_address_is_refused_unless_forced(hub: Hub) -> None:
    ann = enter(hub, "Client-1", "10.0.0.1")
    enter(hub, "Client-2", "10.0.0.1")  # the same address
    enter(hub, "Client-3", "10.0.0.3")
    ann.operator = True
    with pytest.raises(errors.WouldBanYourself) as refused:
        actions.ban(hub, ann, "Client-2")
    assert (refused.value.target, refused.value.nick) == ("Client-2", "Client-2")
    assert refused.value.address == "10.0.0.1"
    with pytest.raises(errors.WouldBanYourself) as refused:
        actions.ban(hub, ann, "10.0.0.0/24")
    assert refused.value.nick == ""  # no one else named: the network covers the operator
    with pytest.raises(errors.WouldBanYourself):
        actions.ban(hub, ann, "Client-1")
    assert hub.bans.active() == []
    actions.ban(hub, ann, "Client-3")  # another address: no question asked
    actions.ban(hub, ann, "Client-2", 5, force=True)
    assert {ban.address for ban in hub.bans.active()} == {"10.0.0.3", "10.0.0.1"}


# --- queries ---------------------------------------------------------------------------------


def test_looking_a_user_up_gives_a_snapshot_as_the_viewer_may_see_them(hub: Hub) -> None:
    ann, bob = enter(hub, "Client-1"), enter(hub, "Client-2", "10.0.0.2")
    hub.set_away(bob, "lunch")
    view = actions.look_up(hub, ann, "CLIENT-2")
    assert view is not None
    assert (view.nick, view.away, view.address) == ("Client-2", "lunch", bob.cloak)
    hub.rename(bob, "Bob")
    assert view.nick == "Client-2"  # a snapshot: what it was when looked up
    assert actions.look_up(hub, ann, "Client-2") is None
    ann.operator = True
    found = actions.look_up(hub, ann, "bob")
    assert found is not None and found.address == "10.0.0.2"


def test_listings_are_snapshots_not_the_members_records(hub: Hub) -> None:
    ann, bob = enter(hub, "Client-1"), enter(hub, "Client-2", "10.0.0.2")
    [first, second] = hub.who(ann, "lobby")
    assert (first.nick, first.host, first.shows_address) == ("Client-1", "10.0.0.1", True)
    assert (second.nick, second.host, second.shows_address) == ("Client-2", bob.cloak, False)
    hub.set_away(bob, "lunch")
    assert second.away == ""  # taken before
    assert [entry.away for entry in hub.who_all(ann)] == ["", "lunch"]
    assert second.idle(second.last_active + 90).total_seconds() == 90

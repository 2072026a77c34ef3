"""IRC clients on different nodes of one cluster see one network (real sockets, Redis)."""

from __future__ import annotations

from tests.cluster.conftest import Cluster


def test_privmsg_names_who_and_list_cross_nodes(cluster: Cluster) -> None:
    ann = cluster.nodes[0].irc("ann")
    bob = cluster.nodes[1].irc("bob")
    text_cat = cluster.nodes[2].connect("cat")
    ann.send("JOIN #dev")
    ann.expect(r" 366 ann #dev ")
    bob.send("JOIN #dev")
    bob.expect(r" 353 bob = #dev :(@ann bob|bob @ann)$")
    ann.expect(r"^:bob!\S+ JOIN #dev")
    ann.send("PRIVMSG #dev :hello across nodes")
    bob.expect(r"^:ann!\S+ PRIVMSG #dev :hello across nodes$")
    bob.send("PRIVMSG ann :a word in private")
    ann.expect(r"^:bob!\S+ PRIVMSG ann :a word in private$")
    bob.send("PRIVMSG cat :hello text user")
    text_cat.expect(r"\*bob\* hello text user$")
    ann.send("WHO #dev")
    who = [ann.expect(r" 352 ann #dev ") for _ in range(2)]
    assert sorted(line.split()[7] for line in who) == ["ann", "bob"]
    ann.expect(r" 315 ann #dev ")
    bob.send("LIST")
    bob.expect(r" 322 bob #dev 2 ")
    bob.expect(r" 323 bob ")
    ann.send("WHOIS cat")
    ann.expect(r" 311 ann cat ")


def test_kick_on_one_node_puts_out_a_member_of_another(cluster: Cluster) -> None:
    ann = cluster.nodes[0].irc("ann")
    bob = cluster.nodes[1].irc("bob")
    cat = cluster.nodes[2].irc("cat")
    for client, nick in ((ann, "ann"), (bob, "bob"), (cat, "cat")):
        client.send("JOIN #dev")
        client.expect(f" 366 {nick} #dev ")
    ann.send("KICK #dev bob :out you go")
    for client in (ann, bob, cat):
        client.expect(r"^:ann!\S+ KICK #dev bob :out you go$")
    cat.send("NAMES #dev")
    cat.expect(r" 353 cat = #dev :(@ann cat|cat @ann)$")
    bob.send("PRIVMSG #dev :still here?")
    bob.expect(r" 404 bob #dev ")


def test_a_nick_taken_on_one_node_is_refused_on_another_in_any_case(cluster: Cluster) -> None:
    cluster.nodes[0].irc("Ann")
    bob = cluster.nodes[1].irc("bob")
    bob.send("NICK aNN")
    bob.expect(r" 433 bob aNN ")


def test_client_only_tags_and_tagmsg_cross_nodes(cluster: Cluster) -> None:
    ann = cluster.nodes[0].irc("ann")
    bob = cluster.nodes[1].irc("bob")
    for client, nick in ((ann, "ann"), (bob, "bob")):
        client.send("CAP REQ message-tags")
        client.expect(r" CAP \S+ ACK :message-tags")
        client.send("JOIN #dev")
        client.expect(f" 366 {nick} #dev ")
    ann.send("@+typing=active TAGMSG #dev")
    bob.expect(r"^@\S*\+typing=active\S* :ann!\S+ TAGMSG #dev$")
    ann.send("@+draft/reply=abc PRIVMSG bob :a reply")
    bob.expect(r"^@\S*\+draft/reply=abc\S* :ann!\S+ PRIVMSG bob :a reply$")

"""Several chinwag servers ("nodes") that are one chat, through one Redis.

Theory of operation: replicated state, one log. Every node keeps a full copy of the
chat's state in an ordinary in-process :class:`~chinwag.hub.hub.Hub` (its *replica*), and
no node ever changes its replica directly: every change (a connection arriving, a join,
a rename, a message, a kick, a ban) is written as one *operation* to a single Redis
Stream, the *log* (``XADD``, trimmed with ``MAXLEN ~``), and every node, its own included,
reads the log with a blocking ``XREAD`` on a connection of its own (no consumer group:
every node needs every entry) and applies each entry to its replica in the log's order.
Redis is the sequencer; the hub is the state machine; replicas agree because they apply
the same operations in the same order to the same starting state, and the hub is made
deterministic for it: its clock is the entry's time and a message's id is made from the
entry id (:mod:`chinwag.cluster.replica`).

So the rules are the in-process hub's, written once: nick uniqueness (case-folded and
confusable looks included), modes, bans, invitations, visibility. A simultaneous claim of
one name on two nodes is two entries; whichever Redis put first wins on every node and
the other is refused on every node. Queries (``/who``, NAMES, WHOIS, LIST) read the local
replica, without a round trip. The entry id is the duplicate filter (an entry not after
the last one applied is dropped) and a message's id (``msgid``, the history cursor).

A user's action (:class:`~chinwag.cluster.hub.ClusterHub`): the connection's thread
encodes the operation (:mod:`chinwag.cluster.ops`), queues it and writes whatever is
queued in one pipelined round trip (unless another caller is writing already, which
takes it along), and waits until the node's reader has applied that entry; it then gets
what applying it returned (the deliveries, or the user's
:class:`~chinwag.hub.errors.ChatError`) as from the in-process hub, and hands the
deliveries to its own server's sender as today. Entries of other nodes are applied the
same way, and their deliveries go to this node's sender straight from
the reader thread; the router drops the ids of members connected elsewhere.

A *message* (to a room, to its operators, to a user) whose sender needs nothing of it in
its reply (a text user; an IRC client without ``echo-message`` or a label on it: the
hub contract's ``reply=False``) is not waited for when the replica accepts it now: the
thread queues it and reads its client's next line (the node's appender writes what
such messages queue, many in one write), so a connection has several messages in the
log at a time (at most ``IN_FLIGHT``; at the bound it waits until half
of them are applied), and its node sends more per round. The reader dispatches such a
message's deliveries in the log's order, like another node's; one refused when it is
applied after all (the sender was put out of the room meanwhile, on another node) is
told to its sender as the hub's error (a notice is never answered). One the replica
refuses now is waited for, so its user gets the usual error. Order still holds: a
node's entries are numbered, and written, in the order its threads queued them, so a
connection's entries are in the log in the order said; a caller is woken only after
what the entries before its own in the same batch caused was dispatched, and a
session that holds deliveries for others (from an action it waited for) has its next
messages waited for too; so each sender's messages and actions reach every node's
users in the order said. Every node thus delivers each room's messages in the log's
order, except that a node's own members' actions enter its sender from their own
threads right after they were applied, so on that node they keep their sender's order,
as on a single server.

Why one log rather than streams per room or per shard: renames, quits, kicks, bans and
nick claims span rooms, and one order for all of them is what keeps replicas equal
without distributed locks; one Redis runs one command at a time anyway, so sharding
streams within it buys no throughput, and a node reads one stream, not one per room.
Why not keep the state itself in Redis (nick keys taken with ``SET NX``, room sets): each
rule would be written a second time, as Lua, and every listing would cost a round trip.

Nodes and their lives (:mod:`chinwag.cluster.link`): a node has a name (``--node-name``)
and, for each run, an incarnation token, so a restarted node is not its former self. It
renews a key with a time to live (``node:<id>``, ``PX``) every second. A heartbeat also
checks the other nodes' keys; when one has been missing for a grace period (so that a
Redis restarted empty, which loses every key at once, gives the live nodes time to renew
theirs), the first node to win ``SET NX`` on that node's *lost* key writes one
``node-lost`` entry, and applying it removes that
node's members everywhere, announced as quits ("node lost"), which frees their names.
Applying it twice changes nothing. A node that finds itself declared lost (it stalled
past its key's lifetime) closes its own connections: its users reconnect and are
members again. Member ids (``Client-N``) are numbered cluster-wide (``INCRBY`` in
blocks, never below the highest number in use, which a Redis restarted empty forgot),
so that ids, and the names generated from them, are unique across nodes. The blocks are
fetched ahead of need by a thread of their own (:mod:`chinwag.cluster.numbers`): the
accept thread never waits for Redis, and refuses a newcomer it has no number for ("the
chat is unavailable"), giving its per-address slot back.

What a node starts from: a node joining a cluster whose other nodes are alive takes a
*snapshot*: it writes a ``hello`` entry, the first live node to win the snapshot lock
writes its replica as it is right after that entry, and the newcomer loads it and
applies the log from there. The first node of a cluster starts empty at the log's end.
Joins are serialised by a lock, so two nodes starting at once cannot both think they
are first. Room settings (topic, modes, key, bans) are replicated like the rest and so
outlive their rooms for as long as the cluster lives; each node also writes them, and
the history of what was said, to its own database as a single server does. So a node
that was down (restarted on its data) or starts later lacks what was said meanwhile:
its ``hello`` names the newest message its history has, and the node that sends the
state also sends what its own history has after that, up to the ``hello`` (the latest
``CATCH_UP_MESSAGES``, 10,000), which the newcomer writes to its history before it
reads on (from the ``hello`` on it records what it applies, as every node does). Why
not read the missed part back from the log (``XRANGE``): a message entry names its
sender by id and was checked against the state of its moment (in the room, not muted,
not banned); rebuilding what each node recorded would need the state at the start of
that range, which no node keeps. A history is what a live node recorded, already
checked and named; and the log is trimmed by count, history by its own retention.
The first node of a cluster (none alive to ask) starts with what its own history has.

Cut off from Redis (stopped, restarting, unreachable, or stalled: a command not answered
within ``REDIS_TIMEOUT_SECONDS``), a node is *degraded* and goes on alone for its own
users (:mod:`chinwag.cluster.hub`); each of them is told once when it happens and once
when it is back, and the log says so. What a replicated log allows a node to do alone
decides what works meanwhile:

- *Messages* (to a room, to a user, notices, ``/me``, tags, ``/wall``) change no state:
  applying one here ahead of the log leaves this replica equal to the others'. So a
  message is applied here at once (this node's users hear it, with an id of its own
  and the time now) and queued for the log; when its entry comes back, this node skips
  it (its users must not see it twice), and the other nodes apply it in the log's order,
  checked again there: if the sender was put out of the room meanwhile on another node,
  the others do not see it. The appender retries with capped backoff, trying the oldest
  operation alone until Redis answers.
- *Everything that changes the state* is refused at once, with a message that says why,
  and not done later: a name claim can only be decided by the log's order (another node
  may claim the same name meanwhile); so can a join (a ban, ``+i``, a key or a limit set
  on another node meanwhile; and the first to enter a new room becomes its operator) and
  even a part (the last one out ends a room, which another node's join may have kept).
  Applying any of them here first would let this replica disagree with the others' for
  good. New connections are refused likewise (an arrival is a state change), and come
  back through the client's reconnection.
- A *departure* (a user quitting, a connection dropped) cannot be refused: it waits for
  Redis and is announced when it is applied, here as elsewhere.

The messages said meanwhile are bounded (:mod:`chinwag.cluster.backlog`): at most
``MAX_MESSAGES`` (10,000) wait, each at most ``MAX_AGE_SECONDS`` (5 minutes); past
either bound the sender is told, message by message, what did not reach the other
nodes (a message already sent to a Redis that then failed is never counted undelivered:
Redis may have it). A node cut off for longer than its key lives and the grace after it
(about 7 s) is counted gone by the others (``node-lost``), so what its users said
meanwhile names members the others no longer know: when it is back it tells those
senders their messages were not delivered, then closes its connections as above. A
connection that waits on an action when Redis goes silent is told after ``WAIT_SECONDS``
that it will be done when the servers are back in touch, and it is.

Entries gone before a node read them are announced, never silent (the reader checks
after any trouble, :mod:`chinwag.cluster.link`). A node that fell so far behind that
the log was trimmed past its place (``MAXLEN``) tells its users and logs it, then takes
the chat's state again from a live node, as a joining node does, keeping its own
members' connections (one the others counted gone meanwhile is closed: it reconnects);
what was said in the part it missed is not shown to its users live, but put in its
history, as for a joining node. A Redis that lost its
data (restarted empty, or from an older save) lost the entries no node had read yet;
every node tells its users so, and goes on from its own replica: none knows better than
another which entries were lost, and a snapshot would only swap one node's view for
another's. What the cluster's state needs from Redis is put back by each node: its key
and mark, the member-number counter (never below the highest number in use) and the
cloak secret; names, rooms and their settings live in the replicas, not in Redis, so
they survive it, and names stay unique.

Nothing here is imported unless ``--cluster`` is given: the server's core needs the
standard library only, and a single server's hot path is the in-process hub's.
"""


class ClusterError(Exception):
    """This server cannot take its place in the cluster (Redis unreachable, redis-py
    missing, no live node sent the state); the message says why, for the operator."""

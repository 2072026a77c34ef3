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
encodes the operation (:mod:`chinwag.cluster.ops`), hands it to the node's appender
thread (which writes whatever is queued in one pipelined round trip) and waits until
the node's reader has applied that entry; it then gets what applying it returned (the
deliveries, or the user's :class:`~chinwag.hub.errors.ChatError`) as from the in-process
hub, and hands the deliveries to its own server's sender as today. Entries of other nodes
are applied the same way, and their deliveries go to this node's sender straight from
the reader thread; the router drops the ids of members connected elsewhere. Every node
thus delivers each room's messages in the log's order; a node's own members' messages
enter its sender from their own threads right after they were applied, so on that node
they keep their sender's order, as on a single server.

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
so that ids, and the names generated from them, are unique across nodes.

What a node starts from: a node joining a cluster whose other nodes are alive takes a
*snapshot*: it writes a ``hello`` entry, the first live node to win the snapshot lock
writes its replica as it is right after that entry, and the newcomer loads it and
applies the log from there. The first node of a cluster starts empty at the log's end.
Joins are serialised by a lock, so two nodes starting at once cannot both think they
are first. Room settings (topic, modes, key, bans) are replicated like the rest and so
outlive their rooms for as long as the cluster lives; each node also writes them, and
the history of what was said, to its own database as a single server does.

Redis unavailable: operations wait in the appender's queue, in order, while it retries
with capped backoff; a user whose action is not applied within ``WAIT_SECONDS`` is told
the chat is unavailable, and the action is still applied (and delivered, by the reader)
once Redis is back. A connection's thread waits for each of its actions, so the queue
grows by at most one operation per connection every ``WAIT_SECONDS`` (plus the rare
``node-lost``); a bound by size and age is not there yet. The log says when the node
joined, lost Redis, and recovered. Not done yet: while Redis is away, a node's own users
do not yet hear each other at once (their messages wait with the rest), and a gap in the
log (trimmed past what a node read) is not announced.

Nothing here is imported unless ``--cluster`` is given: the server's core needs the
standard library only, and a single server's hot path is the in-process hub's.
"""


class ClusterError(Exception):
    """This server cannot take its place in the cluster (Redis unreachable, redis-py
    missing, no live node sent the state); the message says why, for the operator."""

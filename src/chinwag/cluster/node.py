"""Making this server a node of a cluster: its name, its link, its hub.

Called by the server only when ``--cluster`` is given, so that redis-py is imported
then and only then.
"""

from __future__ import annotations

import secrets
import socket
from collections.abc import Callable

from chinwag.cluster.hub import ClusterHub
from chinwag.cluster.link import Link, RedisUnavailable
from chinwag.cluster.replica import EntryClock
from chinwag.config import Config
from chinwag.hub.hub import Hub

__all__ = ["ClusterHub", "RedisUnavailable", "node_name", "open_cluster"]


def node_name(config: Config, port: int) -> str:
    """The node's name: as configured, or the host name and the text port."""
    return config.node_name or f"{socket.gethostname()}:{port}"


def open_cluster(
    config: Config, port: int, make_hub: Callable[[EntryClock, bytes], Hub]
) -> ClusterHub:
    """Connect to the cluster's Redis (raises :class:`RedisUnavailable`) and make this
    node's hub; :meth:`ClusterHub.start` joins the cluster. Each run of a node has an id
    of its own (its name and a random token), so a restarted node is a new one."""
    node = f"{node_name(config, port)}#{secrets.token_hex(4)}"
    return ClusterHub(Link(config.cluster, node, password=config.cluster_password), make_hub)

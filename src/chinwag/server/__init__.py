"""The threaded TCP server: sockets, threads and the registry of active connections."""

from chinwag.server.server import ChatServer

__all__ = ["ChatServer"]

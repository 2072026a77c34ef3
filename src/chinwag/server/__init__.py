"""The threaded TCP server: sockets, threads and the registry of active connections.

``chinwag.server.server.ChatServer`` is the entry point.
"""

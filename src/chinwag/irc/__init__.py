"""The IRC front end: codec, case-mapping, numerics, the session and its commands.

Everything here is sans-I/O: bytes in, deliveries out. The server's connection threads
own the sockets; :func:`~chinwag.irc.listener.irc_sessions` plugs this protocol into
:meth:`chinwag.server.server.ChatServer.add_listener`.
"""

"""The line-based text protocol spoken by ``nc``, ``telnet`` and ``chinwag connect``.

Sans-I/O: framing turns bytes into lines, the session turns lines into hub calls, the
formatter turns hub events into bytes. Nothing here touches a socket.
"""

"""``chinwag connect``: choose the mode, connect, and turn the outcome into an exit code.

Exit codes (:class:`~chinwag.client.link.End`): 0 the user left, 1 the client could not
start (the server cannot be reached or speaks TLS, or the interactive UI's library is
missing), 2 the connection was lost, 3 the server refused or put out this user.
Interactive mode needs prompt_toolkit (``pip install 'chinwag[client]'``); pipe mode,
chosen when stdin is not a terminal, needs only the standard library.
"""

from __future__ import annotations

import sys

from chinwag.client.backoff import Backoff
from chinwag.client.link import ConnectFailed, End, Link, Listener
from chinwag.client.options import ClientOptions
from chinwag.tls import client_context

EXIT_OK = End.LEFT.value
EXIT_CANNOT_START = End.CANNOT_START.value
EXIT_LOST = End.LOST.value
EXIT_REFUSED = End.REFUSED.value

MISSING_UI = (
    "chinwag connect: the interactive client needs prompt_toolkit.\n"
    "Install it with: pip install 'chinwag[client]'\n"
    "(or, in a checkout of chinwag: pip install '.[client]')\n"
    "Pipe mode works without it: echo /who | chinwag connect"
)


def run(options: ClientOptions) -> int:
    backoff = Backoff() if options.reconnect else None
    if not sys.stdin.isatty():
        from chinwag.client.pipe import PipeUI

        pipe_ui = PipeUI(sys.stdin.fileno(), sys.stdout.buffer, sys.stderr)
        link = _connect(options, pipe_ui, backoff)
        return EXIT_CANNOT_START if link is None else pipe_ui.run(link, options.nick)
    try:
        from chinwag.client import tui
    except ImportError:
        print(MISSING_UI, file=sys.stderr)
        return EXIT_CANNOT_START
    terminal_ui = tui.make_ui(options.history_file, bell=options.bell)
    link = _connect(options, terminal_ui, backoff)
    return EXIT_CANNOT_START if link is None else terminal_ui.run(link, options.nick)


def _connect(options: ClientOptions, listener: Listener, backoff: Backoff | None) -> Link | None:
    tls = None
    if options.tls:
        try:
            tls = client_context(options.tls_ca, verify=not options.tls_insecure)
        except OSError as error:
            print(
                f"chinwag connect: cannot read {options.tls_ca}: {error.strerror}", file=sys.stderr
            )
            return None
    link = Link(
        options.host, options.port, listener, backoff=backoff, tls=tls, password=options.password
    )
    try:
        link.connect()
    except ConnectFailed as error:
        print(error, file=sys.stderr)
        return None
    return link

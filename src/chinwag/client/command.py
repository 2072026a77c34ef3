"""The ``chinwag connect`` command line: its arguments, its help, and the options it makes.

:func:`add_arguments` fills a parser (the ``connect`` subcommand of ``chinwag``, or the
stand-alone one of :func:`main`); :data:`PARSER_TEXTS` gives it a help that describes the
client as a whole: environment variables, keys and exit codes. :func:`options_from` turns
the parsed arguments and the environment into one frozen
:class:`~chinwag.client.options.ClientOptions`; the password comes only from the
environment, where ``ps`` cannot show it. Only the standard library is imported here.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from typing import Any

from chinwag.client.options import ClientOptions, UsageError, default_history_file, split_target

DESCRIPTION = """\
Chat with a chinwag server. In a terminal: messages scroll above an input line that
stays at the bottom. With standard input not a terminal (pipe mode): the lines read are
sent, and every line received is printed to standard output."""

EPILOG = """\
environment:
  CHINWAG_PASSWORD  the server's password, sent as /pass on every connection
                    (never on the command line, where ps would show it)
  NO_COLOR          set to anything: no colours
  XDG_DATA_HOME     where the input history goes (default ~/.local/share):
                    $XDG_DATA_HOME/chinwag/history

keys:
  Enter             send the line
  Up, Down          previous, next line from the history
  Tab               complete a /command or a nickname (at the start of a line: "nick: ")
  Ctrl-D, Ctrl-C    leave, like /quit (Ctrl-D on an empty line)
  exit, /quit [REASON]
                    leave, telling the others why

A mention of your name or a private message rings the bell (not with --no-bell) and
shows "(1) chinwag" in the terminal's title until you type.

exit codes:
  0  you left, and the server said goodbye
  1  the client could not start (no server there, TLS trouble, a bad HOST:PORT,
     prompt_toolkit missing in a terminal)
  2  the connection to the server was lost (or it never answered /quit)
  3  the server refused you or put you out (wrong password, ban, kick, full, flood)"""

PARSER_TEXTS: dict[str, Any] = {
    "description": DESCRIPTION,
    "epilog": EPILOG,
    "formatter_class": argparse.RawDescriptionHelpFormatter,
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "target", nargs="?", metavar="HOST[:PORT]", help="the server (default 127.0.0.1:8089)"
    )
    parser.add_argument("--port", type=int, help="the server's port (default 8089)")
    parser.add_argument("--nick", default="", help="the nickname to ask for")
    parser.add_argument(
        "--reconnect",
        action="store_true",
        help="when the server goes away, keep retrying; then ask back name, room and away",
    )
    parser.add_argument(
        "--tls", action="store_true", help="use TLS, verifying the server's certificate"
    )
    parser.add_argument(
        "--tls-insecure",
        action="store_true",
        help="use TLS but accept any certificate (a self-signed one, say)",
    )
    parser.add_argument(
        "--tls-ca", default="", metavar="FILE", help="use TLS, trusting the CAs in FILE"
    )
    parser.add_argument(
        "--no-bell",
        dest="bell",
        action="store_false",
        help="no bell on a mention or a private message (the title still counts them)",
    )


def options_from(args: argparse.Namespace, environ: Mapping[str, str]) -> ClientOptions:
    """The client's options from parsed arguments; raises :class:`UsageError`."""
    host, port = split_target(args.target, args.port)
    return ClientOptions(
        host,
        port,
        args.nick,
        args.reconnect,
        default_history_file(),
        tls=args.tls or args.tls_insecure or bool(args.tls_ca),
        tls_insecure=args.tls_insecure,
        tls_ca=args.tls_ca,
        password=environ.get("CHINWAG_PASSWORD", ""),
        bell=args.bell,
    )


def build_parser(prog: str = "chinwag connect") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, **PARSER_TEXTS)
    add_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, run the client, and return its exit code."""
    from chinwag.client.app import run

    args = build_parser().parse_args(argv)
    try:
        options = options_from(args, os.environ)
    except UsageError as error:
        print(f"chinwag connect: {error}", file=sys.stderr)
        return 1
    return run(options)

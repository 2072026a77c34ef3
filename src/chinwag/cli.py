"""The ``chinwag`` command: ``chinwag serve``, ``chinwag hash-password``, ``chinwag connect``."""

from __future__ import annotations

import argparse
import getpass
import os
import signal
import sys
from collections.abc import Callable, Sequence
from types import FrameType

from chinwag import __version__, config, log

Command = Callable[[argparse.Namespace], int]


def serve(args: argparse.Namespace) -> int:
    options = {k: v for k, v in vars(args).items() if k != "command"}
    try:
        settings = config.load(options)
    except config.ConfigError as error:
        print(f"chinwag: {error}", file=sys.stderr)
        return 2
    log.configure(settings.log_file)
    code = 1
    try:
        code = _serve(settings)
    finally:
        if not log.stop():
            os._exit(code)  # standard output is stuck: a normal exit would hang flushing it
    return code


def _serve(settings: config.Config) -> int:
    from chinwag.history.sqlite import StorageError
    from chinwag.server.console import run_console
    from chinwag.server.server import ChatServer
    from chinwag.tls import CertificateError

    try:
        server = ChatServer(settings)
    except (CertificateError, StorageError) as error:
        print(f"chinwag: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        # create_server() decorates strerror with the address; say it once, plainly.
        reason = os.strerror(error.errno) if error.errno else str(error)
        where = f"{settings.host}:{settings.port}"
        print(f"chinwag: cannot listen on {where}: {reason}", file=sys.stderr)
        return 1

    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)

    def stop(signum: int, frame: FrameType | None) -> None:
        os.write(wake_w, b"\0")

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    with server:
        server.start()
        stdin_fd = sys.stdin.fileno() if settings.console and sys.stdin.isatty() else None
        run_console(server, wake_r, stdin_fd)
        log.event("shutting down")
    return 0


def hash_password(args: argparse.Namespace) -> int:
    from chinwag.passwords import hash_password as make_hash

    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("chinwag: the passwords differ", file=sys.stderr)
            return 1
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        print("chinwag: the password must not be empty", file=sys.stderr)
        return 1
    print(make_hash(password))
    return 0


def connect(args: argparse.Namespace) -> int:
    from chinwag.client.app import run
    from chinwag.client.command import options_from
    from chinwag.client.options import UsageError

    try:
        options = options_from(args, os.environ)
    except UsageError as error:
        print(f"chinwag connect: {error}", file=sys.stderr)
        return 1
    return run(options)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chinwag", description="A multi-user chat server and client."
    )
    parser.add_argument("--version", action="version", version=f"chinwag {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve_parser = commands.add_parser("serve", help="run the chat server")
    config.add_arguments(serve_parser)
    serve_parser.set_defaults(run=serve)

    hash_parser = commands.add_parser(
        "hash-password", help="print the hash of a password, for the configuration"
    )
    hash_parser.set_defaults(run=hash_password)

    from chinwag.client import command as client_command  # the standard library only

    connect_parser = commands.add_parser(
        "connect", help="chat with a server (the client)", **client_command.PARSER_TEXTS
    )
    client_command.add_arguments(connect_parser)
    connect_parser.set_defaults(run=connect)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    run: Command = args.run
    del args.run
    try:
        return run(args)
    except KeyboardInterrupt:
        return 130

"""The ``chinwag`` command: ``serve``, ``connect``, ``hash-password``, and the operator's
helpers ``config-sample`` and ``systemd-unit``."""

from __future__ import annotations

import argparse
import getpass
import os
import signal
import sys
from collections.abc import Callable, Sequence
from importlib import resources
from types import FrameType
from typing import NoReturn

from chinwag import __version__, config, hostport, log

Command = Callable[[argparse.Namespace], int]


def serve(args: argparse.Namespace) -> int:
    options = {k: v for k, v in vars(args).items() if k != "command"}
    try:
        settings = config.load(options)
    except config.ConfigError as error:
        print(f"chinwag: {error}", file=sys.stderr)
        return 2
    from chinwag import allocator, collector

    # Before any thread starts (the log's is the first): a thread keeps the heap it got.
    allocator.tune()  # password checks' 16 MiB must not stay resident per thread, nor freed memory
    collector.tune()  # messages held for history must not set the collector off again and again
    log.configure(settings.log_file)
    code = 1
    try:
        code = _serve(settings)
    finally:
        if not log.stop():
            os._exit(code)  # standard output is stuck: a normal exit would hang flushing it
    return code


def _serve(settings: config.Config) -> int:
    from chinwag.cluster import ClusterError
    from chinwag.history.sqlite import StorageError
    from chinwag.server.console import run_console
    from chinwag.server.server import ChatServer
    from chinwag.tls import CertificateError

    try:
        server = ChatServer(settings)
    except (CertificateError, StorageError, ClusterError) as error:
        print(f"chinwag: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        # create_server() decorates strerror with the address; say it once, plainly.
        reason = os.strerror(error.errno) if error.errno else str(error)
        where = hostport.join(settings.host, settings.port)
        print(f"chinwag: cannot listen on {where}: {reason}", file=sys.stderr)
        return 1

    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)

    def stop(signum: int, frame: FrameType | None) -> None:
        os.write(wake_w, b"\0")

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        with server:
            server.start()
            stdin_fd = sys.stdin.fileno() if settings.console and sys.stdin.isatty() else None
            run_console(server, wake_r, stdin_fd)
            log.event("shutting down")
    except ClusterError as error:
        print(f"chinwag: {error}", file=sys.stderr)
        return 1
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


HASHING_HELP = """\
Read a password and print its scrypt hash, one line on standard output, for the server's
configuration: the hash, unlike the password, can be shown to anyone.

On a terminal it asks for the password twice, without echoing it; otherwise it reads the
first line of standard input (`printf %s "$PW" | chinwag hash-password`).

Use the hash as
  oper_password_hash = "scrypt$..."   (TOML; env CHINWAG_OPER_PASSWORD_HASH,
                                       --oper-password-hash): the operator password,
                                       given with /op PASSWORD (or IRC OPER)
  password_hash = "scrypt$..."        (env CHINWAG_PASSWORD_HASH, --password-hash):
                                       the server password every client must send

Exit status: 0 with the hash printed; 1 if the two entries differ or the password is
empty; 130 if interrupted.
"""


def config_sample(args: argparse.Namespace) -> int:
    print(config.sample(), end="")
    return 0


SYSTEMD_UNIT = "chinwag.service"
_PACKAGED_COMMAND = "/usr/local/bin/chinwag"


def systemd_unit(args: argparse.Namespace) -> int:
    """Print the unit, with ExecStart naming the Python that runs this command."""
    unit = resources.files("chinwag").joinpath("data", SYSTEMD_UNIT).read_text("utf-8")
    if not args.as_shipped:
        unit = unit.replace(_PACKAGED_COMMAND, f"{sys.executable} -m chinwag")
    print(unit, end="")
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


class _Parser(argparse.ArgumentParser):
    """Suggests the nearest option for one that is not known (``--max-client``)."""

    def error(self, message: str) -> NoReturn:
        prefix = "unrecognized arguments: "
        if message.startswith(prefix):
            known = [
                flag
                for action in _serve_actions(self)
                for flag in action.option_strings
                if flag.startswith("--")
            ]
            for word in message[len(prefix) :].split():
                if word.startswith("--"):
                    message += config.suggest(word.partition("=")[0], known)
                    break
        super().error(message)


def _serve_actions(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    actions = list(parser._actions)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                actions += sub._actions
    return actions


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="chinwag", description="A multi-user chat server and client.")
    parser.add_argument("--version", action="version", version=f"chinwag {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve_parser = commands.add_parser(
        "serve",
        help="run the chat server",
        usage="chinwag serve [--config FILE] [OPTION ...]",
        description="Run the chat server; its log goes to standard output.",
    )
    config.add_arguments(serve_parser)
    serve_parser.set_defaults(run=serve)

    hash_parser = commands.add_parser(
        "hash-password",
        help="print the hash of a password, for the configuration",
        description=HASHING_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    hash_parser.set_defaults(run=hash_password)

    sample_parser = commands.add_parser(
        "config-sample",
        help="print a commented configuration file (chinwag config-sample > chinwag.toml)",
        description="Print a TOML configuration with every option, its help, its "
        "environment variable and its default (commented out).",
    )
    sample_parser.set_defaults(run=config_sample)

    unit_parser = commands.add_parser(
        "systemd-unit",
        help="print a systemd unit that runs the server as a sandboxed service",
        description="Print a systemd unit for the server, ready for "
        "/etc/systemd/system/chinwag.service; ExecStart names the Python running this "
        "command. See the README's 'Running it as a service'.",
    )
    unit_parser.add_argument(
        "--as-shipped",
        action="store_true",
        help=f"print it as shipped, with ExecStart={_PACKAGED_COMMAND}",
    )
    unit_parser.set_defaults(run=systemd_unit)

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

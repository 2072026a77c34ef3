"""The server's configuration: one frozen object, built once, passed explicitly.

Every option can come from four places; the first that sets it wins:
command line (``--max-clients 50``) > environment (``CHINWAG_MAX_CLIENTS=50``) >
TOML file (``max_clients = 50``, named by ``--config`` or ``CHINWAG_CONFIG``) > default.
The options are the fields of :class:`Config`; their help texts are the documentation.
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import json
import math
import os
import re
import textwrap
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chinwag.hub.hub import DEFAULT_MAX_ROOMS, DEFAULT_MAX_ROOMS_PER_MEMBER
from chinwag.passwords import is_password_hash
from chinwag.server.admission import parse_networks

ENV_PREFIX = "CHINWAG_"
# IRC puts the server name in every line's prefix, where a space or "!" would break it.
_SERVER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,62}")


def default_data_dir() -> str:
    """Where the server keeps its data unless told: the user's state directory."""
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return str(Path(state) / "chinwag")


# A century: an age limit longer than message ids reach back (they count from 1970).
MAX_RETENTION_DAYS = 36_500


class ConfigError(Exception):
    """The operator's configuration is wrong; the message says where and how."""


# The groups of ``chinwag serve --help`` and of the sample configuration, in order.
GROUPS = {
    "network": "network",
    "limits": "limits",
    "tls": "TLS",
    "irc": "IRC",
    "operators": "operators and passwords",
    "storage": "storage",
    "cluster": "cluster",
    "logging": "logging and console",
    "other": "other options",
}
# Where an option added without a group goes, by its name's start; else "other".
_GROUP_BY_PREFIX = (
    ("irc_", "irc"),
    ("tls_", "tls"),
    ("history_", "storage"),
    ("data_", "storage"),
    ("log_", "logging"),
    ("keepalive_", "network"),
    ("cluster_", "cluster"),
)


def _option(
    default: Any,
    help_text: str,
    *,
    minimum: int | None = None,
    group: str | None = None,
    is_list: bool = False,
) -> Any:
    """A field of :class:`Config`: its default, help text and checks.

    ``is_list``: a string of comma-separated items that a TOML file may also give as a
    list of strings.
    """
    metadata = {"help": help_text, "minimum": minimum, "group": group, "list": is_list}
    return field(default=default, metadata=metadata)


@dataclass(frozen=True, slots=True)
class Config:
    host: str = _option("0.0.0.0", "address to listen on", group="network")
    port: int = _option(
        8089, "TCP port for the text protocol (0: any free port)", minimum=0, group="network"
    )
    max_clients: int = _option(
        0, "most clients connected at once (0: unlimited)", minimum=0, group="limits"
    )
    max_line_bytes: int = _option(
        4096, "longest line a client may send, in bytes", minimum=16, group="limits"
    )
    send_queue_bytes: int = _option(
        1024 * 1024,
        "bytes queued for a client that reads slowly before it is dropped",
        minimum=1024,
        group="limits",
    )
    pushback_seconds: float = _option(
        0.3,
        "seconds a client whose send queue is congested (past a quarter of "
        "send_queue_bytes) holds the talkers back while the kernel takes none of its bytes",
        minimum=0,
        group="limits",
    )
    send_stall_seconds: float = _option(
        10.0,
        "seconds a client whose send queue is congested has to catch up (down to a "
        "sixteenth of send_queue_bytes) before it is dropped as not reading",
        minimum=1,
        group="limits",
    )
    socket_send_buffer: int = _option(
        0,
        "kernel send buffer per client in bytes (0: the kernel tunes it)",
        minimum=0,
        group="network",
    )
    oper_password_hash: str = _option(
        "",
        "scrypt hash of the operator password (see `chinwag hash-password`); empty: no operators",
        group="operators",
    )
    password: str = _option(
        "",
        "server password clients must give before they chat; on the command line it is "
        "visible to every local user in `ps`: set CHINWAG_PASSWORD, put it in the "
        "configuration file or use --password-hash instead",
        group="operators",
    )
    password_hash: str = _option(
        "", "scrypt hash of the server password (instead of --password)", group="operators"
    )
    password_check_concurrency: int = _option(
        2,
        "most password checks (scrypt, ~16 MiB each) computed at once",
        minimum=1,
        group="operators",
    )
    max_password_failures: int = _option(
        5,
        "wrong or too hasty password attempts before a connection is dropped",
        minimum=1,
        group="operators",
    )
    password_failure_delay: float = _option(
        1.0,
        "seconds a wrong password costs its connection and address, doubling with each "
        "further one up to a minute (0: no delay)",
        minimum=0,
        group="operators",
    )
    max_per_address: int = _option(
        16, "most connections at once from one IP address (0: unlimited)", minimum=0, group="limits"
    )
    max_connects_per_minute: int = _option(
        30,
        "most new connections a minute from one IP address (0: unlimited)",
        minimum=0,
        group="limits",
    )
    exempt_addresses: str = _option(
        "127.0.0.0/8, ::1",
        "networks that per-address limits never apply to (comma-separated; in TOML, "
        "also a list of strings)",
        group="limits",
        is_list=True,
    )
    flood_burst: int = _option(
        20,
        "lines a text client may send at once before its lines are slowed down "
        "(0: no flood control)",
        minimum=0,
        group="limits",
    )
    flood_rate: float = _option(
        10.0, "lines a second a text client may send after its burst", minimum=0, group="limits"
    )
    flood_max_seconds: float = _option(
        60.0,
        "seconds a client may keep sending faster than its rate, every line slowed "
        "down, before it is dropped for flooding",
        minimum=1,
        group="limits",
    )
    irc_flood_burst: int = _option(
        5,
        "lines an IRC client may send at once before pacing (0: no flood control)",
        minimum=0,
        group="irc",
    )
    irc_flood_rate: float = _option(
        2.0, "lines a second an IRC client may send after its burst", minimum=0, group="irc"
    )
    tls_cert: str = _option(
        "", "PEM certificate chain: serve TLS (on --tls-port, or else on --port)", group="tls"
    )
    tls_key: str = _option("", "PEM private key of the TLS certificate", group="tls")
    tls_port: int = _option(
        0, "separate port for TLS, leaving --port plain (0: none)", minimum=0, group="tls"
    )
    handshake_timeout: float = _option(
        10.0, "seconds a client has to finish the TLS handshake", minimum=0, group="tls"
    )
    quiet_room_size: int = _option(
        1000,
        "rooms with more members than this do not announce arrivals, departures and "
        "renames (0: always announce)",
        minimum=0,
        group="limits",
    )
    max_rooms_per_member: int = _option(
        DEFAULT_MAX_ROOMS_PER_MEMBER,
        "most rooms one user may be in at once, the lobby included (at least 2: a text "
        "user moving passes through two)",
        minimum=2,
        group="limits",
    )
    max_rooms: int = _option(
        DEFAULT_MAX_ROOMS,
        "most rooms the server holds, the lobby included",
        minimum=1,
        group="limits",
    )
    log_file: str = _option(
        "", "also write the log to this file, rotated at 5 MiB", group="logging"
    )
    keepalive_idle: int = _option(
        60, "seconds of silence before TCP keepalive probes start", minimum=1, group="network"
    )
    keepalive_interval: int = _option(
        10, "seconds between TCP keepalive probes", minimum=1, group="network"
    )
    keepalive_count: int = _option(
        5, "unanswered keepalive probes before a peer is dead", minimum=1, group="network"
    )
    thread_stack_kib: int = _option(
        256, "stack size of connection threads, in KiB", minimum=64, group="limits"
    )
    console: bool = _option(
        True, "read operator commands from the terminal the server runs in", group="logging"
    )
    irc_port: int = _option(
        0, "TCP port for IRC clients (0: no IRC; 6667 is usual)", minimum=0, group="irc"
    )
    irc_tls_port: int = _option(
        0,
        "TCP port for IRC over TLS, with tls_cert and tls_key (0: none; 6697 is usual)",
        minimum=0,
        group="irc",
    )
    server_name: str = _option(
        "chinwag.local", "the server's name, as IRC clients see it", group="irc"
    )
    motd: str = _option(
        "",
        "message of the day shown on connecting, to text and IRC clients (\\n separates lines)",
        group="irc",
    )
    irc_ping_seconds: int = _option(
        90, "seconds an IRC client may be silent before the server pings it", minimum=1, group="irc"
    )
    irc_ping_timeout_seconds: int = _option(
        60,
        "seconds to wait for the answer to a ping before dropping the client",
        minimum=1,
        group="irc",
    )
    irc_registration_seconds: int = _option(
        30, "seconds a new IRC connection has to register (NICK and USER)", minimum=1, group="irc"
    )
    data_dir: str = field(
        default_factory=default_data_dir,  # read when the configuration is made
        metadata={
            "help": "directory of the history and state database, chinwag.db (made 0700 "
            "if missing; '': keep everything in memory); default: $XDG_STATE_HOME/chinwag "
            "or ~/.local/state/chinwag",
            "minimum": None,
        },
    )
    history_replay: int = _option(
        20, "messages of a room's history shown to whoever joins it (0: none)", minimum=0
    )
    history_max: int = _option(100, "most messages one /history asks for", minimum=1)
    history_private: bool = _option(False, "also keep the history of private messages")
    history_retention_count: int = _option(
        10_000, "messages kept per room or private conversation", minimum=1
    )
    history_retention_days: float = _option(
        30.0, "days a message is kept (0: no age limit)", minimum=0
    )
    cluster: str = _option(
        "",
        "share one chat with the other servers on this Redis: redis://HOST:PORT/DB, "
        "rediss:// for TLS (needs the cluster extra: pip install 'chinwag[cluster]'); "
        "none: this server alone",
        group="cluster",
    )
    cluster_password: str = _option(
        "",
        "the cluster Redis's password, unless the URL has one (better in the environment "
        "than on a command line others can list)",
        group="cluster",
    )
    node_name: str = _option(
        "",
        "this server's name among the cluster's, in logs and listings; default: the "
        "host name and port",
        group="cluster",
    )

    def __post_init__(self) -> None:
        self._check_numbers()
        if not _SERVER_NAME.fullmatch(self.server_name):
            raise ConfigError(f"server_name must look like a host name, not {self.server_name!r}")
        for name in ("oper_password_hash", "password_hash"):
            value = getattr(self, name)
            if value and not is_password_hash(value):
                raise ConfigError(f"{name} is not a hash made by `chinwag hash-password`")
        if bool(self.tls_cert) != bool(self.tls_key):
            raise ConfigError("tls_cert and tls_key go together")
        for name in ("tls_port", "irc_tls_port"):
            if getattr(self, name) and not self.tls_cert:
                raise ConfigError(f"{name} needs tls_cert and tls_key")
        self._check_cluster()
        try:
            parse_networks(self.exempt_addresses)
        except ValueError as exc:
            raise ConfigError(f"exempt_addresses: {exc}") from None

    def _check_numbers(self) -> None:
        for spec in dataclasses.fields(self):
            minimum = spec.metadata.get("minimum")
            value = getattr(self, spec.name)
            if isinstance(value, float) and not math.isfinite(value):
                raise ConfigError(f"{spec.name} must be a finite number, not {value}")
            if minimum is not None and value < minimum:
                raise ConfigError(f"{spec.name} must be at least {minimum}, not {value}")
        if self.history_retention_days > MAX_RETENTION_DAYS:
            raise ConfigError(
                f"history_retention_days must be at most {MAX_RETENTION_DAYS} (0: no age "
                f"limit), not {self.history_retention_days}"
            )
        for name in ("port", "tls_port", "irc_port", "irc_tls_port"):
            if getattr(self, name) > 65535:
                raise ConfigError(f"{name} must be at most 65535, not {getattr(self, name)}")

    def _check_cluster(self) -> None:
        if self.cluster and not self.cluster.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigError(
                f"cluster must be a redis://, rediss:// or unix:// URL, not {self.cluster!r}"
            )
        if self.node_name and not _SERVER_NAME.fullmatch(self.node_name.replace(":", "-")):
            raise ConfigError(f"node_name must look like a host name, not {self.node_name!r}")


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError(text)


def _to_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(value)
    return int(value)


def _to_float(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(value)
    return float(value)


def _to_str(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(value)
    return value


_CONVERTERS = {"bool": _to_bool, "int": _to_int, "float": _to_float, "str": _to_str}
_KIND_NAMES = {
    "bool": "true or false",
    "int": "a whole number",
    "float": "a number",
    "str": "a string",
}


def _convert(name: str, kind: str, value: Any, source: str) -> Any:
    try:
        return _CONVERTERS[kind](value)
    except (TypeError, ValueError):
        raise ConfigError(f"{source}: {name} must be {_KIND_NAMES[kind]}, not {value!r}") from None


def group_of(spec: dataclasses.Field[Any]) -> str:
    """The group an option is listed under: its own, or one guessed from its name."""
    group = spec.metadata.get("group")
    if group in GROUPS:
        return str(group)
    for prefix, guess in _GROUP_BY_PREFIX:
        if spec.name.startswith(prefix):
            return guess
    return "other"


def env_name(name: str) -> str:
    """The environment variable of an option: ``max_clients`` -> ``CHINWAG_MAX_CLIENTS``."""
    return ENV_PREFIX + name.upper()


def suggest(name: str, known: Iterable[str] | None = None) -> str:
    """`` (did you mean max_clients?)`` for a mistyped option name, or ``""``."""
    candidates = list(known) if known is not None else option_names()
    close = difflib.get_close_matches(name, candidates, n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def option_names() -> list[str]:
    return [spec.name for spec in dataclasses.fields(Config)]


REFERENCE = (
    "Every option can also be set in the environment (shown with each) or in the TOML file "
    "named by --config; `chinwag config-sample` prints a commented one. The full reference "
    "is the Configuration section of the README and docs/configuration.md."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--config`` and one option per field, in groups; unset options stay ``None``."""
    parser.add_argument(
        "--config",
        metavar="FILE",
        help=f"TOML file with options, keys as below without the dashes (env {ENV_PREFIX}CONFIG)",
    )
    groups = {key: parser.add_argument_group(f"{title} options") for key, title in GROUPS.items()}
    for spec in dataclasses.fields(Config):
        group = groups[group_of(spec)]
        flag = "--" + spec.name.replace("_", "-")
        if spec.default is dataclasses.MISSING:
            # The help says what the default depends on.
            help_text = f"{spec.metadata['help']} (env {env_name(spec.name)})"
        else:
            help_text = (
                f"{spec.metadata['help']} (default: {_shown(spec.default)}; "
                f"env {env_name(spec.name)})"
            )
        help_text = help_text.replace("%", "%%")
        if spec.type == "bool":
            group.add_argument(
                flag, action=argparse.BooleanOptionalAction, default=None, help=help_text
            )
        else:
            kind = {"int": int, "float": float}.get(str(spec.type), str)
            group.add_argument(
                flag, type=kind, default=None, metavar=spec.name.upper(), help=help_text
            )
    parser.epilog = REFERENCE


def _shown(default: Any) -> str:
    if isinstance(default, str):
        return repr(default) if default else "none"
    return str(default)


def load(
    cli: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
) -> Config:
    """Build the configuration from the command line's values, the environment and a file."""
    cli = dict(cli or {})
    env = os.environ if env is None else env
    fields = {spec.name: str(spec.type) for spec in dataclasses.fields(Config)}
    values: dict[str, Any] = {}

    config_file = cli.pop("config", None) or env.get(ENV_PREFIX + "CONFIG")
    if config_file:
        values.update(_read_file(Path(config_file), fields))
    _check_environment_names(env, fields)
    for name, kind in fields.items():
        raw = env.get(env_name(name))
        if raw is not None:
            values[name] = _convert(name, kind, raw, f"environment {env_name(name)}")
    for name, value in cli.items():
        if name not in fields:
            raise ConfigError(f"command line: unknown option {name!r}{suggest(name, fields)}")
        if value is not None:
            values[name] = _convert(name, fields[name], value, "command line")
    try:
        return Config(**values)
    except TypeError as exc:  # pragma: no cover - guarded by the field checks above
        raise ConfigError(str(exc)) from exc


def _check_environment_names(env: Mapping[str, str], fields: Mapping[str, str]) -> None:
    """Refuse a ``CHINWAG_`` variable that looks like a misspelt option.

    Other ``CHINWAG_`` variables are left alone (other programs may use the prefix), but
    one close to an option's name is almost surely a typo that would silently leave,
    say, a password unset.
    """
    known = [*fields, "config"]
    for variable in env:
        if not variable.startswith(ENV_PREFIX):
            continue
        name = variable[len(ENV_PREFIX) :].lower()
        if name in known:
            continue
        # Closer than difflib's default: a typo is a letter or two, and CHINWAG_COLOUR
        # (another program's, say) is not CHINWAG_CLUSTER misspelt.
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.7)
        if close:
            raise ConfigError(
                f"environment: unknown variable {variable} (did you mean {env_name(close[0])}?)"
            )


def _read_file(path: Path, fields: Mapping[str, str]) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    lists = {spec.name for spec in dataclasses.fields(Config) if spec.metadata.get("list")}
    values = {}
    for key, value in data.items():
        name = key.replace("-", "_")
        if name not in fields:
            raise ConfigError(f"{path}: unknown option {key!r}{suggest(name, fields)}")
        given = _join_list(name, value, str(path)) if name in lists else value
        values[name] = _convert(name, fields[name], given, str(path))
    return values


def _join_list(name: str, items: Any, source: str) -> Any:
    """A TOML list of strings as the comma-separated string the option holds."""
    if not isinstance(items, list):
        return items
    if not all(isinstance(item, str) and "," not in item for item in items):
        raise ConfigError(f"{source}: {name} must be a list of strings, not {items!r}")
    return ", ".join(item.strip() for item in items)


def sample() -> str:
    """A commented TOML configuration: every option with its help, variable and default.

    Made from :class:`Config` itself, so it cannot drift from the code. The defaults are
    commented out, so a server run with the file unchanged keeps following the defaults
    of the version it runs; uncomment a line to change it.
    """
    out = [
        "# chinwag server configuration (TOML). Use it with",
        "#     chinwag serve --config chinwag.toml",
        "# or CHINWAG_CONFIG=chinwag.toml. The command line and CHINWAG_* environment",
        "# variables override the file. Each option below is shown with its default:",
        "# uncomment a line to change it.",
    ]
    by_group: dict[str, list[dataclasses.Field[Any]]] = {key: [] for key in GROUPS}
    for spec in dataclasses.fields(Config):
        by_group[group_of(spec)].append(spec)
    for key, specs in by_group.items():
        if not specs:
            continue
        out += ["", "", f"# --- {GROUPS[key]} " + "-" * (70 - len(GROUPS[key]))]
        for spec in specs:
            out.append("")
            out += [f"# {line}" for line in textwrap.wrap(str(spec.metadata["help"]), 86)]
            out.append(f"# (--{spec.name.replace('_', '-')}, {env_name(spec.name)})")
            # A default made when the configuration is (the data directory) is shown as
            # it is here and now.
            default = (
                spec.default
                if spec.default_factory is dataclasses.MISSING
                else spec.default_factory()
            )
            out.append(f"# {spec.name} = {_toml_value(default, bool(spec.metadata.get('list')))}")
    return "\n".join(out) + "\n"


def _toml_value(value: Any, is_list: bool = False) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if is_list:
        items = [item.strip() for item in str(value).split(",") if item.strip()]
        return "[" + ", ".join(_toml_value(item) for item in items) + "]"
    # A JSON string with its non-ASCII kept is a TOML basic string.
    return json.dumps(str(value), ensure_ascii=False)

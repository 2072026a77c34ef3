"""Configuration: command line > environment > TOML file > defaults, checked once."""

from __future__ import annotations

import argparse
import dataclasses
import re
from pathlib import Path

import pytest

from chinwag.config import Config, ConfigError, add_arguments, load


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "chinwag.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_defaults() -> None:
    config = load({}, {})
    assert config == Config()
    assert (config.host, config.port, config.max_clients) == ("0.0.0.0", 8089, 0)
    assert config.max_line_bytes == 4096
    assert config.send_queue_bytes == 1024 * 1024
    assert config.oper_password_hash == ""
    assert config.console is True


def test_config_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Config().port = 1  # type: ignore[misc]


def test_file_overrides_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, 'host = "127.0.0.1"\nmax-clients = 3\nconsole = false\n')
    config = load({"config": path}, {})
    assert (config.host, config.max_clients, config.console) == ("127.0.0.1", 3, False)
    assert config.port == 8089


def test_precedence_cli_over_env_over_file(tmp_path: Path) -> None:
    path = write(tmp_path, "port = 1000\nmax_clients = 10\nmax_line_bytes = 100\n")
    env = {"CHINWAG_PORT": "2000", "CHINWAG_MAX_CLIENTS": "20"}
    config = load({"config": path, "port": 3000}, env)
    assert config.port == 3000  # command line beats all
    assert config.max_clients == 20  # environment beats the file
    assert config.max_line_bytes == 100  # the file beats the default
    assert config.send_queue_bytes == 1024 * 1024


def test_unset_command_line_options_do_not_override(tmp_path: Path) -> None:
    config = load({"port": None, "host": None}, {"CHINWAG_PORT": "2000"})
    assert config.port == 2000
    assert config.host == "0.0.0.0"


def test_config_file_named_in_the_environment(tmp_path: Path) -> None:
    path = write(tmp_path, "port = 4000\n")
    assert load({}, {"CHINWAG_CONFIG": path}).port == 4000
    other = tmp_path / "other.toml"
    other.write_text("port = 5000\n")
    assert load({"config": str(other)}, {"CHINWAG_CONFIG": path}).port == 5000


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", True), ("yes", True), (" ON ", True), ("false", False), ("0", False), ("no", False)],
)
def test_booleans_from_the_environment(raw: str, expected: bool) -> None:
    assert load({}, {"CHINWAG_CONSOLE": raw}).console is expected


def test_unrelated_environment_variables_are_ignored() -> None:
    assert load({}, {"CHINWAG_COLOUR": "blue", "PORT": "1"}) == Config()


def test_command_line_parsing() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["--port", "0", "--max-line-bytes", "512", "--no-console"])
    config = load(vars(args), {"CHINWAG_PORT": "2000"})
    assert (config.port, config.max_line_bytes, config.console) == (0, 512, False)
    assert load(vars(parser.parse_args([])), {}) == Config()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"CHINWAG_PORT": "eighty"},
            "environment CHINWAG_PORT: port must be a whole number, not 'eighty'",
        ),
        ({"CHINWAG_PORT": ""}, "CHINWAG_PORT: port must be"),
        ({"CHINWAG_CONSOLE": "maybe"}, "CHINWAG_CONSOLE: console must be true or false"),
    ],
)
def test_type_errors_in_the_environment(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load({}, env)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("nan", "history_retention_days must be a finite number, not nan"),
        ("inf", "history_retention_days must be a finite number, not inf"),
        ("1e300", "history_retention_days must be at most 36500 (0: no age limit), not 1e+300"),
        ("36501", "history_retention_days must be at most 36500"),
    ],
)
def test_a_number_of_days_is_finite_and_within_a_century(value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        load({}, {"CHINWAG_HISTORY_RETENTION_DAYS": value})
    assert load({}, {"CHINWAG_HISTORY_RETENTION_DAYS": "36500"}).history_retention_days == 36500


def test_no_number_of_seconds_may_be_infinite() -> None:
    with pytest.raises(ConfigError, match="pushback_seconds must be a finite number, not inf"):
        load({}, {"CHINWAG_PUSHBACK_SECONDS": "inf"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('port = "eighty"', "port must be a whole number, not 'eighty'"),
        ("port = 80.5", "port must be a whole number, not 80.5"),
        ("port = true", "port must be a whole number, not True"),
        ("host = 127", "host must be a string, not 127"),
        ('console = "sometimes"', "console must be true or false, not 'sometimes'"),
        ("colour = 'blue'", "unknown option 'colour'"),
        ("[server]\nport = 1", "unknown option 'server'"),
    ],
)
def test_errors_in_the_file_name_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load({"config": path}, {})
    assert str(caught.value).startswith(path)
    assert message in str(caught.value)


def test_a_file_that_is_not_toml(tmp_path: Path) -> None:
    path = write(tmp_path, "port: 80\n")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        load({"config": path}, {})


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"cannot read .*missing\.toml"):
        load({"config": str(tmp_path / "missing.toml")}, {})


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"port": -1}, "port must be at least 0, not -1"),
        ({"port": 65536}, "port must be at most 65535, not 65536"),
        ({"max_clients": -1}, "max_clients must be at least 0, not -1"),
        ({"max_line_bytes": 15}, "max_line_bytes must be at least 16, not 15"),
        ({"send_queue_bytes": 1023}, "send_queue_bytes must be at least 1024, not 1023"),
        ({"keepalive_idle": 0}, "keepalive_idle must be at least 1, not 0"),
        ({"thread_stack_kib": 63}, "thread_stack_kib must be at least 64, not 63"),
        ({"oper_password_hash": "hunter2"}, "oper_password_hash is not a hash"),
    ],
)
def test_validation(values: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load(values, {})


def test_minimums_are_allowed() -> None:
    config = load({"port": 0, "max_line_bytes": 16, "send_queue_bytes": 1024}, {})
    assert (config.port, config.max_line_bytes, config.send_queue_bytes) == (0, 16, 1024)
    assert load({"port": 65535}, {}).port == 65535


def test_a_real_password_hash_is_accepted(oper_hash: str) -> None:
    assert load({}, {"CHINWAG_OPER_PASSWORD_HASH": oper_hash}).oper_password_hash == oper_hash


def test_room_limits_from_every_source(tmp_path: Path) -> None:
    assert (Config().max_rooms_per_member, Config().max_rooms) == (50, 10_000)
    path = write(tmp_path, "max-rooms = 500\nmax_rooms_per_member = 7\n")
    config = load({"config": path, "max_rooms_per_member": 9}, {"CHINWAG_MAX_ROOMS": "600"})
    assert (config.max_rooms_per_member, config.max_rooms) == (9, 600)
    with pytest.raises(ConfigError, match="max_rooms_per_member must be at least 2, not 1"):
        load({"max_rooms_per_member": 1}, {})
    with pytest.raises(ConfigError, match="max_rooms must be at least 1, not 0"):
        load({"max_rooms": 0}, {})


def test_the_data_directory_defaults_to_the_users_state_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert Config().data_dir == str(tmp_path / "state" / "chinwag")
    monkeypatch.delenv("XDG_STATE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert Config().data_dir == str(tmp_path / "home" / ".local" / "state" / "chinwag")


def test_history_options_from_every_source(tmp_path: Path) -> None:
    config = Config()
    assert (config.history_replay, config.history_max, config.history_private) == (20, 100, False)
    assert (config.history_retention_count, config.history_retention_days) == (10_000, 30)
    path = write(tmp_path, 'data_dir = "/srv/chat"\nhistory_private = true\nhistory_replay = 5\n')
    config = load({"config": path, "history_replay": 0}, {"CHINWAG_HISTORY_MAX": "50"})
    assert (config.data_dir, config.history_private) == ("/srv/chat", True)
    assert (config.history_replay, config.history_max) == (0, 50)
    assert load({"config": path}, {"CHINWAG_DATA_DIR": ""}).data_dir == ""  # '': in memory
    assert load({"data_dir": "/x"}, {"CHINWAG_DATA_DIR": "/y"}).data_dir == "/x"
    with pytest.raises(ConfigError, match="history_max must be at least 1, not 0"):
        load({"history_max": 0}, {})


def test_the_data_directory_option_on_the_command_line() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert parser.parse_args(["--data-dir", ""]).data_dir == ""
    assert "XDG_STATE_HOME" in parser.format_help()

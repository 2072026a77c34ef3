"""The configuration's own documentation: grouped help, the sample file, suggestions, lists."""

from __future__ import annotations

import argparse
import dataclasses
import re
from pathlib import Path

import pytest

from chinwag import config
from chinwag.cli import build_parser, main
from chinwag.config import Config, ConfigError, load


def serve_help() -> str:
    parser = argparse.ArgumentParser(prog="chinwag serve")
    config.add_arguments(parser)
    return parser.format_help()


def test_every_option_is_in_a_group_with_its_environment_variable() -> None:
    text = serve_help()
    for title in ("network", "limits", "TLS", "IRC", "operators and passwords", "logging"):
        assert f"\n{title}" in text
    flat = " ".join(text.split())
    for spec in dataclasses.fields(Config):
        assert "--" + spec.name.replace("_", "-") in flat
        assert f"env CHINWAG_{spec.name.upper()}" in flat
    assert flat.endswith("docs/configuration.md.")
    assert "README" in flat


def test_the_groups_hold_the_options_a_reader_looks_for_there() -> None:
    groups = {spec.name: config.group_of(spec) for spec in dataclasses.fields(Config)}
    assert groups["port"] == "network"
    assert groups["max_clients"] == "limits"
    assert groups["tls_cert"] == "tls"
    assert groups["irc_port"] == "irc"
    assert groups["oper_password_hash"] == "operators"
    assert groups["log_file"] == "logging"


@pytest.mark.parametrize(
    ("name", "group"),
    [("data_dir", "storage"), ("history_lines", "storage"), ("irc_foo", "irc"), ("zz", "other")],
)
def test_an_option_added_without_a_group_still_lands_in_one(name: str, group: str) -> None:
    spec = dataclasses.field(default=0, metadata={"help": "new"})
    spec.name = name
    assert config.group_of(spec) == group


def test_the_password_option_warns_about_ps() -> None:
    flat = " ".join(serve_help().split())
    assert "visible to every local user in `ps`" in flat
    assert "CHINWAG_PASSWORD" in flat
    assert "--password-hash" in flat


def test_the_sample_loads_unchanged_into_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "chinwag.toml"
    path.write_text(config.sample(), encoding="utf-8")
    assert load({"config": str(path)}, {}) == Config()


def test_the_sample_with_every_line_uncommented_is_the_defaults(tmp_path: Path) -> None:
    """Each default in the sample is written as valid TOML of the right value."""
    lines = config.sample().splitlines()
    settings = [line[2:] for line in lines if re.match(r"# [a-z_]+ = ", line)]
    assert len(settings) == len(dataclasses.fields(Config))
    path = tmp_path / "chinwag.toml"
    path.write_text("\n".join(settings) + "\n", encoding="utf-8")
    assert load({"config": str(path)}, {}) == Config()
    assert 'exempt_addresses = ["127.0.0.0/8", "::1"]' in settings


def test_the_sample_documents_every_option() -> None:
    text = config.sample()
    for spec in dataclasses.fields(Config):
        assert f"CHINWAG_{spec.name.upper()}" in text
        assert f"# {spec.name} = " in text


def test_config_sample_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config-sample"]) == 0
    assert capsys.readouterr().out == config.sample()


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "chinwag.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_list_where_a_list_is_natural(tmp_path: Path) -> None:
    listed = load({"config": write(tmp_path, 'exempt_addresses = ["10.0.0.0/8", "::1"]\n')}, {})
    joined = load({"config": write(tmp_path, 'exempt_addresses = "10.0.0.0/8, ::1"\n')}, {})
    assert listed == joined
    assert listed.exempt_addresses == "10.0.0.0/8, ::1"
    assert load({"config": write(tmp_path, "exempt_addresses = []\n")}, {}).exempt_addresses == ""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("exempt_addresses = [1, 2]", "exempt_addresses must be a list of strings"),
        ('exempt_addresses = ["nonsense"]', "exempt_addresses"),
        ("port = [1, 2]", "port must be a whole number"),
    ],
)
def test_bad_lists(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load({"config": write(tmp_path, text)}, {})


def test_an_unknown_key_in_the_file_suggests_the_nearest(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError, match=r"unknown option 'max_client' \(did you mean max_clients\?\)"
    ):
        load({"config": write(tmp_path, "max_client = 5\n")}, {})
    with pytest.raises(
        ConfigError, match=r"unknown option 'max-client' \(did you mean max_clients"
    ):
        load({"config": write(tmp_path, "max-client = 5\n")}, {})


def test_a_misspelt_environment_variable_is_refused_with_a_suggestion() -> None:
    with pytest.raises(
        ConfigError, match=r"CHINWAG_MAX_CLIENT \(did you mean CHINWAG_MAX_CLIENTS\?\)"
    ):
        load({}, {"CHINWAG_MAX_CLIENT": "5"})
    with pytest.raises(ConfigError, match=r"did you mean CHINWAG_PASSWORD_HASH"):
        load({}, {"CHINWAG_PASWORD_HASH": "x"})
    # A variable like no option may belong to another program: it is left alone.
    assert load({}, {"CHINWAG_COLOUR": "blue"}) == Config()


def test_an_unknown_command_line_option_suggests_the_nearest(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as caught:
        build_parser().parse_args(["serve", "--max-clientz", "5"])
    assert caught.value.code == 2
    assert "(did you mean --max-clients?)" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="did you mean max_clients"):
        load({"max_client": 5}, {})


def test_hash_password_help_describes_itself(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["hash-password", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for words in (
        "print its scrypt hash",
        "standard input",
        "oper_password_hash",
        "CHINWAG_OPER_PASSWORD_HASH",
        "CHINWAG_PASSWORD_HASH",
        "Exit status: 0",
    ):
        assert words in text

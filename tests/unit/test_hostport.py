"""An address and a port written together: IPv6 addresses bracketed."""

from __future__ import annotations

import socket

import pytest

from chinwag import hostport
from chinwag.client.link import ConnectFailed, open_socket


@pytest.mark.parametrize(
    ("host", "port", "shown"),
    [
        ("127.0.0.1", 8089, "127.0.0.1:8089"),
        ("chat.example", 6667, "chat.example:6667"),
        ("::1", 8089, "[::1]:8089"),
        ("2001:db8::7", 0, "[2001:db8::7]:0"),
        ("0.0.0.0", 1, "0.0.0.0:1"),
    ],
)
def test_join(host: str, port: int, shown: str) -> None:
    assert hostport.join(host, port) == shown


def test_a_failed_connection_to_an_ipv6_address_names_it_bracketed() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 here")
    with socket.socket(socket.AF_INET6) as probe:  # a port nobody listens on
        try:
            probe.bind(("::1", 0))
        except OSError:
            pytest.skip("no IPv6 loopback here")
        port = probe.getsockname()[1]
        with pytest.raises(ConnectFailed) as failure:
            open_socket("::1", port, timeout=2)
    assert str(failure.value).startswith(f"Could not connect to [::1]:{port}: ")

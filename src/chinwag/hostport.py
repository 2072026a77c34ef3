"""How an address and a port are written together, wherever they are shown.

``127.0.0.1:8089``, ``chat.example:8089``, and ``[::1]:8089``: an IPv6 address is
bracketed (RFC 3986), so the port cannot be read as one more group of the address.
"""


def join(host: str, port: int) -> str:
    """``host:port``, the host bracketed if it is an IPv6 address."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

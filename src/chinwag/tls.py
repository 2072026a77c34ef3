"""TLS for a connection whose socket several threads use: OpenSSL over memory buffers.

An ``ssl.SSLSocket`` cannot be read by one thread while another writes to it (one OpenSSL
object must not be used by two threads at once), so chinwag keeps the socket plain and
runs TLS on an ``ssl.SSLObject`` between two memory BIOs: the reading thread feeds
it received bytes, senders feed it plaintext, and whoever holds the connection's one TLS
lock sends the encrypted bytes it produces, so records reach the wire in the order they
were made. The server's lock is its outbox's; the client's is its link's.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import time
from pathlib import Path

# A fatal protocol_version alert: what a server says to a client whose first bytes are no
# TLS handshake (OpenSSL says nothing then), so that the client can tell it apart from a
# server that hung up, and suggest TLS.
_NOT_TLS_ALERT = b"\x15\x03\x01\x00\x02\x02\x46"
_HANDSHAKE_RECORD = 0x16


class TlsError(Exception):
    """The TLS handshake failed or timed out; the message says why, for the log."""


class CertificateError(Exception):
    """The server's certificate or key cannot be used; the message names the file and why."""


def server_context(cert_file: str, key_file: str) -> ssl.SSLContext:
    """A server context with ``cert_file`` and ``key_file``; raises :class:`CertificateError`."""
    for kind, path in (("certificate", cert_file), ("key", key_file)):
        try:
            with Path(path).open("rb"):
                pass
        except OSError as exc:
            raise CertificateError(f"cannot read TLS {kind} {path}: {exc.strerror}") from exc
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert_file, key_file)
    except ssl.SSLError as exc:
        if exc.reason == "KEY_VALUES_MISMATCH":
            message = f"TLS key {key_file} does not match certificate {cert_file}"
        else:
            reason = _describe(exc)
            message = f"cannot use TLS certificate {cert_file} with key {key_file}: {reason}"
        raise CertificateError(message) from exc
    return context


def client_context(ca_file: str = "", *, verify: bool = True) -> ssl.SSLContext:
    """Verify the server against the system's CAs (or ``ca_file``), unless told not to."""
    context = ssl.create_default_context(cafile=ca_file or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


class TlsChannel:
    """The TLS state of one connection, server or client side."""

    def __init__(self, context: ssl.SSLContext, server_hostname: str | None = None) -> None:
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        self._ssl = context.wrap_bio(
            self._incoming,
            self._outgoing,
            server_side=server_hostname is None,
            server_hostname=server_hostname,
        )
        self._server_side = server_hostname is None
        self.closed_by_peer = False

    def handshake(self, sock: socket.socket, timeout: float) -> None:
        """Complete the handshake on ``sock`` (no other thread uses it yet) within ``timeout``."""
        deadline = time.monotonic() + timeout
        first = b""  # the first bytes received
        try:
            while True:
                try:
                    self._ssl.do_handshake()
                    break
                except ssl.SSLWantReadError:
                    pass
                self._send_pending(sock)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TlsError("TLS handshake timed out")
                sock.settimeout(remaining)
                data = sock.recv(65536)
                if not data:
                    raise TlsError("connection closed during the TLS handshake")
                first = first or data
                self._incoming.write(data)
            self._send_pending(sock)
        except TimeoutError:
            raise TlsError("TLS handshake timed out") from None
        except ssl.SSLError as exc:
            if self._server_side and first and first[0] != _HANDSHAKE_RECORD:
                with contextlib.suppress(OSError):
                    sock.sendall(_NOT_TLS_ALERT)
                raise TlsError("TLS handshake failed: the client does not speak TLS") from None
            raise TlsError(f"TLS handshake failed: {_describe(exc)}") from None
        except OSError as exc:
            raise TlsError(f"TLS handshake failed: {exc.strerror or exc}") from None
        finally:
            sock.settimeout(None)

    def open(self, data: bytes) -> tuple[bytes, bytes]:
        """Decrypt received ``data``: the plaintext, and bytes TLS wants sent back."""
        self._incoming.write(data)
        chunks = []
        while True:
            try:
                chunk = self._ssl.read(65536)
            except ssl.SSLWantReadError:
                break
            except ssl.SSLZeroReturnError:
                self.closed_by_peer = True
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks), self._outgoing.read()

    def seal(self, plaintext: bytes) -> bytes:
        """Encrypt ``plaintext`` into TLS records."""
        self._ssl.write(plaintext)
        return self._outgoing.read()

    def _send_pending(self, sock: socket.socket) -> None:
        pending = self._outgoing.read()
        if pending:
            sock.sendall(pending)


def _describe(exc: ssl.SSLError) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError) and exc.verify_message:
        return f"certificate verify failed: {exc.verify_message}"
    return str(exc.reason or exc).lower().replace("_", " ")

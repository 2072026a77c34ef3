"""A TCP proxy a test controls: the network between one server and its Redis, cut at will.

The proxy listens on a free loopback port and forwards each connection to its target,
byte for byte, on two threads per connection. A test can:

- :meth:`TcpProxy.cut` the path: every connection through it is closed and new ones
  are closed as soon as they arrive (a peer gone: the client sees errors at once);
- :meth:`TcpProxy.stall` it: connections stay open and nothing gets through, either
  way, until :meth:`TcpProxy.restore` (a network dropping packets: the client sees
  nothing but silence, and its timeouts);
- :meth:`TcpProxy.restore` it.

Every thread is joined by :meth:`TcpProxy.close`.
"""

from __future__ import annotations

import contextlib
import socket
import threading

CHUNK = 65536


class TcpProxy:
    """A proxy from a loopback port to ``target`` (see the module docstring)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._flowing = threading.Event()  # cleared while stalled
        self._flowing.set()
        self._refusing = False
        self._stopping = False
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._start(self._accept_loop, "proxy-accept")

    def url(self, database: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{database}"

    def cut(self) -> None:
        """Close every connection through the proxy, and each new one as it comes."""
        with self._lock:
            self._refusing = True
            doomed, self._sockets = self._sockets, []
        for sock in doomed:
            _close(sock)

    def stall(self) -> None:
        """Let nothing through, either way, until :meth:`restore`."""
        self._flowing.clear()

    def restore(self) -> None:
        with self._lock:
            self._refusing = False
        self._flowing.set()

    def close(self) -> None:
        with self._lock:
            self._stopping = True
            doomed, self._sockets = self._sockets, []
        _close(self._listener)
        for sock in doomed:
            _close(sock)
        self._flowing.set()  # wake the stalled pumps, which then find their sockets closed
        for thread in self._threads:
            thread.join(5)

    def _start(self, target: object, name: str, *args: object) -> None:
        thread = threading.Thread(target=target, name=name, args=args, daemon=True)  # type: ignore[arg-type]
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self) -> None:
        while True:
            try:
                client, _address = self._listener.accept()
            except OSError:
                return  # closed
            with self._lock:
                refused = self._refusing or self._stopping
            if refused:
                _close(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._sockets += [client, upstream]
            self._start(self._pump, "proxy-up", client, upstream)
            self._start(self._pump, "proxy-down", upstream, client)

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(CHUNK)
                if not data:
                    break
                self._flowing.wait()
                sink.sendall(data)
        except OSError:
            pass
        finally:
            _close(source)
            _close(sink)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()

"""A small TCP proxy on 127.0.0.1 that tests cut and restore to fake a server going away.

The real PostgreSQL server is shared with other engineers and must never be stopped; the
app under test connects through this proxy instead. `cut()` drops every open connection
and refuses new ones (as a restarting server does); `restore()` lets them through again.
`freeze()` keeps every connection open but forwards nothing more either way, as a pulled
cable or a sleeping PC does: both ends wait, and neither hears that the link is gone.
"""

from __future__ import annotations

import contextlib
import socket
import threading


class TcpProxy:
    def __init__(self, target_host: str = "127.0.0.1", target_port: int = 5432) -> None:
        self._target = (target_host, target_port)
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._cut = False
        self._frozen = False
        self._stalled = False
        self._held: list[socket.socket] = []
        self._closed = False
        self.accepted = 0
        self._thread = threading.Thread(target=self._accept_loop, name="tcp-proxy", daemon=True)
        self._thread.start()

    @property
    def is_cut(self) -> bool:
        return self._cut

    def cut(self) -> None:
        """Drop every connection now and refuse new ones until restored."""
        with self._lock:
            self._cut = True
            doomed = list(self._open)
            self._open.clear()
        for sock in doomed:
            _close(sock)

    def freeze(self) -> None:
        """Stop forwarding without closing: what either side sends from now on is lost."""
        self._frozen = True
    def stall(self) -> None:
        """Drop every connection; hold new ones open without an answer (a server gone silent:
        the client waits until its connect timeout)."""
        self.cut()
        with self._lock:
            self._stalled = True

    def restore(self) -> None:
        with self._lock:
            self._cut = False
            self._frozen = False
            self._stalled = False
            held, self._held = self._held, []
        for sock in held:
            _close(sock)

    def close(self) -> None:
        self._closed = True
        self.cut()
        _close(self._listener)
        self._thread.join(timeout=2)

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._stalled:
                with self._lock:
                    self._held.append(client)
                continue
            if self._cut:
                _close(client)
                continue
            try:
                upstream = socket.create_connection(self._target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _close(client)
                continue
            with self._lock:
                if self._cut:
                    _close(client)
                    _close(upstream)
                    continue
                self._open.update((client, upstream))
                self.accepted += 1
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if self._frozen:
                    if not data:
                        return  # a frozen link carries no goodbye either: close() ends both
                    continue
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        with self._lock:
            self._open.discard(source)
            self._open.discard(sink)
        _close(source)
        _close(sink)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()

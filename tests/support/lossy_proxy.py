"""A lossy link on loopback: a small TCP proxy in front of a real server.

Each connection (urllib sends one request per connection, `Connection: close`) gets a
fate drawn from a seeded generator:

- ``drop_request``: the request is read and thrown away; the server never sees it.
- ``drop_answer``: the request reaches the server, which answers (a push commits); the
  answer is thrown away and the connection closed — the lost acknowledgement.
- ``truncate``: half of the answer arrives, then the connection closes.
- ``delay``: the request waits up to ``max_delay`` seconds before going on.
- ``pass``: through untouched.

Faults are bounded in number (``max_faults``; after that everything passes) and in time
(every socket has a timeout), so a soak always ends. Only 127.0.0.1 is ever used.
"""

from __future__ import annotations

import contextlib
import random
import socket
import threading
import time
from collections import Counter


class LossyProxy:
    """Listen on 127.0.0.1:<port>; forward to 127.0.0.1:<target_port>, lossily."""

    def __init__(
        self,
        target_port: int,
        *,
        drop_request: float = 0.08,
        drop_answer: float = 0.08,
        truncate: float = 0.04,
        delay: float = 0.15,
        max_delay: float = 0.2,
        max_faults: int = 400,
        seed: int = 0,
        timeout: float = 60,
    ) -> None:
        self.target_port = target_port
        self.rates = {
            "drop_request": drop_request,
            "drop_answer": drop_answer,
            "truncate": truncate,
            "delay": delay,
        }
        self.max_delay = max_delay
        self.max_faults = max_faults
        self.timeout = timeout
        self.stats: Counter[str] = Counter()
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(128)
        self.port = int(self._listener.getsockname()[1])
        self._closed = threading.Event()
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, daemon=True)
        self._acceptor.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def faults(self) -> int:
        return sum(n for fate, n in self.stats.items() if fate != "pass")

    def heal(self) -> None:
        """From now on every connection passes (the quiet phase)."""
        with self._lock:
            self.max_faults = self.faults

    def close(self) -> None:
        self._closed.set()
        self._acceptor.join(5)
        self._listener.close()
        for t in self._threads:
            t.join(self.timeout)

    def _fate(self) -> tuple[str, float]:
        with self._lock:
            fate = "pass"
            if self.faults < self.max_faults:
                roll = self._rng.random()
                for name, rate in self.rates.items():
                    if roll < rate:
                        fate = name
                        break
                    roll -= rate
            self.stats[fate] += 1
            return fate, self._rng.uniform(0, self.max_delay)

    def _accept(self) -> None:
        self._listener.settimeout(0.1)
        while not self._closed.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            t = threading.Thread(target=self._serve, args=(client,), daemon=True)
            self._threads = [x for x in self._threads if x.is_alive()] + [t]
            t.start()

    def _serve(self, client: socket.socket) -> None:
        fate, wait = self._fate()
        client.settimeout(self.timeout)
        up: socket.socket | None = None
        pump: threading.Thread | None = None
        try:
            if fate == "drop_request":
                client.recv(65536)
                return
            if fate == "delay":
                time.sleep(wait)
            up = socket.create_connection(("127.0.0.1", self.target_port), self.timeout)
            pump = threading.Thread(target=_copy, args=(client, up), daemon=True)
            pump.start()
            answer = bytearray()
            while chunk := up.recv(65536):
                if fate in ("pass", "delay"):
                    client.sendall(chunk)
                else:
                    answer += chunk
            if fate == "truncate":
                client.sendall(answer[: len(answer) // 2])
        except OSError:
            pass
        finally:
            # Shut down first (it wakes the pump), close only once the pump is done, so
            # no thread ever touches a descriptor number the system has handed out again.
            for sock in (client, up):
                if sock is not None:
                    with contextlib.suppress(OSError):
                        sock.shutdown(socket.SHUT_RDWR)
            if pump is not None:
                pump.join(self.timeout)
            client.close()
            if up is not None:
                up.close()


def _copy(src: socket.socket, dst: socket.socket) -> None:
    """Copy bytes one way until the source ends or either side closes."""
    try:
        while chunk := src.recv(65536):
            dst.sendall(chunk)
    except OSError:
        pass
    with contextlib.suppress(OSError):
        dst.shutdown(socket.SHUT_WR)

"""`tawthiq serve --tls`: waitress on loopback and caddy in front, started and stopped
together.

- waitress binds first (loopback only), trusting `X-Forwarded-Proto`/`-For` from the
  front on 127.0.0.1 only, so the app sees the scheme and address the phone used;
- caddy starts from the generated Caddyfile; the serve process waits until it listens,
  and stops if it dies (a TLS hub without its front would be no hub at all);
- Ctrl-C and SIGTERM stop waitress, then caddy (SIGTERM, then SIGKILL); caddy also has
  PR_SET_PDEATHSIG, so even a `kill -9` of tawthiq leaves no caddy behind.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.tls import caddy
from app.tls.authority import HubTls


class FrontFailed(Exception):
    """Caddy did not start or died."""


def _wait_listening(proc: Any, host: str, port: int, log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise FrontFailed(f"caddy exited ({proc.returncode}):\n{_tail(log_path)}")
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.1)
    raise FrontFailed(f"caddy did not listen on {host}:{port} in {timeout}s:\n{_tail(log_path)}")


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text("utf-8", "replace").splitlines()[-lines:])
    except OSError:
        return ""


def serve_with_front(
    app: Any,
    hub: HubTls,
    front: caddy.FrontConfig,
    *,
    host: str,
    port: int,
    threads: int,
    say: Callable[[str], None],
    after_start: Callable[[], Any] | None = None,
) -> int:
    """Run until Ctrl-C / SIGTERM (0) or until caddy dies (1)."""
    import waitress

    server = waitress.create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        ident="tawthiq",
        trusted_proxy="127.0.0.1",
        trusted_proxy_count=1,
        trusted_proxy_headers={"x-forwarded-for", "x-forwarded-proto"},
        clear_untrusted_proxy_headers=True,
    )
    bound_port = int(server.effective_port)  # type: ignore[union-attr]
    front.upstream = (
        f"127.0.0.1:{bound_port}"
        if host in ("127.0.0.1", "localhost")
        else (f"[{host}]:{bound_port}" if ":" in host else f"{host}:{bound_port}")
    )
    caddy.write_caddyfile(hub, front)
    log_path = hub.directory / "caddy.log"
    proc = caddy.start_caddy(hub, log_path)
    stopping = threading.Event()
    died = threading.Event()
    try:
        probe = front.bind[0] if front.bind else "127.0.0.1"
        _wait_listening(proc, probe, front.https_port, log_path, timeout=15)
    except FrontFailed:
        caddy.stop_caddy(proc)
        server.close()
        raise

    def on_term(_signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)

    def watch() -> None:
        proc.wait()
        if not stopping.is_set():
            died.set()
            signal.raise_signal(signal.SIGTERM)  # wakes the main thread's loop

    threading.Thread(target=watch, name="caddy-watch", daemon=True).start()
    https = "" if front.https_port == 443 else f":{front.https_port}"
    http = "" if front.http_port == 80 else f":{front.http_port}"
    say(f"TLS front: caddy (pid {proc.pid}), log {log_path}")
    for where in [hub.name, *hub.addresses]:
        say(f"  https://{where}{https}/   (trust page: http://{where}{http}/trust)")
    say(f"Tawthiq (waitress) on http://{host}:{bound_port}, loopback only. Ctrl-C stops both.")
    extra = after_start() if after_start else None
    try:
        with contextlib.suppress(KeyboardInterrupt):
            server.run()
    finally:
        stopping.set()
        signal.signal(signal.SIGTERM, previous)
        with contextlib.suppress(Exception):
            server.close()
        if extra is not None and hasattr(extra, "set"):
            extra.set()
        code = caddy.stop_caddy(proc)
        say(f"TLS front stopped (caddy exit {code}).")
    if died.is_set():
        say(f"caddy died unexpectedly:\n{_tail(log_path)}")
        return 1
    return 0

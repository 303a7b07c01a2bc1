"""A real `tawthiq serve` in a subprocess on a free port, for end-to-end and fault tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


SERVE = (sys.executable, "-m", "app.cli", "serve")


class ServerProcess:
    """Start, stop and kill a tawthiq server on a data folder (and optional DATABASE_URL)."""

    def __init__(
        self,
        data_dir: Path,
        database_url: str | None = None,
        serve_args: tuple[str, ...] = (),
        **env: str,
    ) -> None:
        self.data_dir = data_dir
        self.serve_args = serve_args
        self.database_url = database_url
        self.extra_env = env
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir / f"server-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["TAWTHIQ_DATA_DIR"] = str(self.data_dir)
        env.pop("DATABASE_URL", None)
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        env.update(self.extra_env)
        return env

    def cli(self, *args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
        """Run a `tawthiq` command against the same data folder and database."""
        return subprocess.run(
            [sys.executable, "-m", "app.cli", *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=120,
            **kw,
        )

    def start(self, timeout: float = 30) -> ServerProcess:
        """Start `tawthiq serve` and wait until it answers /healthz."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [*SERVE, "--port", str(self.port), *self.serve_args],
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()}")
            if self.answers():
                return self
            time.sleep(0.1)
        raise RuntimeError(f"server did not answer in {timeout}s: {self.log_path.read_text()}")

    def answers(self) -> bool:
        """Whether the server answers its health check yet."""
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as r:  # noqa: S310
                return bool(r.status == 200)
        except OSError:
            return False

    def stop(self) -> int | None:
        """Ask the server to stop (Ctrl-C) and wait for it."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(2)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return self.proc.returncode

    def kill(self) -> None:
        """kill -9: no chance to finish anything."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

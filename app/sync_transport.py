"""The HTTP transport of the sync reference client (the IO that `sync/` never does).

`HttpTransport` implements `sync.client.Transport` over the hub's `/api/v1/sync`
endpoints with a bearer token. It moves bytes through a `send` callable, so the same
code runs over real HTTP (`urllib_sender`, used hub to hub and by benchmarks) and over
Flask's test client in tests.
"""

from __future__ import annotations

import gzip
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from app import jsonfast
from sync import Change, FetchedPage, Hello, HubInfo, PullPage, PushResult


@dataclass
class HttpReply:
    """What the hub answered."""

    status: int
    body: Any


Sender = Callable[[str, str, Any, dict[str, str]], HttpReply]


class SyncHttpError(Exception):
    """The hub answered an error (its JSON error body is kept)."""

    def __init__(self, status: int, body: Any) -> None:
        error = body.get("error", {}) if isinstance(body, dict) else {}
        super().__init__(f"{status} {error.get('code', '')}: {error.get('message', body)}")
        self.status = status
        self.body = body
        self.code = error.get("code")


def urllib_sender(base_url: str, timeout: float = 60) -> Sender:
    """A sender over real HTTP (urllib; gzip both ways; orjson for the JSON)."""

    def send(method: str, path: str, payload: Any, headers: dict[str, str]) -> HttpReply:
        data = None
        hdrs = {"Accept": "application/json", "Accept-Encoding": "gzip", **headers}
        if payload is not None:
            raw = jsonfast.dumps_bytes(payload)
            if len(raw) > 4096:
                raw = gzip.compress(raw, compresslevel=5)
                hdrs["Content-Encoding"] = "gzip"
            data = raw
            hdrs["Content-Type"] = "application/json"
        request = urllib.request.Request(base_url + path, data=data, headers=hdrs, method=method)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                body = response.read()
                status = response.status
                encoding = response.headers.get("Content-Encoding", "")
        except urllib.error.HTTPError as exc:
            body, status, encoding = exc.read(), exc.code, exc.headers.get("Content-Encoding", "")
        if encoding == "gzip":
            body = gzip.decompress(body)
        return HttpReply(status, jsonfast.loads(body) if body else None)

    return send


T = TypeVar("T")


class Ahead(Generic[T]):
    """One call running in its own thread; calling the object waits for its result (or
    raises what it raised). A pull asks for the next page through this while the caller
    stores the current one: the hub's CPU and the client's overlap instead of taking turns.
    The thread is a daemon: a page nobody waits for any more does not keep a process alive.
    """

    def __init__(self, fn: Callable[[], T]) -> None:
        self._fn = fn
        self._result: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="tawthiq-pull-ahead", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._result = self._fn()
        except BaseException as exc:  # handed to the waiting caller, whatever it is
            self._error = exc

    def __call__(self) -> T:
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._result  # type: ignore[return-value]


def pull_path(since: int, limit: int, ack: int | None = None) -> str:
    """The pull request's path and query (`ack` only when given: docs/sync.md)."""
    path = f"/api/v1/sync/pull?since={int(since)}&limit={int(limit)}"
    return path if ack is None else f"{path}&ack={int(ack)}"


class HttpTransport:
    """`sync.client.Transport` over the hub's HTTP API.

    It is also a `sync.client.PullAhead`: a replica's pull asks for the next page in a
    thread while it stores this one. At most one request is in flight at a time (the next
    is started only after the previous one was waited for), so `send` is never called
    concurrently, only from another thread.
    """

    def __init__(self, send: Sender, token: str, access_epoch: str | None = None) -> None:
        self._send = send
        self._headers = {"Authorization": f"Bearer {token}"}
        self.access_epoch = access_epoch
        self.last_handshake: dict[str, Any] = {}

    def _call(self, method: str, path: str, payload: Any = None) -> Any:
        reply = self._send(method, path, payload, dict(self._headers))
        if reply.status >= 400:
            raise SyncHttpError(reply.status, reply.body)
        return reply.body

    def handshake(self, hello: Hello, own_seq: int = 0) -> HubInfo:
        body = self._call(
            "POST",
            "/api/v1/sync/handshake",
            {
                "origin_id": hello.origin_id,
                "schema_version": hello.schema_version,
                "clock": hello.clock_ms,
                "have": hello.have_vector,
                "own_seq": own_seq,
                "access_epoch": self.access_epoch,
            },
        )
        self.last_handshake = body
        self.access_epoch = body.get("access_epoch")
        return HubInfo(
            hub_id=body["hub_id"],
            hub_seq=body["hub_seq"],
            schema_version=body["schema_version"],
            clock_ms=body["clock"],
        )

    def push(self, changes: Sequence[Change]) -> list[PushResult]:
        body = self._call("POST", "/api/v1/sync/push", {"changes": [c.to_dict() for c in changes]})
        return [
            PushResult(r.get("op_id") or "", r["status"], r.get("reason", ""))
            for r in body["results"]
        ]

    def pull(self, since: int, limit: int, ack: int | None = None) -> PullPage:
        return self._page(self._call("GET", pull_path(since, limit, ack)))

    def _page(self, body: Any) -> PullPage:
        return PullPage(
            changes=[Change.from_dict(c) for c in body["changes"]],
            hub_seq=body["hub_seq"],
            more=body["more"],
            forget=list(body.get("forget", [])),
        )

    def pull_ahead(self, since: int, limit: int, ack: int | None) -> Callable[[], FetchedPage]:
        """Start the request in a thread; waiting gives the page as it arrived, whose
        changes are rebuilt and hash-checked by `check()` in the caller's thread. The
        thread only waits on the network (and inflates and parses), so the hub works on
        the next page while the caller checks and stores this one."""
        fetched = Ahead(lambda: self._call("GET", pull_path(since, limit, ack)))

        def arrived() -> FetchedPage:
            body = fetched()
            return FetchedPage(int(body["hub_seq"]), bool(body["more"]), lambda: self._page(body))

        return arrived

    def missing(self, have_vector: Mapping[str, int]) -> list[Change]:
        out: list[Change] = []
        while True:
            body = self._call(
                "POST", "/api/v1/sync/missing", {"have": dict(have_vector), "limit": 2000}
            )
            out += [Change.from_dict(c) for c in body["changes"]]
            if not body["more"]:
                return out
            have_vector = _advance(have_vector, out)


def _advance(have: Mapping[str, int], changes: Sequence[Change]) -> dict[str, int]:
    top = dict(have)
    for c in changes:
        top[c.origin_id] = max(top.get(c.origin_id, 0), c.origin_seq)
    return top

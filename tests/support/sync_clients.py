"""Devices that sync with the real Flask app through the HTTP transport of the app."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Callable
from typing import Any

from app.sync_transport import HttpReply, HttpTransport
from sync import Replica


def flask_sender(flask_client: Any):
    """A transport `send` over Flask's test client (the app's real views and JSON)."""

    def send(method: str, path: str, payload: Any, headers: dict[str, str]) -> HttpReply:
        kwargs: dict[str, Any] = {"headers": headers}
        if payload is not None:
            kwargs["data"] = json.dumps(payload, ensure_ascii=False)
            kwargs["content_type"] = "application/json"
        response = flask_client.open(path, method=method, **kwargs)
        body = response.get_json(silent=True)
        return HttpReply(response.status_code, body)

    return send


class Phone:
    """A field phone: a reference-client replica registered as a device of a user.

    By default it makes a fresh replica with a random origin id; pass ``replica`` (e.g.
    one from ``Replica.restore`` under a new origin id) to register that one instead, or
    ``origin_id``/``clock``/``new_id`` for deterministic ids and a controllable clock.
    """

    _clock = itertools.count(1_800_000_000_000, 997)

    def __init__(
        self,
        api_client: Any,
        flask_client: Any,
        name: str = "phone",
        *,
        replica: Replica | None = None,
        origin_id: str | None = None,
        clock: Callable[[], int] | None = None,
        new_id: Callable[[], str] | None = None,
    ) -> None:
        user_id = api_client.user["id"]
        self.api = api_client
        self.replica = replica or Replica(
            origin_id or f"dev-{uuid.uuid4()}",
            user_id,
            clock=clock or (lambda: next(Phone._clock)),
            new_id=new_id or (lambda: str(uuid.uuid4())),
        )
        r = api_client.post(
            "/api/v1/devices",
            json={"name": name, "origin_id": self.replica.origin_id, "public_key": "test-key"},
        )
        assert r.status_code == 201, r.get_json()
        self.device = r.get_json()["device"]
        self.token = r.get_json()["token"]
        self.transport = HttpTransport(flask_sender(flask_client), self.token)

    @property
    def own_seq(self) -> int:
        """The highest origin_seq this phone has written."""
        return self.replica.next_seq - 1

    def sync(self, page_size: int = 500) -> Any:
        return self.replica.sync(self.transport, "hub", page_size)

    def report(self) -> Any:
        """A handshake that tells the hub how far this phone's own log goes (the monitor
        compares it with what the hub holds)."""
        return self.transport.handshake(self.replica.hello(), own_seq=self.own_seq)

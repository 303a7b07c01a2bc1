"""This hub's keys: Ed25519 to sign, X25519 (hubs) and P-256 (browsers) to receive.

Made with `cryptography` at first start and kept in the data folder, readable by the
hub's user only (0600). The public half travels in handshake answers, bundle manifests
and `GET /api/v1/hub`; people compare its fingerprint out of band (`tawthiq hub id`)
and peers pin it: a hub that answers with other keys is refused.

The fingerprint is the sha256 of the three public keys (raw Ed25519, raw X25519, SEC1
uncompressed P-256) joined by "|" after their base64url forms, shown as groups of four
hex digits; it covers every key a peer or a courier relies on.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, x25519

FILES = {
    "signing": "hub_ed25519.pem",
    "x25519": "hub_x25519.pem",
    "p256": "hub_p256.pem",
}
_LOCK = threading.Lock()
_CACHE: dict[Path, HubKeys] = {}


def b64u(data: bytes) -> str:
    """base64url without padding (how keys and signatures travel in JSON)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text: str) -> bytes:
    """The inverse of b64u (padding optional)."""
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def fingerprint_of(public: dict[str, str]) -> str:
    """The fingerprint of a public key set {signing, x25519, p256} (base64url each)."""
    joined = "|".join(public.get(k, "") for k in ("signing", "x25519", "p256"))
    digest = hashlib.sha256(joined.encode()).hexdigest()[:32].upper()
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


def normalise_fingerprint(text: str) -> str:
    """Compare fingerprints ignoring spaces, colons and case."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def p256_jwk(raw: bytes) -> dict[str, str]:
    """The JWK of an uncompressed P-256 public point (what WebCrypto imports)."""
    return {"kty": "EC", "crv": "P-256", "x": b64u(raw[1:33]), "y": b64u(raw[33:65])}


@dataclass
class HubKeys:
    """The private keys of this hub and their public forms."""

    signing: ed25519.Ed25519PrivateKey
    x25519: x25519.X25519PrivateKey
    p256: ec.EllipticCurvePrivateKey

    @property
    def public(self) -> dict[str, str]:
        raw = serialization.Encoding.Raw, serialization.PublicFormat.Raw
        point = serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        return {
            "signing": b64u(self.signing.public_key().public_bytes(*raw)),
            "x25519": b64u(self.x25519.public_key().public_bytes(*raw)),
            "p256": b64u(self.p256.public_key().public_bytes(*point)),
        }

    @property
    def fingerprint(self) -> str:
        return fingerprint_of(self.public)

    def sign(self, data: bytes) -> str:
        return b64u(self.signing.sign(data))


def verify(public_signing: str, signature: str, data: bytes) -> bool:
    """Check an Ed25519 signature made by the holder of `public_signing`."""
    try:
        key = ed25519.Ed25519PublicKey.from_public_bytes(unb64u(public_signing))
        key.verify(unb64u(signature), data)
    except (InvalidSignature, ValueError):
        return False
    return True


def _write_private(path: Path, pem: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)


def _load_or_make(path: Path, make: Any) -> Any:
    if not path.exists():
        key = make()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # Another process on the same data folder may have made it first: use theirs.
        with contextlib.suppress(FileExistsError):
            _write_private(path, pem)
    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def load(data_dir: Path) -> HubKeys:
    """This hub's keys, made on first use (0600 files in the data folder)."""
    data_dir = Path(data_dir)
    with _LOCK:
        if data_dir in _CACHE:
            return _CACHE[data_dir]
        data_dir.mkdir(parents=True, exist_ok=True)
        keys = HubKeys(
            signing=_load_or_make(data_dir / FILES["signing"], ed25519.Ed25519PrivateKey.generate),
            x25519=_load_or_make(data_dir / FILES["x25519"], x25519.X25519PrivateKey.generate),
            p256=_load_or_make(
                data_dir / FILES["p256"], lambda: ec.generate_private_key(ec.SECP256R1())
            ),
        )
        _CACHE[data_dir] = keys
        return keys


def current() -> HubKeys:
    """The keys of the app in the current Flask app context."""
    from flask import current_app

    return load(Path(current_app.config["DATA_DIR"]))


def hub_id() -> str:
    """This hub's id (its origin id), read without writing once it exists.

    `changelog.hub_identity()` inserts-if-absent, which is a write: on SQLite a read
    transaction that another writer (a device, the peer sync thread) has overtaken
    cannot become one, so readers here only write when the row is missing.
    """
    from app.database import begin_write
    from app.extensions import db
    from app.models import HubIdentity
    from app.services.changelog import hub_identity

    row = db.session.get(HubIdentity, 1)
    if row is None:
        begin_write()
        row = hub_identity()
        db.session.commit()
    return str(row.origin_id)

"""A browser's bundle, made with only what WebCrypto offers (docs/bundles.md):
ECDSA P-256 / SHA-256 signatures in raw r||s form, ECDH P-256 (deriveBits 256),
HKDF-SHA256 and AES-256-GCM with a 12-byte IV and a 16-byte tag. The archive is a
plain ustar file written by hand, as the browser would write it.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.services.hub_keys import b64u, unb64u

MAGIC = b"TAWTHIQ-BUNDLE/1\n"


def device_key() -> tuple[ec.EllipticCurvePrivateKey, str]:
    """A signing key and its public JWK as registered by POST /api/v1/devices."""
    key = ec.generate_private_key(ec.SECP256R1())
    numbers = key.public_key().public_numbers()
    jwk = {
        "kty": "EC",
        "crv": "P-256",
        "x": b64u(numbers.x.to_bytes(32, "big")),
        "y": b64u(numbers.y.to_bytes(32, "big")),
    }
    return key, json.dumps(jwk)


def _ustar(name: str, data: bytes) -> bytes:
    """One ustar member: a 512-byte header and the data padded to 512 bytes."""
    header = bytearray(512)
    header[0 : len(name)] = name.encode()
    header[100:108] = b"0000600\0"  # mode
    header[108:116] = b"0000000\0"  # uid
    header[116:124] = b"0000000\0"  # gid
    header[124:136] = f"{len(data):011o}\0".encode()  # size, octal
    header[136:148] = b"00000000000\0"  # mtime
    header[148:156] = b" " * 8  # checksum placeholder
    header[156:157] = b"0"  # regular file
    header[257:263] = b"ustar\0"
    header[263:265] = b"00"
    header[148:156] = f"{sum(header):06o}\0 ".encode()
    pad = (-len(data)) % 512
    return bytes(header) + data + b"\0" * pad


def make_bundle(
    changes: list[dict[str, Any]],
    *,
    device_id: str,
    origin_id: str,
    signing_key: ec.EllipticCurvePrivateKey,
    hub_id: str,
    hub_p256_jwk: dict[str, str],
    chunk: int = 64 * 1024,
) -> bytes:
    lines = b"".join(
        json.dumps(c, ensure_ascii=False, separators=(",", ":")).encode() + b"\n" for c in changes
    )
    seqs = [c["origin_seq"] for c in changes] or [0]
    manifest = {
        "format": "tawthiq-bundle",
        "version": 1,
        "bundle_id": b64u(os.urandom(16)),
        "created_at": "2026-11-26T12:00:00Z",
        "source": {"type": "device", "device_id": device_id, "origin_id": origin_id},
        "recipient": {"type": "hub", "hub_id": hub_id},
        "seq_range": {"after": min(seqs) - 1, "to": max(seqs)},
        "counts": {"changes": len(changes)},
        "files": {
            "changes.jsonl": {"sha256": hashlib.sha256(lines).hexdigest(), "bytes": len(lines)}
        },
    }
    manifest_bytes = json.dumps(manifest).encode()
    der = signing_key.sign(manifest_bytes, ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)  # WebCrypto gives r||s directly
    sig = json.dumps(
        {"alg": "ES256", "signature": b64u(r.to_bytes(32, "big") + s.to_bytes(32, "big"))}
    ).encode()
    plain = (
        _ustar("changes.jsonl", lines)
        + _ustar("manifest.json", manifest_bytes)
        + _ustar("manifest.sig", sig)
        + b"\0" * 1024
    )

    hub_point = (
        b"\x04"
        + unb64u(hub_p256_jwk["x"]).rjust(32, b"\0")
        + unb64u(hub_p256_jwk["y"]).rjust(32, b"\0")
    )
    hub_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), hub_point)
    eph = ec.generate_private_key(ec.SECP256R1())
    eph_raw = eph.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    shared = eph.exchange(ec.ECDH(), hub_key)  # deriveBits({name: "ECDH"}, 256)
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=eph_raw + hub_point, info=b"tawthiq-bundle/1"
    ).derive(shared)
    prefix = os.urandom(7)
    header = {
        "recipient": manifest["recipient"],
        "encryption": {
            "scheme": "p256-hkdf-sha256-aes256gcm",
            "ephemeral": b64u(eph_raw),
            "nonce_prefix": b64u(prefix),
        },
        "chunk_size": chunk,
    }
    head = MAGIC + json.dumps(header).encode() + b"\n"
    aad = hashlib.sha256(head).digest()
    out = bytearray(head)
    pieces = [plain[i : i + chunk] for i in range(0, len(plain), chunk)]
    for index, piece in enumerate(pieces):
        last = b"\x01" if index == len(pieces) - 1 else b"\x00"
        iv = prefix + struct.pack(">I", index) + last
        sealed = AESGCM(key).encrypt(iv, piece, aad)
        out += struct.pack(">I", len(sealed)) + sealed
    return bytes(out)

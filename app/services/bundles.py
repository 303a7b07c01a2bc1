"""USB bundles: signed, encrypted archives of changes for when no link gets through.

The format is in docs/bundles.md. In short: a magic line, a clear-text header line
(recipient and key-agreement parameters), then AES-256-GCM chunks whose plaintext is a
ustar archive of `changes.jsonl`, `manifest.json` (which hashes `changes.jsonl`) and
`manifest.sig` (Ed25519 for hubs, ECDSA P-256 for browsers, over `manifest.json`).

Import checks everything before touching the database — magic, addressing, every
chunk's tag, the end marker (truncation), the signature against the pinned key, the
hash and the counts — and only then applies the changes through the push path in
batches, as a relay under the sharing rule for the source peer (or as the device, for
a browser's bundle). Neither export nor import holds more than one chunk and one batch
of changes in memory, and no plaintext touches the disk.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import struct
import tarfile
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, x25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from app.database import begin_write
from app.db_types import utcnow
from app.extensions import db
from app.models import BundleRecord, ChangeRow, Device, Peer, User
from app.services import hub_keys, peer_rules, peer_serve, sync_push, sync_serve
from app.services.changelog import current_seq
from app.services.hub_keys import b64u, unb64u
from sync.canonical import canonical_bytes

MAGIC = b"TAWTHIQ-BUNDLE/1\n"
RECEIPT_FORMAT = "tawthiq-receipt"
INFO = b"tawthiq-bundle/1"
CHUNK = 256 * 1024
MAX_CHUNK = 16 * 1024 * 1024
BATCH = 500
SCRYPT = {"n": 2**15, "r": 8, "p": 1}
X25519_SCHEME = "x25519-hkdf-sha256-aes256gcm"
P256_SCHEME = "p256-hkdf-sha256-aes256gcm"
SCRYPT_SCHEME = "scrypt-aes256gcm"
FILES = ("changes.jsonl", "manifest.json", "manifest.sig")


class BundleRejected(Exception):
    """The bundle was refused whole; the message says why. Nothing was applied."""


# --- keys and chunks ----------------------------------------------------------------------


def _hkdf(shared: bytes, salt: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=INFO).derive(shared)


def _scrypt(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    if not (2**10 <= n <= 2**20 and 1 <= r <= 32 and 1 <= p <= 16):
        raise BundleRejected("Rejected: the bundle asks for unreasonable scrypt parameters.")
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode())


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    return prefix + struct.pack(">I", index) + (b"\x01" if last else b"\x00")


class _EncryptingWriter(io.RawIOBase):
    """A write-only stream that seals what is written into GCM chunks."""

    def __init__(self, out: IO[bytes], key: bytes, prefix: bytes, aad: bytes) -> None:
        self.out, self.aead, self.prefix, self.aad = out, AESGCM(key), prefix, aad
        self.buf = bytearray()
        self.index = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.buf += data
        while len(self.buf) > CHUNK:  # keep at least one byte for the last chunk
            self._seal(bytes(self.buf[:CHUNK]), last=False)
            del self.buf[:CHUNK]
        return len(data)

    def _seal(self, plain: bytes, last: bool) -> None:
        sealed = self.aead.encrypt(_nonce(self.prefix, self.index, last), plain, self.aad)
        self.out.write(struct.pack(">I", len(sealed)) + sealed)
        self.index += 1

    def finish(self) -> None:
        self._seal(bytes(self.buf), last=True)
        self.buf.clear()


class _DecryptingReader(io.RawIOBase):
    """A read-only stream of the plaintext; every chunk is authenticated before use."""

    def __init__(self, src: IO[bytes], key: bytes, prefix: bytes, aad: bytes) -> None:
        self.src, self.aead, self.prefix, self.aad = src, AESGCM(key), prefix, aad
        self.buf = b""
        self.index = 0
        self.done = False

    def readable(self) -> bool:
        return True

    def _next(self) -> None:
        head = self.src.read(4)
        if len(head) < 4:
            raise BundleRejected(
                "Rejected: the bundle is truncated (it ends before its last chunk)."
            )
        (size,) = struct.unpack(">I", head)
        if size < 16 or size > MAX_CHUNK:
            raise BundleRejected(f"Rejected: the bundle was altered (chunk {self.index} framing).")
        sealed = self.src.read(size)
        if len(sealed) < size:
            raise BundleRejected("Rejected: the bundle is truncated (a chunk is cut short).")
        for last in (False, True):
            try:
                plain = self.aead.decrypt(_nonce(self.prefix, self.index, last), sealed, self.aad)
            except InvalidTag:
                continue
            self.index += 1
            self.buf += plain
            if last:
                self.done = True
                if self.src.read(1):
                    raise BundleRejected(
                        "Rejected: the bundle was altered (data after its last chunk)."
                    )
            return
        if self.index == 0:
            raise BundleRejected(
                "Rejected: the bundle cannot be decrypted here (wrong passphrase or key), "
                "or its header was altered."
            )
        raise BundleRejected(
            f"Rejected: the bundle was altered (chunk {self.index} fails authentication)."
        )

    def read(self, n: int = -1) -> bytes:
        while (n < 0 or len(self.buf) < n) and not self.done:
            self._next()
        if n < 0:
            out, self.buf = self.buf, b""
        else:
            out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def readinto(self, b: Any) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)


# --- the header ---------------------------------------------------------------------------


def _header_for_hub(recipient_id: str, keys: dict[str, str]) -> tuple[dict[str, Any], bytes]:
    eph = x25519.X25519PrivateKey.generate()
    eph_pub = eph.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    their = unb64u(keys["x25519"])
    shared = eph.exchange(x25519.X25519PublicKey.from_public_bytes(their))
    header = {
        "recipient": {
            "type": "hub",
            "hub_id": recipient_id,
            "fingerprint": hub_keys.fingerprint_of(keys),
        },
        "encryption": {"scheme": X25519_SCHEME, "ephemeral": b64u(eph_pub)},
    }
    return header, _hkdf(shared, eph_pub + their)


def _header_for_passphrase(passphrase: str) -> tuple[dict[str, Any], bytes]:
    salt = os.urandom(16)
    header = {
        "recipient": {"type": "passphrase"},
        "encryption": {"scheme": SCRYPT_SCHEME, "salt": b64u(salt), **SCRYPT},
    }
    return header, _scrypt(passphrase, salt, **SCRYPT)


def _key_for(header: dict[str, Any], passphrase: str | None) -> bytes:
    """The content key of a bundle addressed to this hub (or by passphrase)."""
    enc = header.get("encryption") or {}
    scheme = enc.get("scheme")
    keys = hub_keys.current()
    try:
        if scheme == SCRYPT_SCHEME:
            if passphrase is None:
                raise BundleRejected(
                    "Rejected: this bundle is locked with a passphrase; give it with "
                    "--passphrase-env VAR."
                )
            return _scrypt(passphrase, unb64u(enc["salt"]), enc["n"], enc["r"], enc["p"])
        if scheme == X25519_SCHEME:
            eph = unb64u(enc["ephemeral"])
            mine = unb64u(keys.public["x25519"])
            shared = keys.x25519.exchange(x25519.X25519PublicKey.from_public_bytes(eph))
            return _hkdf(shared, eph + mine)
        if scheme == P256_SCHEME:
            eph = unb64u(enc["ephemeral"])
            mine = unb64u(keys.public["p256"])
            point = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), eph)
            shared = keys.p256.exchange(ec.ECDH(), point)
            return _hkdf(shared, eph + mine)
    except (KeyError, ValueError, TypeError) as exc:
        raise BundleRejected("Rejected: the bundle header was altered (bad key fields).") from exc
    raise BundleRejected(f"Rejected: unknown encryption scheme {scheme!r}.")


def _write_header(out: IO[bytes], header: dict[str, Any]) -> bytes:
    line = json.dumps(header, separators=(",", ":"), sort_keys=True).encode() + b"\n"
    out.write(MAGIC + line)
    return hashlib.sha256(MAGIC + line).digest()


def _read_header(src: IO[bytes]) -> tuple[dict[str, Any], bytes]:
    magic = src.read(len(MAGIC))
    if magic != MAGIC:
        if len(magic) < len(MAGIC) and MAGIC.startswith(magic):
            raise BundleRejected("Rejected: the bundle is truncated (no header).")
        raise BundleRejected(
            "Rejected: this is not a Tawthiq bundle (or its first line was altered)."
        )
    line = src.readline(64 * 1024)
    if not line.endswith(b"\n"):
        raise BundleRejected("Rejected: the bundle is truncated or altered (header line).")
    try:
        header = json.loads(line)
        assert isinstance(header, dict)
    except (ValueError, AssertionError) as exc:
        raise BundleRejected("Rejected: the bundle header was altered (not JSON).") from exc
    return header, hashlib.sha256(MAGIC + line).digest()


# --- export -------------------------------------------------------------------------------


@dataclass
class ExportResult:
    bundle_id: str
    changes: int
    seq_from: int
    seq_to: int
    recipient: str


def _pages(peer: Peer, since: int, until: int) -> Iterator[list[dict[str, Any]]]:
    """The changes `peer` may hold with since < hub_seq ≤ until, page by page."""
    principal = peer_rules.rule_principal(peer)
    cursor = since
    while cursor < until:
        page = sync_serve.pull(principal, None, cursor, 2000)
        batch = page["changes"]
        seqs = _seqs([c["op_id"] for c in batch])
        kept = [c for c in batch if seqs.get(c["op_id"], 0) <= until]
        if kept:
            yield kept
        if not page["more"] or any(s > until for s in seqs.values()):
            return
        cursor = page["hub_seq"]
    db.session.commit()


def _seqs(op_ids: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for i in range(0, len(op_ids), 500):
        out.update(
            db.session.execute(
                sa.select(ChangeRow.op_id, ChangeRow.hub_seq).where(
                    ChangeRow.op_id.in_(op_ids[i : i + 500])
                )
            ).all()
        )
    return out


def _line(change: dict[str, Any]) -> bytes:
    return json.dumps(change, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def _have_vector() -> dict[str, int]:
    origins = db.session.scalars(sa.select(ChangeRow.origin_id).distinct())
    return {o: sync_serve.contiguous_seq(o) for o in sorted(origins)}


def export_bundle(
    out_path: Path,
    peer_name: str,
    since: int | None = None,
    passphrase: str | None = None,
) -> ExportResult:
    """Write a bundle of what `peer_name` may hold after `since` (default: its checkpoint),
    encrypted to the peer's pinned key, or with a passphrase when one is given."""
    peer = peer_rules.find_peer(peer_name)
    if passphrase is None and not (peer.keys and peer.hub_id):
        raise BundleRejected(
            f"{peer_name}'s keys are not known here yet (sync once, or `peer add {peer_name} "
            "--keys FILE`); or lock the bundle with --passphrase-env VAR."
        )
    after = peer.push_seq if since is None else since
    until = current_seq()
    # Pass 1: count and hash (nothing written); pass 2 writes and checks it saw the same.
    digest, size, count, kinds = hashlib.sha256(), 0, 0, {}
    for page in _pages(peer, after, until):
        for change in page:
            data = _line(change)
            digest.update(data)
            size += len(data)
            count += 1
            kinds[change["kind"]] = kinds.get(change["kind"], 0) + 1
    ident = hub_keys.hub_id()
    keys = hub_keys.current()
    if passphrase is not None:
        header, key = _header_for_passphrase(passphrase)
    else:
        header, key = _header_for_hub(peer.hub_id or "", peer.keys or {})
    bundle_id = str(uuid.uuid4())
    manifest = {
        "format": "tawthiq-bundle",
        "version": 1,
        "bundle_id": bundle_id,
        "created_at": utcnow().isoformat(),
        "source": {
            "type": "hub",
            "hub_id": ident,
            "hub_keys": keys.public,
            "fingerprint": keys.fingerprint,
        },
        "recipient": header["recipient"],
        "peer": peer.name,
        "seq_range": {"after": after, "to": until},
        "have": _have_vector(),
        "counts": {"changes": count, "by_kind": kinds},
        "files": {"changes.jsonl": {"sha256": digest.hexdigest(), "bytes": size}},
    }
    manifest_bytes = json.dumps(manifest, ensure_ascii=False, indent=1).encode()
    signature = json.dumps({"alg": "Ed25519", "signature": keys.sign(manifest_bytes)}).encode()
    header["encryption"]["nonce_prefix"] = b64u(os.urandom(7))
    header["chunk_size"] = CHUNK
    out_path = Path(out_path)
    tmp = out_path.with_name(out_path.name + ".part")
    try:
        with tmp.open("wb") as out:
            aad = _write_header(out, header)
            writer = _EncryptingWriter(out, key, unb64u(header["encryption"]["nonce_prefix"]), aad)
            with tarfile.open(fileobj=writer, mode="w|", format=tarfile.USTAR_FORMAT) as tar:
                info = tarfile.TarInfo("changes.jsonl")
                info.size, info.mtime, info.mode = size, 0, 0o600
                check = hashlib.sha256()
                tar.addfile(info, _StreamOf(_pages(peer, after, until), check))
                if check.hexdigest() != digest.hexdigest():
                    raise BundleRejected(
                        "The change log changed during the export (a purge?); export again."
                    )
                for name, data in (("manifest.json", manifest_bytes), ("manifest.sig", signature)):
                    info = tarfile.TarInfo(name)
                    info.size, info.mtime, info.mode = len(data), 0, 0o600
                    tar.addfile(info, io.BytesIO(data))
            writer.finish()
        tmp.replace(out_path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    begin_write()
    db.session.add(
        BundleRecord(
            bundle_id=bundle_id,
            direction="export",
            peer_name=peer.name,
            source=ident,
            recipient=header["recipient"].get("hub_id") or "passphrase",
            seq_from=after,
            seq_to=until,
            changes=count,
        )
    )
    db.session.commit()
    return ExportResult(
        bundle_id, count, after, until, manifest["recipient"].get("hub_id", "passphrase")
    )


class _StreamOf(io.RawIOBase):
    """The JSON lines of a page iterator as a file, one page in memory at a time."""

    def __init__(self, pages: Iterator[list[dict[str, Any]]], digest: Any) -> None:
        self.pages, self.digest, self.buf = pages, digest, b""

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        while n < 0 or len(self.buf) < n:
            page = next(self.pages, None)
            if page is None:
                break
            data = b"".join(_line(c) for c in page)
            self.digest.update(data)
            self.buf += data
        if n < 0:
            out, self.buf = self.buf, b""
        else:
            out, self.buf = self.buf[:n], self.buf[n:]
        return out


# --- import -------------------------------------------------------------------------------


@dataclass
class Verified:
    header: dict[str, Any]
    manifest: dict[str, Any]
    key: bytes
    aad: bytes
    source_peer: Peer | None = None
    device: Device | None = None


@dataclass
class ImportResult:
    bundle_id: str
    source: str
    counts: dict[str, int] = field(default_factory=dict)
    repeated: bool = False
    receipt: dict[str, Any] = field(default_factory=dict)


def _open_plain(path: Path, header_key: tuple[bytes, bytes, bytes]) -> tuple[IO[bytes], Any]:
    key, prefix, aad = header_key
    src = path.open("rb")
    _read_header(src)
    return src, _DecryptingReader(src, key, prefix, aad)


def _members(reader: Any) -> Iterator[tuple[tarfile.TarInfo, Any]]:
    try:
        with tarfile.open(fileobj=reader, mode="r|") as tar:
            for member in tar:
                if not member.isfile() or member.name not in FILES:
                    raise BundleRejected(f"Rejected: unexpected member {member.name!r}.")
                yield member, tar.extractfile(member)
    except tarfile.TarError as exc:
        raise BundleRejected("Rejected: the bundle's archive is damaged.") from exc


def _device_key(device: Device) -> ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey:
    text = (device.public_key or "").strip()
    try:
        if text.startswith("{"):
            jwk = json.loads(text)
            if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
                raise ValueError("not a P-256 JWK")
            numbers = ec.EllipticCurvePublicNumbers(
                int.from_bytes(unb64u(jwk["x"]), "big"),
                int.from_bytes(unb64u(jwk["y"]), "big"),
                ec.SECP256R1(),
            )
            return numbers.public_key()
        key = serialization.load_pem_public_key(text.encode())
    except (ValueError, KeyError, TypeError) as exc:
        raise BundleRejected(
            "Rejected: the device's registered key cannot check signatures."
        ) from exc
    if not isinstance(key, ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey):
        raise BundleRejected("Rejected: the device's registered key cannot check signatures.")
    return key


def _check_signature(manifest_bytes: bytes, sig: dict[str, Any], manifest: dict[str, Any]) -> Any:
    """Verify the manifest's signature against the pinned peer or registered device key;
    returns the Peer or Device it came from."""
    source = manifest.get("source") or {}
    try:
        signature = unb64u(str(sig.get("signature") or ""))
    except ValueError as exc:
        raise BundleRejected("Rejected: the signature is malformed.") from exc
    if source.get("type") == "hub":
        hub_id = source.get("hub_id")
        peer = db.session.scalar(sa.select(Peer).where(Peer.hub_id == hub_id))
        if peer is None or not peer.fingerprint:
            raise BundleRejected(
                f"Rejected: signed by hub {hub_id}, which is not a known peer here "
                "(add it with `tawthiq peer add NAME --keys FILE` and its fingerprint)."
            )
        keys = source.get("hub_keys") or {}
        if (
            hub_keys.normalise_fingerprint(hub_keys.fingerprint_of(keys))
            != hub_keys.normalise_fingerprint(peer.fingerprint)
            or sig.get("alg") != "Ed25519"
        ):
            raise BundleRejected(
                f"Rejected: wrongly signed — the manifest's key is not the pinned key of "
                f"peer {peer.name} ({peer.fingerprint})."
            )
        if not hub_keys.verify(keys["signing"], b64u(signature), manifest_bytes):
            raise BundleRejected(
                f"Rejected: wrongly signed — the signature does not verify with the pinned "
                f"key of peer {peer.name}."
            )
        return peer
    if source.get("type") == "device":
        device = db.session.get(Device, str(source.get("device_id") or ""))
        if device is None or device.origin_id != source.get("origin_id"):
            raise BundleRejected("Rejected: signed by a device this hub does not know.")
        if device.revoked_at is not None:
            raise BundleRejected("Rejected: the device that signed it was revoked.")
        key = _device_key(device)
        try:
            if isinstance(key, ed25519.Ed25519PublicKey):
                key.verify(signature, manifest_bytes)
            else:
                if len(signature) != 64:
                    raise InvalidSignature
                der = encode_dss_signature(
                    int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
                )
                key.verify(der, manifest_bytes, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature as exc:
            raise BundleRejected(
                "Rejected: wrongly signed — the signature does not verify with the "
                "device's registered key."
            ) from exc
        return device
    raise BundleRejected("Rejected: the manifest names no source hub or device.")


def verify_bundle(path: Path, passphrase: str | None = None) -> Verified:
    """Every check, reading the bundle once; raises BundleRejected, changes nothing."""
    ident = hub_keys.hub_id()
    db.session.commit()
    with path.open("rb") as src:
        header, aad = _read_header(src)
    recipient = header.get("recipient") or {}
    if recipient.get("type") == "hub" and recipient.get("hub_id") != ident:
        raise BundleRejected(
            f"Rejected: wrongly addressed — the bundle is for hub {recipient.get('hub_id')}, "
            f"and this is hub {ident}."
        )
    if recipient.get("type") not in ("hub", "passphrase"):
        raise BundleRejected("Rejected: the bundle header names no recipient.")
    key = _key_for(header, passphrase)
    try:
        prefix = unb64u(header["encryption"]["nonce_prefix"])
        assert len(prefix) == 7
    except (KeyError, ValueError, AssertionError) as exc:
        raise BundleRejected("Rejected: the bundle header was altered (nonce).") from exc
    found: dict[str, Any] = {}
    src, reader = _open_plain(path, (key, prefix, aad))
    with src:
        for member, fh in _members(reader):
            if member.name in found:
                raise BundleRejected(f"Rejected: {member.name} appears twice.")
            if member.name == "changes.jsonl":
                digest, lines = hashlib.sha256(), 0
                while chunk := fh.read(CHUNK):
                    digest.update(chunk)
                    lines += chunk.count(b"\n")
                found[member.name] = (digest.hexdigest(), member.size, lines)
            else:
                if member.size > 1024 * 1024:
                    raise BundleRejected(f"Rejected: {member.name} is too large.")
                found[member.name] = fh.read()
        reader.read()  # the rest, to reach (and authenticate) the last chunk
    missing = [n for n in FILES if n not in found]
    if missing:
        raise BundleRejected(f"Rejected: the bundle lacks {', '.join(missing)}.")
    try:
        manifest = json.loads(found["manifest.json"])
        sig = json.loads(found["manifest.sig"])
    except ValueError as exc:
        raise BundleRejected("Rejected: the manifest or signature is not JSON.") from exc
    origin = _check_signature(found["manifest.json"], sig, manifest)
    if manifest.get("recipient") != recipient:
        raise BundleRejected(
            "Rejected: wrongly addressed — the signed manifest names another recipient "
            "than the bundle's header."
        )
    expected = (manifest.get("files") or {}).get("changes.jsonl") or {}
    got_hash, got_size, got_lines = found["changes.jsonl"]
    if expected.get("sha256") != got_hash or expected.get("bytes") != got_size:
        raise BundleRejected(
            "Rejected: altered — changes.jsonl does not match the manifest's hash."
        )
    if (manifest.get("counts") or {}).get("changes") != got_lines:
        raise BundleRejected("Rejected: altered — the number of changes is not the manifest's.")
    verified = Verified(header, manifest, key, aad)
    if isinstance(origin, Peer):
        verified.source_peer = origin
    else:
        verified.device = origin
    return verified


def _changes(path: Path, v: Verified) -> Iterator[list[dict[str, Any]]]:
    prefix = unb64u(v.header["encryption"]["nonce_prefix"])
    src, reader = _open_plain(path, (v.key, prefix, v.aad))
    with src:
        for member, fh in _members(reader):
            if member.name != "changes.jsonl":
                continue
            batch: list[dict[str, Any]] = []
            for raw in iter(fh.readline, b""):
                try:
                    batch.append(json.loads(raw))
                except ValueError:
                    batch.append({"unreadable": raw[:200].decode("utf-8", "replace")})
                if len(batch) >= BATCH:
                    yield batch
                    batch = []
            if batch:
                yield batch
        reader.read()


def import_bundle(path: Path, passphrase: str | None = None) -> ImportResult:
    """Verify, then apply a bundle; a repeat applies nothing new. Returns the receipt."""
    path = Path(path)
    private = Path(tempfile.mkdtemp(prefix="tawthiq-bundle-"))
    try:
        # Read from a private copy, so the file cannot change between checking and applying.
        copy = private / "bundle"
        shutil.copyfile(path, copy)
        verified = verify_bundle(copy, passphrase)
        return _apply(copy, verified)
    finally:
        shutil.rmtree(private, ignore_errors=True)


def import_device_bundle(stream: IO[bytes], user: User, device: Device) -> ImportResult:
    """`POST /api/v1/bundles`: a browser's bundle, signed by the calling device."""
    private = Path(tempfile.mkdtemp(prefix="tawthiq-bundle-"))
    try:
        copy = private / "bundle"
        with copy.open("wb") as out:
            shutil.copyfileobj(stream, out)
        verified = verify_bundle(copy)
        if verified.device is None or verified.device.id != device.id:
            raise BundleRejected("Rejected: this bundle was not signed by the calling device.")
        return _apply(copy, verified)
    finally:
        shutil.rmtree(private, ignore_errors=True)


def _apply(path: Path, v: Verified) -> ImportResult:
    manifest = v.manifest
    bundle_id = str(manifest.get("bundle_id") or "")
    counts = {"accepted": 0, "duplicate": 0, "parked": 0, "id_collision": 0}
    earlier = db.session.scalar(
        sa.select(BundleRecord).where(
            BundleRecord.bundle_id == bundle_id, BundleRecord.direction == "import"
        )
    )
    peer_id = v.source_peer.id if v.source_peer is not None else None
    for batch in _changes(path, v):
        if v.source_peer is not None:
            peer = db.session.get(Peer, peer_id)
            assert peer is not None
            results = peer_serve.apply_from_peer(peer, batch, f"bundle:{peer.id}")
        else:
            assert v.device is not None
            device = db.session.get(Device, v.device.id)
            assert device is not None
            user = db.session.get(User, device.user_id)
            if user is None or user.disabled:
                raise BundleRejected("Rejected: the device's user is disabled.")
            results = sync_push.push(user, device, batch, via=f"bundle:device:{device.id}")
        for r in results:
            counts[r["status"]] = counts.get(r["status"], 0) + 1
    source = manifest["source"]
    source_id = source.get("hub_id") or source.get("device_id") or ""
    begin_write()
    if earlier is None:
        seq = manifest.get("seq_range") or {}
        db.session.add(
            BundleRecord(
                bundle_id=bundle_id,
                direction="import",
                peer_name=v.source_peer.name if v.source_peer is not None else "",
                source=source_id,
                recipient=(manifest.get("recipient") or {}).get("hub_id") or "passphrase",
                seq_from=int(seq.get("after") or 0),
                seq_to=int(seq.get("to") or 0),
                changes=sum(counts.values()),
                accepted=counts["accepted"],
                duplicate=counts["duplicate"],
                parked=counts["parked"],
            )
        )
    db.session.commit()
    receipt = make_receipt(manifest, counts)
    return ImportResult(bundle_id, source_id, counts, earlier is not None, receipt)


# --- receipts -----------------------------------------------------------------------------


def make_receipt(manifest: dict[str, Any], counts: dict[str, int]) -> dict[str, Any]:
    """A signed note of what this hub took from a bundle, for the courier to carry back."""
    keys = hub_keys.current()
    origins = sorted({*(manifest.get("have") or {})})
    body = {
        "format": RECEIPT_FORMAT,
        "version": 1,
        "bundle_id": manifest.get("bundle_id"),
        "source": (manifest.get("source") or {}).get("hub_id")
        or (manifest.get("source") or {}).get("device_id"),
        "seq_range": manifest.get("seq_range"),
        "receiver": {
            "hub_id": hub_keys.hub_id(),
            "hub_keys": keys.public,
            "fingerprint": keys.fingerprint,
        },
        "received_at": utcnow().isoformat(),
        "counts": counts,
        "have": {o: sync_serve.contiguous_seq(o) for o in origins},
    }
    db.session.commit()
    return {"receipt": body, "alg": "Ed25519", "signature": keys.sign(canonical_bytes(body))}


def apply_receipt(doc: dict[str, Any]) -> tuple[Peer, BundleRecord, bool]:
    """At the source: check a receipt against the pinned peer; advance its checkpoint
    when the bundle continued it (returns whether it did)."""
    body = doc.get("receipt") or {}
    receiver = body.get("receiver") or {}
    peer = db.session.scalar(sa.select(Peer).where(Peer.hub_id == receiver.get("hub_id")))
    if peer is None or not peer.fingerprint:
        raise BundleRejected(
            f"Rejected: the receipt is from hub {receiver.get('hub_id')}, not a known peer."
        )
    keys = receiver.get("hub_keys") or {}
    if hub_keys.normalise_fingerprint(hub_keys.fingerprint_of(keys)) != (
        hub_keys.normalise_fingerprint(peer.fingerprint)
    ) or not hub_keys.verify(
        keys.get("signing", ""), str(doc.get("signature") or ""), canonical_bytes(body)
    ):
        raise BundleRejected(
            f"Rejected: the receipt is not signed by peer {peer.name}'s pinned key."
        )
    row = db.session.scalar(
        sa.select(BundleRecord).where(
            BundleRecord.bundle_id == body.get("bundle_id"), BundleRecord.direction == "export"
        )
    )
    if row is None or body.get("source") != hub_keys.hub_id():
        raise BundleRejected("Rejected: the receipt is for a bundle this hub did not write.")
    begin_write()
    peer = db.session.get(Peer, peer.id)  # type: ignore[assignment]
    row = db.session.get(BundleRecord, row.id)  # type: ignore[assignment]
    assert peer is not None and row is not None
    counts = body.get("counts") or {}
    row.receipt_at = row.receipt_at or utcnow()
    row.accepted = int(counts.get("accepted") or 0)
    row.duplicate = int(counts.get("duplicate") or 0)
    row.parked = int(counts.get("parked") or 0)
    advanced = row.seq_from <= peer.push_seq < row.seq_to
    if advanced:
        peer.push_seq = row.seq_to
    db.session.commit()
    return peer, row, advanced

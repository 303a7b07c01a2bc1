"""This hub's own certificate authority and the server certificate it issues.

Phones on the hub's local network reach it at a LAN address or a local name, for which
no public authority will ever issue a certificate. So each hub makes its own authority
once (`tawthiq hub setup`), people install that authority's certificate on their phones
(from `http://ADDRESS/trust`, checking its fingerprint), and the hub serves HTTPS with a
server certificate the authority signed.

Files, in `DATA_DIR/tls/` (private keys 0600, like the hub keys):

- `ca.key` / `ca.pem`   the authority (EC P-256, 10 years). Never leaves the laptop.
- `key.pem` / `cert.pem` the server certificate (EC P-256, 397 days), its chain
  (leaf then authority) in `cert.pem`, for the TLS front.
- `hub.json` the name and addresses the server certificate was issued for.

The authority is **name-constrained** (X.509 NameConstraints, critical): it can vouch
only for the hub's DNS name, `localhost` and private or loopback addresses, never for a
public site or a public address, so a stolen authority key cannot be used against the
phones' ordinary web browsing. Chromium's verifier and OpenSSL honour the constraints
(tested); see docs/deploy.md for what remains.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import ipaddress
import json
import os
import re
import socket
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

TLS_DIR = "tls"
CA_KEY, CA_CERT = "ca.key", "ca.pem"
LEAF_KEY, LEAF_CERT = "key.pem", "cert.pem"
HUB_FILE = "hub.json"
CADDYFILE = "Caddyfile"
DEFAULT_NAME = "hub.local"
CA_DAYS = 3650
# Browsers refuse server certificates valid for longer than 398 days.
LEAF_DAYS = 397

# The addresses the authority may ever vouch for: loopback and private ranges.
PERMITTED_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "127.0.0.0/8",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "169.254.0.0/16",
        "100.64.0.0/10",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
    )
)


class TlsError(Exception):
    """Something the person at the keyboard must fix (a bad name or address)."""


def tls_dir(data_dir: Path) -> Path:
    return Path(data_dir) / TLS_DIR


@dataclass
class HubTls:
    """Paths and facts of one hub's TLS material."""

    directory: Path
    name: str
    addresses: list[str] = field(default_factory=list)

    @property
    def ca_cert_path(self) -> Path:
        return self.directory / CA_CERT

    @property
    def cert_path(self) -> Path:
        return self.directory / LEAF_CERT

    @property
    def key_path(self) -> Path:
        return self.directory / LEAF_KEY

    @property
    def caddyfile_path(self) -> Path:
        return self.directory / CADDYFILE


# --- small helpers ------------------------------------------------------------------------


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _write_private(path: Path, data: bytes) -> None:
    """Write a private key readable by this user only (0600), replacing any old file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def _write_public(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of the certificate (DER), as colon-separated hex: how phones show it."""
    digest = cert.fingerprint(hashes.SHA256()).hex().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def spki_sha256_b64(cert: x509.Certificate) -> str:
    """base64 SHA-256 of the SubjectPublicKeyInfo (Chromium's SPKI pin format)."""
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(spki).digest()).decode()


def load_cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(Path(path).read_bytes())


# --- names and addresses --------------------------------------------------------------------

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def check_name(name: str) -> str:
    """A DNS name for the hub (e.g. hub.local), lower-cased; refused if malformed."""
    name = name.strip().rstrip(".").lower()
    if not name or len(name) > 253 or not all(_LABEL.match(p) for p in name.split(".")):
        raise TlsError(f"Not a usable host name: {name!r}.")
    with contextlib.suppress(ValueError):
        ipaddress.ip_address(name)
        raise TlsError(f"{name} is an address: give it with --address.")
    return name


def check_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """A LAN address the hub is reached at; public addresses are refused (see module doc)."""
    try:
        addr = ipaddress.ip_address(text.strip())
    except ValueError as exc:
        raise TlsError(f"Not an IP address: {text!r}.") from exc
    if not any(addr in net for net in PERMITTED_NETWORKS):
        raise TlsError(
            f"{addr} is not a private or loopback address; this hub's authority only "
            "vouches for local addresses."
        )
    return addr


def detect_addresses() -> list[str]:
    """This machine's private IPv4 addresses (loopback excluded), best effort."""
    found: list[str] = []
    try:
        out = subprocess.run(
            ["ip", "-o", "-4", "addr", "show"],  # noqa: S607 - iproute2, read-only
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout
        found += re.findall(r"\binet (\d+\.\d+\.\d+\.\d+)/", out)
    except (OSError, subprocess.SubprocessError):
        pass
    # The address a packet to a private network would leave from (no packet is sent).
    for probe in ("192.168.255.255", "10.255.255.255"):
        with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect((probe, 9))
            found.append(s.getsockname()[0])
    with contextlib.suppress(OSError):
        found += [
            str(info[4][0])
            for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
        ]
    out_list: list[str] = []
    for text in found:
        addr = ipaddress.ip_address(text)
        if addr.is_loopback or not any(addr in n for n in PERMITTED_NETWORKS):
            continue
        if text not in out_list:
            out_list.append(text)
    return out_list


# --- the authority ------------------------------------------------------------------------------


def _name_constraints(name: str) -> x509.NameConstraints:
    permitted: list[x509.GeneralName] = [x509.DNSName(name), x509.DNSName("localhost")]
    permitted += [x509.IPAddress(net) for net in PERMITTED_NETWORKS]
    return x509.NameConstraints(permitted_subtrees=permitted, excluded_subtrees=None)


def _make_ca(directory: Path, name: str) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Tawthiq field hub"),
            # A random suffix: two hubs with the same name are still two authorities.
            x509.NameAttribute(NameOID.COMMON_NAME, f"Tawthiq hub {name} CA {os.urandom(4).hex()}"),
        ]
    )
    now = _now()
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(_name_constraints(name), critical=True)
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    _write_private(directory / CA_KEY, _key_pem(key))
    _write_public(directory / CA_CERT, cert.public_bytes(serialization.Encoding.PEM))
    return cert


def _load_ca(directory: Path) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = serialization.load_pem_private_key((directory / CA_KEY).read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):  # pragma: no cover - hand-edited
        raise TlsError("The authority's key is not an EC key.")
    return key, load_cert(directory / CA_CERT)


def _ca_permits(ca: x509.Certificate, name: str) -> bool:
    try:
        nc = ca.extensions.get_extension_for_class(x509.NameConstraints).value
    except x509.ExtensionNotFound:
        return True
    names = [g.value for g in nc.permitted_subtrees or [] if isinstance(g, x509.DNSName)]
    return any(name == n or name.endswith("." + n) for n in names)


# --- the server certificate ----------------------------------------------------------------------


def _issue_leaf(directory: Path, name: str, addresses: list[str]) -> x509.Certificate:
    ca_key, ca = _load_ca(directory)
    key = ec.generate_private_key(ec.SECP256R1())
    now = _now()
    ips = {ipaddress.ip_address(a) for a in addresses}
    ips |= {ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")}
    sans: list[x509.GeneralName] = [x509.DNSName(name), x509.DNSName("localhost")]
    sans += [x509.IPAddress(ip) for ip in sorted(ips, key=lambda i: (i.version, int(i)))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=LEAF_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    _write_private(directory / LEAF_KEY, _key_pem(key))
    chain = cert.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(
        serialization.Encoding.PEM
    )
    _write_public(directory / LEAF_CERT, chain)
    return cert


# --- what the CLI calls --------------------------------------------------------------------------


@dataclass
class SetupResult:
    hub: HubTls
    ca: x509.Certificate
    leaf: x509.Certificate
    ca_created: bool


def read_hub(data_dir: Path) -> HubTls | None:
    """The hub's TLS facts, or None when `hub setup` has not run."""
    directory = tls_dir(data_dir)
    path = directory / HUB_FILE
    if not path.exists() or not (directory / CA_CERT).exists():
        return None
    doc = json.loads(path.read_text("utf-8"))
    return HubTls(directory=directory, name=doc["name"], addresses=list(doc["addresses"]))


def setup(
    data_dir: Path,
    name: str | None,
    addresses: list[str],
    detect: bool = True,
    keep_previous: bool = True,
) -> SetupResult:
    """Create or reuse the authority and issue the server certificate for name + addresses.

    The addresses are those given, those detected (unless `detect` is off) and, unless
    `keep_previous` is off, those of the previous certificate: a phone that knows the hub
    by an old address keeps working when the laptop's address changes and setup runs again.
    """
    directory = tls_dir(data_dir)
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    previous = read_hub(data_dir)
    name = check_name(name or (previous.name if previous else DEFAULT_NAME))
    wanted = [str(check_address(a)) for a in addresses]
    if detect:
        wanted += detect_addresses()
    if keep_previous and previous is not None:
        wanted += previous.addresses
    unique = list(dict.fromkeys(wanted))
    created = False
    if (directory / CA_KEY).exists():
        _, ca = _load_ca(directory)
        if not _ca_permits(ca, name):
            raise TlsError(
                f"This hub's authority was made for another name and may not vouch for "
                f"{name}. Keep the old name, or move {directory} away to start a new "
                "authority (every phone must then trust the new one)."
            )
    else:
        ca = _make_ca(directory, name)
        created = True
    leaf = _issue_leaf(directory, name, unique)
    hub = HubTls(directory=directory, name=name, addresses=unique)
    _write_public(
        directory / HUB_FILE,
        json.dumps({"name": name, "addresses": unique}, indent=1).encode() + b"\n",
    )
    return SetupResult(hub=hub, ca=ca, leaf=leaf, ca_created=created)


def rotate(data_dir: Path) -> SetupResult:
    """A new server certificate (new key) from the same authority, same names."""
    hub = read_hub(data_dir)
    if hub is None:
        raise TlsError("No TLS set up for this hub yet: run `tawthiq hub setup` first.")
    _, ca = _load_ca(hub.directory)
    leaf = _issue_leaf(hub.directory, hub.name, hub.addresses)
    return SetupResult(hub=hub, ca=ca, leaf=leaf, ca_created=False)


def ca_der(data_dir: Path) -> bytes | None:
    """The authority's certificate (DER) for phones to install, or None if not set up."""
    path = tls_dir(data_dir) / CA_CERT
    if not path.exists():
        return None
    return load_cert(path).public_bytes(serialization.Encoding.DER)

"""The field hub over HTTPS on a local network (issue 12), end to end.

A real `tawthiq serve --tls` (waitress on loopback, caddy in front from the generated
Caddyfile on free high ports) reached by Debian's chromium at `https://hub.test:PORT`
(`--host-resolver-rules` maps the name to 127.0.0.1, so the origin is not localhost and
only a trusted certificate makes it a secure context).

Chromium trusts the hub's authority through its own mechanism: by default
`--ignore-certificate-errors-spki-list` with the base64 SHA-256 of the **authority's**
SubjectPublicKeyInfo (Chromium accepts the authority's or the leaf's; the authority's
is what a phone installs, and it survives `rotate-cert`); and, when `certutil` is
installed, an NSS database in the browser's HOME with the authority as a trusted root,
which is exactly how an installed authority is trusted, name constraints included.
Never by ignoring all certificate errors.

Without caddy or chromium these tests skip loudly; under CI=true they fail.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from browser.harness import CHROMIUM, CHROMIUM_ARGS, Device, Hub
from cryptography import x509
from support.server import ServerProcess, free_port

from app.tls import authority

pytestmark = pytest.mark.browser

NAME = "hub.test"
LAN = "192.168.1.10"


def need(tool: str, present: bool) -> None:
    if not present:
        message = f"{tool} is missing (`make system-deps`): field hub TLS tests NOT RUN"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        warnings.warn(message, stacklevel=2)
        pytest.skip(message)


@pytest.fixture(scope="module", autouse=True)
def tools() -> None:
    need("caddy", shutil.which("caddy") is not None)
    need("chromium", os.access(CHROMIUM, os.X_OK))


class TlsServer(ServerProcess):
    """`tawthiq serve --tls` on free ports; `url` is the HTTPS front (by address)."""

    def __init__(self, data_dir: Path) -> None:
        self.https_port, self.http_port = free_port(), free_port()
        super().__init__(
            data_dir,
            serve_args=(
                "--tls",
                "--https-port",
                str(self.https_port),
                "--http-port",
                str(self.http_port),
                "--bind",
                "127.0.0.1",
            ),
        )

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def browser_url(self) -> str:
        return f"https://{NAME}:{self.https_port}"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def ca(self) -> x509.Certificate:
        return authority.load_cert(self.data_dir / "tls" / "ca.pem")

    def answers(self) -> bool:
        """Whether the HTTPS front answers /healthz with the hub's certificate."""
        try:
            ca_file = str(self.data_dir / "tls" / "ca.pem")
            return bool(requests.get(f"{self.url}/healthz", verify=ca_file, timeout=2).ok)
        except requests.RequestException:
            return False

    def caddy_pid(self) -> int:
        m = re.search(r"caddy \(pid (\d+)\)", self.log_path.read_text())
        assert m, self.log_path.read_text()
        return int(m.group(1))


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purposes.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def launch(p: Any, *extra: str, env: dict[str, str] | None = None) -> Any:
    args = [*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {NAME} 127.0.0.1", *extra]
    return p.chromium.launch(executable_path=CHROMIUM, headless=True, args=args, env=env)


def refused(browser: Any, url: str) -> str:
    """The navigation error Chromium gives for url (asserting there is one)."""
    page = browser.new_page()
    try:
        page.goto(url)
    except Exception as exc:  # playwright's Error
        return str(exc)
    finally:
        page.close()
    raise AssertionError(f"{url} was accepted")


# --- the hub --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hub1(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Hub 1: set up, certificate rotated once, served with --tls; an admin session."""
    proc = TlsServer(tmp_path_factory.mktemp("hub1") / "data")
    proc.data_dir.mkdir(parents=True)
    made = proc.cli("hub", "setup", "--name", NAME, "--address", LAN, "--no-detect")
    assert made.returncode == 0, made.stderr
    proc.setup_output = made.stdout  # type: ignore[attr-defined]
    proc.first_leaf = authority.load_cert(proc.data_dir / "tls" / "cert.pem")  # type: ignore[attr-defined]
    rotated = proc.cli("hub", "rotate-cert")
    assert rotated.returncode == 0, rotated.stderr
    proc.rotate_output = rotated.stdout  # type: ignore[attr-defined]
    old = os.environ.get("REQUESTS_CA_BUNDLE")
    # The harness's API calls (requests) trust hub 1's authority, and only it.
    os.environ["REQUESTS_CA_BUNDLE"] = str(proc.data_dir / "tls" / "ca.pem")
    try:
        hub = Hub(proc)  # tawthiq setup, start (waits for HTTPS), admin login over HTTPS
        yield hub
        proc.stop()
    finally:
        if old is None:
            os.environ.pop("REQUESTS_CA_BUNDLE", None)
        else:
            os.environ["REQUESTS_CA_BUNDLE"] = old
        if proc.proc is not None and proc.proc.poll() is None:
            proc.kill()


@pytest.fixture(scope="module")
def pw() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def trusting(pw: Any, hub1: Hub) -> Iterator[Any]:
    """A chromium that trusts hub 1's authority (by its SPKI hash) and nothing more."""
    spki = authority.spki_sha256_b64(hub1.proc.ca)
    b = launch(pw, f"--ignore-certificate-errors-spki-list={spki}")
    yield b
    b.close()


# --- tests ------------------------------------------------------------------------------------


def test_setup_and_rotate_keep_the_authority(hub1: Hub) -> None:
    proc: Any = hub1.proc
    tls = proc.data_dir / "tls"
    for private in ("ca.key", "key.pem"):
        assert (tls / private).stat().st_mode & 0o777 == 0o600, private
    ca = proc.ca
    fp = authority.fingerprint(ca)
    assert fp in proc.setup_output and fp in proc.rotate_output
    leaf = authority.load_cert(tls / "cert.pem")
    assert leaf.serial_number != proc.first_leaf.serial_number
    assert leaf.public_key() != proc.first_leaf.public_key()
    assert leaf.issuer == ca.subject
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert NAME in sans.get_values_for_type(x509.DNSName)
    assert LAN in {str(a) for a in sans.get_values_for_type(x509.IPAddress)}
    caddyfile = (tls / "Caddyfile").read_text()
    assert f"tls {tls / 'cert.pem'} {tls / 'key.pem'}" in caddyfile
    assert "internal" not in caddyfile


def test_the_authority_is_name_constrained(hub1: Hub, tmp_path: Path) -> None:
    """It can vouch for the hub's name and local addresses, not for a public site."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.x509 import verification as v

    proc: Any = hub1.proc
    tls = proc.data_dir / "tls"
    ca = proc.ca
    nc = ca.extensions.get_extension_for_class(x509.NameConstraints)
    assert nc.critical
    store = v.Store([ca])
    leaf = authority.load_cert(tls / "cert.pem")
    v.PolicyBuilder().store(store).build_server_verifier(v.DNSName(NAME)).verify(leaf, [])
    # A certificate the authority's key signs for a bank is refused by a verifier.
    ca_key = serialization.load_pem_private_key((tls / "ca.key").read_bytes(), None)
    from cryptography.hazmat.primitives.asymmetric import ec

    forged_dir = tmp_path / "forged"
    forged_dir.mkdir()
    shutil.copy(tls / "ca.key", forged_dir / "ca.key")
    shutil.copy(tls / "ca.pem", forged_dir / "ca.pem")
    forged = authority._issue_leaf(forged_dir, "bank.example", [])
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    with pytest.raises(v.VerificationError):
        v.PolicyBuilder().store(store).build_server_verifier(v.DNSName("bank.example")).verify(
            forged, []
        )


def test_chromium_refuses_without_the_authority(pw: Any, hub1: Hub) -> None:
    b = launch(pw)
    try:
        assert "ERR_CERT_AUTHORITY_INVALID" in refused(b, f"{hub1.proc.browser_url}/")  # type: ignore[attr-defined]
    finally:
        b.close()


def test_offline_app_over_https(trusting: Any, hub1: Hub) -> None:
    """Secure context, service worker in control, offline after a reload, and a record
    made offline reaches the hub when the network returns."""
    proc: Any = hub1.proc
    user = hub1.user(hub1.team())
    phone = Device(trusting, SimpleNamespace(url=proc.browser_url), user)  # type: ignore[arg-type]
    try:
        phone.setup()  # log in, passphrase, service worker controls the page
        page = phone.page
        assert page.url.startswith(f"https://{NAME}:")
        assert phone.eval("() => isSecureContext && !!(crypto && crypto.subtle)")
        assert phone.eval("() => navigator.serviceWorker.controller.scriptURL").endswith("/sw.js")
        phone.context.set_offline(True)
        response = page.reload()
        assert response is not None and response.from_service_worker
        phone.unlock()
        phone.fill_form("casualty", {"full_name": "سامر الحمصي"})
        assert phone.status()["pending"] == 1
        on_device = phone.views()
        phone.context.set_offline(False)
        phone.wait_sent()
        on_hub = hub1.records(user)
        assert set(on_device) <= set(on_hub)
        for rid, view in on_device.items():
            assert on_hub[rid]["values"] == view["values"]
        # Secure cookie and HSTS over TLS.
        cookies = phone.context.cookies()
        assert cookies and all(c["secure"] for c in cookies)
        r = requests.get(f"{proc.url}/", timeout=10)
        assert r.headers["Strict-Transport-Security"].startswith("max-age=")
        phone.close()
    finally:
        phone.context.close()


def test_plain_http_serves_only_the_trust_page(trusting: Any, hub1: Hub) -> None:
    proc: Any = hub1.proc
    host = {"Host": f"{LAN}:{proc.http_port}"}  # as a phone on the LAN would ask
    page = requests.get(f"{proc.http_url}/trust", headers=host, timeout=10)
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    fp = authority.fingerprint(proc.ca)
    assert fp in page.text
    assert "أندرويد" in page.text and "Android" in page.text
    assert f"https://{LAN}:{proc.https_port}/" in page.text
    crt = requests.get(f"{proc.http_url}/trust/ca.crt", headers=host, timeout=10)
    assert crt.headers["Content-Type"] == "application/x-x509-ca-cert"
    assert x509.load_der_x509_certificate(crt.content) == proc.ca
    for which in ("app", "ca"):
        qr = requests.get(f"{proc.http_url}/trust/qr/{which}.svg", headers=host, timeout=10)
        assert qr.status_code == 200 and qr.headers["Content-Type"].startswith("image/svg+xml")
        assert qr.content.lstrip().startswith(b"<svg")

    for method, path in [
        ("GET", "/"),
        ("GET", "/sw.js"),
        ("GET", "/static/app.css"),
        ("GET", "/healthz"),
        ("GET", "/api/v1/hub"),
        ("GET", "/api/v1/openapi.json"),
        ("POST", "/api/v1/session"),
        ("POST", "/trust"),
        ("GET", "/trustfoo"),
    ]:
        r = requests.request(
            method,
            f"{proc.http_url}{path}",
            headers=host,
            json={"username": "x", "password": "y"} if method == "POST" else None,
            allow_redirects=False,
            timeout=10,
        )
        assert r.status_code == 308, (method, path, r.status_code)
        assert r.headers["Location"] == f"https://{LAN}:{proc.https_port}{path}"
        assert r.content == b"", (method, path)  # an answer never crosses plain HTTP

    # In the browser: the trust page renders (QR codes load under the CSP), and the API
    # over plain HTTP ends on HTTPS.
    ctx = trusting.new_context()
    try:
        tab = ctx.new_page()
        csp: list[str] = []
        tab.on("console", lambda m: csp.append(m.text) if "Content Security" in m.text else None)
        tab.goto(f"http://{NAME}:{proc.http_port}/trust")
        assert tab.inner_text("#fingerprint") == fp
        tab.wait_for_function(
            "() => [...document.images].every((i) => i.complete && i.naturalWidth > 0)"
        )
        assert not csp, csp
        tab.goto(f"http://{NAME}:{proc.http_port}/api/v1/openapi.json")
        assert tab.url.startswith(f"https://{NAME}:{proc.https_port}/api/v1/openapi.json")
    finally:
        ctx.close()


def test_second_hub_is_another_authority(pw: Any, trusting: Any, hub1: Hub, tmp_path: Path) -> None:
    """Hub 2 (same name!) has its own authority: a browser trusting hub 1 refuses it. And
    SIGTERM stops its waitress and its caddy."""
    hub2 = TlsServer(tmp_path / "hub2")
    hub2.data_dir.mkdir(parents=True)
    made = hub2.cli("hub", "setup", "--name", NAME, "--address", LAN, "--no-detect")
    assert made.returncode == 0, made.stderr
    ca1, ca2 = hub1.proc.ca, hub2.ca  # type: ignore[attr-defined]
    assert authority.fingerprint(ca1) != authority.fingerprint(ca2)
    assert ca1.public_key() != ca2.public_key()
    assert ca1.subject != ca2.subject
    hub2.start()
    try:
        error = refused(trusting, f"{hub2.browser_url}/")
        assert "ERR_CERT_AUTHORITY_INVALID" in error, error
        # The same with OpenSSL: hub 1's authority does not vouch for hub 2.
        context = ssl.create_default_context(cafile=str(hub1.proc.data_dir / "tls" / "ca.pem"))  # type: ignore[attr-defined]
        with (
            pytest.raises(ssl.SSLCertVerificationError),
            socket.create_connection(("127.0.0.1", hub2.https_port), timeout=5) as raw,
        ):
            context.wrap_socket(raw, server_hostname=NAME)
        caddy_pid = hub2.caddy_pid()
        assert alive(caddy_pid)
    finally:
        assert hub2.proc is not None
        hub2.proc.send_signal(signal.SIGTERM)
        assert hub2.proc.wait(15) == 0, hub2.log_path.read_text()
    deadline = time.monotonic() + 5
    while alive(caddy_pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(caddy_pid), "caddy outlived serve --tls"


def test_nss_trusted_authority(pw: Any, hub1: Hub, tmp_path: Path) -> None:
    """The authority installed as a root (NSS, as on a laptop): the name-constrained
    authority is accepted for hub.test, with no flag that skips verification."""
    certutil = shutil.which("certutil")
    if certutil is None:
        # The SPKI tests above already prove acceptance; this one proves real trust.
        warnings.warn("certutil (libnss3-tools) missing: NSS trust test NOT RUN", stacklevel=1)
        pytest.skip("certutil (libnss3-tools) missing")
    home = tmp_path / "home"
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    subprocess.run(
        [certutil, "-N", "-d", f"sql:{nssdb}", "--empty-password"], check=True, timeout=30
    )
    ca_file = hub1.proc.data_dir / "tls" / "ca.pem"  # type: ignore[attr-defined]
    subprocess.run(
        [certutil, "-A", "-d", f"sql:{nssdb}", "-n", "tawthiq-hub", "-t", "C,,", "-i", ca_file],
        check=True,
        timeout=30,
    )
    b = launch(pw, env={**os.environ, "HOME": str(home)})
    try:
        page = b.new_page()
        page.goto(f"{hub1.proc.browser_url}/")  # type: ignore[attr-defined]
        assert page.evaluate("() => isSecureContext")
    finally:
        b.close()


def test_setup_refuses_what_the_authority_must_not_vouch_for(tmp_path: Path) -> None:
    """A public address is refused; a new name for an existing authority is refused."""
    with pytest.raises(authority.TlsError, match="private or loopback"):
        authority.setup(tmp_path, NAME, ["8.8.8.8"], detect=False)
    first = authority.setup(tmp_path, NAME, [LAN], detect=False)
    again = authority.setup(tmp_path, None, ["10.0.0.7"], detect=False)
    assert not again.ca_created and again.ca == first.ca
    assert again.hub.addresses == ["10.0.0.7", LAN]  # earlier addresses are kept
    with pytest.raises(authority.TlsError, match="another name"):
        authority.setup(tmp_path, "bank.example", [], detect=False)

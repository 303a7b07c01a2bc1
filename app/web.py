"""Serves the offline app's shell and service worker from the site root.

`/sw.js` is served with its precache list filled in: every shell file (the page, CSS,
modules, manifest, icons) and a version that is a hash of their contents, so changing
any shell file makes a new service worker version, which precaches the new shell and
drops the old cache when it activates. Test pages (`static/test/`) are not precached.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask import Blueprint, Response, abort, send_from_directory

from app.security.permissions import permission

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
# The part of the shell the service worker precaches, as globs under static/.
SHELL_GLOBS = (
    "app.css",
    "manifest.webmanifest",
    "icons/*.png",
    "js/**/*.js",
    "vendor/**/*.js",
    "vendor/**/*.css",
)
SHELL_PLACEHOLDER = "const SHELL = { version: 'dev', files: ['/'] };"

bp = Blueprint("web", __name__)


@bp.get("/")
@permission("public")
def index() -> Response:
    """The app shell (it logs in through the API)."""
    return _static("index.html")


def shell_manifest() -> dict[str, object]:
    """The precache list (URLs) and a version derived from the files' contents."""
    files = sorted({p for g in SHELL_GLOBS for p in STATIC_DIR.glob(g) if p.is_file()})
    digest = hashlib.sha256()
    urls = ["/"]
    digest.update((STATIC_DIR / "index.html").read_bytes())
    for path in files:
        rel = path.relative_to(STATIC_DIR).as_posix()
        urls.append(f"/static/{rel}")
        digest.update(rel.encode() + b"\0" + path.read_bytes())
    return {"version": digest.hexdigest()[:16], "files": urls}


@bp.get("/sw.js")
@permission("public")
def service_worker() -> Response:
    """The service worker, at the root so that its scope is the whole app."""
    source = (STATIC_DIR / "sw.js").read_text(encoding="utf-8")
    filled = f"const SHELL = {json.dumps(shell_manifest())};"
    if SHELL_PLACEHOLDER not in source:  # pragma: no cover - a broken edit of sw.js
        abort(500)
    response = Response(source.replace(SHELL_PLACEHOLDER, filled), mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/static/<path:filename>")
@permission("public")
def static_file(filename: str) -> Response:
    """The app's modules, styles, icons and vendored libraries."""
    return _static(filename)


def _static(filename: str) -> Response:
    if not (STATIC_DIR / filename).is_file():
        abort(404)
    response = send_from_directory(STATIC_DIR, filename)
    if filename.endswith(".webmanifest"):
        response.mimetype = "application/manifest+json"
    response.headers.setdefault("Cache-Control", "no-cache")
    return response


# --- the trust page: the only page a hub serves over plain HTTP ---------------------------
#
# Served by waitress like the rest; the TLS front (app/tls/caddy.py) lets plain HTTP reach
# `/trust` and `/trust/*` only. Everything the page needs (CSS, QR codes, the authority's
# certificate) is under /trust/, because /static is HTTPS-only.

CA_FILENAME = "tawthiq-hub-ca.crt"

TRUST_PAGE = """<!doctype html>
<html lang="ar" dir="rtl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>توثيق: الوثوق بهذا الخادم · Tawthiq: trust this hub</title>
<link rel="stylesheet" href="/trust/trust.css">
<link rel="icon" href="data:,">
</head>
<body>
<main>
<h1>توثيق · Tawthiq</h1>
<section class="fp" dir="ltr">
  <p><span lang="ar" dir="rtl">بصمة شهادة هذا الخادم (SHA-256):</span>
     <span lang="en">This hub's authority fingerprint (SHA-256):</span></p>
  <code id="fingerprint">{{ fingerprint }}</code>
  <p class="name">{{ subject }}</p>
</section>
<div class="qrs">
  <figure>
    <img src="/trust/qr/ca.svg" alt="QR: {{ ca_url }}" width="200" height="200">
    <figcaption>١. الشهادة · 1. Certificate<br><a href="{{ ca_url }}">{{ ca_url }}</a></figcaption>
  </figure>
  <figure>
    <img src="/trust/qr/app.svg" alt="QR: {{ app_url }}" width="200" height="200">
    <figcaption>٢. التطبيق · 2. The app<br><a href="{{ app_url }}">{{ app_url }}</a></figcaption>
  </figure>
</div>
<p class="download"><a id="download" href="/trust/ca.crt" download="{{ filename }}">
  تنزيل الشهادة · Download the certificate</a>
  (<a href="/trust/ca.pem">PEM</a>)</p>

<section lang="ar" dir="rtl">
<h2>أندرويد</h2>
<ol>
  <li>نزّل الشهادة من الزر أعلاه (أو امسح الرمز ١).</li>
  <li>افتح الإعدادات ← الأمان والخصوصية ← إعدادات أخرى ← التشفير وبيانات الاعتماد ←
      تثبيت شهادة ← <b>شهادة CA</b>، واختر الملف <code>{{ filename }}</code>.</li>
  <li>قارن البصمة المعروضة هنا بالبصمة التي يقرؤها لك مسؤول الخادم. إن اختلفت فلا تثبّتها.</li>
  <li>افتح <a href="{{ app_url }}">{{ app_url }}</a> (أو امسح الرمز ٢) في Chrome،
      ثم «تثبيت التطبيق».</li>
</ol>
<h2>متصفح حاسوب</h2>
<ol>
  <li>Chrome / Edge: الإعدادات ← الخصوصية والأمان ← الأمان ← إدارة الشهادات ←
      الجهات الموثوقة ← استيراد، واختر الملف وفعّل «الوثوق لتعريف المواقع».</li>
  <li>Firefox: الإعدادات ← الخصوصية والأمان ← الشهادات ← عرض الشهادات ← الهيئات ← استيراد.</li>
</ol>
<p class="warn">هذه الشهادة تخص هذا الخادم وحده، ولا تستطيع ضمان إلا اسمه وعناوين الشبكة المحلية.
  لإزالتها: الإعدادات ← التشفير وبيانات الاعتماد ← بيانات الاعتماد الموثوقة ← المستخدم ←
  اختر «{{ subject }}» ← إزالة.</p>
</section>

<section lang="en" dir="ltr">
<h2>Android</h2>
<ol>
  <li>Download the certificate with the button above (or scan code 1).</li>
  <li>Open Settings → Security &amp; privacy → More security settings → Encryption &amp;
      credentials → Install a certificate → <b>CA certificate</b>, and pick
      <code>{{ filename }}</code>.</li>
  <li>Compare the fingerprint shown here with the one the hub's administrator reads to you.
      If they differ, do not install it.</li>
  <li>Open <a href="{{ app_url }}">{{ app_url }}</a> (or scan code 2) in Chrome, then
      "Install app".</li>
</ol>
<h2>Laptop browser</h2>
<ol>
  <li>Chrome / Edge: Settings → Privacy and security → Security → Manage certificates →
      Trusted authorities (Authorities) → Import; tick "Trust this certificate for
      identifying websites".</li>
  <li>Firefox: Settings → Privacy &amp; Security → Certificates → View Certificates →
      Authorities → Import.</li>
</ol>
<p class="warn">This authority belongs to this hub only and can vouch only for its name
  and local-network addresses. To remove it: Settings → Encryption &amp; credentials →
  Trusted credentials → User → "{{ subject }}" → Remove.</p>
</section>
</main>
</body>
</html>
"""


def _trust_material() -> tuple[bytes, object]:
    from flask import current_app

    from app.tls import authority

    der = authority.ca_der(Path(current_app.config["DATA_DIR"]))
    if der is None:
        abort(404)
    from cryptography import x509

    return der, x509.load_der_x509_certificate(der)


def _trust_urls() -> tuple[str, str]:
    """(the CA download over plain HTTP, the app over HTTPS) at the host the phone used."""
    from flask import current_app, request

    host = request.host.rsplit(":", 1)[0] if not request.host.endswith("]") else request.host
    https_port = int(current_app.config.get("TLS_HTTPS_PORT", 443))
    http_port = int(current_app.config.get("TLS_HTTP_PORT", 80))
    https = "" if https_port == 443 else f":{https_port}"
    http = "" if http_port == 80 else f":{http_port}"
    return f"http://{host}{http}/trust/ca.crt", f"https://{host}{https}/"


@bp.get("/trust")
@permission("public")
def trust_page() -> Response:
    """How to trust this hub's authority, in Arabic and English, with its fingerprint."""
    from flask import render_template_string

    from app.tls import authority

    _, cert = _trust_material()
    ca_url, app_url = _trust_urls()
    subject = cert.subject.rfc4514_string()  # type: ignore[attr-defined]
    html = render_template_string(
        TRUST_PAGE,
        fingerprint=authority.fingerprint(cert),  # type: ignore[arg-type]
        subject=subject,
        ca_url=ca_url,
        app_url=app_url,
        filename=CA_FILENAME,
    )
    response = Response(html, mimetype="text/html")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/trust/<path:name>")
@permission("public")
def trust_file(name: str) -> Response:
    """What the trust page uses: the authority (DER or PEM), its QR codes, its CSS.

    One route for all of them: each public endpoint is a decision (see the permissions
    walk test), and these are one decision.
    """
    handlers = {
        "ca.crt": _trust_ca_der,
        "ca.pem": _trust_ca_pem,
        "qr/ca.svg": lambda: _trust_qr("ca"),
        "qr/app.svg": lambda: _trust_qr("app"),
        "trust.css": lambda: _static("trust/trust.css"),
    }
    if name not in handlers:
        abort(404)
    return handlers[name]()


def _trust_ca_der() -> Response:
    """The authority's certificate, DER, as Android's certificate installer expects."""
    der, _ = _trust_material()
    response = Response(der, mimetype="application/x-x509-ca-cert")
    response.headers["Content-Disposition"] = f'attachment; filename="{CA_FILENAME}"'
    response.headers["Cache-Control"] = "no-cache"
    return response


def _trust_ca_pem() -> Response:
    """The same certificate in PEM (some laptop tools want it)."""
    import base64
    import textwrap

    der, _ = _trust_material()
    body = "\n".join(textwrap.wrap(base64.b64encode(der).decode(), 64))
    pem = f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"
    response = Response(pem, mimetype="application/x-pem-file")
    response.headers["Content-Disposition"] = 'attachment; filename="tawthiq-hub-ca.pem"'
    return response


def _trust_qr(which: str) -> Response:
    """A QR code (SVG, made here: no network) of the CA download or of the app's URL."""
    import io

    import segno

    _trust_material()
    ca_url, app_url = _trust_urls()
    url = ca_url if which == "ca" else app_url
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=6, border=2, xmldecl=False)
    response = Response(out.getvalue(), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "no-cache"
    return response

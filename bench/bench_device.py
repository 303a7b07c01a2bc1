"""The offline app on a loaded phone: 20,000 records sealed on the device.

    python bench/bench_device.py [N_RECORDS]

Starts a real server, sets up a device in Debian's chromium (persistent profile on
disk), goes offline and seeds N records (default 20,000) through the app's own write
path (each a sealed change, record state and outbox entry), then times:

- unlock: passphrase -> PBKDF2 -> unwrap the data key -> decrypt the sealed snapshot of
  record views -> build the in-memory name index (PBKDF2 alone is shown too);
- search: names, Arabic-normalised like app/text/arabic.py, median of several queries;
- cold offline start: the browser closed and started again with no network, from
  navigation to the unlock screen (shell from the service worker), and on to the
  records listed.

Raw baselines from the same run and page: WebCrypto AES-GCM decryption of N blobs of
the same size, and one IndexedDB getAll of N plaintext objects.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from browser.harness import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    PASSPHRASE,
    Device,
    Hub,
)
from support.server import ServerProcess  # noqa: E402

GIVEN = [
    "محمد",
    "أحمد",
    "علي",
    "حسن",
    "فاطمة",
    "زينب",
    "خالد",
    "عمر",
    "مريم",
    "نور",
    "إبراهيم",
    "يوسف",
    "سارة",
    "ليلى",
    "عبد الرحمن",
    "مصطفى",
]
FAMILY = [
    "الحمصي",
    "الخالدي",
    "الأتاسي",
    "السباعي",
    "الدروبي",
    "الجندلي",
    "الزهراوي",
    "الشيخ",
    "القاسم",
    "الحسيني",
    "العلي",
    "النجار",
    "الحداد",
    "الخطيب",
]

SEED = """async ([n, given, family]) => {
  const r = tawthiq.replica;
  const batch = 500;
  const t0 = performance.now();
  for (let i = 0; i < n; i += batch) {
    const specs = [];
    for (let j = i; j < Math.min(n, i + batch); j++) {
      const name = `${given[j % given.length]} ${given[(j * 7) % given.length]} ` +
        `${family[(j * 13) % family.length]}`;
      specs.push({ recordId: crypto.randomUUID(), kind: 'casualty', action: 'create', patch: {
        full_name: name, sex: j % 2 ? 'male' : 'female', outcome: 'killed',
        civilian_status: 'civilian', cause: 'shelling_artillery', age_years: j % 90,
        location_detail: 'حي الخالدية، قرب الجامع', team_id: tawthiq.teamIds()[0],
        alternate_names: { add: [{ eid: `n-${j}`,
          value: `أبو ${given[(j * 3) % given.length]}` }] },
      } });
    }
    await r.writeMany(specs);
  }
  tawthiq.index.rebuild(r.states.values());
  return performance.now() - t0;
}"""

UNLOCK = """async (p) => { tawthiq.lock(); const t0 = performance.now();
  const res = await tawthiq.unlock(p); return [res.ok, performance.now() - t0,
  tawthiq.replica.states.size]; }"""

PBKDF2 = """async (p) => { const { createVault, openVault } = await import('/static/js/crypto.js');
  const v = await tawthiq.vault.get('vault'); const t0 = performance.now();
  await openVault(v, p); return performance.now() - t0; }"""

SEARCH = """(queries) => queries.map((q) => { const t0 = performance.now();
  const hits = tawthiq.index.search(q, Infinity).length;
  const t1 = performance.now();
  tawthiq.list({ query: q, limit: 200 });
  return [q, hits, t1 - t0, performance.now() - t1]; })"""

RAW = """async (n) => {
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false,
    ['encrypt', 'decrypt']);
  const row = (await tawthiq.vault.db.transaction('records').objectStore('records')
    .openCursor());
  const sample = await new Promise((ok) => { row.onsuccess = () => ok(row.result.value); });
  const size = sample.blob.ct.length;
  const pt = new Uint8Array(size);
  const blobs = [];
  for (let i = 0; i < n; i++) {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, pt);
    blobs.push({ iv, ct: new Uint8Array(ct) });
  }
  let t0 = performance.now();
  await Promise.all(blobs.map((b) => crypto.subtle.decrypt({ name: 'AES-GCM', iv: b.iv }, key,
    b.ct)));
  const decrypt = performance.now() - t0;
  const db = await new Promise((ok) => { const r = indexedDB.open('bench-raw', 1);
    r.onupgradeneeded = () => r.result.createObjectStore('x', { autoIncrement: true });
    r.onsuccess = () => ok(r.result); });
  await new Promise((ok) => { const tx = db.transaction('x', 'readwrite');
    for (let i = 0; i < n; i++) tx.objectStore('x').add({ i, text: 'x'.repeat(size) });
    tx.oncomplete = ok; });
  t0 = performance.now();
  await new Promise((ok) => { const r = db.transaction('x').objectStore('x').getAll();
    r.onsuccess = ok; });
  const getAll = performance.now() - t0;
  db.close(); indexedDB.deleteDatabase('bench-raw');
  return { size, decrypt, getAll };
}"""


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="tawthiq-bench-"))
    proc = ServerProcess(tmp / "data")
    hub = Hub(proc)
    try:
        user = hub.user(hub.team())
        profile = tmp / "profile"
        with sync_playwright() as p:

            def launch():
                ctx = p.chromium.launch_persistent_context(
                    str(profile),
                    executable_path=CHROMIUM,
                    headless=True,
                    args=CHROMIUM_ARGS,
                    locale="en-US",
                )
                ctx.set_default_timeout(600_000)
                return ctx

            ctx = launch()
            phone = Device.__new__(Device)
            phone.hub, phone.user, phone.context, phone.errors = hub, user, ctx, []
            phone.page = ctx.pages[0] if ctx.pages else ctx.new_page()
            phone.setup()
            ctx.set_offline(True)
            seed_ms = phone.eval(SEED, [n, GIVEN, FAMILY])
            print(
                f"seed        {n} records in {seed_ms / 1000:.1f} s "
                f"({n / seed_ms * 1000:,.0f} records/s, each a sealed change + state + outbox)"
            )
            pbkdf2 = min(phone.eval(PBKDF2, PASSPHRASE) for _ in range(3))
            phone.eval("() => tawthiq.replica.writeSnapshot()")
            unlocks = [phone.eval(UNLOCK, PASSPHRASE) for _ in range(3)]
            assert all(ok and size == n for ok, _, size in unlocks), unlocks
            unlock_ms = statistics.median(u[1] for u in unlocks)
            print(
                f"unlock      {unlock_ms:,.0f} ms median of 3 (of which PBKDF2-SHA256 600k: "
                f"{pbkdf2:,.0f} ms; decrypt {n} record views + index them: "
                f"{unlock_ms - pbkdf2:,.0f} ms)"
            )
            queries = [
                "محمد",
                "الحمصي",
                "فاطمه الخالدي",
                "ابو علي",
                "احمد",
                "زينب السباعي",
                "mohammad",
                "يوسف",
            ]
            runs = [phone.eval(SEARCH, queries) for _ in range(3)]
            times = [ms for run in runs for _q, _hits, ms, _list in run]
            lists = [ms for run in runs for _q, _hits, _ms, ms in run]
            hits = {q: h for q, h, _ms, _list in runs[0]}
            print(
                f"search      all hits: median {statistics.median(times):.1f} ms, max "
                f"{max(times):.1f} ms over {len(times)} queries on {n} records; first 200 as "
                f"list rows: median {statistics.median(lists):.1f} ms (hits: {hits})"
            )
            raw = phone.eval(RAW, n)
            print(
                f"raw         AES-GCM decrypt of {n} blobs of {raw['size']} B: "
                f"{raw['decrypt']:,.0f} ms; IndexedDB getAll of {n} plaintext rows: "
                f"{raw['getAll']:,.0f} ms"
            )
            ctx.close()

            ctx = launch()
            ctx.set_offline(True)
            page = ctx.pages[0] if ctx.pages else ctx.new_page()
            t0 = time.perf_counter()
            response = page.goto(f"{hub.url}/")
            page.wait_for_selector("#unlock-form")
            shell = (time.perf_counter() - t0) * 1000
            assert response is not None and response.from_service_worker
            page.fill("#f-passphrase", PASSPHRASE)
            t1 = time.perf_counter()
            page.click("#unlock")
            page.wait_for_selector("li.record")
            listed = (time.perf_counter() - t1) * 1000
            print(
                f"cold start  offline, browser restarted: unlock screen in {shell:,.0f} ms "
                f"(shell from the service worker); records listed {listed:,.0f} ms after "
                f"pressing unlock; {shell + listed:,.0f} ms in all"
            )
            ctx.close()
    finally:
        proc.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    load = os.getloadavg()
    print(
        f"machine     load average {load[0]:.1f} over {os.cpu_count()} CPUs during the run "
        "(compare ratios within one run)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

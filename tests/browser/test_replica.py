"""The browser replica's bookkeeping, in the page with a private database: what a
reload rebuilds, what `forget` keeps, purge blanking at rest, and a refused page."""

from __future__ import annotations

from typing import Any

import pytest

from sync import Replica

SCRIPT = """async ([hubChanges, collision]) => {
  const { Vault } = await import('/static/js/vault.js');
  const { BrowserReplica } = await import('/static/js/replica.js');
  const { checkChange } = await import('/static/js/sync/changes.js');
  const { deleteDb, transact, request } = await import('/static/js/db.js');
  const name = 'tawthiq-replica-test';
  await deleteDb(name);
  let vault = await Vault.open({ name });
  await vault.create('a passphrase for tests');
  const who = { originId: 'web-test', author: 'user-1' };
  let r = await BrowserReplica.load(vault, who);
  const out = {};
  const mine = await r.write('rec-mine', 'casualty', 'create', { full_name: 'ليلى' });
  await r.write('rec-mine', 'casualty', 'patch', { sex: 'female' });
  const changes = [];
  for (const d of hubChanges) changes.push(await checkChange(d));
  await r.receive(changes, { checkpoint: { peer: 'hub', hubSeq: 7 } });
  out.have = r.haveVector();
  out.count = r.states.size;
  // A reload (new replica object from the same database) rebuilds the same view.
  vault.lock();
  await vault.unlock('a passphrase for tests');
  r = await BrowserReplica.load(vault, who);
  out.haveAfterReload = r.haveVector();
  out.checkpoint = await r.checkpoint('hub');
  out.outbox = (await r.pending()).map((e) => e.change.origin_seq);
  out.digest = await r.digest();
  // A snapshot plus what changed after it gives the same views as reading every row.
  await r.writeSnapshot();
  await r.write('rec-mine', 'casualty', 'patch', { full_name: 'ليلى أحمد' });
  const before = JSON.stringify([...r.states.entries()].sort());
  r = await BrowserReplica.load(vault, who);
  out.snapshotSame = JSON.stringify([...r.states.entries()].sort()) === before;
  out.dirtyAfterSnapshot = r.dirtyCount;
  out.outbox = (await r.pending()).map((e) => e.change.origin_seq);
  // A purged record's stored changes are blanked at rest too.
  const rows = await transact(vault.db, ['changes'], 'readonly',
    (s) => request(s.changes.index('record_id').getAll('rec-hub')));
  out.purgedRows = rows.map((row) => row.purged).sort();
  // An id collision refuses the whole page; the checkpoint does not move.
  try {
    await r.receive([await checkChange(collision)], { checkpoint: { peer: 'hub', hubSeq: 9 } });
    out.collision = 'accepted';
  } catch (exc) {
    out.collision = exc.field;
  }
  out.checkpointAfter = await r.checkpoint('hub');
  // forget drops records and their changes, but never a change still to be sent.
  await r.forget(['rec-mine', 'rec-hub']);
  out.afterForget = { records: r.states.size, outbox: r.outboxSize,
    pending: (await r.pending()).map((e) => e.change.op_id) };
  out.mine = mine.op_id;
  vault.close();
  await deleteDb(name);
  return out;
}"""


@pytest.fixture(scope="module")
def page(browser: Any, live: Any) -> Any:
    p = browser.new_page()
    p.set_default_timeout(10_000)
    p.goto(f"{live.url}/static/test/blank.html")
    yield p
    p.close()


def test_replica_bookkeeping(page: Any) -> None:
    hub = Replica(
        "dev-hub",
        "user-2",
        clock=lambda: 1_700_000_000_000,
        new_id=iter(f"op-{i}" for i in range(100)).__next__,
    )
    hub.write("rec-hub", "casualty", "create", {"full_name": "سامي"})
    hub.write("rec-hub", "casualty", "patch", {"sex": "male"})
    hub.write("rec-hub", "casualty", "purge", {"reason": "erasure request"})
    changes = [c.to_dict() for c in hub.log.values()]
    # The same op id as the first hub change, with other content.
    other = Replica(
        "dev-hub", "user-2", clock=lambda: 1_700_000_000_001, new_id=iter(["op-0"]).__next__
    )
    collision = other.write("rec-x", "incident", "create", {"event_type": "other"}).to_dict()

    out = page.evaluate(SCRIPT, [changes, collision])
    assert out["have"] == {"dev-hub": 3, "web-test": 2}
    assert out["haveAfterReload"] == out["have"]
    assert out["checkpoint"] == 7
    assert out["outbox"] == [1, 2, 3]
    assert out["snapshotSame"] is True
    assert out["dirtyAfterSnapshot"] == 1
    assert out["purgedRows"] == [False, True, True]  # the purge itself keeps its reason
    assert out["afterForget"]["records"] == 0
    assert out["afterForget"]["outbox"] == 3
    assert out["afterForget"]["pending"][0] == out["mine"]
    assert out["collision"] == "op_id"
    assert out["checkpointAfter"] == 7
    assert len(out["digest"]) == 64


def test_a_local_purge_blanks_the_stored_changes(page: Any) -> None:
    out = page.evaluate("""async () => {
      const { Vault } = await import('/static/js/vault.js');
      const { BrowserReplica } = await import('/static/js/replica.js');
      const { deleteDb, transact, request } = await import('/static/js/db.js');
      const name = 'tawthiq-purge-test';
      await deleteDb(name);
      const vault = await Vault.open({ name });
      await vault.create('a passphrase for tests');
      const r = await BrowserReplica.load(vault, { originId: 'web-p', author: 'coord-1' });
      await r.write('rec-p', 'casualty', 'create', { full_name: 'سر' });
      await r.write('rec-p', 'casualty', 'purge', { reason: 'erasure request' });
      const rows = await transact(vault.db, ['changes'], 'readonly',
        (s) => request(s.changes.index('record_id').getAll('rec-p')));
      const view = r.record('rec-p');
      vault.close();
      await deleteDb(name);
      return { purged: rows.map((x) => x.purged).sort(), values: view.values, flag: view.purged };
    }""")
    assert out == {"purged": [False, True], "values": {}, "flag": True}

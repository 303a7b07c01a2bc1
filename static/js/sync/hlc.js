// Hybrid logical clocks as strings that sort lexicographically (mirror of sync/hlc.py).
//
// Format: "{wall_ms:015d}-{counter:06d}-{origin_id}". Clocks only order changes for
// display and break ties; causality comes from deps, so a skewed clock is never refused.
// The current time is passed in; this module never reads a clock.

export const HLC_PATTERN = /^(\d{15})-(\d{6})-(.+)$/s;
const MAX_WALL = 10 ** 15 - 1;
const MAX_COUNTER = 10 ** 6 - 1;

export function formatHlc(wallMs, counter, originId) {
  return `${String(wallMs).padStart(15, '0')}-${String(counter).padStart(6, '0')}-${originId}`;
}

export function parseHlc(text) {
  const m = typeof text === 'string' ? HLC_PATTERN.exec(text) : null;
  if (!m) throw new Error(`not a hybrid logical clock: ${text}`);
  return { wallMs: Number(m[1]), counter: Number(m[2]), originId: m[3] };
}

function advance(wall, counter, originId) {
  // A counter that would overflow its six digits borrows the next millisecond.
  if (counter > MAX_COUNTER) {
    wall += 1;
    counter = 0;
  }
  return formatHlc(Math.min(Math.max(wall, 0), MAX_WALL), counter, originId);
}

/** The clock of a new local change after `prev` at device time `nowMs`. */
export function tick(prev, nowMs, originId) {
  const now = Math.max(nowMs, 0);
  if (prev == null) return advance(now, 0, originId);
  const last = parseHlc(prev);
  if (now > last.wallMs) return advance(now, 0, originId);
  return advance(last.wallMs, last.counter + 1, originId);
}

/** The local clock after seeing `remote`: later than both, never failing. */
export function recv(prev, remote, nowMs, originId) {
  const now = Math.max(nowMs, 0);
  const r = parseHlc(remote);
  const last = prev != null ? parseHlc(prev) : { wallMs: 0, counter: 0, originId };
  const wall = Math.max(now, last.wallMs, r.wallMs);
  let counter;
  if (wall === last.wallMs && wall === r.wallMs) counter = Math.max(last.counter, r.counter) + 1;
  else if (wall === last.wallMs) counter = last.counter + 1;
  else if (wall === r.wallMs) counter = r.counter + 1;
  else counter = 0;
  return advance(wall, counter, originId);
}

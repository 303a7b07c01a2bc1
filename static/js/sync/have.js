// Per origin, the highest origin_seq held with every lower one held too (the
// have-vector of sync/protocol.py). A handshake and the repair path send it.

export class HaveVector {
  constructor() {
    this.contiguous = new Map();
    this.above = new Map();
  }

  add(originId, seq) {
    let top = this.contiguous.get(originId) || 0;
    if (seq <= top) return;
    if (!this.above.has(originId)) this.above.set(originId, new Set());
    const above = this.above.get(originId);
    above.add(seq);
    while (above.has(top + 1)) {
      top += 1;
      above.delete(top);
    }
    this.contiguous.set(originId, top);
  }

  clone() {
    return HaveVector.fromJSON(this.toJSON());
  }

  toJSON() {
    const above = {};
    for (const [o, set] of this.above) if (set.size) above[o] = [...set];
    return { contiguous: Object.fromEntries(this.contiguous), above };
  }

  static fromJSON(d) {
    const h = new HaveVector();
    for (const [o, n] of Object.entries(d.contiguous || {})) h.contiguous.set(o, n);
    for (const [o, seqs] of Object.entries(d.above || {})) h.above.set(o, new Set(seqs));
    return h;
  }

  /** {origin_id: highest contiguous seq}; origins with a gap at 1 show 0. */
  vector() {
    const origins = new Set(this.contiguous.keys());
    for (const [o, s] of this.above) if (s.size) origins.add(o);
    const out = {};
    for (const o of [...origins].sort()) out[o] = this.contiguous.get(o) || 0;
    return out;
  }
}

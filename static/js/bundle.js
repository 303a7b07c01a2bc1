// A USB bundle of this device's unsynced changes, written in the browser in the format
// of docs/bundles.md with WebCrypto alone: the manifest signed with the device's ECDSA
// P-256 key (the one registered with the hub), the archive encrypted to the hub's P-256
// key (scheme `p256-hkdf-sha256-aes256gcm`: ephemeral ECDH, HKDF-SHA256, AES-256-GCM in
// chunks whose IV marks the last one). The hub imports it with `tawthiq bundle import`.
// It reads what it is given; it never touches storage or the network.

import { b64 } from './crypto.js';

const subtle = globalThis.crypto.subtle;
const encoder = new TextEncoder();
export const MAGIC = 'TAWTHIQ-BUNDLE/1\n';
export const SCHEME = 'p256-hkdf-sha256-aes256gcm';
const INFO = encoder.encode('tawthiq-bundle/1');
export const CHUNK = 256 * 1024;

export const b64u = (bytes) => b64.encode(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
export function unb64u(text) {
  const padded = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  return b64.decode(padded);
}

async function sha256(bytes) {
  return new Uint8Array(await subtle.digest('SHA-256', bytes));
}

const hex = (bytes) => [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');

function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** One ustar member: a 512-byte header (docs/bundles.md) and the data padded to 512. */
export function ustarMember(name, data) {
  const header = new Uint8Array(512);
  const put = (offset, text) => header.set(encoder.encode(text), offset);
  put(0, name);
  put(100, '0000600\0');
  put(108, '0000000\0');
  put(116, '0000000\0');
  put(124, `${data.length.toString(8).padStart(11, '0')}\0`);
  put(136, '00000000000\0');
  put(148, '        ');
  put(156, '0');
  put(257, 'ustar\0');
  put(263, '00');
  const sum = header.reduce((n, b) => n + b, 0);
  put(148, `${sum.toString(8).padStart(6, '0')}\0 `);
  return concat([header, data, new Uint8Array((512 - (data.length % 512)) % 512)]);
}

/** The hub's P-256 point (65 bytes, uncompressed) and its ECDH public key, from its JWK. */
async function hubKey(jwk) {
  const key = await subtle.importKey('jwk', { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, ext: true },
    { name: 'ECDH', namedCurve: 'P-256' }, true, []);
  return { key, point: new Uint8Array(await subtle.exportKey('raw', key)) };
}

/**
 * Build the bundle file. `changes`: the outbox's changes in FIFO order, as the sync
 * protocol carries them; `device`: {device_id, origin_id}; `signingKey`: the device's
 * private ECDSA key; `hub`: {hub_id, fingerprint, p256_jwk}. Returns {bytes, manifest}.
 */
export async function buildBundle({ changes, device, signingKey, hub, now = new Date(),
  chunkSize = CHUNK }) {
  const lines = encoder.encode(changes.map((c) => `${JSON.stringify(c)}\n`).join(''));
  const own = changes.filter((c) => c.origin_id === device.origin_id).map((c) => c.origin_seq);
  const byKind = {};
  for (const c of changes) byKind[c.kind] = (byKind[c.kind] || 0) + 1;
  const recipient = { type: 'hub', hub_id: hub.hub_id, fingerprint: hub.fingerprint };
  const manifest = {
    format: 'tawthiq-bundle',
    version: 1,
    bundle_id: crypto.randomUUID(),
    created_at: now.toISOString(),
    source: { type: 'device', device_id: device.device_id, origin_id: device.origin_id },
    recipient,
    seq_range: own.length ? { after: Math.min(...own) - 1, to: Math.max(...own) } : { after: 0, to: 0 },
    counts: { changes: changes.length, by_kind: byKind },
    files: { 'changes.jsonl': { sha256: hex(await sha256(lines)), bytes: lines.length } },
  };
  const manifestBytes = encoder.encode(JSON.stringify(manifest, null, 1));
  // WebCrypto's ECDSA signature is r‖s (64 bytes), which is what the hub expects.
  const signature = new Uint8Array(await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, signingKey,
    manifestBytes));
  const sigBytes = encoder.encode(JSON.stringify({ alg: 'ES256', signature: b64u(signature) }));
  const plain = concat([ustarMember('changes.jsonl', lines), ustarMember('manifest.json', manifestBytes),
    ustarMember('manifest.sig', sigBytes), new Uint8Array(1024)]);

  // The content key: ECDH with a fresh key pair, then HKDF (salt = both points).
  const theirs = await hubKey(hub.p256_jwk);
  const eph = await subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits']);
  const ephPoint = new Uint8Array(await subtle.exportKey('raw', eph.publicKey));
  const shared = await subtle.deriveBits({ name: 'ECDH', public: theirs.key }, eph.privateKey, 256);
  const ikm = await subtle.importKey('raw', shared, 'HKDF', false, ['deriveKey']);
  const key = await subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: concat([ephPoint, theirs.point]),
    info: INFO }, ikm, { name: 'AES-GCM', length: 256 }, false, ['encrypt']);

  const prefix = crypto.getRandomValues(new Uint8Array(7));
  const header = { recipient, encryption: { scheme: SCHEME, ephemeral: b64u(ephPoint),
    nonce_prefix: b64u(prefix) }, chunk_size: chunkSize };
  const head = encoder.encode(`${MAGIC}${JSON.stringify(header)}\n`);
  const aad = await sha256(head);
  const parts = [head];
  const count = Math.max(1, Math.ceil(plain.length / chunkSize));
  for (let i = 0; i < count; i++) {
    const iv = new Uint8Array(12);
    iv.set(prefix, 0);
    new DataView(iv.buffer).setUint32(7, i);
    iv[11] = i === count - 1 ? 1 : 0;
    const sealed = new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad }, key,
      plain.subarray(i * chunkSize, (i + 1) * chunkSize)));
    const frame = new Uint8Array(4);
    new DataView(frame.buffer).setUint32(0, sealed.length);
    parts.push(frame, sealed);
  }
  return { bytes: concat(parts), manifest };
}

// The device's key hierarchy, all in WebCrypto (docs/offline-app.md, "Keys").
//
//   passphrase --PBKDF2-SHA256 (>= 600,000 iterations, random salt)--> wrapping key
//   wrapping key --AES-GCM wrap--> data key (random AES-GCM 256)
//   data key --AES-GCM--> every record, change, token, schema and user blob at rest
//
// Keys in use are non-extractable CryptoKeys held in memory only while unlocked. The data
// key exists in extractable form only for the moment it is first wrapped. Nothing here
// touches IndexedDB: the caller stores the wrapped key and the blobs.

export const PBKDF2_ITERATIONS = 600_000;
const subtle = globalThis.crypto.subtle;
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const WRAP_AAD = encoder.encode('tawthiq:data-key:v1');

export class WrongPassphrase extends Error {
  constructor() {
    super('wrong passphrase');
    this.name = 'WrongPassphrase';
  }
}

export function randomBytes(n) {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}

async function wrappingKey(passphrase, salt, iterations) {
  const material = await subtle.importKey('raw', encoder.encode(passphrase.normalize('NFC')),
    'PBKDF2', false, ['deriveKey']);
  return subtle.deriveKey({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, material,
    { name: 'AES-GCM', length: 256 }, false, ['wrapKey', 'unwrapKey']);
}

/**
 * Make a new data key and wrap it under the passphrase.
 * Returns {vault: what to store (no secret in it), key: the non-extractable data key}.
 */
export async function createVault(passphrase, iterations = PBKDF2_ITERATIONS) {
  if (iterations < PBKDF2_ITERATIONS) throw new Error('too few PBKDF2 iterations');
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const kek = await wrappingKey(passphrase, salt, iterations);
  const fresh = await subtle.generateKey({ name: 'AES-GCM', length: 256 }, true,
    ['encrypt', 'decrypt']);
  const wrapped = await subtle.wrapKey('raw', fresh, kek, { name: 'AES-GCM', iv,
    additionalData: WRAP_AAD });
  const vault = { kdf: 'PBKDF2-SHA256', iterations, salt, iv, wrapped: new Uint8Array(wrapped),
    version: 1 };
  // Use the unwrapped, non-extractable copy from the start: the extractable one is dropped.
  return { vault, key: await openVault(vault, passphrase) };
}

/** Unwrap the data key (non-extractable); throws WrongPassphrase. */
export async function openVault(vault, passphrase) {
  const kek = await wrappingKey(passphrase, vault.salt, vault.iterations);
  try {
    return await subtle.unwrapKey('raw', vault.wrapped, kek, { name: 'AES-GCM', iv: vault.iv,
      additionalData: WRAP_AAD }, { name: 'AES-GCM', length: 256 }, false,
    ['encrypt', 'decrypt']);
  } catch {
    throw new WrongPassphrase();
  }
}

async function through(bytes, stream) {
  return new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(stream))
    .arrayBuffer());
}

/**
 * Encrypt a JSON value under the data key. `aad` binds the blob to its place (store and
 * key), so a blob cannot be moved to another record unnoticed. `compress` gzips the
 * plaintext first (big values: fewer bytes to read back and decrypt).
 */
export async function seal(key, value, aad, { compress = false } = {}) {
  const iv = randomBytes(12);
  let pt = encoder.encode(JSON.stringify(value));
  if (compress) pt = await through(pt, new CompressionStream('gzip'));
  const ct = await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: encoder.encode(aad) },
    key, pt);
  return compress ? { iv, ct: new Uint8Array(ct), z: 1 } : { iv, ct: new Uint8Array(ct) };
}

/** Decrypt a blob made by seal() with the same aad. */
export async function unseal(key, blob, aad) {
  let pt = new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv: blob.iv,
    additionalData: encoder.encode(aad) }, key, blob.ct));
  if (blob.z) pt = await through(pt, new DecompressionStream('gzip'));
  return JSON.parse(decoder.decode(pt));
}

/** A new device signing key pair (ECDSA P-256): public JWK and PKCS#8 private bytes. */
export async function newSigningKey() {
  const pair = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true,
    ['sign', 'verify']);
  const publicJwk = await subtle.exportKey('jwk', pair.publicKey);
  const pkcs8 = new Uint8Array(await subtle.exportKey('pkcs8', pair.privateKey));
  return { publicJwk, pkcs8 };
}

/** The private signing key from its PKCS#8 bytes, non-extractable. */
export function importSigningKey(pkcs8) {
  return subtle.importKey('pkcs8', pkcs8, { name: 'ECDSA', namedCurve: 'P-256' }, false,
    ['sign']);
}

export async function sign(privateKey, bytes) {
  return new Uint8Array(await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, privateKey, bytes));
}

export const b64 = {
  encode(bytes) {
    let s = '';
    for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s);
  },
  decode(text) {
    const s = atob(text);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  },
};

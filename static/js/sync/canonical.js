// RFC 8785 (JCS) canonical JSON of the values a change may hold, and its sha256.
//
// Mirrors sync/canonical.py: strings, safe integers, booleans, null, arrays and objects.
// Non-integer numbers are refused (decimals travel as strings), as are integers beyond
// ±(2^53-1) and lone surrogates, so Python and JavaScript always hash the same bytes.
// This module never touches storage or the network.

export const MAX_SAFE_INTEGER = Number.MAX_SAFE_INTEGER;

export class CanonicalError extends Error {
  constructor(message) {
    super(message);
    this.name = 'CanonicalError';
  }
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function string(s) {
  if (LONE_SURROGATE.test(s)) throw new CanonicalError('lone surrogate in string');
  // JSON.stringify escapes exactly what RFC 8785 asks: the short forms, other controls
  // as \u00xx in lowercase hex, nothing else (U+2028 and U+007F stay literal).
  return JSON.stringify(s);
}

// Object keys sort by UTF-16 code units: that is JavaScript's own string order.
function compareUtf16(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

function emit(value, out) {
  if (value === null) {
    out.push('null');
  } else if (value === true) {
    out.push('true');
  } else if (value === false) {
    out.push('false');
  } else if (typeof value === 'number') {
    if (!Number.isInteger(value)) {
      throw new CanonicalError('floats are not allowed; send decimals as strings');
    }
    if (Math.abs(value) > MAX_SAFE_INTEGER) {
      throw new CanonicalError(`integer outside the safe range: ${value}`);
    }
    out.push(Object.is(value, -0) ? '0' : String(value));
  } else if (typeof value === 'string') {
    out.push(string(value));
  } else if (Array.isArray(value)) {
    out.push('[');
    value.forEach((item, i) => {
      if (i) out.push(',');
      emit(item, out);
    });
    out.push(']');
  } else if (typeof value === 'object') {
    out.push('{');
    Object.keys(value).sort(compareUtf16).forEach((key, i) => {
      if (i) out.push(',');
      out.push(string(key));
      out.push(':');
      emit(value[key], out);
    });
    out.push('}');
  } else {
    throw new CanonicalError(`type not allowed in a change: ${typeof value}`);
  }
}

/** The RFC 8785 canonical JSON text of `value`; throws CanonicalError. */
export function canonicalJson(value) {
  const out = [];
  emit(value, out);
  return out.join('');
}

const encoder = new TextEncoder();

/** The canonical JSON of `value` as UTF-8 bytes. */
export function canonicalBytes(value) {
  return encoder.encode(canonicalJson(value));
}

function hex(buffer) {
  const bytes = new Uint8Array(buffer);
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += bytes[i].toString(16).padStart(2, '0');
  return s;
}

/** Lowercase hex sha256 of some bytes or a string (UTF-8), by WebCrypto. */
export async function sha256HexOfBytes(data) {
  const bytes = typeof data === 'string' ? encoder.encode(data) : data;
  return hex(await crypto.subtle.digest('SHA-256', bytes));
}

/** Lowercase hex sha256 of the canonical bytes of `value`. */
export async function sha256Hex(value) {
  return sha256HexOfBytes(canonicalBytes(value));
}

/** Compare two strings by Unicode code point, as Python's str ordering does. */
export function compareCodePoints(a, b) {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      // A surrogate (D800-DFFF) stands for a code point above every BMP character, but
      // in UTF-16 order it sorts below E000-FFFF: correct for that case.
      const xs = x >= 0xd800 && x <= 0xdfff;
      const ys = y >= 0xd800 && y <= 0xdfff;
      if (xs !== ys) return xs ? 1 : -1;
      return x < y ? -1 : 1;
    }
  }
  return a.length - b.length;
}

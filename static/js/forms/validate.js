// The browser's copy of the server's record validation (app/schemas/records/): clean each
// field as the marshmallow field does (Arabic-Indic digits, numeric strings, spaces around
// text, defaults), check the canonical record against the served JSON Schema with the
// vendored @cfworker/json-schema (no eval: the CSP forbids it), then run the cross-field
// rules of `x-cross-field-rules` (a port of app/schemas/record_rules.py).
//
// The verdict and the error codes must equal the server's for every case of
// tests/cases/validation_cases.json (tests/browser/test_forms_validation.py runs them).
// Pure: no DOM, no storage; `today` is passed in.

import { Validator } from '../../vendor/cfworker-json-schema/index.js';

const DIGITS = {};
for (let i = 0; i < 10; i++) {
  DIGITS[String.fromCharCode(0x0660 + i)] = String(i); // Arabic-Indic
  DIGITS[String.fromCharCode(0x06f0 + i)] = String(i); // Eastern Arabic-Indic (Persian)
}
DIGITS['٫'] = '.'; // the Arabic decimal separator

/** Arabic-Indic and Persian digits (and ٫) as ASCII, like common.normalise_digits. */
export function normaliseDigits(text) {
  return String(text).replace(/[٠-٩۰-۹٫]/g, (c) => DIGITS[c]);
}

// What Python's str.strip() removes (str.isspace), which is not quite String.trim().
const PY_SPACE = '\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_STRIP = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, 'g');
const pyStrip = (text) => text.replace(PY_STRIP, '');
const pyLen = (text) => [...text].length; // code points, as Python counts

const BAD_LINE = /[\x00-\x1f\x7f-\x9f]/;
const BAD_MULTI = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_SHAPE = /^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?$/;
const TIMESTAMP = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,6}))?(Z|[+-][0-9]{2}:[0-9]{2})$/;
const MIN_YEAR = 1800;
const MAX_YEAR = 2999;

class FieldError extends Error {
  constructor(code, nested) {
    super(code);
    this.code = code;
    this.nested = nested; // {index: code or nested errors} for lists
  }
}
const fail = (code) => new FieldError(code);

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const daysIn = (y, m) => new Date(Date.UTC(y, m, 0)).getUTCDate();
const pad = (n, w = 2) => String(n).padStart(w, '0');

function cleanText(facts, prop, value, required) {
  if (typeof value !== 'string') throw fail('invalid_type');
  let text = facts.multiline ? value.replace(/\r\n/g, '\n') : value;
  if ((facts.multiline ? BAD_MULTI : BAD_LINE).test(text) || LONE_SURROGATE.test(text)) {
    throw fail('bad_characters');
  }
  text = pyStrip(text);
  if (pyLen(text) > prop.maxLength) throw fail('too_long');
  if (!text) {
    if (required) throw fail('required');
    return null;
  }
  return text;
}

function cleanInt(prop, value) {
  let n = value;
  if (typeof value === 'boolean') throw fail('not_an_integer');
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || !Number.isInteger(value)) throw fail('not_an_integer');
  } else if (typeof value === 'string') {
    const text = normaliseDigits(pyStrip(value));
    if (!/^-?[0-9]+$/.test(text) || text.length > 20) throw fail('not_an_integer');
    n = Number(text);
  } else {
    throw fail('not_an_integer');
  }
  if (n < prop.minimum || n > prop.maximum) throw fail('out_of_range');
  return n;
}

/** A decimal's text split into sign, digits and exponent (value = digits × 10^exp). */
function decimalParts(text) {
  const m = /^(-?)([0-9]+)(?:\.([0-9]+))?(?:e([+-]?[0-9]+))?$/i.exec(text);
  if (!m) return null;
  const frac = m[3] || '';
  return { sign: m[1], digits: (m[2] + frac).replace(/^0+(?=.)/, ''), exp: Number(m[4] || 0) - frac.length };
}

function canonicalDecimal({ sign, digits, exp }) {
  let d = digits.replace(/^0+/, '') || '0';
  let e = exp;
  while (d.length > 1 && d.endsWith('0') && e < 0) { d = d.slice(0, -1); e += 1; }
  let text;
  if (e >= 0) text = d === '0' ? '0' : d + '0'.repeat(e);
  else {
    const p = d.padStart(-e + 1, '0');
    text = `${p.slice(0, p.length + e)}.${p.slice(p.length + e)}`;
  }
  text = text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
  return text === '0' || /^0?$/.test(text) ? '0' : sign + text;
}

function cleanDecimal(facts, value) {
  let text;
  if (typeof value === 'boolean') throw fail('not_a_number');
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw fail('not_a_number');
    text = String(value); // the shortest text that reads back as this number, like repr()
  } else if (typeof value === 'string') {
    text = normaliseDigits(pyStrip(value));
    if (!/^-?[0-9]+(?:\.[0-9]+)?$/.test(text)) throw fail('not_a_number');
  } else {
    throw fail('not_a_number');
  }
  const parts = decimalParts(text);
  if (!parts) throw fail('not_a_number');
  const number = Number(text);
  if (number < Number(facts.minimum) || number > Number(facts.maximum)) throw fail('out_of_range');
  let { digits, exp } = parts;
  while (digits.length > 1 && digits.endsWith('0')) { digits = digits.slice(0, -1); exp += 1; }
  if (-exp > facts.places) throw fail('too_many_decimals');
  return canonicalDecimal(parts);
}

function dateText(value) {
  if (typeof value !== 'string') throw fail('invalid_type');
  return normaliseDigits(pyStrip(value));
}

function cleanPartialDate(value, fullOnly) {
  const text = dateText(value);
  const m = DATE_SHAPE.exec(text);
  if (!m || (fullOnly && m[3] === undefined)) throw fail('invalid_date');
  const year = Number(m[1]);
  // As Python's date(year, month or 1, day or 1): a zero month or day reads as 1.
  const month = Number(m[2] || 0) || 1;
  const day = Number(m[3] || 0) || 1;
  if (year < MIN_YEAR || year > MAX_YEAR) throw fail('out_of_range');
  if (month > 12 || day > daysIn(year, month)) throw fail('impossible_date');
  return text;
}

function cleanTimestamp(value) {
  if (typeof value !== 'string') throw fail('invalid_type');
  const m = TIMESTAMP.exec(normaliseDigits(pyStrip(value)));
  if (!m) throw fail('invalid_datetime');
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const micro = Number((m[7] || '0').padEnd(6, '0'));
  const offset = m[8];
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23
    || minute > 59 || second > 59) throw fail('impossible_date');
  let shift = 0;
  if (offset !== 'Z') {
    const sign = offset[0] === '-' ? -1 : 1;
    const h = Number(offset.slice(1, 3));
    const mins = Number(offset.slice(4));
    if (h * 60 + mins >= 24 * 60) throw fail('impossible_date'); // Python's timezone() limit
    shift = sign * (h * 60 + mins);
  }
  if (year < 1) throw fail('impossible_date'); // Python's datetime starts at year 1
  // Years below 100 are read as 19xx by Date.UTC; either way they are out of range below.
  const at = new Date(Date.UTC(year, month - 1, day, hour, minute - shift, second));
  const y = at.getUTCFullYear();
  if (y < MIN_YEAR || y > MAX_YEAR) throw fail('out_of_range');
  let text = `${pad(y, 4)}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())}T`
    + `${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())}`;
  if (micro) text += `.${pad(micro, 6)}`.replace(/0+$/, '');
  return `${text}Z`;
}

function cleanAge(prop, value) {
  let v = value;
  if (typeof v === 'number' && Number.isInteger(v)) v = String(v);
  if (typeof v !== 'string') throw fail('invalid_age');
  const text = normaliseDigits(pyStrip(v)).replace(/ /g, '');
  if (!new RegExp(prop.pattern).test(text)) throw fail('invalid_age');
  return text;
}

function listItems(facts, value) {
  if (!Array.isArray(value)) throw fail('not_a_list');
  if (value.length > facts.max_items) throw fail('too_long');
  return value;
}

function cleanCodeSet(facts, prop, value) {
  const errors = {};
  const seen = new Set();
  const choices = (prop.items.enum || []).filter((x) => x !== null);
  listItems(facts, value).forEach((item, index) => {
    if (item === null) { errors[index] = 'null'; return; }
    if (typeof item !== 'string') { errors[index] = 'invalid_type'; return; }
    if (!choices.includes(item)) { errors[index] = 'not_in_vocabulary'; return; }
    if (seen.has(item)) errors[index] = 'duplicate';
    seen.add(item);
  });
  if (Object.keys(errors).length) throw new FieldError('nested', errors);
  return [...seen].sort();
}

function cleanNameList(facts, prop, value) {
  const errors = {};
  const names = [];
  listItems(facts, value).forEach((item, index) => {
    if (item === null) { errors[index] = 'null'; return; }
    try {
      const name = cleanText({ multiline: false }, prop.items, item, true);
      if (!names.includes(name)) names.push(name);
    } catch (exc) {
      errors[index] = exc.code;
    }
  });
  if (Object.keys(errors).length) throw new FieldError('nested', errors);
  return names;
}

function cleanObjectList(facts, prop, value) {
  const errors = {};
  const loaded = [];
  listItems(facts, value).forEach((item, index) => {
    const { record, errors: itemErrors } = cleanObject(prop.items, item);
    if (Object.keys(itemErrors).length) errors[index] = itemErrors;
    else loaded.push(record);
  });
  if (Object.keys(errors).length) throw new FieldError('nested', errors);
  return loaded;
}

function cleanValue(facts, prop, value, required) {
  switch (facts.field) {
    case 'Text': return cleanText(facts, prop, value, required);
    case 'Code': {
      if (typeof value !== 'string') throw fail('invalid_type');
      if (!prop.enum.includes(value)) throw fail('not_in_vocabulary');
      return value;
    }
    case 'Const': {
      const ok = typeof value === typeof prop.const && value === prop.const;
      if (!ok) throw fail(facts.code);
      return value;
    }
    case 'Uuid':
      if (typeof value !== 'string' || !UUID.test(value)) throw fail('invalid_id');
      return value.toLowerCase();
    case 'Bool':
      if (typeof value !== 'boolean') throw fail('invalid_type');
      return value;
    case 'Int': return cleanInt(prop, value);
    case 'DecimalString': return cleanDecimal(facts, value);
    case 'PartialDate': return cleanPartialDate(value, false);
    case 'FullDate': return cleanPartialDate(value, true);
    case 'Timestamp': return cleanTimestamp(value);
    case 'Age': return cleanAge(prop, value);
    case 'CodeSet': return cleanCodeSet(facts, prop, value);
    case 'NameList': return cleanNameList(facts, prop, value);
    case 'ObjectList': return cleanObjectList(facts, prop, value);
    default: throw new Error(`unknown field class ${facts.field}`);
  }
}

function flatten(errors, prefix, out) {
  for (const [key, value] of Object.entries(errors)) {
    if (typeof value === 'string') out[prefix + key] = value;
    else flatten(value, `${prefix}${key}.`, out);
  }
  return out;
}

/** Clean one object against an object schema with `x-fields`: {record, errors (nested)}. */
function cleanObject(schema, body) {
  if (!isObject(body)) return { record: null, errors: { _schema: 'invalid_type' } };
  const record = {};
  const errors = {};
  const required = new Set(schema.required || []);
  for (const key of Object.keys(body)) {
    if (!(key in schema.properties)) errors[key] = 'unknown_field';
  }
  for (const [name, prop] of Object.entries(schema.properties)) {
    const facts = schema['x-fields'][name];
    if (!(name in body) || body[name] === undefined) {
      if (required.has(name)) errors[name] = 'required';
      else if (prop.default !== undefined) record[name] = structuredClone(prop.default);
      continue;
    }
    const value = body[name];
    if (value === null) {
      if (required.has(name)) errors[name] = 'null';
      else record[name] = null;
      continue;
    }
    try {
      record[name] = cleanValue(facts, prop, value, required.has(name));
    } catch (exc) {
      if (!(exc instanceof FieldError)) throw exc;
      errors[name] = exc.nested || exc.code;
    }
  }
  return { record, errors };
}

// -- cross-field rules (app/schemas/record_rules.py) -------------------------------------

const PARTIAL = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;

/** First and last day of a partial date as 'YYYY-MM-DD' strings, or null. */
export function partialDateBounds(value) {
  const text = value.length > 10 && value[10] === 'T' ? value.slice(0, 10) : value;
  const m = PARTIAL.exec(text);
  if (!m) return null;
  const [year, month, day] = [m[1], m[2], m[3]].map((x) => (x ? Number(x) : null));
  if (year < 1) return null;
  if (month === null) return [`${pad(year, 4)}-01-01`, `${pad(year, 4)}-12-31`];
  if (month < 1 || month > 12) return null;
  if (day === null) {
    return [`${pad(year, 4)}-${pad(month)}-01`, `${pad(year, 4)}-${pad(month)}-${pad(daysIn(year, month))}`];
  }
  if (day < 1 || day > daysIn(year, month)) return null;
  const exact = `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
  return [exact, exact];
}

const isSet = (v) => v !== null && v !== undefined && v !== '' && !(Array.isArray(v) && v.length === 0);
const isNumber = (v) => typeof v === 'number';
const isInt = (v) => typeof v === 'number' && Number.isInteger(v);

function addDays(iso, days) {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

function bandOf(rule, age) {
  return rule.bands.find((b) => b.min <= age && age <= b.max)?.code ?? null;
}

function* checkOne(rule, record, { today, explicit, prefix }) {
  const violation = (field) => ({ field: prefix + field, rule_id: rule.id, code: rule.code,
    message: rule.message });
  switch (rule.rule) {
    case 'lte': {
      const [lower, upper] = rule.fields.map((n) => record[n]);
      if (!(isSet(lower) && isSet(upper))) return;
      let broken;
      if (rule.compare === 'partial_date') {
        const low = partialDateBounds(String(lower));
        const high = partialDateBounds(String(upper));
        broken = low !== null && high !== null && low[0] > high[1];
      } else if (isNumber(lower) && isNumber(upper)) broken = lower > upper;
      else return;
      if (broken) yield violation(rule.fields[1]);
      return;
    }
    case 'ordered_range': {
      const value = record[rule.field];
      if (typeof value === 'string' && value.includes('-')) {
        const at = value.indexOf('-');
        const [a, b] = [value.slice(0, at), value.slice(at + 1)];
        if (/^[0-9]+$/.test(a) && /^[0-9]+$/.test(b) && Number(a) > Number(b)) yield violation(rule.field);
      }
      return;
    }
    case 'only_when': {
      const value = record[rule.field];
      if (!isSet(value)) return;
      if (rule.values && !rule.values.includes(value)) return;
      if (!Object.entries(rule.when).every(([n, allowed]) => allowed.includes(record[n]))) {
        yield violation(rule.field);
      }
      return;
    }
    case 'derive_age_group': {
      const age = record[rule.source];
      if (!isInt(age)) return;
      const band = bandOf(rule, age);
      if (!explicit.has(rule.target) || !isSet(record[rule.target])) record[rule.target] = band;
      else if (record[rule.target] !== band) yield violation(rule.target);
      return;
    }
    case 'date_precision': {
      const value = record[rule.field];
      if (typeof value !== 'string' || !isSet(value)) return;
      const parts = value.split('-').length;
      const pf = rule.precision_field;
      const precision = record[pf];
      if (!explicit.has(pf) || !isSet(precision)) {
        if (explicit.has(rule.field)) record[pf] = rule.derive[String(parts)];
      } else if (parts < (rule.parts[precision] || 0)) yield violation(pf);
      return;
    }
    case 'not_future': {
      const limit = addDays(today, Number(rule.tolerance_days));
      for (const name of rule.fields) {
        const value = record[name];
        if (typeof value === 'string' && value) {
          const bounds = partialDateBounds(value);
          if (bounds !== null && bounds[0] > limit) yield violation(name);
        }
      }
      return;
    }
    case 'unique_by': {
      const items = Array.isArray(record[rule.field]) ? record[rule.field] : [];
      const seen = new Set();
      items.forEach((item, index) => {
        const key = isObject(item) ? item[rule.key] : undefined;
        if (key === undefined || key === null) return;
        if (seen.has(key)) record.__violations.push(violation(`${rule.field}.${index}.${rule.key}`));
        seen.add(key);
      });
      return;
    }
    default:
      throw new Error(`unknown rule type ${rule.rule}`);
  }
}

/** The cross-field rules on a cleaned record: {record (with derived fields), violations}. */
export function applyRules(rules, record, { today, explicit = null } = {}) {
  const result = { ...record };
  const sent = new Set(explicit ?? Object.keys(result));
  const violations = [];
  const run = (rule, target, options) => {
    target.__violations = violations; // unique_by reports from inside a forEach
    for (const v of checkOne(rule, target, options)) violations.push(v);
    delete target.__violations;
  };
  for (const rule of rules) {
    if (rule.each) {
      const items = result[rule.each];
      if (!Array.isArray(items)) continue;
      result[rule.each] = items.map((item, index) => {
        if (!isObject(item)) return item;
        const copy = { ...item };
        run(rule, copy, { today, explicit: new Set(Object.keys(copy)), prefix: `${rule.each}.${index}.` });
        return copy;
      });
    } else {
      run(rule, result, { today, explicit: sent, prefix: '' });
    }
  }
  const first = new Map();
  for (const v of violations) if (!first.has(v.field)) first.set(v.field, v);
  return { record: result, violations: [...first.values()] };
}

// -- JSON Schema (cfworker) on the canonical record --------------------------------------

const LEAF_CODES = {
  required: 'required', additionalProperties: 'unknown_field', enum: 'not_in_vocabulary',
  type: 'invalid_type', minimum: 'out_of_range', maximum: 'out_of_range', maxLength: 'too_long',
  maxItems: 'too_long', uniqueItems: 'duplicate', pattern: 'invalid', format: 'invalid',
  const: 'invalid',
};
const validators = new WeakMap();

/** The schema without our `x-` annotations: the validator reads any object-valued `id`
 * inside one (x-labels.id, x-fields.id) as a schema id. */
function standardOnly(node) {
  if (Array.isArray(node)) return node.map(standardOnly);
  if (!isObject(node)) return node;
  return Object.fromEntries(Object.entries(node).filter(([k]) => !k.startsWith('x-'))
    .map(([k, v]) => [k, standardOnly(v)]));
}

function schemaErrors(schema, record) {
  let validator = validators.get(schema);
  if (!validator) {
    validator = new Validator(standardOnly(schema), '2020-12', false);
    validators.set(schema, validator);
  }
  const out = {};
  for (const e of validator.validate(record).errors) {
    const code = LEAF_CODES[e.keyword];
    if (!code) continue; // "properties"/"items" wrap the leaf errors reported beside them
    const path = e.instanceLocation.replace(/^#\/?/, '').split('/').filter(Boolean).join('.');
    const field = e.keyword === 'required' ? (/"([^"]+)"/.exec(e.error)?.[1] ?? path) : path;
    if (!(field in out)) out[field || '_schema'] = code;
  }
  return out;
}

/** Today as the server counts it (UTC), 'YYYY-MM-DD'. */
export function utcToday() {
  return new Date().toISOString().slice(0, 10);
}

/**
 * Validate a full REST body of a kind against its served JSON Schema, as the server's
 * validate_record(kind, body) does. Returns {valid, record, errors: {path: code},
 * rules: {path: violation}}: `record` is the cleaned body (ASCII numbers, defaults and
 * derived fields), what the device stores; `rules` carry the rule's own message.
 */
export function validateRecord(schema, body, { today = utcToday() } = {}) {
  const { record, errors: nested } = cleanObject(schema, body);
  const errors = flatten(nested, '', {});
  if (Object.keys(errors).length) return { valid: false, record: null, errors, rules: {} };
  const { record: derived, violations } = applyRules(schema['x-cross-field-rules'] || [], record, { today });
  const rules = {};
  for (const v of violations) {
    errors[v.field] = v.code;
    rules[v.field] = v;
  }
  if (!violations.length) {
    // The cleaner mirrors the server; the JSON Schema is the contract the record must meet.
    Object.assign(errors, schemaErrors(schema, derived));
  }
  const valid = !Object.keys(errors).length;
  return { valid, record: valid ? derived : null, errors, rules };
}

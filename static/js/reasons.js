// Why the hub refused or parked a change, in the user's language.
//
// The hub states its reasons in English (app/services/sync_push.py, access.py) and keeps
// them English on the wire and in its database: clients and tests compare them. This
// module only reads them for a person. A reason that quotes field values
// ("invalid values: sex: Not one of: …") is read with the record fields' own messages,
// which come with the schemas (vocabularies.messages, vocabularies.errors and each kind's
// x-cross-field-rules), so they are available offline and never copied here. Anything
// not known stays the hub's English: better English than nothing.

// The hub's own reasons, as sent (lower case, no full stop).
export const REASONS = {
  "origin_id is not this device's origin": 'معرّف المصدر (origin_id) ليس معرّف هذا الجهاز',
  'record not known on this hub and the change names no team':
    'السجل غير معروف على هذا الخادم والتغيير لا يذكر فريقاً',
  "not a member of this record's team": 'لست عضواً في فريق هذا السجل',
  'author is not the authenticated user': 'كاتب التغيير ليس المستخدم الذي سجّل الدخول',
  'this person record is not yours or assigned to you': 'سجل هذا الشخص ليس لك ولم يُسند إليك',
  'strictly confidential records are for coordinators': 'السجلات السرية للغاية للمنسقين وحدهم',
  "only the record's author or a coordinator may delete it": 'لا يحذف السجلَ إلا كاتبه أو المنسق',
  'only a coordinator may record a death': 'لا يسجّل الوفاة إلا المنسق',
  'only a coordinator may assign records': 'لا يُسند السجلات إلا المنسق',
  'only a coordinator may lower sensitivity': 'لا يخفّض درجة الحساسية إلا المنسق',
  'only a coordinator may resolve': 'لا يحسم التعارض إلا المنسق',
  'only a coordinator may merge into': 'لا يدمج السجلات إلا المنسق',
  'only a coordinator may purge': 'لا يمحو السجلات إلا المنسق',
  'only a coordinator may undelete': 'لا يستعيد السجلات المحذوفة إلا المنسق',
  'this op_id is held with other content': 'معرّف التغيير (op_id) محفوظ على الخادم بمحتوى آخر',
};

// Reasons with values. A value named after a vocabulary (kind, verification_status) is
// shown with that vocabulary's label; any other value as sent.
export const REASON_TEMPLATES = {
  'unknown record kind {kind}': 'نوع سجل غير معروف {kind}',
  'record is a {kind}, change says {other_kind}': 'السجل من نوع {kind}، والتغيير يقول {other_kind}',
  'only a coordinator may set verification to {verification_status}':
    'لا يجعل حالة التحقق «{verification_status}» إلا المنسق',
  'change: cannot be read ({error})': 'تعذّرت قراءة التغيير ({error})',
};

const INVALID = 'invalid values: ';
const PLACEHOLDER = /\{(\w+)\}/g;
const compiled = new Map(); // template -> RegExp

function escape(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A template's RegExp: literal text escaped, each {name} a lazy group of that name. */
function pattern(template) {
  if (!compiled.has(template)) {
    let source = '';
    let last = 0;
    const seen = new Set();
    for (const m of template.matchAll(PLACEHOLDER)) {
      source += escape(template.slice(last, m.index));
      source += seen.has(m[1]) ? `\\k<${m[1]}>` : `(?<${m[1]}>.+?)`;
      seen.add(m[1]);
      last = m.index + m[0].length;
    }
    compiled.set(template, new RegExp(`^${source}${escape(template.slice(last))}$`, 's'));
  }
  return compiled.get(template);
}

function arabicValue(value) {
  // Lists read with the Arabic comma; quoted values (a repr, an input) stay as they are.
  return /^['"]/.test(value) ? value : value.replaceAll(', ', '، ');
}

/** The first template (most literal text first) that matches `text`, filled in Arabic. */
function byTemplate(templates, text, valueText = arabicValue) {
  const ordered = Object.keys(templates)
    .sort((a, b) => b.replace(PLACEHOLDER, '').length - a.replace(PLACEHOLDER, '').length);
  for (const english of ordered) {
    const m = pattern(english).exec(text);
    if (m) return templates[english].replace(PLACEHOLDER, (_, name) => valueText(m.groups[name], name));
  }
  return null;
}

const fieldTables = new WeakMap(); // schemas -> {exact, templates}

/** The record fields' messages, English -> Arabic, from the schemas the device holds. */
function fieldMessages(schemas) {
  if (!schemas) return { exact: {}, templates: {} };
  if (!fieldTables.has(schemas)) {
    const exact = {};
    const templates = {};
    for (const label of Object.values(schemas.vocabularies?.errors || {})) exact[label.en] = label.ar;
    for (const schema of Object.values(schemas.kinds || {})) {
      for (const rule of schema['x-cross-field-rules'] || []) {
        if (rule.message?.en) exact[rule.message.en] = rule.message.ar;
      }
    }
    for (const [en, ar] of Object.entries(schemas.vocabularies?.messages || {})) {
      if (en.match(PLACEHOLDER)) templates[en] = ar;
      else exact[en] = ar;
    }
    fieldTables.set(schemas, { exact, templates });
  }
  return fieldTables.get(schemas);
}

/** One field's messages (the hub joins several with a space), each in Arabic or kept. */
function fieldText(table, text) {
  const whole = table.exact[text] || byTemplate(table.templates, text);
  if (whole) return whole;
  // Several sentences: translate each on its own.
  const sentences = text.split(/(?<=\.) (?=["'A-Z0-9])/);
  if (sentences.length < 2) return text;
  return sentences.map((s) => table.exact[s] || byTemplate(table.templates, s) || s).join(' ');
}

function codeLabel(schemas, vocabulary, code) {
  const list = schemas?.vocabularies?.vocabularies?.[vocabulary];
  const entry = list?.find((e) => e.code === code || `'${e.code}'` === code);
  return entry?.ar || code;
}

/**
 * `reason` (the hub's English) in `lang`; `schemas` is what the device holds from
 * /api/v1/schemas, for the fields' own messages and the vocabularies' labels. English,
 * or anything not known, comes back as it was.
 */
export function reasonText(lang, reason, schemas = null) {
  if (lang !== 'ar' || typeof reason !== 'string' || !reason) return reason;
  if (REASONS[reason]) return REASONS[reason];
  if (reason.startsWith(INVALID)) {
    const table = fieldMessages(schemas);
    const parts = reason.slice(INVALID.length).split('; ').map((part) => {
      const at = part.indexOf(': ');
      if (at < 0) return fieldText(table, part);
      // The field's name stays as sent: it is what the form and the hub call it.
      return `${part.slice(0, at)}: ${fieldText(table, part.slice(at + 2))}`;
    });
    return `قيم غير صالحة: ${parts.join('؛ ')}`;
  }
  return byTemplate(REASON_TEMPLATES, reason, (value, name) => {
    const label = codeLabel(schemas, name === 'other_kind' ? 'kind' : name, value);
    return label === value ? arabicValue(value) : label;
  }) || reason;
}

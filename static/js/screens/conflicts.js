// Conflicts (coordinators), #/conflicts: every record of the teams they coordinate that
// holds open candidates, from the device's own copy (so it works offline). For each
// field: the candidates side by side with who, when and from which device; keep one, or
// enter a new value. The choice is a resolve change (engine.resolveRecord) that syncs
// like any edit and closes the conflict on every replica.

import { h } from '../dom.js';
import { Directory, STRINGS, candidateCards, fieldLabel, schemaOrder } from './coord-common.js';

/** Records with open conflicts that this coordinator may settle: identity first. */
export function conflictedViews(ui) {
  const r = ui.engine.replica;
  if (!r) return [];
  return [...r.states.values()]
    .filter((s) => (Object.keys(s.conflicts || {}).length || s.delete_conflict) && !s.purged
      && ui.engine.roleIn(s.values.team_id) === 'coordinator')
    .map((s) => ui.engine.view(s.record_id))
    .sort((a, b) => Number(b.needs_review) - Number(a.needs_review)
      || (a.updated_at < b.updated_at ? 1 : -1));
}

/** A control for a new value of `field`, shaped by the field's schema. */
function newValueControl(ui, kind, field) {
  const prop = ui.engine.schemas?.kinds?.[kind]?.properties?.[field] || {};
  const id = `new-${field}`;
  const enumValues = (prop.enum || []).filter((x) => x !== null);
  if (enumValues.length) {
    return h('select', { id, name: field },
      enumValues.map((code) => h('option', { value: code }, ui.codeLabel(prop['x-vocabulary'] || field, code))));
  }
  if ([prop.type].flat().includes('integer')) {
    // Text with a digits pattern, not type=number: that would refuse Arabic-Indic digits.
    return h('input', { id, name: field, type: 'text', inputmode: 'numeric', pattern: '[0-9٠-٩]+',
      'data-min': prop.minimum, 'data-max': prop.maximum });
  }
  return h('input', { id, name: field, type: 'text', maxlength: prop.maxLength });
}

function readNewValue(ui, kind, field, control) {
  const prop = ui.engine.schemas?.kinds?.[kind]?.properties?.[field] || {};
  const raw = control.value.trim();
  if (raw === '') return undefined;
  if ([prop.type].flat().includes('integer')) {
    // Arabic-Indic digits are stored as ASCII.
    const ascii = raw.replace(/[٠-٩]/g, (d) => String(d.charCodeAt(0) - 0x660));
    const n = /^[0-9]+$/.test(ascii) ? Number(ascii) : NaN;
    const { min, max } = control.dataset;
    if ((min !== undefined && n < Number(min)) || (max !== undefined && n > Number(max))) return NaN;
    return n;
  }
  return raw;
}

function fieldBlock(ui, view, field, directory) {
  const resolve = async (value) => {
    await ui.engine.resolveRecord(view.id, { [field]: value });
    ui.refresh();
  };
  const special = field.startsWith('@');
  const form = special ? null : h('form', { class: 'new-value' },
    h('div', { class: 'inline' },
      h('label', {}, h('span', { text: ui.tr('cf_enter_new_value') }), newValueControl(ui, view.kind, field)),
      h('button', { type: 'submit', class: 'resolve-new' }, ui.tr('cf_resolve_with_new'))),
    h('p', { class: 'error', role: 'alert' }));
  form?.addEventListener('submit', async (e) => {
    e.preventDefault();
    const control = form.elements[field];
    const value = readNewValue(ui, view.kind, field, control);
    const line = form.querySelector('.error');
    if (value === undefined || Number.isNaN(value) || !control.checkValidity()) {
      line.textContent = ui.tr('cf_value_invalid');
      return;
    }
    try {
      await resolve(value);
    } catch (exc) {
      line.textContent = ui.errorText(exc);
    }
  });
  return h('div', { class: 'conflict-field', 'data-field': field },
    h('h4', { text: fieldLabel(ui, view.kind, field) }),
    candidateCards(ui, view, field, view.conflicts[field], directory, special ? null : resolve),
    form);
}

/** Deleted on one device while edited on another: keep the record, or delete it. */
function deleteBlock(ui, view) {
  // The same changes the hub's resolve writes for "@deleted": an undelete or a delete
  // whose deps are every head, so it has seen both sides.
  const settle = async (action) => {
    await ui.engine.replica.write(view.id, view.kind, action, {});
    ui.engine.afterWrite();
    ui.refresh();
  };
  return h('div', { class: 'conflict-field delete-conflict', 'data-field': '@deleted' },
    h('h4', { text: ui.tr('state_deleted') }),
    h('p', { class: 'hint', text: ui.tr('cf_delete_conflict') }),
    h('div', { class: 'row' },
      h('button', { type: 'button', class: 'keep-record', onclick: () => settle('undelete') }, ui.tr('cf_keep_record')),
      h('button', { type: 'button', class: 'danger delete-record', onclick: () => settle('delete') },
        ui.tr('cf_delete_record'))));
}

function recordBlock(ui, view, directory) {
  return h('section', { class: 'card conflict-record', 'data-id': view.id },
    h('h3', {},
      h('span', { class: 'kind', text: ui.kindLabel(view.kind) }), ' ',
      h('a', { href: `#/record/${encodeURIComponent(view.id)}` }, h('bdi', { text: ui.title(view) })),
      view.needs_review ? h('span', { class: 'badge', text: ui.tr('cf_identity_conflict') }) : null),
    view.delete_conflict ? deleteBlock(ui, view) : null,
    schemaOrder(ui, view.kind, Object.keys(view.conflicts)).map((f) => fieldBlock(ui, view, f, directory)));
}

export default {
  id: 'conflicts',
  nav: { en: 'Conflicts', ar: 'التعارضات' },
  allowed: (ui) => ui.isCoordinator(),
  strings: {
    ...STRINGS,
    cf_conflicts_title: { en: 'Conflicts to settle', ar: 'تعارضات بانتظار الحسم' },
    cf_conflicts_help: {
      en: 'Two devices wrote different values for the same field. Keep one, or enter the right value: your choice is sent like any edit.',
      ar: 'كتب جهازان قيمتين مختلفتين للحقل نفسه. اعتمد إحداهما أو أدخل القيمة الصحيحة: يُرسل اختيارك كأي تعديل.',
    },
    cf_no_conflicts: { en: 'No open conflicts.', ar: 'لا توجد تعارضات مفتوحة.' },
    cf_enter_new_value: { en: 'Or enter another value', ar: 'أو أدخل قيمة أخرى' },
    cf_resolve_with_new: { en: 'Use this value', ar: 'استخدم هذه القيمة' },
    cf_value_invalid: { en: 'Enter a valid value.', ar: 'أدخل قيمة صالحة.' },
    cf_delete_conflict: {
      en: 'Deleted on one device while edited on another. Keep the record (with the edits), or delete it?',
      ar: 'حُذف على جهاز بينما عُدّل على جهاز آخر. هل تُبقي السجل (مع التعديلات) أم تحذفه؟',
    },
    cf_keep_record: { en: 'Keep the record', ar: 'أبقِ السجل' },
    cf_delete_record: { en: 'Delete it', ar: 'احذفه' },
    cf_identity_conflict: { en: 'Identity or fate', ar: 'الهوية أو المصير' },
  },
  async render(ui) {
    const directory = await Directory.load(ui);
    const views = conflictedViews(ui);
    return h('div', { class: 'conflicts-screen' },
      h('h2', { text: ui.tr('cf_conflicts_title') }),
      h('p', { class: 'hint', text: ui.tr('cf_conflicts_help') }),
      views.length ? views.map((v) => recordBlock(ui, v, directory))
        : h('p', { class: 'empty', id: 'no-conflicts', text: ui.tr('cf_no_conflicts') }));
  },
  onRecords(ui, detail) {
    // Re-render when a shown record changed, unless the user is typing a new value.
    const typing = document.activeElement?.closest?.('.new-value');
    if (!typing && detail?.ids?.length) ui.refresh();
  },
};

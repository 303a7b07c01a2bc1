// The one DOM builder every screen uses. Data only ever becomes text (textContent or
// attribute values), never markup, so a record's text cannot inject anything.

/**
 * h('button', {type: 'button', onclick: fn, text: 'Save'}, child, ...)
 * `on<event>` attributes add listeners; `text` sets textContent; false/null attributes
 * and children are skipped; arrays of children are flattened.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

// The coordinator dashboard: every chart of /api/v1/dashboard under one set of filters,
// each drawn with the vendored Chart.js, shown as a table on demand, downloadable as CSV,
// and every number drilling down to the records behind it. Offline it shows the last
// figures fetched (sealed in the vault) with the time they were computed.
// The counting rule is docs/counting.md; the short form below is shown on the page.

import { formatTime } from '../i18n.js';

const VAULT_KEY = 'dashboard:last';
const CHART_JS = '../../vendor/chartjs/chart.umd.min.js';
const COLOURS = ['#b3261e', '#1f5fa8', '#7a7a7a', '#d9a400', '#2e7d32', '#6a1b9a', '#00838f',
  '#ef6c00', '#5d4037'];

// Which columns each chart draws (series), which label its rows, and how.
const CHARTS = [
  { name: 'casualties_by_day', group: 'casualties', kind: 'time', label: ['day'],
    series: ['civilian', 'non_civilian', 'unknown', 'unknown_from_incidents'] },
  { name: 'casualties_by_week', group: 'casualties', kind: 'time', label: ['week'],
    series: ['civilian', 'non_civilian', 'unknown', 'unknown_from_incidents'] },
  { name: 'casualties_by_place', group: 'casualties', kind: 'place', label: ['place_id'],
    series: ['killed', 'injured'] },
  { name: 'casualties_by_cause', group: 'casualties', label: ['cause'], vocab: ['cause'],
    series: ['killed', 'injured'] },
  { name: 'casualties_by_sex_age', group: 'casualties', label: ['sex', 'age_group'],
    vocab: ['sex', 'age_group'], series: ['killed', 'injured'] },
  { name: 'casualties_by_civilian_status', group: 'casualties', label: ['civilian_status'],
    vocab: ['civilian_status'], series: ['killed', 'injured'] },
  { name: 'casualties_by_verification', group: 'casualties', label: ['verification_status'],
    vocab: ['verification_status'], series: ['killed', 'injured'] },
  { name: 'missing_by_type', group: 'missing', stacked: true, label: ['week'], seriesVocab: 'disappearance_type' },
  { name: 'missing_fate', group: 'missing', stacked: true, label: ['week'], seriesVocab: 'fate_status' },
  { name: 'supply_open', group: 'supply', stacked: true, label: ['item_category'],
    vocab: ['item_category'], seriesVocab: 'priority' },
  { name: 'supply_by_site_type', group: 'supply', stacked: true, label: ['site_type'],
    vocab: ['requesting_site_type'], seriesVocab: 'priority' },
  { name: 'supply_quantities', group: 'supply', label: ['item_category', 'unit'],
    vocab: ['item_category', null], series: ['needed', 'committed', 'delivered'] },
  { name: 'supply_oldest_critical', group: 'supply', kind: 'table' },
  { name: 'health_records_by_team', group: 'health', kind: 'table' },
  { name: 'health_records_by_device', group: 'health', kind: 'table' },
  { name: 'health_sync', group: 'health', kind: 'table' },
  { name: 'health_waiting', group: 'health', kind: 'table' },
];
const GROUPS = ['casualties', 'missing', 'supply', 'health'];
// Columns named after a vocabulary (their values are its codes).
const COLUMN_VOCAB = { cause: 'cause', sex: 'sex', age_group: 'age_group',
  civilian_status: 'civilian_status', verification_status: 'verification_status',
  item_category: 'item_category', site_type: 'requesting_site_type', measure: 'outcome' };

let chartLib = null;
async function loadChartJs() {
  if (!chartLib) {
    await import(CHART_JS);
    chartLib = globalThis.Chart;
  }
  return chartLib;
}

function query(params) {
  const parts = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    for (const item of Array.isArray(v) ? v : [v]) {
      parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(item)}`);
    }
  }
  return parts.join('&');
}

class DashboardView {
  constructor(ui) {
    this.ui = ui;
    this.filters = { date_from: '', date_to: '', place: '', team_id: '', verification: '' };
    this.parent = null;
    this.data = {};
    this.charts = [];
    this.offline = false;
  }

  tr(key, params) { return this.ui.tr(key, params); }

  h(...args) { return this.ui.h(...args); }

  apiFilters() {
    const f = this.filters;
    return { date_from: f.date_from, date_to: f.date_to, place: f.place, team_id: f.team_id,
      verification: f.verification };
  }

  cellLabel(column, value) {
    if (value === 'imprecise') return this.tr('dash_imprecise');
    if (value === 'none' && column === 'place_id') return this.tr('dash_no_place');
    const vocab = COLUMN_VOCAB[column];
    if (vocab && typeof value === 'string') return this.ui.codeLabel(vocab, value);
    // Times (last sync, when a need was reported) in the reader's locale, not raw ISO.
    if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) {
      return formatTime(this.ui.lang, value, { utc: true });
    }
    return value === null || value === undefined ? '' : String(value);
  }

  columnLabel(spec, column) {
    const key = `dash_col_${column}`;
    const text = this.tr(key);
    if (text !== key) return text;
    if (spec?.seriesVocab) return this.ui.codeLabel(spec.seriesVocab, column);
    const kind = this.ui.codeLabel('kind', column);
    if (kind !== column) return kind;
    // A column named after a record field: the field's translated label.
    for (const kind of ['casualty', 'supply_need', 'missing_person']) {
      const field = column === 'site_type' ? 'requesting_site_type' : column;
      const label = this.ui.label(kind, field);
      if (label !== field) return label;
    }
    for (const vocab of ['civilian_status', 'priority', 'fate_status', 'disappearance_type']) {
      const label = this.ui.codeLabel(vocab, column);
      if (label !== column) return label;
    }
    return column;
  }

  rowLabel(spec, table, row) {
    if (spec.kind === 'place') {
      const id = row[0];
      if (id === 'none') return this.tr('dash_no_place');
      const en = row[table.columns.indexOf('name_en')];
      const ar = row[table.columns.indexOf('name_ar')];
      return (this.ui.lang === 'ar' ? ar || en : en || ar) || id;
    }
    const parts = spec.label.map((col) => this.cellLabel(col, row[table.columns.indexOf(col)]));
    if (table.columns.includes('measure') && spec.kind === 'time') return parts.join(' / ');
    return parts.join(' · ');
  }

  render() {
    this.box = this.h('div', { class: 'dashboard-screen' });
    const f = this.filters;
    const teams = this.ui.memberships().filter((m) => m.role === 'coordinator');
    const input = (name, type, extra = {}) => this.h('input', { type, id: `dash-${name}`,
      name, value: f[name], ...extra, onchange: (e) => { f[name] = e.target.value; } });
    const verification = this.h('select', { id: 'dash-verification', name: 'verification',
      onchange: (e) => { f.verification = e.target.value; } },
    this.h('option', { value: '', text: this.tr('dash_all') }),
    ...['reported', 'single_source', 'corroborated', 'confirmed', 'contested'].map((code) =>
      this.h('option', { value: code, text: this.ui.codeLabel('verification_status', code) })));
    const team = this.h('select', { id: 'dash-team', name: 'team_id',
      onchange: (e) => { f.team_id = e.target.value; } },
    this.h('option', { value: '', text: this.tr('dash_all_teams') }),
    ...teams.map((m) => this.h('option', { value: m.team_id, text: m.team_name || m.team_id })));
    const form = this.h('form', { class: 'dash-filters', id: 'dash-filters',
      onsubmit: (e) => { e.preventDefault(); this.parent = null; this.load(); } },
    this.h('label', {}, this.h('span', { text: this.tr('dash_from') }), input('date_from', 'date')),
    this.h('label', {}, this.h('span', { text: this.tr('dash_to') }), input('date_to', 'date')),
    this.h('label', {}, this.h('span', { text: this.tr('dash_place') }),
      input('place', 'text', { placeholder: this.tr('dash_place_hint'), size: 12 })),
    this.h('label', {}, this.h('span', { text: this.tr('dash_team') }), team),
    this.h('label', {}, this.h('span', { text: this.tr('dash_verification') }), verification),
    this.h('button', { type: 'submit', id: 'dash-apply', text: this.tr('dash_apply') }));
    this.stamp = this.h('p', { class: 'dash-stamp', id: 'dash-stamp', role: 'status' });
    this.drillBox = this.h('section', { class: 'dash-drill', id: 'dash-drill', hidden: true });
    const rule = this.h('details', { class: 'dash-rule', id: 'dash-rule' },
      this.h('summary', { text: this.tr('dash_rule_title') }),
      ...['dash_rule_1', 'dash_rule_2', 'dash_rule_3', 'dash_rule_4', 'dash_rule_5'].map((k) =>
        this.h('p', { text: this.tr(k) })));
    this.sections = {};
    const sections = GROUPS.map((g) => {
      const s = this.h('section', { class: 'dash-group', 'data-group': g },
        this.h('h2', { text: this.tr(`dash_group_${g}`) }));
      this.sections[g] = s;
      return s;
    });
    this.box.append(this.h('h1', { text: this.tr('dash_title') }), form, rule, this.stamp,
      this.drillBox, ...sections);
    this.load();
    return this.box;
  }

  async load() {
    this.stamp.textContent = this.tr('dash_loading');
    const filters = this.apiFilters();
    const fetched = {};
    this.offline = false;
    try {
      await Promise.all(CHARTS.map(async (spec) => {
        const extra = spec.name === 'casualties_by_place' && this.parent ? { parent: this.parent } : {};
        fetched[spec.name] = await this.ui.api('GET', `/dashboard/${spec.name}?${query({ ...filters, ...extra })}`);
      }));
      this.data = fetched;
      await this.ui.engine.vault?.putSealed(VAULT_KEY, { filters: this.filters, parent: this.parent, charts: fetched });
    } catch (exc) {
      if (exc?.code !== 'offline' && exc?.status !== 0 && !(exc instanceof TypeError)) {
        this.stamp.textContent = this.ui.errorText(exc);
        return;
      }
      const last = await this.ui.engine.vault?.getSealed(VAULT_KEY);
      if (!last) {
        this.stamp.textContent = this.tr('dash_offline_none');
        return;
      }
      this.offline = true;
      this.data = last.charts;
      Object.assign(this.filters, last.filters || {});
    }
    const any = Object.values(this.data)[0];
    const when = formatTime(this.ui.lang, any?.computed_at, { utc: true });
    this.stamp.textContent = this.tr(this.offline ? 'dash_offline_at' : 'dash_computed_at', { when });
    this.stamp.dataset.offline = String(this.offline);
    await this.draw();
  }

  async draw() {
    for (const c of this.charts) c.destroy();
    this.charts = [];
    let Chart = null;
    try {
      Chart = await loadChartJs();
    } catch {
      Chart = null; // the tables still show every number
    }
    for (const g of GROUPS) {
      const section = this.sections[g];
      section.replaceChildren(section.firstChild);
      for (const spec of CHARTS.filter((c) => c.group === g)) {
        const table = this.data[spec.name];
        if (table) section.append(this.card(spec, table, Chart));
      }
    }
  }

  card(spec, table, Chart) {
    const tableBox = this.h('div', { class: 'dash-table', hidden: spec.kind !== 'table' });
    tableBox.append(this.tableOf(spec, table));
    const csv = this.h('a', { class: 'button dash-csv', 'data-chart': spec.name,
      href: `/api/v1/dashboard/${spec.name}?${query({ ...this.apiFilters(), format: 'csv',
        parent: spec.kind === 'place' ? this.parent : null })}`,
      download: `${spec.name}.csv`, text: this.tr('dash_csv') });
    const toggle = spec.kind === 'table' ? null : this.h('button', { type: 'button',
      class: 'dash-toggle', 'aria-expanded': 'false', text: this.tr('dash_show_table'),
      onclick: (e) => {
        tableBox.hidden = !tableBox.hidden;
        e.target.setAttribute('aria-expanded', String(!tableBox.hidden));
        e.target.textContent = this.tr(tableBox.hidden ? 'dash_show_table' : 'dash_hide_table');
      } });
    const tools = this.h('div', { class: 'dash-tools' }, toggle, csv);
    if (spec.kind === 'place' && table.parent) {
      tools.prepend(this.h('button', { type: 'button', class: 'dash-up', text: this.tr('dash_up'),
        onclick: () => { this.parent = (table.parent_path || []).slice(-2, -1)[0] || null; this.load(); } }));
    }
    const note = table.in_conflict ? this.h('p', { class: 'dash-note',
      text: this.tr('dash_in_conflict', { n: table.in_conflict }) }) : null;
    const figure = this.h('figure', { class: 'dash-card', 'data-chart': spec.name },
      this.h('figcaption', { text: this.tr(`dash_chart_${spec.name}`) }));
    if (spec.kind !== 'table' && Chart && table.rows.length) {
      const canvas = this.h('canvas', { role: 'img', 'aria-label': this.tr(`dash_chart_${spec.name}`) });
      figure.append(this.h('div', { class: 'dash-canvas' }, canvas));
      this.charts.push(this.chartOf(Chart, canvas, spec, table));
    } else if (!table.rows.length) {
      figure.append(this.h('p', { class: 'empty', text: this.tr('dash_no_figures') }));
    }
    figure.append(...[tools, note, tableBox].filter(Boolean));
    return figure;
  }

  seriesOf(spec, table) {
    if (spec.series) return spec.series;
    return table.columns.filter((c) => c !== 'total' && !spec.label.includes(c)
      && table.series[c] !== null);
  }

  chartOf(Chart, canvas, spec, table) {
    const rtl = this.ui.lang === 'ar';
    let rows = table.rows.map((row, i) => ({ row, i }));
    if (spec.kind === 'time') {
      // One measure per chart: killed (injured are in the table and the CSV).
      rows = rows.filter(({ row }) => row[table.columns.indexOf('measure')] === 'killed');
    }
    const series = this.seriesOf(spec, table);
    const datasets = series.map((col, k) => ({
      label: this.columnLabel(spec, col),
      data: rows.map(({ row }) => row[table.columns.indexOf(col)]),
      backgroundColor: COLOURS[k % COLOURS.length],
      stack: spec.kind === 'time' || spec.stacked ? 'all' : undefined,
    }));
    const stacked = spec.kind === 'time' || Boolean(spec.stacked);
    return new Chart(canvas, {
      type: 'bar',
      data: { labels: rows.map(({ row }) => this.rowLabel(spec, table, row)), datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        locale: rtl ? 'ar' : 'en',
        plugins: {
          legend: { rtl, position: 'bottom' },
          tooltip: { rtl },
          title: spec.kind === 'time' ? { display: true, text: this.tr('dash_killed_only') } : undefined,
        },
        scales: {
          x: { stacked, reverse: rtl },
          y: { stacked, beginAtZero: true, position: rtl ? 'right' : 'left' },
        },
        onClick: (_event, elements) => {
          const hit = elements[0];
          if (!hit) return;
          const { row, i } = rows[hit.index];
          if (spec.kind === 'place' && row[0] !== 'none') {
            this.parent = row[0];
            this.load();
            return;
          }
          this.drill(spec, table, i, series[hit.datasetIndex]);
        },
      },
    });
  }

  tableOf(spec, table) {
    const shown = table.columns.filter((c) => c !== 'name_ar' && c !== 'name_en');
    const head = this.h('tr', {}, ...shown.map((c) => this.h('th', { scope: 'col',
      text: c === 'place_id' ? this.tr('dash_place') : this.columnLabel(spec, c) })));
    const body = table.rows.map((row, i) => this.h('tr', {}, ...shown.map((c) => {
      const value = row[table.columns.indexOf(c)];
      const drillable = typeof value === 'number' && table.series[c] !== null && value > 0;
      let text = c === 'place_id' ? this.rowLabel(spec, table, row) : this.cellLabel(c, value);
      if (c === 'record_id' && typeof value === 'string') text = value.slice(0, 8);
      const content = drillable
        ? this.h('button', { type: 'button', class: 'link dash-number', 'data-column': c,
          onclick: () => this.drill(spec, table, i, c) }, this.h('bdi', { text }))
        : this.h('bdi', { text });
      return this.h(typeof value === 'number' ? 'td' : 'th', { class: typeof value === 'number' ? 'num' : '',
        scope: typeof value === 'number' ? undefined : 'row' }, content);
    })));
    return this.h('table', {}, this.h('thead', {}, head), this.h('tbody', {}, ...body));
  }

  async drill(spec, table, rowIndex, column) {
    const params = { ...table.drill[rowIndex], ...(table.series[column] || {}) };
    const box = this.drillBox;
    box.hidden = false;
    box.replaceChildren(this.h('p', { text: this.tr('dash_loading') }));
    box.scrollIntoView?.({ block: 'nearest' });
    let page;
    try {
      page = await this.ui.api('GET', `/dashboard/${spec.name}/records?${query({ ...this.apiFilters(), ...params, per_page: 200 })}`);
    } catch (exc) {
      box.replaceChildren(this.h('p', { class: 'error', role: 'alert', text: this.ui.errorText(exc) }));
      return;
    }
    const value = table.rows[rowIndex][table.columns.indexOf(column)];
    const items = page.records.map(({ record, counted }) => this.h('li', { class: 'record',
      'data-id': record.id, 'data-kind': record.kind },
    this.h('span', { class: 'kind', text: this.ui.kindLabel(record.kind) }), ' ',
    this.h('bdi', { class: 'title', text: this.ui.title(record) }), ' ',
    this.h('bdi', { class: 'date', text: record.values.occurred_date || record.values.last_seen_date || '' }), ' ',
    this.h('span', { class: 'counted', text: this.tr('dash_counted', { n: counted }) })));
    box.replaceChildren(
      this.h('h2', { text: this.tr('dash_drill_title', { chart: this.tr(`dash_chart_${spec.name}`),
        row: this.rowLabel(spec, table, table.rows[rowIndex]), column: this.columnLabel(spec, column), n: value }) }),
      this.h('p', { text: this.tr('dash_drill_total', { n: page.total }) }),
      this.h('ul', { class: 'dash-drill-list', id: 'dash-drill-list' }, ...items),
      this.h('button', { type: 'button', text: this.tr('dash_close'),
        onclick: () => { box.hidden = true; } }));
  }
}

const STRINGS = {
  dash_title: { en: 'Coordinator dashboard', ar: 'لوحة متابعة المنسق' },
  dash_from: { en: 'From', ar: 'من' },
  dash_to: { en: 'To', ar: 'إلى' },
  dash_place: { en: 'Place', ar: 'المكان' },
  dash_place_hint: { en: 'P-code or id', ar: 'الرمز أو المعرّف' },
  dash_team: { en: 'Team', ar: 'الفريق' },
  dash_verification: { en: 'Verification', ar: 'التحقق' },
  dash_all: { en: 'All (not discounted)', ar: 'الكل (عدا المستبعد)' },
  dash_all_teams: { en: 'All my teams', ar: 'كل فرقي' },
  dash_apply: { en: 'Apply filters', ar: 'تطبيق المرشحات' },
  dash_loading: { en: 'Counting…', ar: 'جارٍ العدّ…' },
  dash_computed_at: { en: 'Figures computed at {when}.', ar: 'حُسبت الأرقام في {when}.' },
  dash_offline_at: { en: 'Offline: the last figures fetched, computed at {when}.',
    ar: 'دون اتصال: آخر أرقام جُلبت، حُسبت في {when}.' },
  dash_offline_none: { en: 'Offline, and no figures were fetched on this device yet.',
    ar: 'دون اتصال، ولم تُجلب أي أرقام إلى هذا الجهاز بعد.' },
  dash_group_casualties: { en: 'Killed and injured', ar: 'القتلى والجرحى' },
  dash_group_missing: { en: 'Missing persons', ar: 'المفقودون' },
  dash_group_supply: { en: 'Supply needs', ar: 'الاحتياجات' },
  dash_group_health: { en: 'Data health', ar: 'سلامة البيانات' },
  dash_chart_casualties_by_day: { en: 'Killed and injured per day, by civilian status', ar: 'القتلى والجرحى يومياً حسب الصفة' },
  dash_chart_casualties_by_week: { en: 'Killed and injured per week, by civilian status', ar: 'القتلى والجرحى أسبوعياً حسب الصفة' },
  dash_chart_casualties_by_place: { en: 'By place (click a bar to go down)', ar: 'حسب المكان (انقر عموداً للنزول)' },
  dash_chart_casualties_by_cause: { en: 'By cause', ar: 'حسب السبب' },
  dash_chart_casualties_by_sex_age: { en: 'By sex and age group', ar: 'حسب الجنس والفئة العمرية' },
  dash_chart_casualties_by_civilian_status: { en: 'By civilian status', ar: 'حسب الصفة' },
  dash_chart_casualties_by_verification: { en: 'By verification', ar: 'حسب التحقق' },
  dash_chart_missing_by_type: { en: 'New cases per week last seen, by type', ar: 'الحالات الجديدة أسبوعياً حسب نوع الفقدان' },
  dash_chart_missing_fate: { en: 'Fate over time', ar: 'المصير عبر الزمن' },
  dash_chart_supply_open: { en: 'Open needs by category and priority', ar: 'الاحتياجات المفتوحة حسب الفئة والأولوية' },
  dash_chart_supply_by_site_type: { en: 'Open needs by site type', ar: 'الاحتياجات المفتوحة حسب نوع الموقع' },
  dash_chart_supply_quantities: { en: 'Quantities needed, committed, delivered', ar: 'الكميات المطلوبة والملتزم بها والمسلّمة' },
  dash_chart_supply_oldest_critical: { en: 'Oldest critical needs first', ar: 'أقدم الاحتياجات الحرجة أولاً' },
  dash_chart_health_records_by_team: { en: 'Records per team', ar: 'السجلات لكل فريق' },
  dash_chart_health_records_by_device: { en: 'Records per device', ar: 'السجلات لكل جهاز' },
  dash_chart_health_sync: { en: 'Last sync per device and peer', ar: 'آخر مزامنة لكل جهاز ومركز' },
  dash_chart_health_waiting: { en: 'Conflicts and parked changes waiting', ar: 'التعارضات والتغييرات المعلّقة' },
  dash_show_table: { en: 'Show as table', ar: 'عرض كجدول' },
  dash_hide_table: { en: 'Hide table', ar: 'إخفاء الجدول' },
  dash_csv: { en: 'Download CSV', ar: 'تنزيل CSV' },
  dash_up: { en: 'Up one level', ar: 'مستوى أعلى' },
  dash_no_figures: { en: 'Nothing to count under these filters.', ar: 'لا شيء يُعدّ ضمن هذه المرشحات.' },
  dash_in_conflict: { en: '{n} of the records behind these figures have open conflicts: the figures use the provisional value.',
    ar: '{n} من السجلات وراء هذه الأرقام فيها تعارضات مفتوحة: تُستخدم القيمة المؤقتة.' },
  dash_killed_only: { en: 'Killed (injured: in the table)', ar: 'القتلى (الجرحى في الجدول)' },
  dash_imprecise: { en: 'Date not precise', ar: 'تاريخ غير دقيق' },
  dash_no_place: { en: 'No more precise place', ar: 'لا مكان أدق' },
  dash_counted: { en: 'counted: {n}', ar: 'محسوب: {n}' },
  dash_drill_title: { en: '{chart}: {row}, {column} = {n}', ar: '{chart}: {row}، {column} = {n}' },
  dash_drill_total: { en: '{n} records behind this number.', ar: '{n} سجلاً وراء هذا الرقم.' },
  dash_close: { en: 'Close', ar: 'إغلاق' },
  dash_col_civilian: { en: 'Civilian', ar: 'مدني' },
  dash_col_non_civilian: { en: 'Non-civilian', ar: 'غير مدني' },
  dash_col_unknown: { en: 'Unknown', ar: 'غير معروف' },
  dash_col_unknown_from_incidents: { en: 'Incident figures not yet named (unknown)', ar: 'أرقام حوادث غير مسمّاة بعد (غير معروف)' },
  dash_col_total: { en: 'Total', ar: 'المجموع' },
  dash_col_total_high: { en: 'Upper bound', ar: 'الحد الأعلى' },
  dash_col_killed: { en: 'Killed', ar: 'قتلى' },
  dash_col_injured: { en: 'Injured', ar: 'جرحى' },
  dash_col_killed_from_incidents: { en: 'of which incident figures', ar: 'منها أرقام حوادث' },
  dash_col_injured_from_incidents: { en: 'of which incident figures (injured)', ar: 'منها أرقام حوادث (جرحى)' },
  dash_col_day: { en: 'Day', ar: 'اليوم' },
  dash_col_week: { en: 'Week of', ar: 'أسبوع' },
  dash_col_measure: { en: 'Measure', ar: 'المقياس' },
  dash_col_needed: { en: 'Needed', ar: 'المطلوب' },
  dash_col_committed: { en: 'Committed', ar: 'الملتزم به' },
  dash_col_delivered: { en: 'Delivered', ar: 'المسلّم' },
  dash_col_outstanding: { en: 'Outstanding', ar: 'المتبقي' },
  dash_col_lines: { en: 'Lines', ar: 'البنود' },
  dash_col_unit: { en: 'Unit', ar: 'الوحدة' },
  dash_col_records: { en: 'Records', ar: 'السجلات' },
  dash_col_open_conflicts: { en: 'Open conflicts', ar: 'تعارضات مفتوحة' },
  dash_col_needs_review: { en: 'Needs review', ar: 'تحتاج مراجعة' },
  dash_col_parked_changes: { en: 'Parked changes', ar: 'تغييرات معلّقة' },
  dash_col_waiting_changes: { en: 'Changes waiting', ar: 'تغييرات بالانتظار' },
  dash_col_last_sync: { en: 'Last sync', ar: 'آخر مزامنة' },
  dash_col_days_since: { en: 'Days since', ar: 'أيام منذ' },
  dash_col_device_id: { en: 'Device id', ar: 'معرّف الجهاز' },
  dash_col_device: { en: 'Device', ar: 'الجهاز' },
  dash_col_user: { en: 'User', ar: 'المستخدم' },
  dash_col_team: { en: 'Team', ar: 'الفريق' },
  dash_col_team_id: { en: 'Team id', ar: 'معرّف الفريق' },
  dash_col_reported: { en: 'Reported', ar: 'تاريخ البلاغ' },
  dash_col_record_id: { en: 'Record', ar: 'السجل' },
  dash_col_kind: { en: 'Kind', ar: 'النوع' },
  dash_col_id: { en: 'Id', ar: 'المعرّف' },
  dash_col_name: { en: 'Name', ar: 'الاسم' },
  dash_rule_title: { en: 'How these figures are counted', ar: 'كيف تُحسب هذه الأرقام' },
  dash_rule_1: { en: 'A casualty record linked to an incident is part of that incident’s count. An incident counts as the larger of its minimum and the sum of its linked records; its range is shown as an upper bound.',
    ar: 'سجل الضحية المرتبط بحادثة جزء من عدد تلك الحادثة. تُحسب الحادثة بالأكبر من حدها الأدنى ومجموع سجلاتها المرتبطة، ويُعرض مداها حداً أعلى.' },
  dash_rule_2: { en: 'The part of an incident’s figure not covered by named records counts as “unknown” for sex, age, civilian status and cause, drawn apart from named records.',
    ar: 'الجزء من رقم الحادثة غير المغطى بسجلات مسمّاة يُحسب «غير معروف» في الجنس والعمر والصفة والسبب، ويُرسم منفصلاً عن السجلات المسمّاة.' },
  dash_rule_3: { en: 'Deleted, merged and discounted records never count. A linked casualty counts under its incident’s date, place and verification.',
    ar: 'السجلات المحذوفة والمدمجة والمستبعدة لا تُحسب أبداً. الضحية المرتبطة تُحسب بتاريخ حادثتها ومكانها وتحققها.' },
  dash_rule_4: { en: 'Where two devices disagree on a value, the figure uses the provisional value until a coordinator settles it; a death of a missing person counts only once the family is notified.',
    ar: 'حين يختلف جهازان على قيمة، يُستخدم الرقم المؤقت حتى يحسمه المنسق؛ ولا تُحسب وفاة المفقود إلا بعد إبلاغ عائلته.' },
  dash_rule_5: { en: 'Dates vaguer than the period shown count under “date not precise”, so nothing drops out of the totals.',
    ar: 'التواريخ الأقل دقة من الفترة المعروضة تُحسب تحت «تاريخ غير دقيق» كي لا يسقط شيء من المجاميع.' },
};

export default {
  id: 'dashboard',
  nav: { en: 'Dashboard', ar: 'لوحة المتابعة' },
  allowed: (ui) => ui.isCoordinator(),
  strings: STRINGS,
  async render(ui) {
    return new DashboardView(ui).render();
  },
};

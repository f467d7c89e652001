// Building blocks shared by the views: headline tiles, sortable tables,
// colour scales, Chart.js charts and the CSV of what is shown.

// h builds an element: h('td', {class: 'num'}, 'text', child…).
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// Indicators where a higher value is better; for the others lower is.
const higherIsBetter = new Set(['renewable_share_pct', 'grid_availability_pct', 'safely_treated_pct', 'reporting_pct', 'solar_kwh', 'co2e_avoided_kg']);

// scale maps values to a red–yellow–green ramp (ColorBrewer RdYlGn) between
// the smallest and largest value shown, turned so that green is good.
export function scale(indicator, values) {
  const finite = values.filter((v) => Number.isFinite(v));
  const lo = Math.min(...finite), hi = Math.max(...finite);
  const ramp = ['#d73027', '#fc8d59', '#fee08b', '#d9ef8b', '#91cf60', '#1a9850'];
  const good = higherIsBetter.has(indicator);
  const color = (v) => {
    if (!Number.isFinite(v) || finite.length === 0) return '#bdbdbd';
    let x = hi > lo ? (v - lo) / (hi - lo) : 0.5;
    if (!good) x = 1 - x;
    return ramp[Math.min(ramp.length - 1, Math.floor(x * ramp.length))];
  };
  color.lo = lo; color.hi = hi; color.ramp = good ? ramp : [...ramp].reverse();
  return color;
}

export function legend(i18n, color, unit, label = '') {
  if (!Number.isFinite(color.lo)) return h('div', {class: 'legend'}, label, ' ', i18n.t('noData'));
  return h('div', {class: 'legend'}, label ? h('span', {class: 'legend-label'}, label) : null,
    h('span', {}, i18n.value(color.lo, unit)),
    ...color.ramp.map((c) => h('i', {style: `background:${c}`})),
    h('span', {}, i18n.withUnit(color.hi, unit)));
}

// tile shows one headline figure; data-indicator and data-value let tests
// and screen readers find what is shown.
export function tile(i18n, def, row, onClick, count = true) {
  const v = row ? row.value : null;
  return h('button', {class: 'tile', type: 'button', onclick: onClick, dataset: {indicator: def.id, value: v ?? ''}},
    h('span', {class: 'tile-name'}, i18n.indicator(def)),
    h('span', {class: 'tile-value'}, v === null ? '–' : i18n.value(v, def.unit)),
    h('span', {class: 'tile-unit'}, i18n.unit(def.unit)),
    count || !row ? h('span', {class: 'tile-note'}, row ? i18n.t('fromFacilities').replace('{n}', i18n.number(row.facilities, 0)) : i18n.t('noData')) : null);
}

// Table is a table with clickable headers that sort, and the rows it shows
// are what the CSV download writes.
export class Table {
  // columns: [{key, label, numeric, format(row) → text, color(row) → css, href(row)}]
  constructor(id, columns, rows, {sortKey, descending = true, limit = 0, caption, empty = '–'} = {}) {
    Object.assign(this, {id, columns, rows, sortKey, descending, limit, caption, empty});
    this.el = h('div', {class: 'table-wrap'});
    this.render();
  }

  sorted() {
    const col = this.columns.find((c) => c.key === this.sortKey);
    if (!col) return this.rows;
    const val = (r) => r[col.key];
    return [...this.rows].sort((a, b) => {
      const x = val(a), y = val(b);
      if (x === y) return 0;
      if (x === undefined || x === null) return 1;
      if (y === undefined || y === null) return -1;
      const c = typeof x === 'number' ? x - y : String(x).localeCompare(String(y));
      return this.descending ? -c : c;
    });
  }

  render() {
    const rows = this.sorted();
    const shown = this.limit && rows.length > this.limit ? rows.slice(0, this.limit) : rows;
    const visible = this.columns.filter((c) => !c.csvOnly);
    const head = h('tr', {}, visible.map((c) => h('th', {
      class: c.numeric ? 'num' : '', scope: 'col', 'aria-sort': c.key === this.sortKey ? (this.descending ? 'descending' : 'ascending') : null,
      onclick: () => { this.descending = c.key === this.sortKey ? !this.descending : !!c.numeric; this.sortKey = c.key; this.render(); },
    }, c.label, c.key === this.sortKey ? (this.descending ? ' ▾' : ' ▴') : '')));
    const body = shown.map((r) => h('tr', {dataset: {key: r.key ?? ''}}, visible.map((c) => {
      const text = c.format ? c.format(r) : r[c.key];
      const cell = c.href ? h('a', {href: c.href(r)}, text) : text;
      return h('td', {class: c.numeric ? 'num' : '', style: c.color ? `background:${c.color(r)}66` : null, dataset: {col: c.key}}, cell);
    })));
    if (body.length === 0) body.push(h('tr', {class: 'empty'}, h('td', {colspan: visible.length}, this.empty)));
    const more = this.limit && rows.length > this.limit
      ? h('button', {type: 'button', class: 'link', onclick: () => { this.limit = 0; this.render(); }},
        `+${new Intl.NumberFormat(document.documentElement.lang === 'ar' ? 'ar-IQ' : 'en-GB').format(rows.length - this.limit)} …`)
      : null;
    this.el.replaceChildren(h('table', {id: this.id}, this.caption ? h('caption', {}, this.caption) : null, h('thead', {}, head), h('tbody', {}, body)), more ?? '');
    this.shown = rows;
  }

  // csv writes every row (not only those on screen) in the current order,
  // with raw numbers, so a spreadsheet gets full precision.
  csv() {
    const quote = (s) => (/[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
    // A text cell that starts like a formula (=, +, -, @, tab, CR) is run
    // by spreadsheets; names and agents' error texts come from outside, so
    // such a cell gets a leading apostrophe. Numbers stay raw.
    const text = (s) => quote(/^[=+\-@\t\r]/.test(s) ? `'${s}` : s);
    const lines = [this.columns.map((c) => quote(c.csvLabel ?? c.key)).join(',')];
    for (const r of this.shown) {
      lines.push(this.columns.map((c) => {
        const v = r[c.key];
        if (v === undefined || v === null) return '';
        return typeof v === 'number' ? String(v) : text(String(v));
      }).join(','));
    }
    return lines.join('\n') + '\n';
  }
}

export function download(name, text) {
  const url = URL.createObjectURL(new Blob(['\ufeff' + text], {type: 'text/csv;charset=utf-8'}));
  const a = h('a', {href: url, download: name});
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// chart draws a Chart.js chart in a new canvas and returns its card. The
// views destroy charts when they redraw (see Shell.clear).
export function chart(shell, title, config) {
  const canvas = h('canvas', {role: 'img', 'aria-label': title});
  const perArea = config.options?.indexAxis === 'y';
  const card = h('section', {class: 'card chart'}, h('h3', {}, title), h('div', {class: perArea ? 'chart-box tall' : 'chart-box'}, canvas));
  const rtl = shell.i18n.lang === 'ar';
  const own = config.options ?? {};
  const plugins = own.plugins ?? {};
  const scales = own.scales ?? {};
  config.options = {
    responsive: true, maintainAspectRatio: false, animation: false,
    locale: shell.i18n.locale,
    ...own,
    // A view's own legend, tooltip or axis settings add to the direction,
    // not replace it.
    plugins: {
      ...plugins,
      legend: {position: 'bottom', rtl, textDirection: rtl ? 'rtl' : 'ltr', ...plugins.legend},
      tooltip: {rtl, textDirection: rtl ? 'rtl' : 'ltr', ...plugins.tooltip},
    },
    // Right to left, the x axis runs from the right and the y axis stands
    // on the right. A bar per area needs room for every name: no label
    // may be skipped.
    scales: {
      ...scales,
      x: {reverse: rtl, ...scales.x},
      y: {position: rtl ? 'right' : 'left', ...scales.y, ...(perArea ? {ticks: {autoSkip: false}} : {})},
    },
  };
  shell.charts.push(new Chart(canvas, config));
  return card;
}

export const palette = {grid: '#4e79a7', generator: '#e15759', other: '#9c755f', solar: '#f2b701', line: '#2b8c6e', expected: '#bab0ac', waste: '#76b7b2'};

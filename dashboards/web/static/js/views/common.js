// Pieces several views share: the headline tiles of an area, its trend
// chart, a bar chart by governorate, the rows and columns of their
// tables, and an index of indicator rows.

import {h, tile, chart, palette, scale} from '../widgets.js';
import {starts} from '../api.js';

export const headline = ['renewable_share_pct', 'grid_availability_pct', 'co2e_energy_kg', 'hazardous_share_pct', 'safely_treated_pct', 'reporting_pct'];

// shownIds are the indicators an area table shows: the headline ones and
// the chosen one.
export function shownIds(ind) {
  return headline.includes(ind) ? headline : [ind, ...headline];
}

// byArea indexes rows by area; rows of one indicator and period.
export function byArea(rows) {
  return new Map(rows.map((r) => [r.area, r]));
}

// byIndicator indexes rows of one area and period by indicator.
export function byIndicator(rows) {
  return new Map(rows.map((r) => [r.indicator, r]));
}

export function tiles(shell, s, rows, ids = headline, {count = true} = {}) {
  const list = ids.includes(s.ind) ? ids : [...ids, s.ind];
  const idx = byIndicator(rows);
  return h('section', {class: 'tiles', id: 'tiles'}, list.filter((id) => shell.catalog.has(id)).map((id) =>
    tile(shell.i18n, shell.catalog.get(id), idx.get(id), () => shell.go(s.view, s.args, {ind: id}), count)));
}

export async function trend(shell, s, level, area) {
  const def = shell.catalog.get(s.ind);
  const range = s.period.trend();
  const rows = await shell.api.indicators({indicator: s.ind, level, area, period: {kind: range.kind}, from: range.from, to: range.to});
  const i18n = shell.i18n;
  const name = i18n.indicator(def);
  const byStart = new Map(rows.map((r) => [r.start.slice(0, 10), r.value]));
  const days = starts(range);
  return chart(shell, `${i18n.t('trend')}: ${name} (${i18n.unit(def.unit)})`, {
    type: range.kind === 'month' ? 'bar' : 'line',
    data: {
      labels: days.map((d) => i18n.calendar(d, range.kind)),
      datasets: [{label: name, data: days.map((d) => byStart.get(d) ?? null), borderColor: palette.line, backgroundColor: palette.line, pointRadius: 2, spanGaps: false}],
    },
    options: {plugins: {legend: {display: false}}},
  });
}

// governorateBars draws rows (one indicator, one row per governorate) as a
// bar per governorate, coloured by the indicator's scale and sorted by
// value, lowest first unless descending. x adds to the value axis;
// onClick(code) is called with the clicked governorate.
export function governorateBars(shell, title, label, indicator, rows, {descending = false, x, onClick} = {}) {
  const sorted = [...rows].sort((a, b) => (descending ? b.value - a.value : a.value - b.value));
  const color = scale(indicator, sorted.map((r) => r.value));
  return chart(shell, title, {type: 'bar', data: {
    labels: sorted.map((r) => shell.names.area(r.area)),
    datasets: [{label, data: sorted.map((r) => r.value), backgroundColor: sorted.map((r) => color(r.value))}],
  }, options: {indexAxis: 'y', plugins: {legend: {display: false}}, scales: x ? {x} : {},
    onClick: onClick ? (_, el) => el.length && onClick(sorted[el[0].index].area) : undefined}});
}

// facilityRow is a table row of facility f: its id, name, type and
// governorate, and the fields of more.
export function facilityRow(shell, f, more = {}) {
  return {key: f.id, id: f.id, name: shell.names.of(f), type: f.type, governorate: shell.names.area(f.governorate), ...more};
}

// facilityColumn is a table's column of facility names, linking to their
// pages (rows from facilityRow).
export function facilityColumn(shell) {
  return {key: 'name', label: shell.i18n.t('facility'), href: (r) => shell.link('facility', [r.id])};
}

// indicatorColumn is a table's column of indicator id: its name and unit
// as the header, values written as the tiles write them, and cells
// coloured by color(value) when given.
export function indicatorColumn(shell, id, color) {
  const {i18n} = shell;
  const d = shell.catalog.get(id);
  return {key: id, numeric: true, label: `${i18n.indicator(d)} (${i18n.unit(d.unit)})`,
    format: (r) => i18n.value(r[id], d.unit), color: color && ((r) => color(r[id]))};
}

// indicatorColumns are the columns of indicators ids, each coloured by
// its own scale over rows.
export function indicatorColumns(shell, ids, rows) {
  return ids.map((id) => indicatorColumn(shell, id, scale(id, rows.map((r) => r[id]))));
}

// unlessForbidden answers what promise answers, or empty when the API
// refuses it to this account (403): a part of a page the account may not
// see is left out rather than breaking the page.
export function unlessForbidden(promise, empty = []) {
  return promise.catch((err) => {
    if (err.status === 403) return empty;
    throw err;
  });
}

export function title(text, sub) {
  return h('div', {class: 'view-title'}, h('h2', {}, text), sub ? h('p', {class: 'hint'}, sub) : null);
}

// silentAfter is how long without a reading makes an agent silent: agents
// send a reading a minute, so two hours is a link down, not a slow meter.
const silentAfter = 2 * 3600e3;

// agentState says how a facility's agent is doing: online, silent (no
// reading for two hours), offline (its will or goodbye), or unknown (not
// heard from since the collector started).
export function agentState(f, now = Date.now()) {
  if (f.agent_status?.online === false) return 'offline';
  if (!f.last_reading) return 'unknown';
  if (now - Date.parse(f.last_reading) > silentAfter) return 'silent';
  return 'online';
}

// Waste view: safe treatment and hazardous share by governorate, the
// facilities that burn or dump waste in the open, and those that store it
// longer than the limit.

import {h, Table} from '../widgets.js';
import {title, governorateBars, facilityRow, facilityColumn, indicatorColumn} from './common.js';

export async function waste(shell, s) {
  const {api, i18n, catalog} = shell;
  const p = s.period;
  const [unsafe, stored, waste, gov] = await Promise.all([
    api.indicators({indicator: 'unsafe_disposal_kg', level: 'facility', period: p}),
    api.indicators({indicator: 'storage_exceeded_count', level: 'facility', period: p}),
    api.indicators({indicator: 'waste_kg', level: 'facility', period: p}),
    api.indicators({indicator: 'safely_treated_pct', level: 'governorate', period: p}),
  ]);
  const facs = shell.names.facilities;
  const total = new Map(waste.map((r) => [r.area, r.value]));
  const name = (id) => i18n.indicator(catalog.get(id));
  // listed is the table of the facilities with a value of id above zero,
  // cells of id in colour, with their waste of the period beside it.
  const listed = (table, id, rows, color) => new Table(table, [
    facilityColumn(shell), {key: 'governorate', label: i18n.t('governorate')}, indicatorColumn(shell, id, () => color), indicatorColumn(shell, 'waste_kg'),
  ], rows.filter((r) => r.value > 0 && facs.has(r.area)).map((r) => facilityRow(shell, facs.get(r.area), {[id]: r.value, waste_kg: total.get(r.area)})),
  {sortKey: id, limit: 50, empty: i18n.t('noneFound')});
  const unsafeTable = listed('unsafe', 'unsafe_disposal_kg', unsafe, '#d73027');
  const storageTable = listed('storage', 'storage_exceeded_count', stored, '#fc8d59');
  shell.table = unsafeTable;

  const bars = governorateBars(shell, `${name('safely_treated_pct')} — ${i18n.t('byGovernorate')} (%)`, name('safely_treated_pct'), 'safely_treated_pct', gov,
    {x: {min: 0, max: 100}, onClick: (code) => shell.go('area', ['governorate', code], {ind: 'safely_treated_pct'})});

  return [
    title(`${i18n.t('waste')} — ${i18n.calendar(p.date, p.kind)}`),
    h('div', {class: 'grid2'}, bars, h('section', {class: 'card'}, h('h3', {}, i18n.t('unsafe')), unsafeTable.el)),
    h('section', {class: 'card'}, h('h3', {}, i18n.t('storage')), storageTable.el),
  ];
}

// Waste view: safe treatment and hazardous share by governorate, the
// facilities that burn or dump waste in the open, and those that store it
// longer than the limit.

import {h, Table} from '../widgets.js';
import {title, governorateBars} from './common.js';

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
  const row = (r, key) => {
    const f = facs.get(r.area);
    return {key: f.id, id: f.id, name: shell.names.of(f), governorate: shell.names.area(f.governorate), [key]: r.value, waste_kg: total.get(f.id)};
  };
  const name = (id) => i18n.indicator(catalog.get(id));
  const link = {key: 'name', label: i18n.t('facility'), href: (r) => shell.link('facility', [r.id])};
  const wasteCol = {key: 'waste_kg', label: `${name('waste_kg')} (${i18n.unit('kg')})`, numeric: true, format: (r) => i18n.value(r.waste_kg, 'kg')};
  const unsafeTable = new Table('unsafe', [link, {key: 'governorate', label: i18n.t('governorate')},
    {key: 'unsafe_disposal_kg', label: `${name('unsafe_disposal_kg')} (${i18n.unit('kg')})`, numeric: true, format: (r) => i18n.value(r.unsafe_disposal_kg, 'kg'), color: () => '#d73027'}, wasteCol,
  ], unsafe.filter((r) => r.value > 0 && facs.has(r.area)).map((r) => row(r, 'unsafe_disposal_kg')), {sortKey: 'unsafe_disposal_kg', limit: 50, empty: i18n.t('noneFound')});
  const storageTable = new Table('storage', [link, {key: 'governorate', label: i18n.t('governorate')},
    {key: 'storage_exceeded_count', label: `${name('storage_exceeded_count')} (${i18n.unit('events')})`, numeric: true, format: (r) => i18n.number(r.storage_exceeded_count, 0), color: () => '#fc8d59'}, wasteCol,
  ], stored.filter((r) => r.value > 0 && facs.has(r.area)).map((r) => row(r, 'storage_exceeded_count')), {sortKey: 'storage_exceeded_count', limit: 50, empty: i18n.t('noneFound')});
  shell.table = unsafeTable;

  const bars = governorateBars(shell, `${name('safely_treated_pct')} — ${i18n.t('byGovernorate')} (%)`, name('safely_treated_pct'), 'safely_treated_pct', gov,
    {x: {min: 0, max: 100}, onClick: (code) => shell.go('area', ['governorate', code], {ind: 'safely_treated_pct'})});

  return [
    title(`${i18n.t('waste')} — ${i18n.calendar(p.date, p.kind)}`),
    h('div', {class: 'grid2'}, bars, h('section', {class: 'card'}, h('h3', {}, i18n.t('unsafe')), unsafeTable.el)),
    h('section', {class: 'card'}, h('h3', {}, i18n.t('storage')), storageTable.el),
  ];
}

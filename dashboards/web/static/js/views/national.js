// National overview: headline tiles, the governorate table, the map of
// governorates and facilities, and the trend of the chosen indicator. An
// account that may not read facilities (the public) gets the map without
// them; the governorates listed are those the account's areas hold, so
// that an officer is never linked to another governorate.

import {h, scale, legend, Table} from '../widgets.js';
import {drawMap} from '../map.js';
import {shownIds, byArea, tiles, trend, title, indicatorColumns} from './common.js';

export async function national(shell, s) {
  const {api, i18n, catalog} = shell;
  const p = s.period;
  const [nat, gov, fac, trendCard] = await Promise.all([
    api.indicators({level: 'national', period: p}),
    api.indicators({indicator: shownIds(s.ind), level: 'governorate', period: p}),
    shell.can.facilities ? api.indicators({indicator: s.ind, level: 'facility', period: p}) : [],
    trend(shell, s, 'national'),
  ]);
  const def = catalog.get(s.ind);
  const govRows = governorateRows(shell, gov, (code) => shell.names.areas.has(code));
  const govByArea = byArea(gov.filter((r) => r.indicator === s.ind && shell.names.areas.has(r.area)));
  const facByArea = byArea(fac);
  const govColor = scale(s.ind, [...govByArea.values()].map((r) => r.value));
  const facColor = scale(s.ind, fac.map((r) => r.value));
  const map = await drawMap(shell, {
    govValue: (code) => govByArea.get(code)?.value ?? null,
    facilities: shell.facilityList, facValue: (f) => facByArea.get(f.id)?.value ?? null,
    color: govColor, facColor, unit: def.unit,
    onGovernorate: (code) => shell.names.areas.has(code) && shell.go('area', ['governorate', code]),
    onFacility: (f) => shell.go('facility', [f.id]),
  });
  // Element.append writes a null as the text "null": leave it out.
  map.append(...[legend(i18n, govColor, def.unit, i18n.t('governorates')), shell.can.facilities && legend(i18n, facColor, def.unit, i18n.t('facilities'))].filter(Boolean));
  shell.table = governorateTable(shell, s, govRows, 'governorates');
  return [
    title(`${i18n.t('country')} — ${i18n.calendar(p.date, p.kind)}`),
    tiles(shell, s, nat),
    h('div', {class: 'grid2'}, map, h('section', {class: 'card'}, h('h3', {}, i18n.t('governorates')), shell.table.el)),
    trendCard,
  ];
}

// governorateRows turns area rows into one row per area with a column per
// headline indicator (and the chosen one).
export function governorateRows(shell, rows, filter = () => true) {
  const out = new Map();
  for (const r of rows) {
    if (!filter(r.area)) continue;
    if (!out.has(r.area)) out.set(r.area, {key: r.area, area: r.area, name: shell.names.area(r.area), facilities: shell.names.areas.get(r.area)?.facilities});
    out.get(r.area)[r.indicator] = r.value;
  }
  return [...out.values()];
}

export function governorateTable(shell, s, rows, id, level = 'governorate') {
  const columns = [
    {key: 'name', label: shell.i18n.t(level), href: (r) => shell.link('area', [level, r.area])},
    {key: 'area', label: 'code', csvOnly: true},
    ...indicatorColumns(shell, shownIds(s.ind), rows),
  ];
  return new Table(id, columns, rows, {sortKey: s.ind, descending: true});
}

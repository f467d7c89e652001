// Governorate and district drill-down: the area's tiles, its districts
// (for a governorate), its facilities with the headline indicators, the
// map zoomed to it and its trend. Districts and facilities are those of
// the account's scope; an account that may not read facilities (the
// public) sees the governorate's own figures only. An area outside the
// scope is not among the account's areas: the API says whether it is
// not allowed (403, shown as such) or not an area at all.

import {h, scale, legend, Table} from '../widgets.js';
import {drawMap} from '../map.js';
import {headline, shownIds, byArea, tiles, trend, title, facilityRow, facilityColumn, indicatorColumns, unlessForbidden} from './common.js';
import {governorateRows, governorateTable} from './national.js';

export async function area(shell, s) {
  const {api, i18n, catalog} = shell;
  const [level, code] = s.args;
  const known = level === 'governorate' ? shell.areasList.governorates : shell.areasList.districts;
  const p = s.period;
  if (!['governorate', 'district'].includes(level)) throw new Error(`${level}/${code}: not an area of the registry`);
  if (!known.some((a) => a.code === code)) {
    await api.indicators({level, area: code, period: p}); // throws 403 outside the scope
    throw new Error(`${level}/${code}: not an area of the registry`);
  }
  const withFacilities = !!shell.can.facilities;
  const inArea = (f) => (level === 'governorate' ? f.governorate : f.district) === code;
  const facilities = shell.facilityList.filter(inArea);
  const distCodes = new Set(shell.areasList.districts.filter((d) => d.governorate === code).map((d) => d.code));
  const ids = headline.filter((id) => id !== 'reporting_pct');
  if (!ids.includes(s.ind) && s.ind !== 'reporting_pct') ids.unshift(s.ind);
  // A facility user sees its governorate's own figures, but maybe not
  // every district or facility in it: what the API refuses is left out.
  const [own, districts, trendCard, ...facRows] = await Promise.all([
    api.indicators({level, area: code, period: p}),
    level === 'governorate' && distCodes.size ? unlessForbidden(api.indicators({indicator: shownIds(s.ind), level: 'district', within: code, period: p})) : [],
    trend(shell, s, level, code),
    ...(withFacilities ? ids.map((id) => unlessForbidden(api.indicators({indicator: id, level: 'facility', within: code, period: p}))) : []),
  ]);
  const ofArea = new Set(facilities.map((f) => f.id));
  const rows = new Map(facilities.map((f) => [f.id, facilityRow(shell, f)]));
  facRows.forEach((list, i) => {
    for (const r of list) if (ofArea.has(r.area)) rows.get(r.area)[ids[i]] = r.value;
  });
  const facTable = facilityTable(shell, s, [...rows.values()], ids);
  shell.table = facTable;

  const def = catalog.get(s.ind);
  // reporting_pct has no facility values: the markers then stay grey.
  const values = byArea(ids.includes(s.ind) ? facRows[ids.indexOf(s.ind)] ?? [] : []);
  const color = scale(s.ind, facilities.map((f) => values.get(f.id)?.value));
  const own1 = own.find((r) => r.indicator === s.ind);
  const gov = level === 'governorate' ? code : shell.names.areas.get(code).governorate;
  const map = await drawMap(shell, {
    // Only a governorate's own value may fill its outline.
    govValue: (c) => (c === gov && level === 'governorate' ? own1?.value ?? null : null), facilities, facValue: (f) => values.get(f.id)?.value ?? null,
    color, unit: def.unit, focus: gov, fitFacilities: level === 'district', onFacility: (f) => shell.go('facility', [f.id]),
  });
  map.append(legend(i18n, color, def.unit));

  const parts = [
    h('p', {class: 'crumbs'}, h('a', {href: shell.link('national')}, i18n.t('country')), ' › ',
      level === 'district' ? [h('a', {href: shell.link('area', ['governorate', gov])}, shell.names.area(gov)), ' › '] : null,
      shell.names.area(code)),
    title(`${shell.names.area(code)} — ${i18n.calendar(p.date, p.kind)}`, `${i18n.t(level)} · ${i18n.t('nFacilities').replace('{n}', i18n.number(facilities.length, 0))}`),
    tiles(shell, s, own),
  ];
  if (level === 'governorate' && distCodes.size) {
    const dt = governorateTable(shell, s, governorateRows(shell, districts, (a) => distCodes.has(a)), 'districts', 'district');
    parts.push(h('div', {class: 'grid2'}, map, h('section', {class: 'card'}, h('h3', {}, i18n.t('districts')), dt.el)));
  } else {
    parts.push(map);
  }
  if (withFacilities) parts.push(h('section', {class: 'card'}, h('h3', {}, i18n.t('facilities')), facTable.el));
  else shell.table = null;
  parts.push(trendCard);
  return parts;
}

export function facilityTable(shell, s, rows, ids, extra = []) {
  const {i18n} = shell;
  return new Table('facilities', [
    facilityColumn(shell),
    {key: 'id', label: 'id', csvOnly: true},
    {key: 'type', label: i18n.t('type'), format: (r) => i18n.t(r.type)},
    ...extra,
    ...indicatorColumns(shell, ids, rows),
  ], rows, {sortKey: ids[0], descending: true, limit: 50});
}

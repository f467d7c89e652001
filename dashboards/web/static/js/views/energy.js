// Energy view for energy officers: renewable share by governorate,
// facilities ranked by it, and solar systems that give less than their
// neighbours' (peer comparison: the same sky, so a low yield per kWp
// points at the installation — dust, faults, shading, theft).

import {h, Table} from '../widgets.js';
import {title, governorateBars, facilityRow, facilityColumn} from './common.js';
import {Period} from '../api.js';
import {facilityTable} from './area.js';

// underperformsBelow is the share of the governorate's median yield under
// which a solar system is listed.
const underperformsBelow = 0.75;

export async function energy(shell, s) {
  const {api, i18n, catalog} = shell;
  const p = s.period;
  const [share, solar, gov] = await Promise.all([
    api.indicators({indicator: 'renewable_share_pct', level: 'facility', period: p}),
    api.indicators({indicator: 'solar_kwh', level: 'facility', period: p}),
    api.indicators({indicator: 'renewable_share_pct', level: 'governorate', period: p}),
  ]);
  const facs = shell.names.facilities;
  const ranked = share.filter((r) => facs.has(r.area)).map((r) => facilityRow(shell, facs.get(r.area), {renewable_share_pct: r.value}));
  const ranking = facilityTable(shell, s, ranked, ['renewable_share_pct'], [{key: 'governorate', label: i18n.t('governorate')}]);
  shell.table = ranking;

  // A period that runs into today has had only its days so far (today
  // counted whole, so early in the day yields read a little low).
  const today = Period.today(shell.tz);
  const elapsed = today >= p.to ? p.days : today < p.from ? 0 : new Period('day', p.from).daysUntil(today) + 1;
  const yields = solar.filter((r) => facs.get(r.area)?.pv_kwp > 0 && elapsed > 0).map((r) => {
    const f = facs.get(r.area);
    return {f, y: r.value / f.pv_kwp / elapsed};
  });
  const medians = new Map();
  for (const g of new Set(yields.map((x) => x.f.governorate))) {
    const v = yields.filter((x) => x.f.governorate === g).map((x) => x.y).sort((a, b) => a - b);
    medians.set(g, v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2);
  }
  const under = yields.filter(({f, y}) => y < underperformsBelow * medians.get(f.governorate)).map(({f, y}) => facilityRow(shell, f, {
    pv_kwp: f.pv_kwp, yield: y, median: medians.get(f.governorate), ratio: (100 * y) / medians.get(f.governorate),
  }));
  const underTable = new Table('underperformers', [
    facilityColumn(shell),
    {key: 'governorate', label: i18n.t('governorate')},
    {key: 'pv_kwp', label: i18n.t('pvKwp'), numeric: true, format: (r) => i18n.number(r.pv_kwp, 1)},
    {key: 'yield', label: i18n.t('specificYield'), numeric: true, format: (r) => i18n.number(r.yield, 2)},
    {key: 'median', label: i18n.t('medianYield'), numeric: true, format: (r) => i18n.number(r.median, 2)},
    {key: 'ratio', label: `${i18n.t('ratio')} (%)`, numeric: true, format: (r) => i18n.number(r.ratio, 0), color: () => '#fc8d59'},
  ], under, {sortKey: 'ratio', descending: false, empty: i18n.t('noneFound')});

  const name = i18n.indicator(catalog.get('renewable_share_pct'));
  const bars = governorateBars(shell, `${name} — ${i18n.t('byGovernorate')} (%)`, name, 'renewable_share_pct', gov,
    {descending: true, onClick: (code) => shell.go('area', ['governorate', code])});

  return [
    title(`${i18n.t('energy')} — ${i18n.calendar(p.date, p.kind)}`),
    h('div', {class: 'grid2'}, bars, h('section', {class: 'card'}, h('h3', {}, i18n.t('underperformers')), h('p', {class: 'hint'}, i18n.t('underperformersHint')), underTable.el)),
    h('section', {class: 'card'}, h('h3', {}, i18n.t('ranking')), ranking.el),
  ];
}

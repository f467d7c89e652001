// Facility page: what the facility is, its tiles for the period, and day
// by day its energy mix, solar yield against what its kWp should give,
// grid availability and emissions; its waste by category and treatment;
// its alerts, active first. A facility outside the account's scope is not
// among its facilities: the API says whether it is not allowed (403, shown
// as such) or not a facility at all.

import {h, chart, palette, Table} from '../widgets.js';
import {tiles, title, agentState, indicatorColumn, unlessForbidden} from './common.js';
import {starts} from '../api.js';
import {facilityAlerts} from './alertlist.js';

const mixed = ['grid_kwh', 'generator_kwh', 'other_kwh', 'solar_kwh'];
const mixColor = {grid_kwh: palette.grid, generator_kwh: palette.generator, other_kwh: palette.other, solar_kwh: palette.solar};

export async function facility(shell, s) {
  const {api, i18n, catalog} = shell;
  const id = s.args[0];
  const f = shell.names.facilities.get(id);
  const p = s.period;
  if (!f) {
    await api.indicators({level: 'facility', area: id, period: p}); // throws 403 outside the scope
    throw new Error(`${id}: not a facility of the registry`);
  }
  const days = p.daily();
  const [own, daily, peerSolar, wasteRows] = await Promise.all([
    api.indicators({level: 'facility', area: id, period: p}),
    api.indicators({level: 'facility', area: id, period: {kind: 'day'}, from: days.from, to: days.to}),
    // The peers are the governorate's other facilities: a facility user
    // may not read them, and its page then draws no expected yield.
    f.pv_kwp > 0 ? unlessForbidden(api.indicators({indicator: 'solar_kwh', level: 'facility', within: f.governorate, period: {kind: 'day'}, from: days.from, to: days.to})) : [],
    api.waste(id, p),
  ]);

  const dayList = starts(days);
  const series = (ind) => {
    const m = new Map(daily.filter((r) => r.indicator === ind).map((r) => [r.start.slice(0, 10), r.value]));
    return dayList.map((d) => m.get(d) ?? null);
  };
  const labels = dayList.map((d) => i18n.calendar(d, 'day'));
  const name = (ind) => i18n.indicator(catalog.get(ind));
  const axes = (stacked) => ({x: {stacked}, y: {stacked, beginAtZero: true}});

  const parts = [
    h('p', {class: 'crumbs'}, h('a', {href: shell.link('national')}, i18n.t('country')), ' › ',
      h('a', {href: shell.link('area', ['governorate', f.governorate])}, shell.names.area(f.governorate)), ' › ',
      h('a', {href: shell.link('area', ['district', f.district])}, shell.names.area(f.district)), ' › ', shell.names.area(id)),
    title(`${shell.names.area(id)} — ${i18n.calendar(p.date, p.kind)}`,
      `${i18n.t(f.type)} · ${i18n.t('beds')}: ${i18n.number(f.beds, 0)} · ${i18n.t('pvKwp')}: ${i18n.number(f.pv_kwp, 1)} · ${id}`),
    agentLine(shell, f),
    shell.can.alerts ? facilityAlerts(shell, id) : null,
    tiles(shell, s, own, ['energy_kwh', 'renewable_share_pct', 'grid_availability_pct', 'co2e_energy_kg', 'waste_kg', 'safely_treated_pct'], {count: false}),
  ];
  const charts = [
    chart(shell, i18n.t('energyMix'), {type: 'bar', data: {labels, datasets: mixed.map((ind) => ({label: name(ind), data: series(ind), backgroundColor: mixColor[ind]}))}, options: {scales: axes(true)}}),
  ];
  if (f.pv_kwp > 0) {
    // What the governorate's other solar facilities that reported gave
    // per kWp installed is what a panel there gave under that day's sky;
    // times this facility's kWp it is what this one should have given.
    const kwp = new Map(shell.facilityList.map((x) => [x.id, x.pv_kwp]));
    const peers = new Map();
    for (const r of peerSolar) {
      if (r.area === id || !(kwp.get(r.area) > 0)) continue;
      const d = r.start.slice(0, 10);
      const acc = peers.get(d) ?? {kwh: 0, kwp: 0};
      acc.kwh += r.value;
      acc.kwp += kwp.get(r.area);
      peers.set(d, acc);
    }
    const expected = dayList.map((d) => (peers.get(d)?.kwp > 0 ? (peers.get(d).kwh / peers.get(d).kwp) * f.pv_kwp : null));
    charts.push(chart(shell, i18n.t('solarYield'), {type: 'bar', data: {labels, datasets: [
      {type: 'line', label: i18n.t('solarActual'), data: series('solar_kwh'), borderColor: palette.solar, backgroundColor: palette.solar, pointRadius: 2},
      {label: i18n.t('solarExpected'), data: expected, backgroundColor: palette.expected},
    ]}, options: {scales: axes(false)}}));
  }
  charts.push(
    chart(shell, i18n.t('gridAvailability'), {type: 'line', data: {labels, datasets: [{label: name('grid_availability_pct'), data: series('grid_availability_pct'), borderColor: palette.grid, backgroundColor: palette.grid, pointRadius: 2}]},
      options: {plugins: {legend: {display: false}}, scales: {y: {min: 0, max: 100}}}}),
    chart(shell, i18n.t('co2e'), {type: 'bar', data: {labels, datasets: [
      {label: name('co2e_energy_kg'), data: series('co2e_energy_kg'), backgroundColor: palette.generator, stack: 'e'},
      {label: name('co2e_waste_kg'), data: series('co2e_waste_kg'), backgroundColor: palette.waste, stack: 'e'},
      {type: 'line', label: name('co2e_avoided_kg'), data: series('co2e_avoided_kg'), borderColor: palette.line, backgroundColor: palette.line, pointRadius: 2},
    ]}, options: {scales: axes(true)}}),
  );
  parts.push(h('div', {class: 'grid2'}, charts), wasteSection(shell, wasteRows), dailySection(shell, daily, dayList));
  return parts;
}

function agentLine(shell, f) {
  const i18n = shell.i18n;
  const st = f.agent_status;
  const state = agentState(f);
  return h('p', {class: 'agent', id: 'agent-state', dataset: {state}}, `${i18n.t('lastStatus')}: `,
    h('strong', {class: state === 'online' ? 'ok' : 'bad'}, i18n.t(state)),
    ` · ${i18n.t('lastReading')}: ${i18n.dateTime(f.last_reading)} (${i18n.t('since')})`,
    st?.outbox_depth ? ` · ${i18n.t('outboxDepth')}: ${i18n.number(st.outbox_depth, 0)}` : '');
}

function wasteSection(shell, rows) {
  const i18n = shell.i18n;
  const cats = [...new Set(rows.map((r) => r.category))];
  const treats = [...new Set(rows.map((r) => r.treatment))];
  const kg = (c, t) => rows.find((r) => r.category === c && r.treatment === t)?.mass_kg ?? 0;
  const unsafe = new Set(['open_burning', 'open_dumping']);
  const colors = ['#4e79a7', '#59a14f', '#76b7b2', '#edc948', '#b07aa1', '#9c755f', '#bab0ac', '#f28e2b'];
  const card = chart(shell, i18n.t('wasteBreakdown'), {type: 'bar', data: {
    labels: cats.map((c) => i18n.category(c)),
    datasets: treats.map((t, i) => ({label: i18n.treatment(t), data: cats.map((c) => kg(c, t)), backgroundColor: unsafe.has(t) ? '#d73027' : colors[i % colors.length]})),
  }, options: {indexAxis: 'y', scales: {x: {stacked: true}, y: {stacked: true}}}});
  const table = new Table('waste', [
    {key: 'category', label: i18n.t('category'), format: (r) => i18n.category(r.category)},
    {key: 'treatment', label: i18n.t('treatment'), format: (r) => i18n.treatment(r.treatment)},
    {key: 'mass_kg', label: i18n.t('massKg'), numeric: true, format: (r) => i18n.value(r.mass_kg, 'kg')},
    {key: 'events', label: i18n.t('events'), numeric: true, format: (r) => i18n.number(r.events, 0)},
  ], rows.map((r) => ({key: `${r.category}/${r.treatment}`, ...r})), {sortKey: 'mass_kg'});
  return h('div', {class: 'grid2'}, card, h('section', {class: 'card'}, h('h3', {}, i18n.t('wasteBreakdown')), table.el));
}

// dailySection is every indicator of every day drawn above, as a table
// (folded) and as the page's CSV download.
function dailySection(shell, daily, dayList) {
  const {i18n} = shell;
  const ids = shell.catalogList.map((d) => d.id).filter((id) => daily.some((r) => r.indicator === id));
  const rows = dayList.map((d) => ({key: d, start: d}));
  const at = new Map(rows.map((r) => [r.start, r]));
  for (const r of daily) {
    const row = at.get(r.start.slice(0, 10));
    if (row) row[r.indicator] = r.value;
  }
  const table = new Table('daily', [
    {key: 'start', label: i18n.t('day'), format: (r) => i18n.calendar(r.start, 'day')},
    ...ids.map((id) => indicatorColumn(shell, id)),
  ], rows, {sortKey: 'start', descending: false});
  shell.table = table;
  return h('details', {class: 'card'}, h('summary', {}, `${i18n.t('dailyValues')} · ${i18n.number(rows.length, 0)} ${i18n.t('rows')}`), table.el);
}

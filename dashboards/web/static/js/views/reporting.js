// Reporting view: completeness by governorate and the agents that are
// offline or silent, so that an operator knows whom to call.

import {h, Table} from '../widgets.js';
import {title, agentState, governorateBars, facilityRow, facilityColumn} from './common.js';

export async function reporting(shell, s) {
  const {api, i18n} = shell;
  const p = s.period;
  const [gov, facilities] = await Promise.all([
    api.indicators({indicator: 'reporting_pct', level: 'governorate', period: p}),
    api.facilities(),
  ]);
  const now = Date.now();
  const stateOf = (f) => agentState(f, now);
  const counts = {online: 0, silent: 0, offline: 0, unknown: 0};
  const rows = [];
  for (const f of facilities) {
    const st = stateOf(f);
    counts[st]++;
    if (st !== 'online') {
      rows.push(facilityRow(shell, f, {state: st,
        last_reading: f.last_reading ?? '', outbox_depth: f.agent_status?.outbox_depth ?? null, last_error: f.agent_status?.last_error ?? ''}));
    }
  }
  const table = new Table('offline', [
    facilityColumn(shell),
    {key: 'governorate', label: i18n.t('governorate')},
    {key: 'state', label: i18n.t('state'), format: (r) => i18n.t(r.state)},
    {key: 'last_reading', label: i18n.t('lastReading'), format: (r) => i18n.dateTime(r.last_reading || null)},
    {key: 'outbox_depth', label: i18n.t('outboxDepth'), numeric: true, format: (r) => (r.outbox_depth === null ? '–' : i18n.number(r.outbox_depth, 0))},
    {key: 'last_error', label: i18n.t('lastError')},
  ], rows, {sortKey: 'last_reading', descending: false, limit: 100, empty: i18n.t('noneOffline')});
  shell.table = table;

  const bars = governorateBars(shell, i18n.t('completeness'), i18n.t('completeness'), 'reporting_pct', gov, {x: {min: 0, max: 100}});

  const count = (k) => h('div', {class: `tile static ${k}`, dataset: {state: k, value: counts[k]}},
    h('span', {class: 'tile-name'}, i18n.t(k)), h('span', {class: 'tile-value'}, i18n.number(counts[k], 0)), h('span', {class: 'tile-unit'}, i18n.t('facilities')));
  return [
    title(`${i18n.t('reporting')} — ${i18n.calendar(p.date, p.kind)}`, i18n.t('agentStatusHint')),
    h('section', {class: 'tiles', id: 'agent-states'}, ['online', 'silent', 'offline', 'unknown'].map(count)),
    h('div', {class: 'grid2'}, bars, h('section', {class: 'card'}, h('h3', {}, i18n.t('agentsOffline')), table.el)),
  ];
}

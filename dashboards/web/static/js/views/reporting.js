// Reporting view: completeness by governorate, the agents that are
// offline or silent, those online whose readings never arrive, so that an
// operator knows whom to call, and what the latest push to DHIS2 sent and
// what DHIS2 refused.

import {h, Table} from '../widgets.js';
import {Period} from '../api.js';
import {title, agentState, governorateBars, facilityRow, facilityColumn} from './common.js';

export async function reporting(shell, s) {
  const {api, i18n} = shell;
  const p = s.period;
  // The push line loads beside the rest and is filled in when its answer
  // comes: a slow or unreadable push log never holds up the agents.
  // The push log is national: an account of a governorate or a facility
  // may not read it (can.dhis2), and sees no line.
  const push = shell.can.dhis2 ? lastPush(shell) : null;
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
    push,
    h('section', {class: 'tiles', id: 'agent-states'}, ['online', 'silent', 'offline', 'unknown'].map(count)),
    onlineButSilent(shell, facilities),
    h('div', {class: 'grid2'}, bars, h('section', {class: 'card'}, h('h3', {}, i18n.t('agentsOffline')), table.el)),
  ];
}

// onlineButSilent is the card of the facilities whose agent says it is
// online but none of whose readings arrive (the API's online_but_silent):
// MQTT 3.1.1 acknowledges a publish the broker's ACL denies as if it had
// been accepted, so the agent itself sees nothing wrong. The longest
// silent come first. Its data-state is shown, or none (and the card
// hidden) when there are none.
function onlineButSilent(shell, facilities) {
  const {i18n} = shell;
  const silent = facilities.filter((f) => f.online_but_silent)
    .sort((a, b) => Date.parse(a.silent_since) - Date.parse(b.silent_since) || a.id.localeCompare(b.id));
  const el = h('section', {class: 'card', id: 'online-silent', hidden: silent.length === 0,
    dataset: {state: silent.length ? 'shown' : 'none', count: silent.length}},
  h('h3', {}, i18n.t('onlineButSilent')),
  h('p', {class: 'hint'}, i18n.t('onlineButSilentHint')));
  if (silent.length === 0) {
    el.append(h('p', {}, i18n.t('noneOnlineButSilent')));
    return el;
  }
  el.append(h('ul', {class: 'silent-list'}, silent.map((f) => h('li', {dataset: {facility: f.id}},
    h('a', {href: shell.link('facility', [f.id])}, shell.names.of(f)),
    i18n.t('comma'), shell.names.area(f.governorate),
    i18n.t('comma'), i18n.fill('silentSince', {when: i18n.moment(f.silent_since)})))));
  return el;
}

// pushesRead is how many records of the push log the view asks for: the
// newest push that was not a dry run is among them unless someone tried
// more dry runs since, and a record can be large (one conflict a refused
// value).
const pushesRead = 5;

// shownConflicts is how many of a push's conflicts the table lists.
const shownConflicts = 20;

// lastPush returns the section that shows the latest push to DHIS2 and
// fills it in when the push log comes. Its data-state is loading, shown,
// none (nothing pushed) or failed (the log could not be read: a quiet note,
// the rest of the view stands).
function lastPush(shell) {
  const el = h('section', {class: 'push', id: 'dhis2-push', 'aria-live': 'polite', dataset: {state: 'loading'}});
  shell.api.dhis2Pushes(pushesRead).then((records) => {
    el.replaceChildren(...describePush(shell, el, records));
  }).catch((err) => {
    el.dataset.state = 'failed';
    el.replaceChildren(h('p', {class: 'hint', title: err.message}, shell.i18n.t('pushLogFailed')));
  });
  return el;
}

// describePush is the line (and the table of conflicts) of the newest push
// in records, newest first, that was not a dry run; the newest dry run
// when there is no other.
function describePush(shell, el, records) {
  const {i18n} = shell;
  if (!Array.isArray(records) || records.length === 0) {
    el.dataset.state = 'none';
    return [h('p', {class: 'push-line'}, i18n.t('nothingPushed'))];
  }
  const r = records.find((x) => !x.dry_run) ?? records[0];
  const month = `${r.period.slice(0, 4)}-${r.period.slice(4, 6)}`;
  // The month's name alone says which it is when it is one of the twelve
  // up to the push (a catch-up of an older month gets its year).
  const behind = monthsBetween(month, Period.today(i18n.tz, new Date(r.time)).slice(0, 7));
  const unmapped = r.unmapped ?? [];
  const conflicts = r.conflicts ?? [];
  Object.assign(el.dataset, {state: 'shown', period: r.period, values: r.values ?? 0, rejected: r.rejected ?? 0, unmapped: unmapped.length});
  const parts = [
    i18n.fill('pushed', {month: i18n.month(month, behind < 0 || behind > 11), when: i18n.moment(r.time)}) + (r.dry_run ? ` ${i18n.t('dryRun')}` : ''),
    i18n.plural('pushValues', r.values ?? 0),
    i18n.plural('pushConflicts', r.rejected ?? 0),
  ];
  if (unmapped.length > 0) {
    parts.push(h('span', {class: 'push-unmapped', title: unmapped.map((u) => facilityName(shell, u.facility, u.name)).join(i18n.t('comma'))},
      i18n.plural('pushUnmapped', unmapped.length)));
  }
  if (records[0] !== r) parts.push(i18n.fill('laterDryRun', {when: i18n.moment(records[0].time)}));
  // The error is DHIS2's or the network's, in English: isolated so that it
  // does not reorder an Arabic line.
  if (r.error) parts.push(h('span', {class: 'push-stopped'}, i18n.t('pushStopped'), h('bdi', {}, r.error)));
  const out = [h('p', {class: 'push-line'}, parts.flatMap((x, i) => (i ? [i18n.t('comma'), x] : [x])))];
  if (conflicts.length > 0) out.push(conflictTable(shell, conflicts));
  return out;
}

// conflictTable lists the first of a push's conflicts: which facility and
// quantity, and what DHIS2 said.
function conflictTable(shell, conflicts) {
  const {i18n} = shell;
  const head = h('tr', {}, [i18n.t('facility'), i18n.t('quantity'), i18n.t('errorCode'), i18n.t('message')].map((t) => h('th', {scope: 'col'}, t)));
  const rows = conflicts.slice(0, shownConflicts).map((c) => {
    const name = facilityName(shell, c.facility, c.facility_name);
    const known = shell.names.facilities.has(c.facility);
    return h('tr', {dataset: {facility: c.facility ?? ''}},
      h('td', {}, known ? h('a', {href: shell.link('facility', [c.facility])}, name) : name),
      h('td', {}, quantityName(shell, c)),
      h('td', {}, c.error_code || '–'),
      h('td', {}, h('bdi', {}, c.message ?? '')));
  });
  const more = conflicts.length > shownConflicts ? h('p', {class: 'hint'}, i18n.fill('andMore', {n: i18n.number(conflicts.length - shownConflicts, 0)})) : null;
  return h('details', {class: 'push-conflicts'},
    h('summary', {}, i18n.t('conflictsOfPush')),
    h('div', {class: 'table-wrap'}, h('table', {id: 'dhis2-conflicts'}, h('thead', {}, head), h('tbody', {}, rows))),
    more);
}

// facilityName names a facility of the push log in the shown language
// when the registry knows it, else as the log wrote it.
function facilityName(shell, id, logged) {
  const f = shell.names.facilities.get(id);
  return f ? shell.names.of(f) : logged || id || '–';
}

// quantityName names a pushed quantity: the catalog's Arabic name when the
// quantity is an indicator of the catalog, else the data element's name
// (English, as DHIS2 has it).
function quantityName(shell, c) {
  const def = shell.catalog.get(c.element);
  if (shell.i18n.lang === 'ar' && def) return shell.i18n.indicator(def);
  return c.element_name || c.element || '–';
}

// monthsBetween counts the months from a to b (both YYYY-MM).
function monthsBetween(a, b) {
  const [ay, am] = a.split('-').map(Number);
  const [by, bm] = b.split('-').map(Number);
  return (by - ay) * 12 + (bm - am);
}

// Alerts view: the collector's facility alerts (GET /api/v1/alerts),
// active ones by default, newest first, with filters kept in the address
// (state, severity, rule, area: a governorate, or any area code the API
// takes), counts per severity, the CSV of the same selection, and the
// acknowledgement form.

import {h} from '../widgets.js';
import {I18n} from '../i18n.js';
import {title} from './common.js';
import {alertTable, csvTable} from './alertlist.js';

const states = ['active', 'active_unacknowledged', 'active_acknowledged', 'cleared', 'all'];
const severities = ['critical', 'warning', 'info'];

// filtersOf reads the view's keys of the address; what is not valid is
// its default (active, every severity, rule and area).
export function filtersOf(params) {
  return {
    state: states.includes(params.state) ? params.state : 'active',
    severity: severities.includes(params.severity) ? params.severity : '',
    rule: /^[a-z_]{1,64}$/.test(params.rule ?? '') ? params.rule : '',
    area: /^[A-Za-z0-9_-]{1,64}$/.test(params.area ?? '') ? params.area : '',
  };
}

export async function alerts(shell, s) {
  const {api, i18n} = shell;
  const f = filtersOf(s.params);
  // The API selects by state and area (and rule and severity, for the
  // CSV); the view narrows by rule and severity itself, so that the counts
  // at the top are of every severity.
  const query = {state: f.state === 'all' ? '' : f.state, area: f.area};
  const head = title(i18n.t('alerts'), i18n.t('alertsHint'));
  let list;
  try {
    list = await api.alerts(query);
  } catch (err) {
    if (err.status !== 404) throw err;
    return [head, h('p', {class: 'notice', id: 'alerts-off', role: 'status'}, i18n.t('alertsOff'))];
  }
  const ofRule = list.filter((a) => !f.rule || a.rule === f.rule);
  const shown = ofRule.filter((a) => !f.severity || a.severity === f.severity);
  const go = (over) => shell.go('alerts', [], {params: params({...f, ...over})});

  const csv = csvTable(shown);
  shell.table = csv;
  const link = h('a', {id: 'alerts-csv', href: api.alertsCSV({...query, severity: f.severity, rule: f.rule}),
    download: 'greenpulse-alerts.csv'}, i18n.t('csvAlerts'));

  return [
    head,
    counts(shell, ofRule, f, go),
    filterBar(shell, f, list, go),
    h('p', {class: 'csv-link'}, link),
    h('section', {class: 'card'}, alertTable(shell, 'alerts', shown, i18n.t('noAlerts'))),
  ];
}

// params are the address keys of filters f, defaults left out.
function params(f) {
  return {state: f.state === 'active' ? '' : f.state, severity: f.severity, rule: f.rule, area: f.area};
}

// counts are a tile per severity of list; a tile selects its severity,
// or all again when it is the one selected.
function counts(shell, list, f, go) {
  const {i18n} = shell;
  return h('section', {class: 'tiles', id: 'alert-counts'}, severities.map((sev) => {
    const n = list.filter((a) => a.severity === sev).length;
    return h('button', {type: 'button', class: `tile sev-tile sev-${sev}${f.severity === sev ? ' selected' : ''}`, dataset: {severity: sev, value: n},
      'aria-pressed': String(f.severity === sev), onclick: () => go({severity: f.severity === sev ? '' : sev})},
    h('span', {class: 'tile-name'}, i18n.severity(sev)), h('span', {class: 'tile-value'}, i18n.number(n, 0)));
  }));
}

// filterBar holds the pickers of state, governorate, severity and rule.
function filterBar(shell, f, list, go) {
  const {i18n, names} = shell;
  const pick = (id, label, key, options) => h('label', {}, label, ' ', h('select', {id, onchange: (e) => go({[key]: e.target.value})},
    options.map(([value, text]) => h('option', {value, selected: value === f[key]}, text))));
  const govs = [...shell.areasList.governorates].sort((a, b) => names.of(a).localeCompare(names.of(b), i18n.locale));
  const areas = [['', i18n.t('allGovernorates')], ...govs.map((g) => [g.code, names.of(g)])];
  // An area of a shared link that is not a governorate (a district or a
  // facility) is kept as an option of its own.
  if (f.area && !govs.some((g) => g.code === f.area)) areas.push([f.area, names.area(f.area)]);
  const rules = [...new Set([...I18n.ruleIds(), ...list.map((a) => a.rule), ...(f.rule ? [f.rule] : [])])];
  return h('form', {class: 'filters', id: 'alert-filters', onsubmit: (e) => e.preventDefault()},
    pick('f-state', i18n.t('state'), 'state', states.map((st) => [st, i18n.t('filterState')[st]])),
    pick('f-area', i18n.t('governorate'), 'area', areas),
    pick('f-severity', i18n.t('severity'), 'severity', [['', i18n.t('allSeverities')], ...severities.map((sev) => [sev, i18n.severity(sev)])]),
    pick('f-rule', i18n.t('rule'), 'rule', [['', i18n.t('allRules')], ...rules.map((r) => [r, i18n.rule(r)])]));
}

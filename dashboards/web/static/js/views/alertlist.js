// The table of alerts that the alerts view and the facility page share:
// one row an alert (severity, facility, area, message in the page's
// language, since, last seen, count, state, who acknowledged it), and the
// form that acknowledges an active, unacknowledged one, for an account
// that may (can.ack: an administrator, or a facility's own account for
// its alerts). The acknowledgement goes as the signed-in user, with the
// session's cookie and CSRF token: the page holds no token of its own.

import {h, Table} from '../widgets.js';

// messageOf is an alert's message in the page's language (the English one
// when the rule gave no Arabic).
export function messageOf(i18n, a) {
  return i18n.lang === 'ar' && a.message_ar ? a.message_ar : a.message;
}

// ackErrorText says in the page's language why an acknowledgement failed:
// err is what API.ack threw (its status is the HTTP status, if any).
export function ackErrorText(i18n, err) {
  const known = i18n.t('ackErr');
  return known[err.status] ?? known.other + err.message;
}

// columns of the table, in order; data-col of each cell.
const columns = ['severity', 'facility', 'area', 'message', 'first_seen', 'last_seen', 'count', 'state', 'ack'];

// alertTable returns the table of list, with id. Rows are in the order of
// list; empty is shown when there are none.
export function alertTable(shell, id, list, empty) {
  const {i18n} = shell;
  const labels = {severity: i18n.t('severity'), facility: i18n.t('facility'), area: i18n.t('place'), message: i18n.t('message'),
    first_seen: i18n.t('firstSeen'), last_seen: i18n.t('lastSeen'), count: i18n.t('count'), state: i18n.t('state'), ack: i18n.t('ackCol')};
  const head = h('tr', {}, columns.map((c) => h('th', {scope: 'col', class: c === 'count' ? 'num' : ''}, labels[c])));
  const body = h('tbody', {}, list.map((a) => alertRow(shell, a)));
  if (list.length === 0) body.append(h('tr', {class: 'empty'}, h('td', {colspan: columns.length}, empty)));
  return h('div', {class: 'table-wrap'}, h('table', {id, class: 'alerts'}, h('thead', {}, head), body));
}

// alertRow is the row of alert a.
export function alertRow(shell, a) {
  const {i18n, names} = shell;
  const f = names.facilities.get(a.facility);
  const cell = (col, ...content) => h('td', {dataset: {col}, class: col === 'count' ? 'num' : ''}, ...content);
  const states = i18n.t('alertState');
  const state = (states[a.state] ?? a.state).replace('{when}', a.cleared_at ? i18n.moment(a.cleared_at) : '');
  const row = h('tr', {dataset: {id: a.id, key: a.id, state: a.state, severity: a.severity, rule: a.rule, governorate: a.governorate}},
    cell('severity', h('span', {class: `badge sev-${a.severity}`}, i18n.severity(a.severity))),
    cell('facility', f ? h('a', {href: shell.link('facility', [a.facility])}, names.of(f)) : a.facility),
    cell('area', `${names.area(a.district)}${i18n.t('comma')}${names.area(a.governorate)}`),
    cell('message', h('span', {class: 'rule-name'}, i18n.rule(a.rule)), h('br'), h('bdi', {class: 'alert-message'}, messageOf(i18n, a))),
    cell('first_seen', i18n.moment(a.first_seen)),
    cell('last_seen', i18n.moment(a.last_seen)),
    cell('count', i18n.number(a.count, 0)),
    cell('state', state),
    cell('ack', ackCell(shell, a)));
  return row;
}

// ackCell says who acknowledged a, when and why; for an active,
// unacknowledged alert that the account may acknowledge it is the button
// that opens the form.
function ackCell(shell, a) {
  const {i18n} = shell;
  if (a.ack) {
    // The name is isolated, so that a Latin name does not reorder an
    // Arabic line.
    const [before, after = ''] = i18n.fill('ackedBy', {when: i18n.moment(a.ack.at)}).split('{by}');
    return [h('span', {class: 'acked-by'}, before, h('bdi', {}, a.ack.by), after),
      ...(a.ack.comment ? [h('br'), h('bdi', {class: 'ack-comment'}, a.ack.comment)] : [])];
  }
  if (a.state !== 'active_unacknowledged' || !shell.can.ack) return '–';
  return h('button', {type: 'button', class: 'ack-open', onclick: (e) => openForm(shell, a, e.target.closest('tr'))}, i18n.t('acknowledge'));
}

// openForm shows the acknowledgement form under row: a comment, sent as
// the signed-in user.
function openForm(shell, a, row) {
  const {i18n, session} = shell;
  if (row.nextElementSibling?.classList.contains('ack-row')) return;
  const msg = h('p', {class: 'ack-msg', role: 'alert'});
  const send = h('button', {type: 'submit', class: 'ack-send'}, i18n.t('ackSend'));
  // The user name is isolated, so that a Latin name does not reorder an
  // Arabic line.
  const [before, after = ''] = i18n.t('ackAs').split('{user}');
  const form = h('form', {class: 'ack-form', dataset: {id: a.id}},
    h('span', {class: 'ack-as'}, before, h('bdi', {}, session.user), after),
    h('label', {}, i18n.t('ackComment'), ' ', h('input', {name: 'comment', maxlength: 1000, size: 40})),
    send, h('button', {type: 'button', class: 'ack-cancel', onclick: () => formRow.remove()}, i18n.t('ackCancel')), msg);
  const formRow = h('tr', {class: 'ack-row'}, h('td', {colspan: columns.length}, form));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const v = Object.fromEntries(new FormData(form));
    send.disabled = true;
    msg.textContent = i18n.t('ackSending');
    delete msg.dataset.status;
    try {
      const updated = await shell.api.ack(a.id, {by: session.user, comment: v.comment});
      formRow.remove();
      row.replaceWith(alertRow(shell, updated));
    } catch (err) {
      msg.dataset.status = String(err.status ?? '');
      msg.textContent = ackErrorText(i18n, err);
      send.disabled = false;
    }
  });
  row.after(formRow);
  form.elements.comment.focus();
}

// The API's CSV columns (collector/api/alerts.go), so that the page's
// Download CSV writes the file the API would.
const csvColumns = ['id', 'rule', 'facility', 'district', 'governorate', 'severity', 'state', 'first_seen', 'last_seen',
  'count', 'message', 'message_ar', 'ack_by', 'ack_at', 'ack_comment', 'cleared_at'];

// csvTable is a table of list with the API's CSV columns: its csv() is
// what GET /api/v1/alerts?format=csv writes for the same alerts.
export function csvTable(list) {
  const rows = list.map((a) => ({...a, key: a.id, ack_by: a.ack?.by, ack_at: a.ack?.at, ack_comment: a.ack?.comment}));
  return new Table('alerts-csv', csvColumns.map((key) => ({key})), rows);
}

// shownCleared is how many of a facility's cleared alerts its page lists,
// after the active ones.
const shownCleared = 5;

// facilityAlerts returns the facility page's section of facility id's
// alerts, active first, then the latest cleared, filled in when the API
// answers so that it never holds up the page. Its data-state is loading,
// shown, off (alerts are off in this collector) or failed.
export function facilityAlerts(shell, id) {
  const {i18n} = shell;
  const el = h('section', {class: 'card', id: 'facility-alerts', 'aria-live': 'polite', dataset: {state: 'loading'}},
    h('h3', {}, i18n.t('facilityAlerts'), ' ', h('a', {class: 'more', href: shell.link('alerts', [], {params: {area: id, state: 'all'}})}, i18n.t('alerts'), ' ›')));
  shell.api.alerts({facility: id}).then((list) => {
    const active = list.filter((a) => a.state !== 'cleared');
    const cleared = list.filter((a) => a.state === 'cleared')
      .sort((a, b) => (b.cleared_at ?? '').localeCompare(a.cleared_at ?? '')).slice(0, shownCleared);
    el.append(alertTable(shell, 'facility-alert-list', [...active, ...cleared], i18n.t('noAlerts')));
    el.dataset.state = 'shown';
  }).catch((err) => {
    const [state, text] = {404: ['off', i18n.t('alertsOff')], 403: ['forbidden', i18n.t('forbidden')]}[err.status] ?? ['failed', i18n.t('alertsFailed') + err.message];
    el.dataset.state = state;
    el.append(h('p', {class: 'hint', title: err.message}, text));
  });
  return el;
}

// Reading the collector's API. Answers are cached for the page's life per
// URL, so switching language or going back redraws without a request; the
// cache is one account's: reset() empties it when someone signs in or out.
// Every request carries the session cookie (same origin) and every POST
// the session's CSRF token in X-CSRF-Token, as the collector requires of
// a cookie-authenticated POST.

// freshFor is how long an answer is reused: long enough for switching
// language or going back, short enough that agents' states and today's
// roll-ups (every 15 minutes) show up on a dashboard left open.
const freshFor = 60e3;
const maxCached = 100;

export class API {
  constructor(base = '') {
    this.base = base;
    this.cache = new Map(); // url → {answer, at}, oldest first
    // csrf is the session's CSRF token (GET /api/v1/session, login).
    this.csrf = '';
    // onUnauthorized is called when an answer is 401: the session ended
    // or never was. Sign-in's own refusal does not call it.
    this.onUnauthorized = null;
  }

  // reset forgets every cached answer and the CSRF token, so that the
  // next account never sees what the previous one's requests answered.
  // A request still under way fills the old cache, not the new one.
  reset() {
    this.cache = new Map();
    this.csrf = '';
  }

  // url is the address of path with the params that are set.
  url(path, params = {}) {
    const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== ''));
    return `${this.base}${path}${q.toString() ? '?' + q : ''}`;
  }

  // get answers the JSON of path; an error answer throws an Error with
  // the API's message and the HTTP status. fresh skips the cache (and
  // refills it).
  get(path, params = {}, {fresh = false} = {}) {
    const url = this.url(path, params);
    const cache = this.cache;
    const hit = cache.get(url);
    if (!fresh && hit && Date.now() - hit.at < freshFor) return hit.answer;
    const answer = fetch(url, {credentials: 'same-origin', headers: {Accept: 'application/json'}}).then((r) => this.read(r));
    answer.catch(() => { if (cache.get(url)?.answer === answer) cache.delete(url); });
    cache.delete(url);
    cache.set(url, {answer, at: Date.now()});
    while (cache.size > maxCached) cache.delete(cache.keys().next().value);
    return answer;
  }

  // post sends body as JSON to path with the CSRF token and answers the
  // JSON of the answer (empty for 204), or throws as get does.
  post(path, body = {}) {
    return fetch(`${this.base}${path}`, {
      method: 'POST', credentials: 'same-origin',
      headers: {'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRF-Token': this.csrf},
      body: JSON.stringify(body),
    }).then((r) => this.read(r));
  }

  // read reads a response's JSON, or throws an Error with the API's
  // message and the status; a 401 first tells onUnauthorized.
  async read(r) {
    if (r.status === 401 && this.onUnauthorized) this.onUnauthorized();
    return answerOf(r);
  }

  // session answers who is signed in and what they may do (always 200):
  // {mode, authenticated, user, role, scope, csrf, can}. Never cached.
  async session() {
    const s = await fetch(`${this.base}/api/v1/session`, {credentials: 'same-origin', headers: {Accept: 'application/json'}, cache: 'no-store'}).then(answerOf);
    this.csrf = s.csrf ?? '';
    return s;
  }

  // login signs user in; it answers the new session, or throws with the
  // status (401: wrong user or password; 429: too many failures, with
  // retryAfter the seconds to wait).
  async login(user, password) {
    const r = await fetch(`${this.base}/api/v1/login`, {
      method: 'POST', credentials: 'same-origin', headers: {'Content-Type': 'application/json', Accept: 'application/json'},
      body: JSON.stringify({user, password}),
    });
    try {
      const s = await answerOf(r);
      this.csrf = s.csrf ?? '';
      return s;
    } catch (err) {
      const wait = Number.parseInt(r.headers.get('Retry-After') ?? '', 10);
      if (Number.isFinite(wait)) err.retryAfter = wait;
      throw err;
    }
  }

  // logout ends the session (204). A session that had already ended
  // (401) is as good.
  async logout() {
    const r = await fetch(`${this.base}/api/v1/logout`, {method: 'POST', credentials: 'same-origin', headers: {Accept: 'application/json', 'X-CSRF-Token': this.csrf}});
    if (r.status !== 401) await answerOf(r);
  }

  catalog() { return this.get('/api/v1/catalog'); }
  areas() { return this.get('/api/v1/areas'); }
  facilities() { return this.get('/api/v1/facilities'); }

  // indicators answers the values of one period (or a range of periods).
  // indicator may be one id or a list.
  // within narrows facilities or districts to those of one area.
  indicators({indicator, level, area, within, period, from, to}) {
    const ids = Array.isArray(indicator) ? indicator.join(',') : indicator;
    return this.get('/api/v1/indicators', {indicator: ids, level, area, within, period: period.kind, from: from ?? period.from, to: to ?? period.to});
  }

  waste(facility, period) { return this.get('/api/v1/waste', {facility, from: period.from, to: period.to}); }

  // surgeEvents answers the configured mass gatherings ({events: [...]}).
  surgeEvents() { return this.get('/api/v1/surge'); }

  // surge answers event id against its baseline (GET /api/v1/surge?event=),
  // narrowed by the collector to the account's scope.
  surge(id) { return this.get('/api/v1/surge', {event: id}); }

  // surgeCSV is the address of the same answer as CSV.
  surgeCSV(id) { return this.url('/api/v1/surge', {event: id, format: 'csv'}); }

  // dhis2Pushes answers the push log, newest push first, up to limit.
  dhis2Pushes(limit) { return this.get('/api/v1/dhis2/pushes', {limit}); }

  // alerts answers the alerts that filter ({state, severity, area,
  // facility}) selects, newest first; always asked afresh, since an
  // acknowledgement or a new event changes them. Alerts that are off are
  // an error with status 404.
  alerts(filter) { return this.get('/api/v1/alerts', filter, {fresh: true}); }

  // alertsCSV is the address of the same selection as CSV.
  alertsCSV(filter) { return this.url('/api/v1/alerts', {...filter, format: 'csv'}); }

  // ack acknowledges alert id with comment as the signed-in user (by is
  // their name: the collector records the session's user whatever it
  // says); it answers the alert as it now is, or throws with the HTTP
  // status.
  ack(id, {by, comment}) {
    return this.post(`/api/v1/alerts/${encodeURIComponent(id)}/ack`, {by, comment});
  }
}

// answerOf reads a response's JSON, or throws an Error with the API's
// message and the status.
async function answerOf(r) {
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw Object.assign(new Error(body.error || `${r.status} ${r.statusText}`), {status: r.status});
  return body;
}

const pad = (n) => String(n).padStart(2, '0');
const ymd = (d) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
const utc = (s) => new Date(`${s}T00:00:00Z`);

// Period is a local day or month, as the roll-ups store them. Dates are
// calendar dates in the collector's timezone; the API reads them there.
export class Period {
  constructor(kind, date) {
    this.kind = kind === 'day' ? 'day' : 'month';
    if (!Period.valid(date)) date = Period.today('Asia/Baghdad');
    if (this.kind === 'month') {
      this.date = date.slice(0, 7);
      const start = utc(`${this.date}-01`);
      this.from = ymd(start);
      this.to = ymd(new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1)));
    } else {
      this.date = date.length === 7 ? `${date}-01` : date.slice(0, 10);
      this.from = this.date;
      this.to = ymd(new Date(utc(this.date).getTime() + 86400e3));
    }
  }

  // valid says whether date is a real calendar date (YYYY-MM-DD) or month
  // (YYYY-MM), as a hand-edited address may not be.
  static valid(date) {
    const m = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/.exec(date ?? '');
    if (!m) return false;
    const d = new Date(Date.UTC(+m[1], +m[2] - 1, +(m[3] ?? 1)));
    return d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +(m[3] ?? 1);
  }

  // daysUntil counts the days from this period's start to date (YYYY-MM-DD).
  daysUntil(date) { return Math.round((utc(date) - utc(this.from)) / 86400e3); }

  // days is the number of days in the period.
  get days() { return Math.round((utc(this.to) - utc(this.from)) / 86400e3); }

  // trend is the range a trend chart shows: twelve months up to this one,
  // or thirty days up to this day.
  trend() {
    if (this.kind === 'month') {
      const s = utc(this.from);
      return {kind: 'month', from: ymd(new Date(Date.UTC(s.getUTCFullYear(), s.getUTCMonth() - 11, 1))), to: this.to};
    }
    return {kind: 'day', from: ymd(new Date(utc(this.to).getTime() - 30 * 86400e3)), to: this.to};
  }

  // daily is the range of days a facility page draws: the month's days,
  // or thirty days up to the chosen day.
  daily() {
    if (this.kind === 'month') return {kind: 'day', from: this.from, to: this.to};
    return this.trend();
  }

  // today is the local date (YYYY-MM-DD) in timezone tz, now or at the
  // instant at.
  static today(tz, at = new Date()) {
    const parts = Object.fromEntries(new Intl.DateTimeFormat('en', {timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit'})
      .formatToParts(at).map((p) => [p.type, p.value]));
    return `${parts.year}-${parts.month}-${parts.day}`;
  }
}

// starts lists the local start dates (YYYY-MM-DD) of every day or month in
// [from, to), so that charts show a missing period as a gap, not skip it.
export function starts({kind, from, to}) {
  const out = [];
  for (let d = utc(from); d < utc(to);) {
    out.push(ymd(d));
    d = kind === 'month' ? new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)) : new Date(d.getTime() + 86400e3);
  }
  return out;
}

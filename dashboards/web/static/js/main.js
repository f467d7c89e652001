// The dashboard's shell: the header with view links, period and indicator
// pickers, the language switch, the CSV download and who is signed in; a
// hash router that draws one view at a time, or the sign-in form. When a
// view has drawn everything it marks <body data-ready="1">: browser tests
// and the render benchmark wait on it.
//
// What the page shows follows GET /api/v1/session: in mode users nothing
// but the sign-in form until someone signs in; in mode public, to someone
// not signed in, the national and governorate views only; signed in, what
// the account's `can` allows, starting on the page of its scope (an
// officer's governorate, a facility user's facility). The collector
// enforces all of it; the page only leaves out what would be refused.

import {API, Period} from './api.js';
import {I18n} from './i18n.js';
import {h, download} from './widgets.js';
import {national} from './views/national.js';
import {area} from './views/area.js';
import {facility} from './views/facility.js';
import {energy} from './views/energy.js';
import {waste} from './views/waste.js';
import {reporting} from './views/reporting.js';
import {alerts} from './views/alerts.js';
import {events} from './views/events.js';
import {signIn} from './views/signin.js';

const views = {national, area, facility, energy, waste, events, reporting, alerts, signin: signIn};
const navViews = ['national', 'energy', 'waste', 'events', 'reporting', 'alerts'];

// labels are the string keys of views whose name is not their own key
// ('events' already names a count of waste events).
const labels = {events: 'eventsNav', signin: 'signIn'};

// needs names the permission of the session's `can` a view needs; the
// national, area and events views need none (the area and events views
// ask the API, which answers what the account's scope holds).
const needs = {facility: 'facilities', energy: 'facilities', waste: 'facilities', reporting: 'facilities', alerts: 'alerts'};

// The pickers every view shares; other keys of the address are the view's
// own (the alerts view's filters) and stay while the view is shown.
const shared = new Set(['period', 'date', 'ind', 'lang']);

// Names turns codes into names in the shown language.
class Names {
  constructor(areas, facilities, i18n) {
    this.i18n = i18n;
    this.areas = new Map();
    for (const a of [...areas.governorates, ...areas.districts]) this.areas.set(a.code, a);
    this.facilities = new Map(facilities.map((f) => [f.id, f]));
  }

  // of names an area or a facility of the registry.
  of(x) { return this.i18n.lang === 'ar' ? x.name_ar : x.name; }

  // area names the area or facility with this code.
  area(code) {
    const x = this.areas.get(code) ?? this.facilities.get(code);
    if (x) return this.of(x);
    return code === 'IQ' ? this.i18n.t('country') : code;
  }
}

class Shell {
  constructor(root) {
    this.root = root;
    this.api = new API();
    this.charts = [];
    this.maps = [];
    this.table = null;
    // session is GET /api/v1/session: who is signed in and what they may
    // do. The cookie that carries it is the collector's (HttpOnly); the
    // page keeps nothing of it in storage or the address.
    this.session = {can: {}};
    // returnTo is the address the sign-in form was shown instead of;
    // notice the key of what the form says first (the session ended).
    this.returnTo = '';
    this.notice = '';
    // The sign-in form calls signIn on the shell its view drew into, a
    // child of this one (see route): bound here, it changes this one.
    this.signIn = (user, password) => this.signInAs(user, password);
  }

  async start() {
    this.api.onUnauthorized = () => this.sessionEnded();
    await this.load();
    window.addEventListener('hashchange', () => this.route());
    await this.route();
  }

  // load asks who is signed in and reads what that account sees: the
  // catalog, and the areas and facilities of its scope.
  async load() {
    const [session, catalog] = await Promise.all([this.api.session(), this.api.catalog()]);
    this.session = {...session, can: session.can ?? {}};
    this.catalog = new Map(catalog.map((d) => [d.id, d]));
    this.catalogList = catalog;
    let areas = {governorates: [], districts: []};
    let facilities = [];
    if (!this.mustSignIn) {
      [areas, facilities] = await Promise.all([this.api.areas(), this.can.facilities ? this.api.facilities() : []]);
    }
    this.areasList = {...areas, governorates: areas.governorates ?? [], districts: areas.districts ?? []};
    this.facilityList = facilities;
    this.tz = areas.timezone || 'Asia/Baghdad';
  }

  get can() { return this.session.can; }

  // mustSignIn says whether the collector shows nothing to this page
  // until someone signs in.
  get mustSignIn() { return this.session.mode === 'users' && !this.session.authenticated; }

  // allowed says whether the account may see view at all.
  allowed(view) { return !needs[view] || !!this.can[needs[view]]; }

  // home is the view and arguments an account starts on: the page of its
  // scope when that is a governorate or a facility, else the country's.
  home() {
    const scope = this.session.scope;
    if (scope && scope !== 'IQ' && this.session.authenticated) {
      if (this.facilityList.some((f) => f.id === scope)) return ['facility', [scope]];
      if (this.areasList.governorates.some((g) => g.code === scope)) return ['area', ['governorate', scope]];
    }
    return ['national', []];
  }

  // signInAs signs user in (the form calls it as signIn, and shows what
  // it throws), forgets every answer read for whoever came before, reads
  // the new account's data and goes where the form was asked for, or home.
  async signInAs(user, password) {
    if (this.session.authenticated) await this.api.logout().catch(() => {});
    await this.api.login(user, password);
    this.api.reset();
    this.notice = '';
    await this.load();
    const back = this.returnTo;
    this.returnTo = '';
    location.hash = back ? withLang(back, this.s.lang) : this.link(...this.home(), {params: {}});
  }

  // signOut ends the session and shows the sign-in form, with nothing of
  // the account left in the page.
  async signOut() {
    try {
      await this.api.logout();
    } catch (err) {
      console.error(err);
      document.getElementById('view')?.replaceChildren(h('p', {class: 'error', role: 'alert'}, this.i18n.t('error') + err.message));
      return;
    }
    this.api.reset();
    this.returnTo = '';
    this.notice = '';
    await this.load();
    location.hash = this.link('signin', [], {params: {}});
  }

  // sessionEnded is called when an answer is 401: the session expired or
  // was ended (a changed password, a removed user). The page forgets what
  // it read and shows the sign-in form, which comes back here after.
  async sessionEnded() {
    if (this.ending) return;
    this.ending = true;
    const was = this.session.authenticated;
    try {
      this.api.reset();
      await this.load();
      if (this.s?.view === 'signin') return;
      this.notice = was ? 'sessionEnded' : '';
      this.returnTo = location.hash;
      location.hash = this.link('signin', [], {params: {}});
    } catch (err) {
      console.error(err);
      this.root.replaceChildren(h('p', {class: 'error', role: 'alert'}, `GreenPulse: ${err.message}`));
      document.body.dataset.ready = '1';
    } finally {
      this.ending = false;
    }
  }

  // state reads the hash: #/<view>/<args…>?period=month&date=2026-11&ind=…&lang=ar
  state() {
    const [path, query = ''] = location.hash.replace(/^#\/?/, '').split('?');
    const q = new URLSearchParams(query);
    const [view, ...args] = path.split('/').filter(Boolean);
    const today = Period.today(this.tz);
    return {
      view: views[view] ? view : '', args,
      period: new Period(q.get('period') || 'month', q.get('date') || today),
      ind: this.catalog.has(q.get('ind')) ? q.get('ind') : 'renewable_share_pct',
      lang: ['en', 'ar'].includes(q.get('lang')) ? q.get('lang') : localStorage.getItem('greenpulse.lang') === 'ar' ? 'ar' : 'en',
      params: Object.fromEntries([...q].filter(([k]) => !shared.has(k))),
    };
  }

  // link returns the hash of a view with the current pickers, changed by
  // over; over.params are the view's own keys (kept from the address when
  // the view stays the same and over has none).
  link(view, args = [], over = {}) {
    const s = {...this.s, ...over};
    const own = over.params ?? (view === this.s.view ? this.s.params : {});
    const q = new URLSearchParams({period: s.period.kind, date: s.period.date, ind: s.ind, lang: s.lang});
    for (const [k, v] of Object.entries(own)) if (v !== undefined && v !== '') q.set(k, v);
    return `#/${[view, ...args].join('/')}?${q}`;
  }

  go(view, args, over) { location.hash = this.link(view, args, over); }

  clear() {
    for (const c of this.charts) c.destroy();
    for (const m of this.maps) m.remove();
    this.charts = [];
    this.maps = [];
    this.table = null;
  }

  async route() {
    const s = this.state();
    this.s = s;
    document.body.dataset.ready = '0';
    // Somewhere else to go first: the sign-in form, or the account's
    // start page for an address with no view. The hash changes, and the
    // route starts again.
    if (s.view !== 'signin' && this.mustSignIn) {
      this.returnTo = location.hash.length > 2 ? location.hash : '';
      location.replace(this.link('signin', [], {params: {}}));
      return;
    }
    if (!s.view) {
      location.replace(this.link(...this.home(), {params: {}}));
      return;
    }
    if (s.lang !== this.i18n?.lang) {
      this.i18n = new I18n(s.lang);
      localStorage.setItem('greenpulse.lang', this.i18n.lang);
    }
    this.i18n.tz = this.tz;
    document.documentElement.lang = this.i18n.lang;
    document.documentElement.dir = this.i18n.lang === 'ar' ? 'rtl' : 'ltr';
    document.title = `${this.i18n.t('title')} — ${this.i18n.t(labels[s.view] ?? s.view)}`;
    this.names = new Names(this.areasList, this.facilityList, this.i18n);
    const main = h('main', {id: 'view', dataset: {view: s.view}}, h('p', {class: 'loading'}, this.i18n.t('loading')));
    this.root.replaceChildren(this.header(s), main);
    this.clear();
    // The view draws into a shell of its own: when a newer route starts
    // before this one has loaded, what this one made is thrown away rather
    // than mixed into the newer view (its table would be the CSV).
    const view = Object.create(this);
    Object.assign(view, {charts: [], maps: [], pending: [], table: null});
    try {
      const content = this.allowed(s.view) ? await views[s.view](view, s) : this.forbidden();
      if (this.s !== s) {
        for (const c of view.charts) c.destroy();
        return;
      }
      main.replaceChildren(...content);
      for (const draw of view.pending) draw();
      Object.assign(this, {charts: view.charts, maps: view.maps, table: view.table});
    } catch (err) {
      for (const c of view.charts) c.destroy();
      if (this.s !== s) return;
      // 401: sessionEnded shows the sign-in form. 403: the account may not
      // see this (another governorate's page): said plainly, no error.
      if (err.status === 401) return;
      if (err.status === 403) {
        main.replaceChildren(...this.forbidden());
      } else {
        console.error(err);
        main.replaceChildren(h('p', {class: 'error', role: 'alert'}, this.i18n.t('error') + err.message));
      }
    }
    document.body.dataset.view = s.view;
    // Milliseconds since navigation start, for the render benchmark.
    document.body.dataset.readyMs ||= String(Math.round(performance.now()));
    document.body.dataset.ready = '1';
  }

  // forbidden is what a view the account may not see shows instead: to
  // someone not signed in, the way to sign in; to an account, that it is
  // not allowed, and the way back to its own start page.
  forbidden() {
    const t = (k) => this.i18n.t(k);
    if (!this.session.authenticated) {
      return [h('p', {class: 'notice', id: 'forbidden', role: 'status', dataset: {reason: 'signin'}},
        t('needsSignIn'), ' ', h('a', {href: this.link('signin', [], {params: {}})}, t('signIn')))];
    }
    return [h('p', {class: 'notice', id: 'forbidden', role: 'status', dataset: {reason: 'scope'}},
      t('forbidden'), ' ', h('a', {href: this.link(...this.home(), {params: {}})}, t('backHome')))];
  }

  header(s) {
    const t = (k) => this.i18n.t(k);
    const lang = h('button', {id: 'lang', type: 'button', lang: this.i18n.lang === 'ar' ? 'en' : 'ar',
      onclick: () => this.go(s.view, s.args, {lang: this.i18n.lang === 'ar' ? 'en' : 'ar'})}, t('language'));
    const [homeView, homeArgs] = this.home();
    const brand = h('div', {class: 'brand'}, h('a', {href: this.link(homeView, homeArgs, {params: {}})}, h('strong', {}, t('title'))), h('span', {}, t('subtitle')));
    if (s.view === 'signin') return h('header', {}, brand, h('div', {class: 'pickers'}, lang));
    const nav = h('nav', {}, navViews.filter((v) => this.allowed(v)).map((v) => h('a', {href: this.link(v), class: v === s.view ? 'active' : '', id: `nav-${v}`}, t(labels[v] ?? v))));
    const kind = h('select', {id: 'period-kind', 'aria-label': t('period'), onchange: (e) => {
      const date = e.target.value === 'day' ? (s.period.kind === 'day' ? s.period.date : Period.today(this.tz)) : s.period.date;
      this.go(s.view, s.args, {period: new Period(e.target.value, date)});
    }}, ['month', 'day'].map((k) => h('option', {value: k, selected: k === s.period.kind}, t(k))));
    const date = h('input', {id: 'period-date', type: s.period.kind === 'month' ? 'month' : 'date', value: s.period.date, 'aria-label': t('period'),
      onchange: (e) => e.target.value && this.go(s.view, s.args, {period: new Period(s.period.kind, e.target.value)})});
    const ind = h('select', {id: 'indicator', 'aria-label': t('indicator'), onchange: (e) => this.go(s.view, s.args, {ind: e.target.value})},
      this.catalogList.map((d) => h('option', {value: d.id, selected: d.id === s.ind}, this.i18n.indicator(d))));
    const csv = h('button', {id: 'csv', type: 'button', onclick: () => {
      if (this.table) download(this.table.fileName ?? `greenpulse-${s.view}-${s.period.date}.csv`, this.table.csv());
    }}, t('download'));
    // The events view has its own pickers: an event's days, a measure.
    const own = s.view === 'events';
    return h('header', {},
      brand,
      nav,
      h('div', {class: 'pickers'},
        own ? null : h('label', {}, t('period'), ' ', kind, ' ', date),
        own ? null : h('label', {}, t('indicator'), ' ', ind),
        csv, lang),
      this.account());
  }

  // account is the header's corner of who is signed in (name, role,
  // scope) with the button that signs out; for someone not signed in
  // where the collector shows some figures anyway, the way to sign in.
  account() {
    const t = (k) => this.i18n.t(k);
    const {authenticated, user, role, scope, mode} = this.session;
    if (!authenticated) {
      if (mode === 'users') return null;
      return h('div', {class: 'who', id: 'who', dataset: {user: '', role: role ?? mode ?? '', scope: scope ?? ''}},
        mode === 'public' ? h('span', {class: 'hint'}, t('publicHint')) : null, ' ',
        h('a', {id: 'signin-link', href: this.link('signin', [], {params: {}})}, t('signIn')));
    }
    return h('div', {class: 'who', id: 'who', dataset: {user, role, scope}},
      h('span', {class: 'who-label'}, t('signedInAs')), ' ', h('bdi', {class: 'who-user'}, user), ' · ',
      h('span', {class: 'who-role'}, this.i18n.role(role)), ' · ', h('span', {class: 'who-scope'}, this.names.area(scope || 'IQ')), ' ',
      h('button', {id: 'signout', type: 'button', onclick: () => this.signOut()}, t('signOut')));
  }
}

// withLang is hash with its lang key set to lang: the language chosen on
// the sign-in form holds after it.
function withLang(hash, lang) {
  const [path, query = ''] = hash.split('?');
  const q = new URLSearchParams(query);
  q.set('lang', lang);
  return `${path}?${q}`;
}

new Shell(document.getElementById('app')).start().catch((err) => {
  document.getElementById('app').textContent = `GreenPulse: ${err.message}`;
  document.body.dataset.ready = '1';
  console.error(err);
});

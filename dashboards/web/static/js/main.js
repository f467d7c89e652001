// The dashboard's shell: the header with view links, period and indicator
// pickers, the language switch and the CSV download; a hash router that
// draws one view at a time. When a view has drawn everything it marks
// <body data-ready="1">: browser tests and the render benchmark wait on it.

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

const views = {national, area, facility, energy, waste, reporting, alerts};
const navViews = ['national', 'energy', 'waste', 'reporting', 'alerts'];

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
    // session holds what is kept only for the page's life, never stored or
    // put in the address: the admin token the alerts' ack form was given.
    this.session = {};
  }

  async start() {
    const [catalog, areas, facilities] = await Promise.all([this.api.catalog(), this.api.areas(), this.api.facilities()]);
    this.catalog = new Map(catalog.map((d) => [d.id, d]));
    this.catalogList = catalog;
    this.areasList = areas;
    this.facilityList = facilities;
    this.tz = areas.timezone || 'Asia/Baghdad';
    window.addEventListener('hashchange', () => this.route());
    await this.route();
  }

  // state reads the hash: #/<view>/<args…>?period=month&date=2026-11&ind=…&lang=ar
  state() {
    const [path, query = ''] = location.hash.replace(/^#\/?/, '').split('?');
    const q = new URLSearchParams(query);
    const [view, ...args] = path.split('/').filter(Boolean);
    const today = Period.today(this.tz);
    return {
      view: views[view] ? view : 'national', args,
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
    if (s.lang !== this.i18n?.lang) {
      this.i18n = new I18n(s.lang);
      localStorage.setItem('greenpulse.lang', this.i18n.lang);
    }
    this.i18n.tz = this.tz;
    document.documentElement.lang = this.i18n.lang;
    document.documentElement.dir = this.i18n.lang === 'ar' ? 'rtl' : 'ltr';
    document.title = `${this.i18n.t('title')} — ${this.i18n.t(s.view)}`;
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
      const content = await views[s.view](view, s);
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
      console.error(err);
      main.replaceChildren(h('p', {class: 'error', role: 'alert'}, this.i18n.t('error') + err.message));
    }
    document.body.dataset.view = s.view;
    // Milliseconds since navigation start, for the render benchmark.
    document.body.dataset.readyMs ||= String(Math.round(performance.now()));
    document.body.dataset.ready = '1';
  }

  header(s) {
    const t = (k) => this.i18n.t(k);
    const nav = h('nav', {}, navViews.map((v) => h('a', {href: this.link(v), class: v === s.view ? 'active' : '', id: `nav-${v}`}, t(v))));
    const kind = h('select', {id: 'period-kind', 'aria-label': t('period'), onchange: (e) => {
      const date = e.target.value === 'day' ? (s.period.kind === 'day' ? s.period.date : Period.today(this.tz)) : s.period.date;
      this.go(s.view, s.args, {period: new Period(e.target.value, date)});
    }}, ['month', 'day'].map((k) => h('option', {value: k, selected: k === s.period.kind}, t(k))));
    const date = h('input', {id: 'period-date', type: s.period.kind === 'month' ? 'month' : 'date', value: s.period.date, 'aria-label': t('period'),
      onchange: (e) => e.target.value && this.go(s.view, s.args, {period: new Period(s.period.kind, e.target.value)})});
    const ind = h('select', {id: 'indicator', 'aria-label': t('indicator'), onchange: (e) => this.go(s.view, s.args, {ind: e.target.value})},
      this.catalogList.map((d) => h('option', {value: d.id, selected: d.id === s.ind}, this.i18n.indicator(d))));
    const lang = h('button', {id: 'lang', type: 'button', lang: this.i18n.lang === 'ar' ? 'en' : 'ar',
      onclick: () => this.go(s.view, s.args, {lang: this.i18n.lang === 'ar' ? 'en' : 'ar'})}, t('language'));
    const csv = h('button', {id: 'csv', type: 'button', onclick: () => {
      if (this.table) download(`greenpulse-${s.view}-${s.period.date}.csv`, this.table.csv());
    }}, t('download'));
    return h('header', {},
      h('div', {class: 'brand'}, h('a', {href: this.link('national')}, h('strong', {}, t('title'))), h('span', {}, t('subtitle'))),
      nav,
      h('div', {class: 'pickers'},
        h('label', {}, t('period'), ' ', kind, ' ', date),
        h('label', {}, t('indicator'), ' ', ind),
        csv, lang));
  }
}

new Shell(document.getElementById('app')).start().catch((err) => {
  document.getElementById('app').textContent = `GreenPulse: ${err.message}`;
  document.body.dataset.ready = '1';
  console.error(err);
});

// Reading the collector's API. Answers are cached for the page's life per
// URL, so switching language or going back redraws without a request.

export class API {
  constructor(base = '') {
    this.base = base;
    this.cache = new Map();
  }

  get(path, params = {}) {
    const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== ''));
    const url = `${this.base}${path}${q.toString() ? '?' + q : ''}`;
    if (!this.cache.has(url)) {
      const p = fetch(url, {headers: {Accept: 'application/json'}}).then(async (r) => {
        const body = await r.json().catch(() => ({}));
        if (!r.ok) throw new Error(body.error || `${r.status} ${r.statusText}`);
        return body;
      });
      p.catch(() => this.cache.delete(url));
      this.cache.set(url, p);
    }
    return this.cache.get(url);
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

  clear() { this.cache.clear(); }
}

const pad = (n) => String(n).padStart(2, '0');
const ymd = (d) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
const utc = (s) => new Date(`${s}T00:00:00Z`);

// Period is a local day or month, as the roll-ups store them. Dates are
// calendar dates in the collector's timezone; the API reads them there.
export class Period {
  constructor(kind, date) {
    this.kind = kind === 'day' ? 'day' : 'month';
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

  static today(tz) {
    const parts = new Intl.DateTimeFormat('en-CA', {timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit'}).format(new Date());
    return parts.slice(0, 10);
  }
}

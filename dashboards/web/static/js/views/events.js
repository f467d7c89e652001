// Events view for national planners: a mass gathering configured in the
// collector (GET /api/v1/surge lists them) against its baseline, from
// GET /api/v1/surge?event=ID: the event's totals per measure with their
// baseline and ratio, a map coloured by the surge, a timeline of the
// event's days against the baseline band (the whole event, or an area or
// facility picked on the map, in the table or the list), the facilities
// whose hazardous waste exceeded what they treated safely, the same event
// a year earlier, and every area's value, baseline and ratio.
//
// The view's own keys of the address: measure (the map's and timeline's,
// waste_kg by default) and sel (the area or facility of the timeline, the
// whole event by default). What the account may see is the API's answer:
// an officer gets the areas of their governorate, the public no facility
// rows (the map then colours the governorates).

import {h, Table} from '../widgets.js';
import {Period} from '../api.js';
import {title} from './common.js';
import {governorateOutlines} from '../map.js';
import {surgeMap, surgeColor, ratioText, timeline, localName} from './eventcharts.js';

// mapMeasures are the measures the map and the timeline can show: a
// count of storage breaches has no meaningful surge factor of its own
// when the baseline is mostly zero, so it is in the totals and tables
// only.
const mapMeasures = ['waste_kg', 'hazardous_waste_kg', 'energy_kwh', 'generator_fuel_l'];

// defaultEvent is the event shown when the address names none: the
// latest that has begun by today (a local date), else the next to come.
function defaultEvent(list, today) {
  const begun = list.filter((e) => e.first_day <= today).sort((a, b) => b.first_day.localeCompare(a.first_day));
  return (begun[0] ?? [...list].sort((a, b) => a.first_day.localeCompare(b.first_day))[0]).id;
}


export async function events(shell, s) {
  const {api, i18n} = shell;
  const t = (k) => i18n.t(k);
  // An address that names its event asks for the answer beside the
  // list: the answer is the long wait, and need not queue behind it.
  const early = s.args[0] ? api.surge(s.args[0]) : null;
  early?.catch(() => {}); // an unknown event is said below, from the list
  governorateOutlines(); // the map's, fetched once, meanwhile
  const {events: list = []} = await api.surgeEvents();
  if (list.length === 0) return [title(t('eventsTitle')), note('no-events', t('noEvents'))];
  const id = s.args[0] || defaultEvent(list, Period.today(shell.tz));
  const entry = list.find((e) => e.id === id);
  const measure = mapMeasures.includes(s.params.measure) ? s.params.measure : 'waste_kg';
  if (!entry) return [title(t('eventsTitle')), picker(shell, list, id, measure), note('unknown-event', i18n.fill('unknownEvent', {id}))];
  const answer = await (early ?? api.surge(id));

  // Every row the timeline can show, by code: the areas, then the
  // facilities.
  const rows = new Map();
  for (const a of answer.areas) rows.set(a.area, {row: a, label: a.level === 'event' ? localName(i18n, entry) : shell.names.area(a.area), level: a.level});
  for (const f of answer.facilities) rows.set(f.facility, {row: f, label: localName(i18n, f), level: 'facility'});
  const whole = answer.areas.find((a) => a.level === 'event');
  const first = whole ?? answer.areas[0] ?? answer.facilities[0];
  const sel = rows.has(s.params.sel) ? s.params.sel : first && (first.area ?? first.facility);
  const own = (over) => ({measure: measure === 'waste_kg' ? '' : measure, sel: sel === (first?.area ?? first?.facility) ? '' : sel, ...over});
  const link = (over) => shell.link('events', [id], {params: own(over)});
  const go = (over) => shell.go('events', [id], {params: own(over)});
  const unit = (m) => shell.catalog.get(m)?.unit ?? '';

  const days = answer.days.length;
  const head = title(`${localName(i18n, entry)} — ${i18n.calendar(entry.first_day, 'day')} – ${i18n.calendar(entry.last_day, 'day')}`,
    [i18n.plural('eventDays', days), i18n.fill('nFacilities', {n: i18n.number(entry.facilities, 0)}),
      i18n.fill('baselineOf', {weeks: i18n.plural('weeks', answer.baseline.weeks), from: i18n.calendar(answer.baseline.from, 'day'), to: i18n.calendar(answer.baseline.to, 'day')}),
    ].join(' · '));
  const parts = [head,
    h('div', {class: 'event-bar'}, picker(shell, list, id, measure, (m) => go({measure: m})),
      h('a', {id: 'events-csv', class: 'csv-link', href: api.surgeCSV(id), download: `greenpulse-surge-${id}.csv`}, t('csvSurge'))),
    h('p', {class: 'hint', id: 'computed-at'}, entry.source ? `${i18n.fill('eventSource', {source: entry.source})} · ` : '',
      i18n.fill('computedAt', {when: i18n.moment(answer.computed_at)})),
  ];
  if (!first) return [...parts, note('nothing-in-scope', t('nothingInScope'))];
  if (!whole) parts.push(note('outside-scope', t('outsideScope')));
  parts.push(totals(shell, answer, rows.get(first.area ?? first.facility), measure, go));

  const picked = rows.get(sel);
  const map = await surgeMap(shell, {answer, measure, unit: unit(measure), selected: sel,
    onArea: (code) => rows.has(code) && go({sel: code}), onFacility: (fid) => go({sel: fid})});
  const chartCard = timeline(shell, {answer, row: picked.row, label: picked.label, measure, unit: unit(measure)});
  chartCard.insertBefore(timelinePicker(shell, answer, rows, sel, (code) => go({sel: code})), chartCard.children[1]);
  parts.push(h('div', {class: 'grid2'}, map, chartCard));
  parts.push(exceededCard(shell, answer, entry, link));
  parts.push(previousCard(shell, answer, entry, list, whole));
  const areas = areaTable(shell, answer, rows, link);
  areas.csv.fileName = `greenpulse-events-${id}-areas.csv`;
  shell.table = areas.csv;
  parts.push(h('section', {class: 'card'}, h('h3', {}, t('areasTitle')), areas.el));
  return parts;
}

function note(id, text) {
  return h('p', {class: 'notice', id, role: 'status'}, text);
}

// picker holds the event list and, once an event is shown, the measure
// of the map and timeline.
function picker(shell, list, id, measure, onMeasure) {
  const {i18n} = shell;
  const events = h('select', {id: 'event', onchange: (e) => shell.go('events', [e.target.value], {params: {measure: measure === 'waste_kg' ? '' : measure}})},
    list.map((e) => h('option', {value: e.id, selected: e.id === id}, `${localName(i18n, e)} (${i18n.calendar(e.first_day, 'day')})`)),
    list.some((e) => e.id === id) ? null : h('option', {value: id, selected: true, disabled: true}, id));
  const form = h('form', {class: 'filters', id: 'event-pickers', onsubmit: (e) => e.preventDefault()},
    h('label', {}, i18n.t('eventPick'), ' ', events));
  if (onMeasure) {
    form.append(h('label', {}, i18n.t('measurePick'), ' ', h('select', {id: 'measure', onchange: (e) => onMeasure(e.target.value)},
      mapMeasures.map((m) => h('option', {value: m, selected: m === measure}, i18n.indicator(shell.catalog.get(m)))))));
  }
  return form;
}

// totals are a tile per measure of the shown row (the whole event, or
// the first area the account sees): its total, baseline and ratio. A
// map measure's tile picks it.
function totals(shell, answer, shown, measure, go) {
  const {i18n} = shell;
  return h('section', {class: 'tiles', id: 'event-totals', dataset: {area: shown.row.area ?? shown.row.facility}},
    answer.measures.map((m) => {
      const def = shell.catalog.get(m);
      const c = shown.row.total?.[m] ?? {};
      const pickable = mapMeasures.includes(m);
      return h(pickable ? 'button' : 'div', {class: `tile surge-tile${m === measure ? ' selected' : ''}`, type: pickable ? 'button' : null,
        'aria-pressed': pickable ? String(m === measure) : null, onclick: pickable ? () => go({measure: m}) : null,
        dataset: {measure: m, value: c.value ?? '', baseline: c.baseline ?? '', ratio: c.ratio ?? ''}},
      h('span', {class: 'tile-name'}, def ? i18n.indicator(def) : m),
      h('span', {class: 'tile-value'}, i18n.value(c.value ?? null, def?.unit)),
      h('span', {class: 'tile-unit'}, i18n.unit(def?.unit ?? '')),
      h('span', {class: 'tile-note'}, `${i18n.t('baseline')} `, h('span', {class: 'tile-baseline'}, i18n.value(c.baseline ?? null, def?.unit)),
        ' · ', h('span', {class: 'tile-ratio ratio', style: `background:${surgeColor(c.ratio)}`}, ratioText(i18n, c.ratio))));
    }));
}

// timelinePicker lists what the timeline can show: the whole event, its
// governorates and districts, and the facility picked on the map.
function timelinePicker(shell, answer, rows, sel, onPick) {
  const {i18n} = shell;
  const options = answer.areas.map((a) => [a.area, a.level === 'district' ? `· ${rows.get(a.area).label}` : rows.get(a.area).label]);
  if (rows.get(sel)?.level === 'facility') options.push([sel, rows.get(sel).label]);
  return h('label', {class: 'timeline-of'}, i18n.t('timelineOf'), ' ',
    h('select', {id: 'timeline-of', onchange: (e) => onPick(e.target.value)}, options.map(([v, text]) => h('option', {value: v, selected: v === sel}, text))));
}

// exceededCard lists the answer's exceeded facilities in its order (most
// untreated first); a name shows that facility's days in the timeline.
function exceededCard(shell, answer, entry, link) {
  const {i18n, names} = shell;
  const t = (k) => i18n.t(k);
  const byId = new Map(answer.facilities.map((f) => [f.facility, f]));
  const card = h('section', {class: 'card', id: 'exceeded-card', dataset: {count: answer.exceeded.length}},
    h('h3', {}, t('exceeded')), h('p', {class: 'hint'}, t('exceededHint')));
  // No facility row: the public may read none, an account none of this
  // event's (an officer of another governorate sees the event's totals).
  if (answer.facilities.length === 0) {
    card.append(shell.can.facilities ? note('exceeded-scope', t('exceededScope')) : note('exceeded-signin', t('exceededSignIn')));
    return card;
  }
  const kg = (key) => ({key, label: t(key), numeric: true, format: (r) => i18n.value(r[key], 'kg')});
  const columns = [
    {key: 'name', label: t('facility'), href: (r) => link({sel: r.id})},
    {key: 'id', label: 'id', csvOnly: true},
    {key: 'place', label: t('place')},
    kg('hazardous_kg'), kg('safely_treated_kg'), {...kg('untreated_kg'), color: () => '#f46d43'},
  ];
  if (shell.can.facilities) {
    const month = new Period('month', entry.first_day);
    columns.push({key: 'page', label: t('facilityPage'), format: () => '↗', href: (r) => shell.link('facility', [r.id], {period: month, params: {}})});
  }
  const list = answer.exceeded.map((fid) => byId.get(fid)).filter(Boolean).map((f) => ({
    key: f.facility, id: f.facility, name: localName(i18n, f),
    place: `${names.area(f.district)}${t('comma')}${names.area(f.governorate)}`,
    hazardous_kg: f.hazardous_kg, safely_treated_kg: f.safely_treated_kg, untreated_kg: f.untreated_kg,
  }));
  card.append(new Table('exceeded', columns, list, {limit: 50, empty: t('noneExceeded')}).el);
  return card;
}

// previousCard sets the event's totals beside those of the same event a
// year earlier, or says plainly why there is nothing to compare with.
function previousCard(shell, answer, entry, list, whole) {
  const {i18n} = shell;
  const t = (k) => i18n.t(k);
  const card = h('section', {class: 'card', id: 'previous-card'}, h('h3', {}, t('previousTitle')));
  const p = answer.previous;
  const before = list.find((e) => e.id === (p?.event ?? entry.previous));
  if (!p || !whole) {
    const why = p ? t('previousScope') : before ? i18n.fill('previousNoData', {name: localName(i18n, before)}) : t('previousNone');
    card.append(note('no-previous', why));
    return card;
  }
  const label = (e, n) => `${e ? localName(i18n, e) : p.event} (${i18n.plural('eventDays', n)})`;
  const cols = [['measure', t('measurePick')], ['value', label(entry, answer.days.length)], ['ratio', t('ratioCol')],
    ['prev_value', label(before, p.days.length)], ['prev_ratio', t('ratioCol')], ['change', t('change')]];
  const body = answer.measures.map((m) => {
    const def = shell.catalog.get(m);
    const now = whole.total?.[m] ?? {}, then = p.total?.[m] ?? {};
    const change = Number.isFinite(now.value) && then.value > 0 ? now.value / then.value : null;
    const cell = (col, text, color) => h('td', {class: col === 'measure' ? '' : 'num', dataset: {col}, style: color ? `background:${color}` : null}, text);
    return h('tr', {dataset: {measure: m, change: change ?? ''}},
      cell('measure', def ? `${i18n.indicator(def)} (${i18n.unit(def.unit)})` : m),
      cell('value', i18n.value(now.value ?? null, def?.unit)), cell('ratio', ratioText(i18n, now.ratio), surgeColor(now.ratio)),
      cell('prev_value', i18n.value(then.value ?? null, def?.unit)), cell('prev_ratio', ratioText(i18n, then.ratio), surgeColor(then.ratio)),
      cell('change', ratioText(i18n, change)));
  });
  card.dataset.previous = p.event;
  card.append(h('p', {class: 'hint'}, i18n.fill('previousHint', {from: i18n.calendar(p.days[0], 'day'), to: i18n.calendar(p.days.at(-1), 'day')})),
    h('div', {class: 'table-wrap'}, h('table', {id: 'previous'},
      h('thead', {}, h('tr', {}, cols.map(([k, text]) => h('th', {scope: 'col', class: k === 'measure' ? '' : 'num'}, text)))), h('tbody', {}, body))));
  return card;
}

// areaTable is every area of the answer (the whole event, its
// governorates, its districts) with each measure's total, baseline and
// ratio, and the CSV of the same rows with raw numbers (the header's
// Download CSV).
function areaTable(shell, answer, rows, link) {
  const {i18n} = shell;
  const t = (k) => i18n.t(k);
  const ms = answer.measures;
  const top = h('tr', {}, h('th', {scope: 'col', rowspan: 2}, t('area')), h('th', {scope: 'col', rowspan: 2}, t('levelCol')),
    h('th', {scope: 'col', rowspan: 2, class: 'num'}, t('facilities')),
    ms.map((m) => {
      const def = shell.catalog.get(m);
      return h('th', {scope: 'colgroup', colspan: 3, class: 'group'}, def ? `${i18n.indicator(def)} (${i18n.unit(def.unit)})` : m);
    }));
  const sub = h('tr', {}, ms.flatMap(() => [t('value'), t('baseline'), t('ratioCol')].map((x) => h('th', {scope: 'col', class: 'num'}, x))));
  const body = answer.areas.map((a) => {
    const c = (m) => a.total?.[m] ?? {};
    return h('tr', {dataset: {key: a.area, level: a.level}},
      h('td', {dataset: {col: 'name'}}, h('a', {href: link({sel: a.area})}, rows.get(a.area).label)),
      h('td', {dataset: {col: 'level'}}, t('levels')[a.level] ?? a.level),
      h('td', {class: 'num', dataset: {col: 'facilities'}}, i18n.number(a.facilities, 0)),
      ms.flatMap((m) => {
        const u = shell.catalog.get(m)?.unit;
        return [h('td', {class: 'num', dataset: {col: `${m}.value`}}, i18n.value(c(m).value ?? null, u)),
          h('td', {class: 'num', dataset: {col: `${m}.baseline`}}, i18n.value(c(m).baseline ?? null, u)),
          h('td', {class: 'num ratio', dataset: {col: `${m}.ratio`}, style: `background:${surgeColor(c(m).ratio)}`}, ratioText(i18n, c(m).ratio))];
      }));
  });
  const el = h('div', {class: 'table-wrap'}, h('table', {id: 'areas', class: 'surge-areas'}, h('thead', {}, top, sub), h('tbody', {}, body)));
  const flat = answer.areas.map((a) => {
    const r = {key: a.area, level: a.level, area: a.area, name: rows.get(a.area).label, facilities: a.facilities};
    for (const m of ms) for (const k of ['value', 'baseline', 'ratio']) r[`${m}_${k}`] = a.total?.[m]?.[k] ?? null;
    return r;
  });
  const columns = ['level', 'area', 'name', 'facilities', ...ms.flatMap((m) => ['value', 'baseline', 'ratio'].map((k) => `${m}_${k}`))].map((key) => ({key}));
  return {el, csv: new Table('areas-csv', columns, flat)};
}

// The Events view's map and timeline: facilities (or, where the account
// may not read facilities, governorates) coloured by how far the event's
// total of a measure is above its baseline, and one area's or facility's
// event days against the baseline band.

import {h, chart, palette} from '../widgets.js';
import {governorateOutlines} from '../map.js';

// surgeBreaks are the ratio classes of the map, fixed rather than
// stretched over what is shown, so that the same colour means the same
// surge in every event, measure and area: below 0.9 is a quiet time, up
// to 1.1 normal, and the classes above follow how planners speak of a
// surge (half as much again, double, triple).
const surgeBreaks = [0.9, 1.1, 1.5, 2, 3];
const surgeColors = ['#74add1', '#ffffbf', '#fee090', '#fdae61', '#f46d43', '#a50026'];
const noRatio = '#bdbdbd';

// surgeColor is the fill of a ratio (null: no baseline).
// localName names an event or a facility in the page's language, its
// English name where it has no Arabic one.
export function localName(i18n, x) {
  return i18n.lang === 'ar' && x.name_ar ? x.name_ar : x.name;
}

export function surgeColor(ratio) {
  if (!Number.isFinite(ratio)) return noRatio; // also null and undefined
  let i = 0;
  while (i < surgeBreaks.length && ratio >= surgeBreaks[i]) i++;
  return surgeColors[i];
}

// ratioText writes a ratio as the view shows every ratio: two decimals
// and a times sign ("2.46×"), or a dash when there is none.
export function ratioText(i18n, ratio) {
  if (!Number.isFinite(ratio)) return '–';
  return `${i18n.number(ratio, 2)}×`;
}

// surgeLegend names the map's classes.
function surgeLegend(i18n) {
  const n = (x) => i18n.number(x, x % 1 ? 1 : 0);
  const labels = [`< ${n(surgeBreaks[0])}×`,
    ...surgeBreaks.slice(0, -1).map((b, i) => `${n(b)}–${n(surgeBreaks[i + 1])}×`),
    `≥ ${n(surgeBreaks.at(-1))}×`];
  return h('div', {class: 'legend surge-legend', id: 'surge-legend'},
    labels.map((l, i) => h('span', {class: 'surge-class'}, h('i', {style: `background:${surgeColors[i]}`}), l)),
    h('span', {class: 'surge-class'}, h('i', {style: `background:${noRatio}`}), i18n.t('noBaseline')));
}

// surgeMap returns the map card of answer (GET /api/v1/surge?event=) for
// measure: a circle a facility of the answer on Leaflet's canvas (2,000
// stay fast), over the governorate outlines, the event's governorates
// filled by their own ratio. selected is the code of the area or
// facility the timeline shows; onArea(code) and onFacility(id) are called
// on a click.
export async function surgeMap(shell, {answer, measure, unit, selected, onArea, onFacility}) {
  const {i18n, names} = shell;
  const geo = await governorateOutlines();
  const govs = new Map(answer.areas.filter((a) => a.level === 'governorate').map((a) => [a.area, a]));
  const facs = answer.facilities;
  const ratioOf = (row) => row?.total?.[measure]?.ratio ?? null;
  const box = h('div', {class: 'map', dir: 'ltr', id: 'surge-map', dataset: {measure, markers: '0', governorates: String(govs.size)}});
  const name = i18n.indicator(shell.catalog.get(measure));
  const card = h('section', {class: 'card map-card', id: 'surge-map-card'},
    h('h3', {}, i18n.fill('surgeMap', {measure: name})), box, surgeLegend(i18n),
    h('p', {class: 'hint'}, i18n.t(facs.length ? 'surgeMapHint' : 'surgeMapHintAreas')));
  shell.pending.push(() => {
    const map = L.map(box, {preferCanvas: true, zoomSnap: 0.25, attributionControl: true, scrollWheelZoom: false});
    map.attributionControl.setPrefix(false).addAttribution('Natural Earth');
    shell.maps.push(map);
    const tip = (label, row) => {
      const c = row?.total?.[measure];
      return h('span', {}, `${label}: ${i18n.withUnit(c?.value ?? null, unit)} · ${i18n.t('baseline')} ${i18n.withUnit(c?.baseline ?? null, unit)} · ${ratioText(i18n, ratioOf(row))}`);
    };
    const layer = L.geoJSON(geo, {
      style: (f) => {
        const g = govs.get(f.properties.code);
        // Under facility circles the outline is only a backdrop.
        const fill = !g ? 0.08 : facs.length ? 0.3 : 0.8;
        return {color: '#555', weight: g ? 1.4 : 0.5, fillOpacity: fill, fillColor: g ? surgeColor(ratioOf(g)) : '#ddd'};
      },
      onEachFeature: (f, l) => {
        const code = f.properties.code;
        const g = govs.get(code);
        if (!g) return;
        // Leaflet puts a string tooltip in as HTML; names come from the
        // registry, so they go in as text.
        l.bindTooltip(() => tip(names.area(code), g), {sticky: true});
        l.on('click', () => onArea(code));
      },
    }).addTo(map);
    const points = facs.map((f) => [f.lat, f.lon]);
    const framed = layer.getLayers().filter((l) => govs.has(l.feature.properties.code));
    let bounds = layer.getBounds();
    if (points.length) bounds = L.latLngBounds(points).pad(0.15);
    else if (framed.length) bounds = framed.reduce((b, l) => b.extend(l.getBounds()), L.latLngBounds([]));
    map.fitBounds(bounds, {padding: [8, 8], maxZoom: 10});
    for (const f of facs) {
      const on = f.facility === selected;
      const m = L.circleMarker([f.lat, f.lon], {radius: on ? 8 : 4, weight: on ? 2.5 : 0.6, color: on ? '#000' : '#333',
        fillColor: surgeColor(ratioOf(f)), fillOpacity: 0.95});
      m.bindTooltip(() => tip(localName(i18n, f), f));
      m.on('click', () => onFacility(f.facility));
      m.addTo(map);
    }
    box.dataset.markers = String(facs.length);
  });
  return card;
}

// timeline returns the chart card of row (an area or a facility of the
// answer) for measure: its value on each event day against its baseline
// (the mean of the same weekday in the baseline weeks) and the band from
// the least to the greatest of those days.
export function timeline(shell, {answer, row, label, measure, unit}) {
  const {i18n} = shell;
  const byDay = new Map(row.days.map((d) => [d.day, d.values?.[measure] ?? {}]));
  const cell = (d, k) => byDay.get(d)?.[k] ?? null;
  const series = (k) => answer.days.map((d) => cell(d, k));
  const name = i18n.indicator(shell.catalog.get(measure));
  const band = 'rgba(118, 183, 178, 0.35)';
  const card = chart(shell, i18n.fill('timeline', {measure: name, unit: i18n.unit(unit), area: label}), {
    type: 'line',
    data: {
      labels: answer.days.map((d) => i18n.dayMonth(d)),
      datasets: [
        // The band is the area between its two edges: the lower edge
        // first, the upper filled down to it ('-1').
        {label: 'min', data: series('baseline_min'), borderWidth: 0, pointRadius: 0, fill: false, borderColor: band},
        {label: i18n.t('baselineBand'), data: series('baseline_max'), borderWidth: 0, pointRadius: 0, fill: '-1', backgroundColor: band, borderColor: band},
        {label: i18n.t('baseline'), data: series('baseline'), borderColor: palette.expected, backgroundColor: palette.expected, borderDash: [6, 4], pointRadius: 0},
        {label: i18n.t('eventValue'), data: series('value'), borderColor: palette.generator, backgroundColor: palette.generator, pointRadius: 3, spanGaps: false},
      ],
    },
    options: {
      interaction: {mode: 'index', intersect: false},
      scales: {y: {beginAtZero: true}},
      plugins: {
        legend: {labels: {filter: (item) => item.datasetIndex !== 0}},
        tooltip: {filter: (item) => item.datasetIndex !== 0,
          callbacks: {label: (c) => `${c.dataset.label}: ${i18n.withUnit(c.raw, unit)}`}},
      },
    },
  });
  card.id = 'timeline';
  Object.assign(card.dataset, {measure, area: row.area ?? row.facility});
  return card;
}

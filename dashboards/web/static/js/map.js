// The map: governorate outlines (vendored GeoJSON, no tile server: the
// dashboard must work offline) filled by an indicator, and facilities as
// canvas circles, which stay fast with 2,000 of them.

import {h} from './widgets.js';

let outlines; // the GeoJSON, fetched once per page

export async function governorateOutlines() {
  outlines ??= fetch('/static/vendor/iraq-governorates.geojson').then((r) => r.json());
  return outlines;
}

// drawMap fills a card with the map. govValue(code) and facValue(facility)
// give the values; color maps a value to a fill; only governorates in
// focus (all when focus is empty) are drawn filled and framed.
export async function drawMap(shell, {govValue, facilities, facValue, color, facColor, unit, focus = '', fitFacilities = false, onGovernorate, onFacility}) {
  const i18n = shell.i18n;
  const box = h('div', {class: 'map', dir: 'ltr', id: 'map'});
  const geo = await governorateOutlines();
  const card = h('section', {class: 'card map-card'}, h('h3', {}, i18n.t('map')), box, h('p', {class: 'hint'}, i18n.t('mapHint')));
  shell.pending.push(() => {
    const map = L.map(box, {preferCanvas: true, zoomSnap: 0.25, attributionControl: true, scrollWheelZoom: false});
    map.attributionControl.setPrefix(false).addAttribution('Natural Earth');
    shell.maps.push(map);
    const names = shell.names;
    const layer = L.geoJSON(geo, {
      style: (f) => {
        const inFocus = !focus || f.properties.code === focus;
        const v = govValue(f.properties.code);
        return {color: '#555', weight: inFocus ? 1.2 : 0.5, fillOpacity: inFocus && v !== null ? 0.75 : 0.15, fillColor: inFocus && v !== null ? color(v) : '#ddd'};
      },
      onEachFeature: (f, l) => {
        const code = f.properties.code;
        // Leaflet puts a string tooltip in as HTML; names come from the
        // registry, so they go in as text.
        l.bindTooltip(() => h('span', {}, `${names.area(code)}: ${i18n.withUnit(govValue(code), unit)}`), {sticky: true});
        if (onGovernorate) l.on('click', () => onGovernorate(code));
      },
    }).addTo(map);
    const bounds = focus ? layer.getLayers().find((l) => l.feature.properties.code === focus)?.getBounds() : layer.getBounds();
    // A district has no outline of its own here: frame its facilities.
    const points = facilities.map((f) => [f.lat, f.lon]);
    map.fitBounds(fitFacilities && points.length ? L.latLngBounds(points).pad(0.3) : bounds ?? layer.getBounds(), {padding: [8, 8], maxZoom: 11});
    for (const f of facilities) {
      const v = facValue(f);
      const m = L.circleMarker([f.lat, f.lon], {radius: f.type === 'hospital' ? 5 : 3, weight: 0.6, color: '#222', fillColor: (facColor ?? color)(v), fillOpacity: 0.95});
      m.bindTooltip(() => h('span', {}, `${names.of(f)}: ${i18n.withUnit(v, unit)}`));
      if (onFacility) m.on('click', () => onFacility(f));
      m.addTo(map);
    }
    box.dataset.markers = String(facilities.length);
  });
  return card;
}

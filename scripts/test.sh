#!/usr/bin/env bash
# The test command: installs what the tests need on a fresh Debian machine
# (Mosquitto, InfluxDB 1.8.10), checks formatting and vet, runs every test
# (integration tests start their own broker and database on free loopback
# ports) and gives each fuzz target a short run.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

echo "== gofmt"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
  echo "gofmt -l lists:"; echo "$unformatted"; exit 1
fi
echo "== go vet"
go vet ./...

echo "== the agent cross-compiles as it ships: static, for Raspberry Pi class boards"
for target in linux/arm64 linux/arm/7; do
  IFS=/ read -r os arch arm <<<"$target"
  CGO_ENABLED=0 GOOS=$os GOARCH=$arch GOARM=${arm:-} go build -trimpath -ldflags "-s -w" -o /dev/null ./cmd/greenpulse-agent
  echo "greenpulse-agent builds for $target"
done

echo "== Prometheus alerting rules (promtool check and unit tests)"
promtool="${GREENPULSE_CACHE:-$HOME/.cache/greenpulse}/bin/promtool"
"$promtool" check rules configs/prometheus/greenpulse-rules.yml
(cd configs/prometheus && "$promtool" test rules greenpulse-rules.test.yml)

echo "== go test"
go test -count=1 -timeout 20m ./...

echo "== race detector on the ingest hot path (its unit tests)"
# The pipeline's goroutines and the InfluxDB writer's reuse of a batch's
# buffer are where a data race would lose or garble readings.
go test -race -short -count=1 ./collector/ingest/ ./collector/influx/ ./collector/decode/ ./reading/

echo "== fuzz (short runs; a counted budget avoids the runner's deadline race)"
fuzz() { go test -run '^$' -fuzz "^$2\$" -fuzztime "${FUZZ_EXECS:-20000x}" "$1"; }
fuzz ./collector/decode FuzzDecode
fuzz ./collector/decode FuzzDecodeStatus
fuzz ./collector/decode FuzzJSONScanAgreesWithEncodingJSON
fuzz ./collector/decode FuzzParseFloatIsStrconvs
fuzz ./collector/decode FuzzParseIntIsStrconvs
fuzz ./collector/influx FuzzAppendFloat
fuzz ./collector/influx FuzzErrorMessage
fuzz ./registry FuzzParse
fuzz ./agents/web FuzzWasteEntry
fuzz ./agents/web FuzzLogin
fuzz ./agents/web FuzzAcceptLang
fuzz ./agents/fleet FuzzParseDuration
fuzz ./collector/api FuzzIndicatorQuery
fuzz ./collector/dhis2 FuzzImportSummary
fuzz ./collector/dhis2 FuzzImportReport
fuzz ./registry/importer FuzzOrgUnitsPage
fuzz ./registry/importer FuzzHeRAMSCSV
fuzz ./internal/dhis2test FuzzDataValueSet
fuzz ./internal/dhis2test FuzzMetadata
fuzz ./collector/alerts FuzzDecodeState
fuzz ./collector/partition FuzzTopic
fuzz ./agents/alertlist FuzzDecode
fuzz ./registry/provision FuzzParseState
fuzz ./collector/users FuzzDecode
fuzz ./collector/access FuzzParseLogin
fuzz ./agents/config FuzzModbusRegister
fuzz ./agents/source/modbus/regmap FuzzDecode
fuzz ./agents/source/modbus/bus FuzzValidate
fuzz ./agents/source/modbus/sunspec FuzzDiscover
fuzz ./agents/source/modbus FuzzParseUnits
fuzz ./agents/source/manual FuzzMeterEntry
fuzz ./agents/source/manual FuzzParseTypedNumber
echo "all tests passed"

#!/usr/bin/env bash
# Back up a GreenPulse collector: both InfluxDB 1.8 databases (raw readings
# and indicators, with `influxd backup -portable` over the RPC port) and the
# files its config names (facility registry, roll-up state, alerts state,
# DHIS2 push log, users file), with a MANIFEST of sha256 sums. See docs/backup.md.
#
#   scripts/backup.sh --config /etc/greenpulse/collector.yaml --out DIR \
#       [--influx-host 127.0.0.1:8088] [--influxd PATH]
#
# The paths are read from the config file's keys registry, rollup.state_file,
# alerts.state_file, dhis2.push_log and access.users_file (relative ones
# against the config's folder, as the collector does); --registry,
# --rollup-state, --alerts-state, --push-log and --users-file override them.
# Nothing secret is printed.
set -euo pipefail

prog=${0##*/}
die() { echo "$prog: $*" >&2; exit 1; }
usage() {
	sed -n '7,8p' "$0" | sed 's/^# \{0,3\}//' >&2
	exit "${1:-2}"
}

config="" out="" influx_host="127.0.0.1:8088" influxd=""
registry="" rollup_state="" alerts_state="" push_log="" users_file=""
# shellcheck source=scripts/backup-lib.sh
. "$(dirname "$0")/backup-lib.sh"
while [ $# -gt 0 ]; do
	case $1 in
	--config) config=${2:?}; shift 2 ;;
	--out) out=${2:?}; shift 2 ;;
	--influx-host) influx_host=${2:?}; shift 2 ;;
	--influxd) influxd=${2:?}; shift 2 ;;
	--registry | --rollup-state | --alerts-state | --push-log | --users-file) path_flag "$1" "${2:?}"; shift 2 ;;
	-h | --help) usage 0 ;;
	*) echo "$prog: unknown argument $1" >&2; usage ;;
	esac
done
[ -n "$config" ] || die "--config is required"
[ -n "$out" ] || die "--out is required"
[ -r "$config" ] || die "config $config: not readable"


influxd=$(find_influxd "$influxd")
registry=$(role_path registry)
rollup_state=$(role_path rollup_state)
alerts_state=$(role_path alerts_state)
push_log=$(role_path push_log)
users_file=$(role_path users_file)
raw_db=$(influx_db "$(yaml_get "$config" influxdb bucket)" greenpulse)
ind_db=$(influx_db "$(yaml_get "$config" influxdb indicator_bucket)" greenpulse_indicators)

if [ -e "$out" ] && [ -n "$(ls -A "$out" 2>/dev/null)" ]; then
	die "$out is not empty: refusing to overwrite a backup; choose a new folder"
fi
umask 077
mkdir -p "$out"
chmod 700 "$out"
mkdir -p "$out/files" "$out/influxdb"

manifest="$out/MANIFEST"
{
	echo "# GreenPulse collector backup. Restore with scripts/restore.sh --from DIR --config PATH."
	echo "# Lines: file<TAB>role<TAB>mode<TAB>sha256<TAB>path in backup<TAB>original path"
	printf 'created\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	printf 'host\t%s\n' "$(hostname 2>/dev/null || echo unknown)"
	printf 'influxd\t%s\n' "$("$influxd" version 2>/dev/null | head -n1)"
	if command -v greenpulse-collector >/dev/null 2>&1; then
		printf 'collector\t%s\n' "$(greenpulse-collector version 2>/dev/null | head -n1)"
	fi
	printf 'config\t%s\n' "$(abspath "$config")"
	printf 'databases\t%s %s\n' "$raw_db" "$ind_db"
} >"$manifest"

# add_file role src dest-in-backup: copies src (mode 0600) and records it.
add_file() {
	local role=$1 src=$2 rel=$3 mode sum
	mode=$(stat -c %a "$src")
	cp "$src" "$out/$rel"
	chmod 600 "$out/$rel"
	sum=$(sha256sum "$out/$rel" | cut -d' ' -f1)
	printf 'file\t%s\t%s\t%s\t%s\t%s\n' "$role" "$mode" "$sum" "$rel" "$(abspath "$src")" >>"$manifest"
}

# The files first, then the databases: a roll-up state older than the data
# only makes the restored collector recompute a few periods, never skip one.
for pair in "registry:$registry" "rollup_state:$rollup_state" "alerts_state:$alerts_state" "push_log:$push_log" "users_file:$users_file"; do
	role=${pair%%:*} src=${pair#*:}
	if [ -f "$src" ]; then
		add_file "$role" "$src" "files/$role.$(basename "$src")"
		echo "$prog: $role $src"
	else
		printf 'absent\t%s\t%s\n' "$role" "$(abspath "$src")" >>"$manifest"
		echo "$prog: $role $src does not exist (not yet written): skipped"
	fi
done
# The config itself, for reference: restore.sh does not put it back (it may
# hold tokens; the new machine has its own, see docs/backup.md).
add_file config "$config" "files/config.$(basename "$config")"

for db in "$raw_db" "$ind_db"; do
	echo "$prog: influxd backup -portable -host $influx_host -db $db"
	if ! "$influxd" backup -portable -host "$influx_host" -db "$db" "$out/influxdb/$db" >"$out/influxdb/$db.log" 2>&1; then
		tail -n 20 "$out/influxdb/$db.log" >&2
		die "backup of database $db from $influx_host failed (is the RPC bind-address enabled on that port?)"
	fi
	rm -f "$out/influxdb/$db.log"
done
find "$out/influxdb" -type f | LC_ALL=C sort | while read -r f; do
	rel=${f#"$out"/}
	chmod 600 "$f"
	printf 'file\tinfluxdb\t600\t%s\t%s\t-\n' "$(sha256sum "$f" | cut -d' ' -f1)" "$rel" >>"$manifest"
done
# Last, so that restore.sh can tell a finished backup from an interrupted one.
printf 'complete\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$manifest"
find "$out" -type d -exec chmod 700 {} +
chmod 600 "$manifest"
echo "$prog: backup written to $out ($(grep -c '^file' "$manifest") files)"

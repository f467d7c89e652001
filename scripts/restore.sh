#!/usr/bin/env bash
# Restore a GreenPulse collector backup made by scripts/backup.sh: checks
# every sha256 of the MANIFEST, restores both InfluxDB 1.8 databases with
# `influxd restore -portable` and puts the registry, roll-up state, alerts
# state, DHIS2 push log and users file back where the config names them, with their
# modes. See docs/backup.md.
#
#   scripts/restore.sh --from DIR --config /etc/greenpulse/collector.yaml \
#       [--influx-host 127.0.0.1:8088] [--influxd PATH] [--owner USER:GROUP] [--force]
#
# Run it before the collector starts against the new InfluxDB: the collector
# creates empty databases at start, and influxd refuses to restore over an
# existing database (drop it first, or restore under another name by hand
# with `influxd restore -portable -db NAME -newdb OTHER`). Existing files are
# not overwritten unless --force. --owner chowns the restored files (run as
# root, give the collector's user, e.g. greenpulse:greenpulse, or it cannot
# write its state). Nothing secret is printed.
set -euo pipefail

prog=${0##*/}
die() { echo "$prog: $*" >&2; exit 1; }
usage() {
	sed -n '8,9p' "$0" | sed 's/^# \{0,3\}//' >&2
	exit "${1:-2}"
}

from="" config="" influx_host="127.0.0.1:8088" influxd="" force=0 owner=""
registry="" rollup_state="" alerts_state="" push_log="" users_file=""
# shellcheck source=scripts/backup-lib.sh
. "$(dirname "$0")/backup-lib.sh"
while [ $# -gt 0 ]; do
	case $1 in
	--from) from=${2:?}; shift 2 ;;
	--config) config=${2:?}; shift 2 ;;
	--influx-host) influx_host=${2:?}; shift 2 ;;
	--influxd) influxd=${2:?}; shift 2 ;;
	--registry | --rollup-state | --alerts-state | --push-log | --users-file) path_flag "$1" "${2:?}"; shift 2 ;;
	--force) force=1; shift ;;
	--owner) owner=${2:?}; shift 2 ;;
	-h | --help) usage 0 ;;
	*) echo "$prog: unknown argument $1" >&2; usage ;;
	esac
done
[ -n "$from" ] || die "--from is required"
[ -n "$config" ] || die "--config is required"
[ -r "$config" ] || die "config $config: not readable"
manifest="$from/MANIFEST"
[ -r "$manifest" ] || die "$manifest: not readable (not a backup made by backup.sh?)"
grep -q $'^complete\t' "$manifest" || die "$manifest: the backup did not finish (no complete line): make a new one"


influxd=$(find_influxd "$influxd")

# 1. Every file of the manifest is there and intact, before anything changes.
bad=0 n=0
while IFS=$'\t' read -r kind _role _mode sum rel _orig; do
	[ "$kind" = file ] || continue
	n=$((n + 1))
	if [ ! -f "$from/$rel" ]; then
		echo "$prog: $rel: missing from the backup" >&2
		bad=1
	elif [ "$(sha256sum "$from/$rel" | cut -d' ' -f1)" != "$sum" ]; then
		echo "$prog: $rel: sha256 does not match the MANIFEST" >&2
		bad=1
	fi
done <"$manifest"
[ "$bad" = 0 ] || die "the backup in $from is damaged: nothing restored"
[ "$n" -gt 0 ] || die "$manifest lists no files"
echo "$prog: $n files match the MANIFEST"

# 2. Where the files go, per this machine's config; refuse to overwrite.
if [ "$force" = 0 ]; then
	while IFS=$'\t' read -r kind role _rest; do
		[ "$kind" = file ] || continue
		dest=$(role_path "$role") || continue
		[ ! -e "$dest" ] || die "$dest ($role) exists: pass --force to overwrite it"
	done <"$manifest"
fi

# 3. The databases, each from its own folder.
dbs=$(awk -F'\t' '$1 == "databases" { print $2 }' "$manifest")
[ -n "$dbs" ] || die "$manifest names no databases"
for db in $dbs; do
	[ -d "$from/influxdb/$db" ] || die "$from/influxdb/$db: missing"
	echo "$prog: influxd restore -portable -host $influx_host -db $db"
	log=$(mktemp)
	if ! "$influxd" restore -portable -host "$influx_host" -db "$db" "$from/influxdb/$db" >"$log" 2>&1; then
		tail -n 20 "$log" >&2
		rm -f "$log"
		die "restore of database $db to $influx_host failed. If it already exists (the collector creates it at start), stop the collector and DROP DATABASE \"$db\" first, or restore under another name with: influxd restore -portable -host $influx_host -db $db -newdb NEWNAME $from/influxdb/$db"
	fi
	rm -f "$log"
done

# 4. The files, with the modes they had.
while IFS=$'\t' read -r kind role mode _sum rel _orig; do
	[ "$kind" = file ] || continue
	dest=$(role_path "$role") || continue
	mkdir -p "$(dirname "$dest")"
	tmp="$dest.restore.$$"
	cp "$from/$rel" "$tmp"
	chmod "$mode" "$tmp"
	if [ -n "$owner" ]; then
		chown "$owner" "$tmp"
	fi
	mv -f "$tmp" "$dest"
	echo "$prog: $role -> $dest (mode $mode)"
done <"$manifest"
echo "$prog: restored $from; start the collector now"

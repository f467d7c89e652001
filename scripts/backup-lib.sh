# Shared by scripts/backup.sh and scripts/restore.sh (sourced, not run):
# reading the collector config's paths and the MANIFEST's lines.
# shellcheck shell=bash

# yaml_get file section key: the scalar value of section.key (two-space
# indented under a top-level "section:" line), or of the top-level key when
# section is empty, as written in the collector config layout of
# configs/collector.yaml; comments and quotes are stripped. Empty if absent.
yaml_get() {
	awk -v sec="$2" -v key="$3" '
	function clean(v) {
		sub(/^[^:]*:[ \t]*/, "", v)
		if (v ~ /^"/) { sub(/^"/, "", v); sub(/".*$/, "", v); return v }
		if (v ~ /^'\''/) { sub(/^'\''/, "", v); sub(/'\''.*$/, "", v); return v }
		sub(/[ \t]+#.*$/, "", v); sub(/[ \t]+$/, "", v)
		return v
	}
	/^[ \t]*#/ { next }
	/^[A-Za-z_][A-Za-z0-9_]*:/ {
		cur = $0; sub(/:.*/, "", cur)
		if (sec == "" && cur == key) { print clean($0); exit }
		next
	}
	sec != "" && cur == sec && index($0, "  " key ":") == 1 { print clean($0); exit }
	' "$1"
}

# abspath path: path made absolute against the working folder.
abspath() {
	case $1 in
	/*) printf '%s\n' "$1" ;;
	*) printf '%s/%s\n' "$(pwd -P)" "$1" ;;
	esac
}

# config_path config override section key default: the override if set, else
# the config's value (or the collector's default), resolved against the
# config's folder when relative.
config_path() {
	local config=$1 v=$2
	if [ -z "$v" ]; then
		v=$(yaml_get "$config" "$3" "$4")
		[ -n "$v" ] || v=$5
		case $v in
		/*) ;;
		*) v="$(cd "$(dirname "$config")" && pwd -P)/$v" ;;
		esac
	fi
	printf '%s\n' "$v"
}

# influx_db bucket default: the InfluxDB 1.8 database of a bucket setting
# ("db" or "db/rp").
influx_db() {
	local v=${1:-$2}
	printf '%s\n' "${v%%/*}"
}

# find_influxd path: path, else influxd on PATH, else the test cache.
find_influxd() {
	if [ -n "$1" ]; then
		[ -x "$1" ] || { echo "influxd $1: not executable" >&2; return 1; }
		printf '%s\n' "$1"
	elif command -v influxd >/dev/null 2>&1; then
		command -v influxd
	elif [ -x "$HOME/.cache/greenpulse/bin/influxd" ]; then
		printf '%s\n' "$HOME/.cache/greenpulse/bin/influxd"
	else
		echo "influxd not found: install InfluxDB 1.8 or pass --influxd PATH" >&2
		return 1
	fi
}

# The five files besides the databases, by role: their paths come from the
# config's keys unless a flag overrides them (the variables registry,
# rollup_state, alerts_state, push_log, users_file; config names the config
# file).

# path_flag FLAG VALUE: takes a path-override flag; false for any other.
path_flag() {
	case $1 in
	--registry) registry=$2 ;;
	--rollup-state) rollup_state=$2 ;;
	--alerts-state) alerts_state=$2 ;;
	--push-log) push_log=$2 ;;
	--users-file) users_file=$2 ;;
	*) return 1 ;;
	esac
}

# role_path ROLE: the path of ROLE's file (registry, rollup_state,
# alerts_state, push_log, users_file) on this machine; false for another
# role.
role_path() {
	case $1 in
	registry) config_path "$config" "$registry" "" registry facilities.csv ;;
	rollup_state) config_path "$config" "$rollup_state" rollup state_file rollup-state.json ;;
	alerts_state) config_path "$config" "$alerts_state" alerts state_file alerts-state.json ;;
	push_log) config_path "$config" "$push_log" dhis2 push_log dhis2-pushes.jsonl ;;
	users_file) config_path "$config" "$users_file" access users_file users.json ;;
	*) return 1 ;;
	esac
}

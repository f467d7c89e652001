# Sourced by scripts/install-deps.sh and scripts/package.sh: the Go tools
# they build at pinned versions into the cache, and how.
# shellcheck shell=bash

cache="${GREENPULSE_CACHE:-$HOME/.cache/greenpulse}"
# shellcheck disable=SC2034 # used by the scripts that source this
nfpm_version=v2.48.0
# shellcheck disable=SC2034
nfpm="$cache/bin/nfpm"

# go_installed_version BIN: the module version go recorded in BIN (empty
# if BIN is missing). A go-installed binary often says "(devel)" or "dev"
# for its own version; this one tells whether it is the pinned build.
go_installed_version() { go version -m "$1" 2>/dev/null | awk '$1 == "mod" { print $3 }'; }

# go_installed_tags BIN: the build tags go recorded in BIN (empty if none).
go_installed_tags() { go version -m "$1" 2>/dev/null | awk '$1 == "build" && $2 ~ /^-tags=/ { sub(/^-tags=/, "", $2); print $2 }'; }

# go_install_pinned NAME BIN PACKAGE VERSION NOTE [TAGS]: go installs
# PACKAGE@VERSION (built with TAGS, comma-separated, if given) into the
# cache unless BIN is that build already; NOTE says how long the first
# time takes.
go_install_pinned() {
  local name=$1 bin=$2 pkg=$3 version=$4 note=$5 tags=${6:-}
  if [ "$(go_installed_version "$bin")" = "$version" ] && [ "$(go_installed_tags "$bin")" = "$tags" ]; then
    return 0
  fi
  echo "${0##*/}: building $name $version into $cache/bin (go install; $note)"
  mkdir -p "$cache/bin"
  GOBIN="$cache/bin" go install ${tags:+-tags "$tags"} "$pkg@$version"
  if [ "$(go_installed_version "$bin")" != "$version" ] || [ "$(go_installed_tags "$bin")" != "$tags" ]; then
    echo "${0##*/}: $bin is not $name $version${tags:+ with tags $tags} after the build" >&2
    return 1
  fi
}

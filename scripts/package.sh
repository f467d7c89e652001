#!/usr/bin/env bash
# Builds GreenPulse's Debian packages with nfpm (docs/packages.md):
#   greenpulse-agent_<version>_<arch>.deb      amd64, arm64, armhf
#   greenpulse-collector_<version>_<arch>.deb  amd64, arm64
#
#   scripts/package.sh [--version V] [--arch amd64,arm64,armhf] [--out DIR]
#
# --version: a Debian version; default from `git describe --tags --always`:
#   a tag v1.2.3 gives 1.2.3, commits after it 1.2.3+git<n>.<sha>, no tag
#   0.0.0~git<commit date>.<sha>.
# --arch: which of amd64, arm64, armhf (GOARCH=arm GOARM=7, Raspberry Pi
#   class boards) to build; default all three. The collector is not built
#   for armhf.
# --out: where the .deb files go; default dist/.
# The binaries are static (CGO_ENABLED=0), built with -trimpath and
# -ldflags "-s -w" and their version. nfpm is installed when missing, pinned,
# into ${GREENPULSE_CACHE:-$HOME/.cache/greenpulse}/bin (about a minute the
# first time). Prints each package's path and size.
set -euo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=scripts/go-tools.sh
. scripts/go-tools.sh

usage() { echo "usage: scripts/package.sh [--version V] [--arch amd64,arm64,armhf] [--out DIR]" >&2; exit 2; }
version="" arches="amd64,arm64,armhf" out="dist"
while [ $# -gt 0 ]; do
  case "$1" in
    --version) [ $# -ge 2 ] || usage; version="$2"; shift 2 ;;
    --arch) [ $# -ge 2 ] || usage; arches="$2"; shift 2 ;;
    --out) [ $# -ge 2 ] || usage; out="$2"; shift 2 ;;
    -h | --help) usage ;;
    *) echo "package: unknown argument $1" >&2; usage ;;
  esac
done

# debian_version turns git describe's answer into a Debian version that
# sorts the way the history goes.
debian_version() {
  local d sha date
  d="$(git describe --tags --always 2>/dev/null || true)"
  if [[ "$d" =~ ^v?([0-9]+(\.[0-9]+)*)(-([0-9]+)-g([0-9a-f]+))?$ ]]; then
    if [ -n "${BASH_REMATCH[3]}" ]; then
      echo "${BASH_REMATCH[1]}+git${BASH_REMATCH[4]}.${BASH_REMATCH[5]}"
    else
      echo "${BASH_REMATCH[1]}"
    fi
    return
  fi
  sha="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  date="$(git log -1 --format=%cd --date=format:%Y%m%d 2>/dev/null || date -u +%Y%m%d)"
  echo "0.0.0~git$date.$sha"
}
[ -n "$version" ] || version="$(debian_version)"
# Debian policy: digits first, then alphanumerics and . + ~ (no - without a
# revision, no _ at all: it separates the file name's fields).
if ! [[ "$version" =~ ^[0-9][A-Za-z0-9.+~]*(-[A-Za-z0-9.+~]+)?$ ]]; then
  echo "package: version $version is not a Debian version (e.g. 1.2.3 or 0.0.0~git20261202.abc1234)" >&2
  exit 2
fi

go_install_pinned nfpm "$nfpm" github.com/goreleaser/nfpm/v2/cmd/nfpm "$nfpm_version" "about a minute the first time"

mkdir -p "$out"
build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT

# pack ARCH PACKAGE BINARY...: build the binaries for ARCH and the package.
pack() {
  local arch="$1" pkg="$2" goarch goarm="" nfpm_arch
  shift 2
  case "$arch" in
    amd64) goarch=amd64 nfpm_arch=amd64 ;;
    arm64) goarch=arm64 nfpm_arch=arm64 ;;
    # nfpm's arm7 is Debian's armhf.
    armhf) goarch=arm goarm=7 nfpm_arch=arm7 ;;
    *) echo "package: unknown arch $arch (amd64, arm64, armhf)" >&2; exit 2 ;;
  esac
  mkdir -p "$build/$arch"
  for bin in "$@"; do
    CGO_ENABLED=0 GOOS=linux GOARCH=$goarch GOARM=$goarm go build -trimpath \
      -ldflags "-s -w -X main.version=$version" -o "$build/$arch/$bin" "./cmd/$bin"
  done
  local deb="$out/${pkg}_${version}_${arch}.deb"
  GREENPULSE_NFPM_ARCH=$nfpm_arch GREENPULSE_VERSION=$version GREENPULSE_BUILD="$build/$arch" \
    "$nfpm" package --config "configs/packaging/$pkg.nfpm.yaml" --packager deb --target "$deb" >/dev/null
  echo "$deb $(stat -c %s "$deb") bytes"
}

IFS=, read -r -a list <<<"$arches"
for arch in "${list[@]}"; do
  pack "$arch" greenpulse-agent greenpulse-agent
  case "$arch" in
    armhf) ;; # the collector runs in the data centre: amd64 or arm64
    *) pack "$arch" greenpulse-collector greenpulse-collector greenpulse-registry ;;
  esac
done

#!/usr/bin/env bash
# quickstart.sh - README's first command: on a fresh Debian 12 machine, as
# root, install the dependencies, build and install Whalebox (meson
# --prefix /usr/local), import the default busybox image and run a first
# container.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

scripts/install-deps.sh
if [[ -d build-release ]]; then
  meson setup --reconfigure build-release >/dev/null
else
  meson setup build-release --buildtype=release --prefix=/usr/local -Dtests=false
fi
ninja -C build-release
ninja -C build-release install >/dev/null
ldconfig

tarball=$(mktemp --suffix=.tar)
trap 'rm -f "$tarball"' EXIT
scripts/make-busybox-image.sh "$tarball" >/dev/null
# Replace an older busybox image of a previous run.
whalebox rmi -f busybox >/dev/null 2>&1 || true
whalebox import "$tarball" busybox >/dev/null
whalebox run --rm busybox echo "Hello from a whalebox container"

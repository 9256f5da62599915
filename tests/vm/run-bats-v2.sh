#!/bin/sh
# run-bats-v2.sh - integration test files on a cgroup-v2-only host: the
# given .bats files run inside the cgroup-v2 VM (../shared/vm/run next to
# the checkout; see its README), with the host-mode expectations of a
# unified host.  For checking that the suite holds on such a host (a fresh
# Debian 12 is one); the VM emulates its CPU (about 10x slower), so pick a
# few files.  Build on the host first.
#
#   tests/vm/run-bats-v2.sh [BUILDDIR] FILE.bats...
#
# BUILDDIR defaults to $WB_BUILD_DIR, else <checkout>/build; FILE is a
# name in tests/integration/; $WB_TEST_BATS_ARGS is passed to bats (e.g.
# "--filter REGEX").  Prints bats' TAP and exits with its status (124: VM
# timeout, 125: the VM failed to boot).
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
vm=${WB_VM_RUN:-$root/../shared/vm/run}
build=${WB_BUILD_DIR:-$root/build}
case "${1:-}" in
*.bats | "") ;;
*)
  build=$1
  shift
  ;;
esac
if [ $# -eq 0 ]; then
  echo "usage: run-bats-v2.sh [BUILDDIR] FILE.bats..." >&2
  exit 2
fi
if ! build=$(cd "$build" 2>/dev/null && pwd); then
  echo "run-bats-v2.sh: build directory $build not found" >&2
  exit 2
fi
if [ ! -x "$vm" ]; then
  echo "run-bats-v2.sh: $vm not found (the VM runner lives in shared/vm" \
    "beside the checkout)" >&2
  exit 2
fi
files=
for f in "$@"; do
  if [ ! -e "$root/tests/integration/$f" ]; then
    echo "run-bats-v2.sh: no tests/integration/$f" >&2
    exit 2
  fi
  files="$files tests/integration/$f"
done

# The busybox image tarball is made on the host (ten times faster), in the
# build directory: the guest gets empty tmpfs on /tmp and /var/tmp, where
# the tests keep their state roots (its / is an overlay, which cannot
# hold overlayfs upper dirs).
scratch=$(mktemp -d "$build/vm-bats.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
"$root/scripts/make-busybox-image.sh" "$scratch/busybox.tar" >/dev/null

cd "$root"
rc=0
# shellcheck disable=SC2086 # lists of words
"$vm" --tmpfs /tmp --tmpfs /var/tmp --timeout "${WB_VM_TIMEOUT:-1800}" -- \
  env TMPDIR=/tmp WB_TEST_BUSYBOX_TAR="$scratch/busybox.tar" \
  WB_BIN="$build/core/whalebox" WB_PLUGIN_DIR="$build/plugins" \
  WB_TEST_PLUGIN_DIR="$build/tests/plugins" WB_SOURCE_DIR="$root" \
  WB_BUILD_DIR="$build" \
  bats --tap ${WB_TEST_BATS_ARGS:-} $files || rc=$?
exit "$rc"

#!/bin/sh
# run-limits-v2.sh - tests/integration/limits.bats against the cgroup-v2
# driver, inside the cgroup-v2-only VM (../shared/vm/run next to the
# checkout; see its README).  The VM emulates its CPU (about 10x slower):
# build on the host first, e.g. `meson setup build && ninja -C build`.
#
#   tests/vm/run-limits-v2.sh [BUILDDIR]
#
# BUILDDIR defaults to $WB_BUILD_DIR, else <checkout>/build; the VM runner
# to $WB_VM_RUN, else ../shared/vm/run relative to the checkout.
#
# Prints bats' TAP and exits with its status (124: VM timeout, 125: the VM
# failed to boot).
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
vm=${WB_VM_RUN:-$root/../shared/vm/run}
build=${1:-${WB_BUILD_DIR:-$root/build}}
if ! build=$(cd "$build" 2>/dev/null && pwd); then
  echo "run-limits-v2.sh: build directory $build not found" >&2
  exit 2
fi
for f in "$build/core/whalebox" "$build/plugins/cgroup-v2.so" \
  "$build/plugins/storage-bind.so"; do
  if [ ! -e "$f" ]; then
    echo "run-limits-v2.sh: $f is missing: run ninja -C $build first" >&2
    exit 2
  fi
done
if [ ! -x "$vm" ]; then
  echo "run-limits-v2.sh: $vm not found (the VM runner lives in shared/vm" \
    "beside the checkout)" >&2
  exit 2
fi
if ! command -v bats >/dev/null; then
  echo "run-limits-v2.sh: bats not found (scripts/install-deps.sh)" >&2
  exit 2
fi

# The busybox image tarball is made here: the guest sees the host's /tmp
# (read-only) and would take ten times longer to make it.
scratch=$(mktemp -d /tmp/wb-limits-vm.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
"$root/scripts/make-busybox-image.sh" "$scratch/busybox.tar" >/dev/null

# The guest's / is an overlay (no overlayfs upper dirs on it): the state
# root and bats' scratch go to a tmpfs.  The VM has 2 vCPUs, so
# --cpuset-cpus 99 is still out of range there.  The default storage
# driver (overlay) runs on the guest's Linux 6.1 through mount(2), as on a
# stock Debian 12 (WB_TEST_STORAGE_DRIVER=bind for the other).  Under
# emulation the CFS period timer fires late and a --cpus 0.5 loop gets
# 0.18-0.34 of a core, throttled in every period: the test reads the
# kernel's per-period counters, not the clock, so it holds there too.
cd "$root"
rc=0
"$vm" --tmpfs /var/lib/wbtest --timeout "${WB_VM_TIMEOUT:-900}" -- \
  env WB_TEST_CGROUP_DRIVER=v2 TMPDIR=/var/lib/wbtest \
  WB_TEST_STORAGE_DRIVER="${WB_TEST_STORAGE_DRIVER:-overlay}" \
  WB_TEST_BUSYBOX_TAR="$scratch/busybox.tar" \
  WB_BIN="$build/core/whalebox" WB_PLUGIN_DIR="$build/plugins" \
  WB_TEST_PLUGIN_DIR="$build/tests/plugins" WB_SOURCE_DIR="$root" \
  WB_BUILD_DIR="$build" \
  bats --tap ${WB_TEST_BATS_ARGS:-} tests/integration/limits.bats || rc=$?
exit "$rc"

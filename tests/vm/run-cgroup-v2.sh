#!/bin/sh
# run-cgroup-v2.sh - run the cgroup unit tests against the cgroup-v2 driver
# inside the cgroup-v2-only VM (../shared/vm/run next to the checkout; see
# its README).  The VM emulates its CPU (about 10x slower): build on the
# host first, e.g. `meson setup build && ninja -C build`.
#
#   tests/vm/run-cgroup-v2.sh [BUILDDIR]
#
# BUILDDIR defaults to $WB_BUILD_DIR, else <checkout>/build; the VM runner
# to $WB_VM_RUN, else ../shared/vm/run relative to the checkout.
#
# Prints the test's TAP and exits with its status (124: VM timeout, 125: the
# VM failed to boot).  The probe must succeed in the VM: a driver that
# cannot work there fails instead of skipping (WB_TEST_CGROUP_REQUIRE=1).
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
vm=${WB_VM_RUN:-$root/../shared/vm/run}
build=${1:-${WB_BUILD_DIR:-$root/build}}
if ! build=$(cd "$build" 2>/dev/null && pwd); then
  echo "run-cgroup-v2.sh: build directory $build not found" >&2
  exit 2
fi
test_bin="$build/tests/unit-cgroup"
plugin="$build/plugins/cgroup-v2.so"
for f in "$test_bin" "$plugin"; do
  if [ ! -e "$f" ]; then
    echo "run-cgroup-v2.sh: $f is missing: run ninja -C $build first" >&2
    exit 2
  fi
done
if [ ! -x "$vm" ]; then
  echo "run-cgroup-v2.sh: $vm not found (the VM runner lives in shared/vm" \
    "beside the checkout)" >&2
  exit 2
fi

# The VM sees the host's / read-only (under a throw-away overlay) and the
# current directory writable; scratch state goes to a tmpfs.
cd "$root"
exec "$vm" --tmpfs /tmp/wbvm --timeout "${WB_VM_TIMEOUT:-600}" -- \
  env WB_TEST_CGROUP_DRIVER=v2 WB_TEST_CGROUP_REQUIRE=1 \
  WB_PLUGIN_DIR="$build/plugins" CMOCKA_MESSAGE_OUTPUT=TAP TMPDIR=/tmp/wbvm \
  "$test_bin"

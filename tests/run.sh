#!/usr/bin/env bash
# run.sh - the whole Whalebox test suite, as CI runs it (Debian 12, root):
#
#   1. scripts/install-deps.sh       (apt-get, skipped when all is there)
#   2. build-test: meson setup + ninja
#   3. meson test in build-test      (unit + integration)
#   4. build-asan: ASan+UBSan build, meson test again (unit + integration)
#   5. tests/vm/run-cgroup-v2.sh     (cgroup-v2 tests in a VM, when present)
#   6. tests/style.sh                (clang-format)
#
# Every TAP "ok"/"not ok" line of every run counts as one test
# (tests/tap-count.py); the style check and any build step that fails
# count as one test each; a test program that crashes before printing its
# whole plan counts its missing tests as failed, and a meson run that
# fails without a failed test in its log, or lacks a test program, counts
# as a failure.  A skipped test did not run: it is listed with its reason
# at the end, and counts as failed unless its reason is the host's cgroup
# mode (the one rule: skip_allowed in tests/tap-count.py).  The last line
# is "N skipped, N ran: N passed, N failed"; the exit status is 1 when
# anything failed.
#
# Environment (for quick local runs; CI sets none of them):
#   WB_SKIP_ASAN=1   skips step 4
#   WB_SKIP_VM=1     skips step 5
#   WB_TESTS="..."   runs only these meson tests in steps 3 and 4 (names as
#                    `meson test --list` prints them: unit-cgroup, core...)
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1

passed=0
failed=0
skipped=0
failures=()
skips=()
summary=()

say() {
  printf '\n==> %s\n' "$*"
}

# The host's cgroup mode as the mounts say it (helpers/common.bash's
# host_cgroup_mode): unified, hybrid, legacy or none.
host_cgroup_mode() {
  local t
  t=$(stat -f -c %T /sys/fs/cgroup 2>/dev/null) || { echo none; return; }
  if [[ "$t" == cgroup2fs ]]; then
    echo unified
  elif [[ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" == cgroup2fs ]]; then
    echo hybrid
  else
    echo legacy
  fi
}

# A step that is not itself a test: counted only when it fails.
step_failed() {
  failed=$((failed + 1))
  failures+=("$1")
  summary+=("$1: FAILED")
}

# Add the counts of tap-count.py's output (stdin) to the totals; $1 labels
# the summary line.
add_counts() {
  local label=$1 p f s line
  read -r p f s || { step_failed "$label: no results"; return; }
  while IFS= read -r line; do
    case $line in
    F\ *) failures+=("${line#F }") ;;
    S\ *) skips+=("${line#S }") ;;
    esac
  done
  passed=$((passed + p))
  failed=$((failed + f))
  skipped=$((skipped + s))
  summary+=("$label: $((p + f)) ran: $p passed, $f failed; $s skipped")
}

# Count the TAP output (stdin) of one program run in the cgroup-v2 VM
# (a unified host); $1 labels it, $2 is its exit status.
count_vm_tap() {
  python3 tests/tap-count.py tap "$1" unified "$2" | add_counts "$1"
}

# The meson tests a full run must have results for: one per unit test
# file and per .bats file (a missing bats or a file meson did not pick up
# would otherwise shrink the suite silently).
expected_tests() {
  if [[ -n "${WB_TESTS:-}" ]]; then
    echo "$WB_TESTS"
    return
  fi
  local f
  for f in tests/unit/test_*.c; do
    f=${f##*/test_}
    echo "unit-${f%.c}"
  done
  for f in tests/integration/*.bats; do
    f=${f##*/}
    echo "${f%.bats}"
  done
}

# meson test in build directory $2 (extra arguments after it), then count
# every test of its testlog.json; $1 labels it.  The log is removed first,
# so an old one is never counted.
run_meson() {
  local label=$1 builddir=$2 log=$2/meson-logs/testlog.json rc=0
  shift 2
  rm -f "$log"
  # shellcheck disable=SC2086 # WB_TESTS is a list of names
  meson test -C "$builddir" --print-errorlogs "$@" ${WB_TESTS:-} || rc=$?
  if [[ ! -s "$log" ]]; then
    step_failed "$label: meson test (exit $rc) wrote no $log"
    return
  fi
  # shellcheck disable=SC2046 # one name per line
  python3 tests/tap-count.py meson "$label" "$(host_cgroup_mode)" "$log" "$rc" \
    $(expected_tests) | add_counts "$label"
}

# Configure (or reconfigure, so new test files are found) and build.
build() {
  local dir=$1
  shift
  if [[ -f "$dir/meson-private/coredata.dat" ]]; then
    meson setup --reconfigure "$dir" "$@" || return 1
  else
    rm -rf "$dir"
    meson setup "$dir" "$@" || return 1
  fi
  ninja -C "$dir"
}

# add_counts reads from a pipe: keep the totals in this shell.
shopt -s lastpipe

start=$SECONDS

say "1/6 dependencies"
if ! "$repo/scripts/install-deps.sh"; then
  step_failed "install-deps"
fi

say "2/6 build (build-test)"
if build build-test; then
  say "3/6 tests (build-test)"
  run_meson "build-test" build-test
else
  step_failed "build-test: build"
fi

if [[ "${WB_SKIP_ASAN:-}" == 1 ]]; then
  say "4/6 ASan+UBSan: skipped (WB_SKIP_ASAN=1)"
else
  say "4/6 build (build-asan: ASan+UBSan)"
  if build build-asan -Db_sanitize=address,undefined -Db_lundef=false; then
    say "4/6 tests under ASan+UBSan (build-asan)"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
      UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      run_meson "build-asan" build-asan --timeout-multiplier 3
  else
    step_failed "build-asan: build"
  fi
fi

vm_script=tests/vm/run-cgroup-v2.sh
if [[ "${WB_SKIP_VM:-}" == 1 ]]; then
  say "5/6 cgroup-v2 VM tests: skipped (WB_SKIP_VM=1)"
elif [[ ! -e "$vm_script" ]]; then
  say "5/6 cgroup-v2 VM tests: skipped ($vm_script does not exist yet)"
else
  say "5/6 cgroup-v2 VM tests ($vm_script)"
  # The VM harness lives next to the repository (../shared/vm/run), else at
  # its usual place on these machines.
  vm_run=
  for cand in "$repo/../shared/vm/run" /work/shared/vm/run; do
    if [[ -x "$cand" ]]; then
      vm_run=$(cd "$(dirname "$cand")" && pwd)/run
      break
    fi
  done
  if [[ -z "$vm_run" ]]; then
    echo "cgroup-v2 VM tests: no VM runner at $repo/../shared/vm/run or /work/shared/vm/run" >&2
    step_failed "cgroup-v2 VM: no VM runner (shared/vm/run) found"
  elif [[ ! -x build-test/core/whalebox ]]; then
    step_failed "cgroup-v2 VM: build-test did not build"
  else
    vm_out=$(mktemp /tmp/wb-vm-tap.XXXXXX)
    WB_VM_RUN=$vm_run \
      WB_SOURCE_DIR=$repo \
      WB_BUILD_DIR=$repo/build-test \
      WB_BIN=$repo/build-test/core/whalebox \
      WB_PLUGIN_DIR=$repo/build-test/plugins \
      WB_TEST_PLUGIN_DIR=$repo/build-test/tests/plugins \
      timeout 1200 "$vm_script" | tee "$vm_out"
    rc=${PIPESTATUS[0]}
    count_vm_tap "cgroup-v2 VM" "$rc" <"$vm_out"
    # The limit tests of limits.bats again, enforced by cgroup-v2.
    WB_VM_RUN=$vm_run timeout 1200 tests/vm/run-limits-v2.sh "$repo/build-test" | tee "$vm_out"
    rc=${PIPESTATUS[0]}
    count_vm_tap "limits-v2 VM" "$rc" <"$vm_out"
    rm -f "$vm_out"
  fi
fi

say "6/6 style (tests/style.sh)"
if "$repo/tests/style.sh"; then
  passed=$((passed + 1))
  summary+=("style: 1 passed, 0 failed")
else
  failed=$((failed + 1))
  failures+=("style: tests/style.sh found files not formatted by .clang-format")
  summary+=("style: 0 passed, 1 failed")
fi

say "summary ($((SECONDS - start)) s)"
[[ -z "${WB_TESTS:-}" ]] || echo "  (only the meson tests WB_TESTS names: $WB_TESTS)"
printf '  %s\n' "${summary[@]}"
if [[ ${#skips[@]} -gt 0 ]]; then
  echo "skipped (the host's cgroup mode, $(host_cgroup_mode) here; the VM is unified):"
  printf '  %s\n' "${skips[@]}"
fi
if [[ ${#failures[@]} -gt 0 ]]; then
  echo "failures:"
  printf '  %s\n' "${failures[@]}"
fi
echo "$skipped skipped, $((passed + failed)) ran: $passed passed, $failed failed"
[[ $failed -eq 0 ]]

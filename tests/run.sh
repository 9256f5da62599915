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
# Every TAP "ok"/"not ok" line of every run counts as one test; the style
# check and any build step that fails count as one test each; a test
# program that crashes before printing its whole plan counts its missing
# tests as failed.  The last line is "N passed, N failed"; the exit status
# is 1 when anything failed.
#
# Environment: WB_SKIP_ASAN=1 skips step 4, WB_SKIP_VM=1 step 5 (for quick
# local runs; CI sets neither).
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1

passed=0
failed=0
skipped=0
failures=()
summary=()

say() {
  printf '\n==> %s\n' "$*"
}

# A step that is not itself a test: counted only when it fails.
step_failed() {
  failed=$((failed + 1))
  failures+=("$1")
  summary+=("$1: FAILED")
}

# Count the TAP lines of one test program's output (stdin).  Prints
# "passed failed skipped" then one line per failure.  $1 names the program;
# $2 its exit status (a non-zero status without a "not ok" is one failure).
tap_count() {
  python3 -c '
import re, sys
name, rc = sys.argv[1], int(sys.argv[2])
ok = bad = skip = 0
plan = None
lines = []
for line in sys.stdin:
    line = line.rstrip("\n")
    m = re.match(r"1\.\.(\d+)", line)
    if m and plan is None:
        plan = int(m.group(1))
    if re.match(r"ok\b", line):
        ok += 1
        if re.search(r"#\s*skip", line, re.I):
            skip += 1
    elif re.match(r"not ok\b", line):
        bad += 1
        lines.append(name + ": " + line)
if plan is not None and ok + bad < plan:
    lines.append("%s: %d of %d tests did not run" % (name, plan - ok - bad, plan))
    bad += plan - ok - bad
if rc != 0 and bad == 0:
    lines.append("%s: exited %d" % (name, rc))
    bad = 1
print(ok, bad, skip)
for l in lines:
    print(l)
' "$1" "$2"
}

# Add the counts of `tap_count` output (stdin) to the totals; $1 labels the
# summary line.
add_counts() {
  local label=$1 first p f s line
  read -r p f s || { step_failed "$label: no results"; return; }
  while IFS= read -r line; do
    failures+=("$line")
  done
  passed=$((passed + p))
  failed=$((failed + f))
  skipped=$((skipped + s))
  summary+=("$label: $p passed, $f failed ($s of the passed skipped)")
}

# Count every test of a meson test run from its testlog.json: TAP lines per
# test program.
count_meson() {
  local label=$1 builddir=$2 log=$2/meson-logs/testlog.json
  if [[ ! -s "$log" ]]; then
    step_failed "$label: meson test wrote no $log"
    return
  fi
  python3 -c '
import json, re, sys
label = sys.argv[2]
ok = bad = skip = 0
lines = []
for raw in open(sys.argv[1]):
    t = json.loads(raw)
    name, result = t["name"], t["result"]
    out = t.get("stdout") or ""
    o = b = 0
    plan = None
    for line in out.splitlines():
        m = re.match(r"1\.\.(\d+)", line)
        if m and plan is None:
            plan = int(m.group(1))
        if re.match(r"ok\b", line):
            o += 1
            if re.search(r"#\s*skip", line, re.I):
                skip += 1
        elif re.match(r"not ok\b", line):
            b += 1
            lines.append("%s %s: %s" % (label, name, line))
    if plan is not None and o + b < plan:
        lines.append("%s %s: %d of %d tests did not run (crash or timeout?)"
                     % (label, name, plan - o - b, plan))
        b += plan - o - b
    if result not in ("OK", "SKIP", "EXPECTEDFAIL") and b == 0:
        lines.append("%s %s: %s (exit %s)" % (label, name, result, t.get("returncode")))
        b = 1
    if o + b == 0 and result in ("OK", "SKIP", "EXPECTEDFAIL"):
        o = 1  # a non-TAP test program that passed
    ok += o
    bad += b
print(ok, bad, skip)
for l in lines:
    print(l)
' "$log" "$label" | add_counts "$label"
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
  meson test -C build-test --print-errorlogs
  count_meson "build-test" build-test
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
      meson test -C build-asan --print-errorlogs --timeout-multiplier 3
    count_meson "build-asan" build-asan
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
    tap_count "cgroup-v2 VM" "$rc" <"$vm_out" | add_counts "cgroup-v2 VM"
    # The limit tests of limits.bats again, enforced by cgroup-v2.
    WB_VM_RUN=$vm_run timeout 1200 tests/vm/run-limits-v2.sh "$repo/build-test" | tee "$vm_out"
    rc=${PIPESTATUS[0]}
    tap_count "limits-v2 VM" "$rc" <"$vm_out" | add_counts "limits-v2 VM"
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
printf '  %s\n' "${summary[@]}"
if [[ ${#failures[@]} -gt 0 ]]; then
  echo "failures:"
  printf '  %s\n' "${failures[@]}"
fi
echo "($skipped of the passed tests were skipped, each with its reason in the log)"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]

# run.bash - helpers for the `whalebox run` integration tests (run.bats,
# run-errors.bats, run-tty.bats).
#
# Load after helpers/common.  Every test gets its own state root
# ($ROOT = /var/tmp/wb-test.XXXXXX, a disk file system so an overlay upper
# works on it), its own cgroup parent ($CGPARENT = wb-test-...) and the
# busybox image imported from a tarball built once per file.  Each test body
# runs its cases once per storage driver: `for DRIVER in "${RT_DRIVERS[@]}"`.
#
# rt_teardown removes what a test left behind, even when it failed:
# background whalebox processes, containers (`rm -f`), mounts under $ROOT,
# the cgroup parent, and $ROOT itself.  Tests assert separately, with
# rt_assert_clean, that whalebox itself left nothing behind.

# Drivers to run every case against (WB_TEST_DRIVERS narrows it when
# debugging one driver).
read -r -a RT_DRIVERS <<<"${WB_TEST_DRIVERS:-overlay bind}"

# The cgroup driver: v1 on a host with v1 controllers, else the dummy test
# driver (which creates nothing), so the namespace and storage cases run
# everywhere.  WB_TEST_CGROUP_DRIVER overrides it.
rt_cgroup_driver() {
  if [[ -n "${WB_TEST_CGROUP_DRIVER:-}" ]]; then
    echo "$WB_TEST_CGROUP_DRIVER"
  elif [[ -e "$WB_PLUGIN_DIR/cgroup-v1.so" && -d /sys/fs/cgroup/memory ]]; then
    echo v1
  elif [[ -e "$WB_PLUGIN_DIR/cgroup-v2.so" &&
    "$(stat -f -c %T /sys/fs/cgroup 2>/dev/null)" == cgroup2fs ]]; then
    echo v2
  else
    echo "$WB_TEST_PLUGIN_DIR/cgroup-dummy.so"
  fi
}

# From setup_file: build the busybox tarball once for the whole file.
rt_setup_file() {
  export RT_BUSYBOX_TAR=$BATS_FILE_TMPDIR/busybox.tar
  "$WB_SOURCE_DIR/scripts/make-busybox-image.sh" "$RT_BUSYBOX_TAR" 2>"$BATS_FILE_TMPDIR/mkimage.err" || {
    cat "$BATS_FILE_TMPDIR/mkimage.err" >&2
    return 1
  }
}

# From setup: a fresh state root with `busybox` (CMD echo from-image).
rt_setup() {
  unset WHALEBOX_CONFIG
  ROOT=$(mktemp -d /var/tmp/wb-test.XXXXXX)
  CGPARENT=wb-test-run-$BATS_ROOT_PID-${BATS_SUITE_TEST_NUMBER:-0}-$RANDOM
  RT_CONF=$BATS_TEST_TMPDIR/empty.conf
  RT_BG_PIDS=$BATS_TEST_TMPDIR/bg.pids
  RT_CGDRIVER=$(rt_cgroup_driver)
  DRIVER=${RT_DRIVERS[0]}
  : >"$RT_CONF"
  : >"$RT_BG_PIDS"
  export ROOT CGPARENT RT_CONF RT_BG_PIDS RT_CGDRIVER DRIVER
  export -f wbx wbrun
  [[ -s "${RT_BUSYBOX_TAR:-}" ]] || fail "no busybox tarball (rt_setup_file not called?)"
  wbx import --change 'CMD ["echo","from-image"]' "$RT_BUSYBOX_TAR" busybox >/dev/null ||
    fail "importing $RT_BUSYBOX_TAR failed"
}

# whalebox with this test's root and config (any verb).
wbx() {
  "$WB_BIN" --config "$RT_CONF" --root "$ROOT" --plugin-dir "$WB_PLUGIN_DIR" "$@"
}

# `whalebox run` on the current $DRIVER, with the test's cgroup parent.
wbrun() {
  "$WB_BIN" --config "$RT_CONF" --root "$ROOT" --plugin-dir "$WB_PLUGIN_DIR" \
    --storage-driver "$DRIVER" --cgroup-driver "$RT_CGDRIVER" \
    run --cgroup-parent "$CGPARENT" "$@"
}

# wbrun in the background, stdout/stderr to $BATS_TEST_TMPDIR/bg.out|err;
# its pid (whalebox's own, not a subshell's) in $BG_PID.
wbrun_bg() {
  : >"$BATS_TEST_TMPDIR/bg.out"
  : >"$BATS_TEST_TMPDIR/bg.err"
  "$WB_BIN" --config "$RT_CONF" --root "$ROOT" --plugin-dir "$WB_PLUGIN_DIR" \
    --storage-driver "$DRIVER" --cgroup-driver "$RT_CGDRIVER" \
    run --cgroup-parent "$CGPARENT" "$@" \
    >"$BATS_TEST_TMPDIR/bg.out" 2>"$BATS_TEST_TMPDIR/bg.err" &
  BG_PID=$!
  echo "$BG_PID" >>"$RT_BG_PIDS"
}

# Wait (at most $2 seconds, default 20) until the background run's stdout
# contains $1.
wait_bg_output() {
  local want=$1 limit=$((${2:-20} * 10)) i
  for ((i = 0; i < limit; i++)); do
    grep -qF -- "$want" "$BATS_TEST_TMPDIR/bg.out" && return 0
    kill -0 "$BG_PID" 2>/dev/null || break
    sleep 0.1
  done
  grep -qF -- "$want" "$BATS_TEST_TMPDIR/bg.out" ||
    fail "background run did not print '$want'" \
      "stdout: $(cat "$BATS_TEST_TMPDIR/bg.out")" "stderr: $(cat "$BATS_TEST_TMPDIR/bg.err")"
}

# Wait for the background run to end (at most $1 seconds, default 20); its
# exit status in $BG_STATUS.  A run that does not end is killed (by pid) and
# the test fails.
wait_bg() {
  local limit=$((${1:-20} * 10)) i
  for ((i = 0; i < limit; i++)); do
    kill -0 "$BG_PID" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$BG_PID" 2>/dev/null; then
    kill -KILL "$BG_PID" 2>/dev/null || true
    wait "$BG_PID" 2>/dev/null || true
    fail "whalebox run (pid $BG_PID) did not exit within ${1:-20}s"
    return 1
  fi
  BG_STATUS=0
  wait "$BG_PID" || BG_STATUS=$?
}

# The ids of the containers in $ROOT (one per line, maybe none).
container_ids() {
  root_container_ids "$ROOT"
}

# The only container's id; fails unless there is exactly one.
only_container_id() {
  local ids n
  ids=$(container_ids)
  n=$(grep -c . <<<"$ids" || true)
  [[ "$n" -eq 1 ]] || {
    fail "expected exactly one container in $ROOT, found $n:" "$ids"
    return 1
  }
  echo "$ids"
}

# A field of a container's state.json (jq path), e.g. '.State.Pid'.
container_state() {
  jq -r "$2" "$(root_state_path "$ROOT" "$1")"
}

# Mount points on the host under $ROOT but its runroot.
host_mounts_under_root() {
  mounts_under "$ROOT"
}

# Cgroup directories below the test's cgroup parent (the containers'),
# in any hierarchy.
cgroups_under_parent() {
  local d
  for d in /sys/fs/cgroup/*/"$CGPARENT" /sys/fs/cgroup/"$CGPARENT"; do
    [[ -d "$d" ]] && find "$d" -mindepth 1 -type d
  done
  return 0
}

# Whalebox left nothing behind: no container directory, no name, no mount
# under the root, no container cgroup.  $1 (optional) labels the failure.
rt_assert_clean() {
  local what=${1:-} left
  left=$(container_ids)
  [[ -z "$left" ]] || fail "$what: container directories left in $ROOT:" "$left"
  left=$(root_names "$ROOT")
  [[ -z "$left" ]] || fail "$what: names left in $ROOT/run/names:" "$left"
  left=$(root_rw_dirs "$ROOT")
  [[ -z "$left" ]] || fail "$what: writable layers left in $ROOT/rw:" "$left"
  left=$(host_mounts_under_root)
  [[ -z "$left" ]] || fail "$what: mounts left under $ROOT:" "$left"
  left=$(cgroups_under_parent)
  [[ -z "$left" ]] || fail "$what: cgroups left under $CGPARENT:" "$left"
}

# After `run --separate-stderr`: status $1, one line on stderr starting
# with "whalebox: " and containing $2.
assert_error_line() {
  assert_status "$1"
  [[ "${#stderr_lines[@]}" -eq 1 ]] ||
    fail "expected exactly one line on stderr, got ${#stderr_lines[@]}:" "$stderr"
  [[ "$stderr" == "whalebox: "* ]] || fail "stderr does not start with 'whalebox: ':" "$stderr"
  assert_contains "$stderr" "$2"
}

assert_equal() {
  [[ "$1" == "$2" ]] || fail "expected: $(printf %q "$2")" "got:      $(printf %q "$1")"
}

# Run a bash script (text on stdin) inside a pseudo-terminal made by
# script(1); the script sees wbrun/wbx and this test's variables.  What the
# user types comes from $RT_PTY_FEED, shell code whose output is the
# terminal's input (e.g. "sleep 2; printf 'ls\n'"); none when empty.  The
# output (carriage returns and script's "^@" end-of-input echo removed) is
# in $output, the script's exit status (script -e: the child's) in $status.
run_in_pty() {
  local f=$BATS_TEST_TMPDIR/pty-script.sh raw=$BATS_TEST_TMPDIR/pty.out
  command -v script >/dev/null || fail "script(1) from util-linux is needed"
  {
    echo 'set -u'
    declare -p WB_BIN WB_PLUGIN_DIR ROOT CGPARENT RT_CONF RT_CGDRIVER DRIVER BATS_TEST_TMPDIR
    declare -f wbx wbrun
    cat
  } >"$f"
  status=0
  if [[ -n "${RT_PTY_FEED:-}" ]]; then
    bash -c "$RT_PTY_FEED" | timeout -k 5 120 script -qfec "bash $f" /dev/null >"$raw" 2>&1 || status=$?
  else
    timeout -k 5 120 script -qfec "bash $f" /dev/null </dev/null >"$raw" 2>&1 || status=$?
  fi
  output=$(sed -e 's/\r//g' -e 's/\^@//g' "$raw")
  mapfile -t lines <<<"$output"
}

# From teardown: remove everything this test may have left, then the root.
rt_teardown() {
  [[ -n "${ROOT:-}" && "$ROOT" == /var/tmp/wb-test.* ]] || return 0
  local id pid d m
  # Containers first: `rm -f` kills their processes, so the foreground
  # whalebox processes waiting on them exit by themselves.
  for id in $(container_ids); do
    wbx rm -f "$id" >/dev/null 2>&1 || true
  done
  if [[ -s "${RT_BG_PIDS:-}" ]]; then
    while read -r pid; do
      for _ in 1 2 3 4 5 6 7 8 9 10; do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      kill -KILL "$pid" 2>/dev/null || true
    done <"$RT_BG_PIDS"
    for id in $(container_ids); do
      wbx rm -f "$id" >/dev/null 2>&1 || true
    done
  fi
  # Mounts whalebox leaked under our root (deepest first), then our
  # cgroup parent (empty directories only; rmdir refuses anything else).
  for m in $(host_mounts_under_root | sort -r); do
    umount -l "$m" 2>/dev/null || true
  done
  remove_runroot "$ROOT"
  for d in /sys/fs/cgroup/*/"$CGPARENT" /sys/fs/cgroup/"$CGPARENT"; do
    [[ -d "$d" ]] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  # Never rm -rf through a mount that is still there.
  if [[ -z "$(host_mounts_under_root)" ]]; then
    rm -rf -- "$ROOT"
  else
    echo "# teardown: mounts remain under $ROOT; not removing it" >&2
  fi
}

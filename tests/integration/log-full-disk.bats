#!/usr/bin/env bats
# log-full-disk.bats - a detached container's output on a full disk: the
# lines the log driver cannot write are counted, and once there is room
# again the log says how many were lost (issue 13: 1,199 of 2,451 lines
# vanished without a trace); inspect and logs say why.
#
# The full file system is a 64 KiB tmpfs over the state root's
# containers/, mounted inside a mount namespace of the test's own
# (unshare -m --propagation private around every whalebox command that
# needs it), so no mount is ever visible on the host and it goes away with
# the namespace.

load helpers/common
load helpers/container

setup_file() {
  container_setup_file
}

setup() {
  container_setup
  command -v unshare >/dev/null || skip "unshare (util-linux) is not installed"
}

teardown() {
  container_teardown
}

LINES_FULL=2451

# Inside the namespace: mount, run, fill, let the container print, free,
# let it finish, then write what the checks need to $OUT and remove the
# container (everything of it is on the tmpfs, gone with the namespace).
in_namespace() {
  set -u
  wb() {
    "$WB_BIN" --config "$WB_CONF" --root "$WB_ROOT" --plugin-dir "$WB_PLUGIN_DIR" \
      --cgroup-driver "$WB_CGROUP_DRIVER" "$@"
  }
  wait_file() {
    local i
    for ((i = 0; i < 600; i++)); do
      [[ -e "$1" ]] && return 0
      sleep 0.1
    done
    echo "timed out waiting for $1" >&2
    return 1
  }
  trap 'wb rm -f full >/dev/null 2>&1' EXIT
  mkdir -p "$WB_ROOT/containers"
  mount -t tmpfs -o size=64k,mode=0700 wb-test-full "$WB_ROOT/containers" || return 90
  # 100-byte lines: more than a pipe holds, so most of them reach the
  # driver while the disk is full, whatever the scheduling.
  local cid
  cid=$(wb run -d --cgroup-parent "$WB_CG_PARENT" --name full -v "$WB_TMP/ctl:/ctl" \
    busybox sh -c '
      w() { i=0; while [ ! -e /ctl/$1 ]; do sleep 0.05; i=$((i+1)); [ $i -lt 1200 ] || exit 9; done; }
      w go1
      i=1; while [ $i -le '"$LINES_FULL"' ]; do
        printf "line %04d %s\n" $i 0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567
        i=$((i+1))
      done
      touch /ctl/done1
      w go2
      for i in 1 2 3 4 5 6 7 8 9 10; do echo "after $i"; done') || return 91
  echo "$cid" >"$OUT/cid"
  # Fill it: the head fails with ENOSPC once nothing is left.
  head -c 1M /dev/zero >"$WB_ROOT/containers/filler" 2>/dev/null
  df -k "$WB_ROOT/containers" >"$OUT/df-full"
  touch "$WB_TMP/ctl/go1"
  wait_file "$WB_TMP/ctl/done1" || return 92
  rm "$WB_ROOT/containers/filler"
  touch "$WB_TMP/ctl/go2"
  wb wait full >"$OUT/exit" || return 93
  wb logs full >"$OUT/stdout" 2>"$OUT/stderr" || return 94
  wb inspect --format '{{.State.Error}}' full >"$OUT/error" || return 95
  cp "$WB_ROOT/containers/$cid/log/container.log" "$OUT/container.log"
  cp "$WB_ROOT/containers/$cid/monitor.log" "$OUT/monitor.log" 2>/dev/null || :
  wb rm -f full >/dev/null || return 96
  [[ -z "$(ls -A "$WB_ROOT/containers")" ]] || return 97
}

@test "full disk: lost lines are counted and the log says how many, once there is room" {
  OUT=$WB_TMP/out
  mkdir "$OUT" "$WB_TMP/ctl"
  export OUT LINES_FULL
  export -f in_namespace
  run unshare -m --propagation private bash -c in_namespace
  [[ "$status" -eq 0 ]] || fail "in the namespace: exit $status" "$output"
  [[ -z "$(test_mounts)" ]] || fail "a mount is visible on the host: $(test_mounts)"
  [[ "$(cat "$OUT/exit")" == 0 ]] || fail "exit code $(cat "$OUT/exit")"

  # Every line on disk is a whole entry: the full disk cut none in two.
  jq -e . "$OUT/container.log" >/dev/null || fail "a torn line in container.log"
  # One marker, between the last line kept and the first after the gap.
  local markers
  markers=$(grep -c 'whalebox: log-file: [0-9]* lines lost since' "$OUT/container.log" || true)
  [[ "$markers" -eq 1 ]] || fail "$markers markers:" "$(grep 'lines lost' "$OUT/container.log")"
  local marker lost kept
  marker=$(grep -E '^whalebox: log-file: [0-9]+ lines lost since [0-9T:-]+Z: No space left on device$' "$OUT/stderr") ||
    fail "no marker on logs' stderr:" "$(cat "$OUT/stderr")"
  lost=$(sed -E 's/^whalebox: log-file: ([0-9]+) lines.*/\1/' <<<"$marker")
  kept=$(grep -c '^line [0-9]\{4\} ' "$OUT/stdout" || true)
  echo "# $kept lines kept, $lost lost and counted" >&3
  ((lost > 0)) || fail "nothing lost: was the disk full?" "$(cat "$OUT/df-full")"
  ((kept + lost == LINES_FULL)) ||
    fail "$kept lines kept + $lost lost != $LINES_FULL printed"
  # The lines kept are whole and in order, and the ones after the gap are all there.
  local bad
  bad=$(grep -v '^line [0-9]\{4\} 0123456789' "$OUT/stdout" | grep -vc '^after [0-9]*$' || true)
  [[ "$bad" -eq 0 ]] || fail "$bad damaged lines"
  [[ "$(grep '^after' "$OUT/stdout" | tr '\n' ' ')" == "after 1 after 2 after 3 after 4 after 5 after 6 after 7 after 8 after 9 after 10 " ]] ||
    fail "the lines after the gap:" "$(grep '^after' "$OUT/stdout")"
  local order
  order=$(jq -r '.log' "$OUT/container.log" | grep -n -E '^(after 1|whalebox: log-file.*)$' | cut -d: -f1 | tr '\n' ' ')
  [[ "$order" =~ ^([0-9]+)\ ([0-9]+)\ $ ]] && ((BASH_REMATCH[1] < BASH_REMATCH[2])) ||
    fail "the marker is not before 'after 1': lines $order" "$(jq -r .log "$OUT/container.log" | head -5)"
  # Why, in inspect and in logs.
  assert_contains "$(cat "$OUT/error")" "log-file: write $WB_ROOT/containers/"
  assert_contains "$(cat "$OUT/error")" "container.log: No space left on device"
  assert_contains "$(cat "$OUT/stderr")" "whalebox: error: log-file: write "
  assert_contains "$(cat "$OUT/stderr")" "whalebox: warning: log-file: writing again after "
  grep -q ' whalebox: error: log-file: write .*No space left on device; container output is being lost$' "$OUT/monitor.log" ||
    fail "monitor.log:" "$(cat "$OUT/monitor.log")"
}

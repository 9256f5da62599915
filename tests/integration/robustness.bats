#!/usr/bin/env bats
# robustness.bats - what a container (or the user's shell) can do to the
# runtime: hostile account files, a terminal nobody reads, inherited fds,
# ignored signals, repeated variables.  Each case was a bug found in review.

load helpers/common
load helpers/container

setup_file() {
  container_setup_file
}

setup() {
  container_setup
}

teardown() {
  container_teardown
}

elapsed_ms() {
  echo $((($(date +%s%N) - $1) / 1000000))
}

@test "exec -u with an /etc/group line naming the user 200 times neither crashes nor lists a group twice" {
  run_d busybox sleep 60
  run --separate-stderr wb exec "$CID" sh -c '
    echo "u:x:1000:1000::/:/bin/sh" >>/etc/passwd
    m=u; for i in $(seq 200); do m="$m,u"; done
    echo "big:x:4242:$m" >>/etc/group'
  assert_status 0
  run --separate-stderr wb exec -u u "$CID" id -G
  assert_status 0
  [[ "$output" == "1000 4242" ]] || fail "groups: $output" "$stderr"
}

@test "exec -u with a FIFO as /etc/passwd fails at once instead of hanging" {
  run_d busybox sleep 60
  run --separate-stderr wb exec "$CID" sh -c 'rm /etc/passwd && mkfifo /etc/passwd'
  assert_status 0
  run --separate-stderr timeout 10 "$WB_BIN" --config "$WB_CONF" --root "$WB_ROOT" \
    --plugin-dir "$WB_PLUGIN_DIR" --cgroup-driver "$WB_CGROUP_DRIVER" exec -u app "$CID" true
  assert_status 125
  assert_contains "$stderr" "unable to find user app"
}

@test "run -it: a container that never reads its terminal cannot wedge the runtime" {
  local start
  start=$(date +%s%N)
  # 4 MB typed at a container that never reads: far more than a terminal
  # buffers.  A runtime blocked writing it would never see the exit.
  run bash -c "yes | head -c 4000000 | timeout -k 1 30 script -qfec '$WB_BIN --config $WB_CONF --root $WB_ROOT --plugin-dir $WB_PLUGIN_DIR --cgroup-driver $WB_CGROUP_DRIVER run --cgroup-parent $WB_CG_PARENT -i -t --rm busybox sleep 1' /dev/null >/dev/null 2>&1"
  assert_status 0
  (($(elapsed_ms "$start") < 20000)) || fail "run -it took $(elapsed_ms "$start") ms"
  [[ -z "$(root_container_ids "$WB_ROOT")" ]] || fail "--rm left a container"
}

@test "run -d and exec -d keep none of the caller's descriptors" {
  local start out
  start=$(date +%s%N)
  # A pipe on fd 7 held by the monitor would keep the substitution open.
  out=$({ wb_run -d busybox sleep 4 >/dev/null 2>&1; } 7>&1)
  (($(elapsed_ms "$start") < 2500)) || fail "run -d held the caller's fd 7"
  run_d busybox sleep 60
  start=$(date +%s%N)
  out=$(wb exec -d "$CID" sh -c 'sleep 3; echo LATE')
  (($(elapsed_ms "$start") < 2000)) || fail "exec -d held the caller's stdout"
  [[ -z "$out" ]] || fail "exec -d wrote to the caller: $out"
  local mon
  mon=$(state_field "$CID" .State.MonitorPid)
  [[ "$(readlink /proc/"$mon"/cwd)" == / ]] || fail "the monitor pins $(readlink /proc/"$mon"/cwd)"
}

@test "a variable given at run and again at exec reaches the command once, exec's value" {
  run_d -e TZ=AAA0 -e KEEP=1 busybox sleep 60
  run --separate-stderr wb exec -e TZ=BBB0 "$CID" env
  assert_status 0
  [[ "$(grep -c '^TZ=' <<<"$output")" == 1 ]] || fail "TZ twice: $output"
  assert_contains "$output" "TZ=BBB0"
  assert_contains "$output" "KEEP=1"
  run --separate-stderr wb_run --rm -e HOSTNAME=mine busybox env
  [[ "$(grep -c '^HOSTNAME=' <<<"$output")" == 1 ]] || fail "HOSTNAME twice: $output"
  assert_contains "$output" "HOSTNAME=mine"
}

@test "signals the caller ignores are not ignored in the container (run and exec)" {
  run_d busybox sleep 60
  run bash -c "trap '' INT HUP; $WB_BIN --config $WB_CONF --root $WB_ROOT --plugin-dir $WB_PLUGIN_DIR --cgroup-driver $WB_CGROUP_DRIVER exec $CID grep SigIgn /proc/self/status"
  assert_status 0
  [[ "$output" == *"0000000000000000" ]] || fail "exec: $output"
  run bash -c "trap '' INT HUP; $WB_BIN --config $WB_CONF --root $WB_ROOT --plugin-dir $WB_PLUGIN_DIR --cgroup-driver $WB_CGROUP_DRIVER run --cgroup-parent $WB_CG_PARENT --rm busybox grep SigIgn /proc/self/status"
  assert_status 0
  [[ "$output" == *"0000000000000000" ]] || fail "run: $output"
}

@test "a bad --log-opt on run -d is 125 with the driver's message, and nothing is left" {
  run --separate-stderr wb_run -d --log-opt bogus=1 busybox echo hi
  assert_one_line_error
  assert_contains "$stderr" "unknown log option 'bogus'"
  [[ -z "$(root_container_ids "$WB_ROOT")" ]] || fail "a container was left"
}

@test "a run that fails takes its anonymous volumes along" {
  run --separate-stderr wb_run --rm -v /data busybox nosuchcmd
  assert_status 127
  run --separate-stderr wb_run -d -v /data2 busybox nosuchcmd
  assert_status 127
  run --separate-stderr wb volume ls -q
  assert_status 0
  [[ -z "$output" ]] || fail "volumes left: $output"
}

@test "rm -f of a foreground run ends its container; the run itself exits 137, not killed" {
  local out=$BATS_TEST_TMPDIR/fg.out pid
  wb_run --name fg busybox sleep 60 >"$out" 2>&1 &
  pid=$!
  wait_for 10 eval '[[ "$(wb inspect --format "{{.State.Status}}" fg 2>/dev/null)" == running ]]'
  run --separate-stderr wb rm -f fg
  assert_status 0
  local rc=0
  wait "$pid" || rc=$?
  [[ "$rc" == 137 ]] || fail "the foreground run exited $rc" "$(cat "$out")"
  [[ -z "$(root_container_ids "$WB_ROOT")" ]] || fail "rm -f left the container"
}

@test "user errors on verbs: one line naming the value, 125, nothing left" {
  local args
  while IFS='|' read -r msg args; do
    # run gets this test's cgroup parent, so nothing lands in the default.
    if [[ "$args" == run\ * ]]; then
      # shellcheck disable=SC2086
      run --separate-stderr wb_run ${args#run }
    else
      # shellcheck disable=SC2086
      run --separate-stderr wb $args
    fi
    assert_one_line_error
    assert_contains "$stderr" "$msg"
  done <<'LIST'
invalid value "" for --hostname|run --hostname= busybox true
invalid value "" for --user|run -u= busybox true
invalid environment variable: "=x"|run -e =x busybox true
flag needs an argument: --name|run --name
invalid signal: NOPE|kill -s NOPE somebody
unknown flag: --bogus; see 'whalebox start --help'|start --bogus x
working directory /etc/passwd|run -w /etc/passwd busybox true
LIST
  [[ -z "$(root_container_ids "$WB_ROOT")" ]] || fail "a container was left"
}

@test "an ambiguous id prefix is refused, a unique one works" {
  local a b p=""
  run_d busybox sleep 60
  a=$CID
  # Find a second container whose id shares a first character with a
  # (each try misses with p = 15/16: all 150 miss once in 16000 runs).
  for _ in $(seq 150); do
    run_d busybox true
    b=$CID
    if [[ "${a:0:1}" == "${b:0:1}" ]]; then p=${a:0:1}; break; fi
    wb rm -f "$b" >/dev/null
  done
  [[ -n "$p" ]] || skip "no two ids with the same first character in 150 tries"
  run --separate-stderr wb inspect --format '{{.Id}}' "$p"
  assert_status 125
  assert_contains "$stderr" "ambiguous"
  run --separate-stderr wb inspect --format '{{.Id}}' "${a:0:12}"
  assert_status 0
  [[ "$output" == *"$a"* ]] || fail "inspect by prefix printed: $output"
}

@test "start after the host side of a volume was deleted: 125 naming it; the container stays stopped" {
  local vol=$BATS_TEST_TMPDIR/gone
  mkdir -p "$vol"
  run --separate-stderr wb_run --name vgone -v "$vol:/data" busybox true
  assert_status 0
  rmdir "$vol"
  run --separate-stderr wb start -a vgone
  assert_one_line_error
  assert_contains "$stderr" "volume source $vol"
  run --separate-stderr wb inspect --format '{{.State.Status}}' vgone
  [[ "$output" == exited ]] || fail "after a failed start: $output"
  [[ ! -e "$vol" ]] || fail "start recreated the host path"
}

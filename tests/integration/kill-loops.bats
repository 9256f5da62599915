#!/usr/bin/env bats
# kill-loops.bats - `run -d`, `run --rm`, `rm -f` and `commit` killed
# (SIGKILL, by pid) at random instants all over their lives, 100 times each;
# after every kill the invariants of issue 13 must hold: every container is
# listed by `ps -a` and removable with `rm -f`, no name points to anything
# else, no cgroup is left frozen, and once everything is removed nothing is
# left (state, names, storage, cgroups, processes).  `ps -a` is the "next
# command" that may finish what a killed one left.

load helpers/common
load helpers/container

TRIES=100

setup_file() {
  container_setup_file
}

setup() {
  container_setup
  wbx_init
  # A FIFO held open both ways: `read -t` on it sleeps a fraction of a
  # millisecond without a fork.
  mkfifo "$WB_TMP/tick"
  exec {TICK}<>"$WB_TMP/tick"
}

teardown() {
  exec {TICK}>&- || true
  container_teardown
}

# The whalebox binary with this test's settings, as a command line rather
# than the wb function: `"${WBX[@]}" ... &` makes $! whalebox's own pid
# (a function in the background is a subshell, which a kill would hit
# instead).
wbx_init() {
  WBX=("$WB_BIN" --config "$WB_CONF" --root "$WB_ROOT" --plugin-dir "$WB_PLUGIN_DIR"
    --cgroup-driver "$WB_CGROUP_DRIVER")
}

# SIGKILL pid $1 after a random delay of 0 to $2 ms (a tenth of them at
# once, before the command has done anything).  With $3, the first line of
# that file just before the kill is left in SAMPLED (read by bash itself:
# no fork to delay the kill).
kill_after_random() {
  local us=$((RANDOM * 32768 + RANDOM))
  us=$((us % ($2 * 1000)))
  ((RANDOM % 10 == 0)) && us=0
  ((us == 0)) || read -r -t "$((us / 1000000)).$(printf '%06d' $((us % 1000000)))" -u "$TICK" || true
  SAMPLED=
  [[ -z "${3:-}" ]] || read -r SAMPLED <"$3" || true
  # (bash reports the kill when it reaps the job: not to the test's output)
  {
    kill -9 "$1"
    wait "$1"
  } 2>/dev/null || true
}

# Processes of this test: in its cgroups, or whalebox processes (monitors,
# commit watchers) of its state root.
test_processes() {
  grep -l "/$WB_CG_PARENT/" /proc/[0-9]*/cgroup 2>/dev/null | cut -d/ -f3
  pgrep -f -- "--root $WB_ROOT " || true
}

frozen_cgroups() {
  local f
  for f in /sys/fs/cgroup/freezer/"$WB_CG_PARENT"/*/freezer.state; do
    [[ -e "$f" ]] || continue
    [[ "$(cat "$f")" == THAWED ]] || echo "$f: $(cat "$f")"
  done
}

# What is listed and what is there agree: every state directory and every
# name belongs to a container `ps -a` lists.  $1 says which try this is.
assert_all_listed() {
  local try=$1
  run --separate-stderr wb ps -a -q --no-trunc
  [[ "$status" -eq 0 ]] || fail "$try: ps -a failed: $stderr"
  local listed=$output id name
  # A removal that is still going on (a monitor cleaning up after a start
  # that failed) finishes by itself; one whose remover was killed is
  # finished by ps.
  wait_for 5 eval '[[ -z "$(root_container_ids "$WB_ROOT" | grep "^\.trash-")" ]]' ||
    fail "$try: left being removed: $(root_container_ids "$WB_ROOT")"
  for id in $(root_container_ids "$WB_ROOT"); do
    [[ $id == .trash-* ]] && continue
    grep -qx "$id" <<<"$listed" || fail "$try: $id is not listed by ps -a:" "$(tree_listing "$WB_ROOT/containers/$id")"
  done
  for name in $(root_names "$WB_ROOT"); do
    id=$(root_name_target "$WB_ROOT" "$name")
    grep -qx "$id" <<<"$listed" || fail "$try: the name $name points to $id, which ps -a does not list"
  done
}

# Everything listed is removed with rm -f, and then nothing is left.
# LEFT counts the tries that left something for rm -f.
LEFT=0
assert_removable() {
  local try=$1
  run --separate-stderr wb ps -a -q --no-trunc
  if [[ -n "$output" ]]; then
    LEFT=$((LEFT + 1))
    # shellcheck disable=SC2086
    run --separate-stderr wb rm -f $output
    [[ "$status" -eq 0 ]] || fail "$try: rm -f failed: $stderr"
  fi
  [[ -z "$(root_container_ids "$WB_ROOT")" ]] || fail "$try: left: $(root_container_ids "$WB_ROOT")"
  [[ -z "$(root_names "$WB_ROOT")" ]] || fail "$try: names left: $(root_names "$WB_ROOT")"
  [[ -z "$(root_rw_dirs "$WB_ROOT")" ]] || fail "$try: rw dirs left: $(root_rw_dirs "$WB_ROOT")"
  wait_for 5 eval '[[ -z "$(test_cgroups)" ]]' || fail "$try: cgroups left:" "$(test_cgroups)"
  wait_for 5 eval '[[ -z "$(test_processes)" ]]' ||
    fail "$try: processes left:" "$(test_processes | xargs -r ps -o pid,stat,args -p)"
}

@test "run -d killed at random instants: no ghost" {
  local try
  for ((try = 1; try <= TRIES; try++)); do
    "${WBX[@]}" run -d --cgroup-parent "$WB_CG_PARENT" --name "kd$try" busybox sleep 300 \
      >/dev/null 2>&1 &
    kill_after_random $! 30
    assert_all_listed "try $try"
    [[ -z "$(frozen_cgroups)" ]] || fail "try $try: frozen: $(frozen_cgroups)"
    assert_removable "try $try"
  done
  echo "# run -d: $LEFT of $TRIES kills left a container for rm -f" >&3
}

@test "run --rm killed at random instants: no ghost, and a --rm container that ran on is removed once it ends" {
  local try
  for ((try = 1; try <= TRIES; try++)); do
    "${WBX[@]}" run --rm --cgroup-parent "$WB_CG_PARENT" --name "kr$try" busybox sleep 0.05 \
      </dev/null >/dev/null 2>&1 &
    kill_after_random $! 30
    assert_all_listed "try $try"
    # A container that outlived its run ends in 50 ms; then the next
    # command removes it.
    wait_for 5 eval '[[ -z "$(grep -l "/$WB_CG_PARENT/" /proc/[0-9]*/cgroup 2>/dev/null)" ]]'
    run --separate-stderr wb ps -a
    assert_not_contains "$output" "Up "
    assert_not_contains "$output" "Exited"
    assert_removable "try $try"
  done
  echo "# run --rm: $LEFT of $TRIES kills left a container for rm -f" >&3
}

@test "rm -f killed at random instants: the container is gone or still listed and removable" {
  local try
  for ((try = 1; try <= TRIES; try++)); do
    run_d --name "kf$try" busybox sleep 300
    "${WBX[@]}" rm -f "$CID" >/dev/null 2>&1 &
    kill_after_random $! 30
    assert_all_listed "try $try"
    [[ -z "$(frozen_cgroups)" ]] || fail "try $try: frozen: $(frozen_cgroups)"
    assert_removable "try $try"
  done
  echo "# rm -f: $LEFT of $TRIES kills left the container for another rm -f" >&3
}

@test "commit killed at random instants: the container is never left frozen, and stays listed and usable" {
  [[ "$WB_CGROUP_DRIVER" == v1 && -d /sys/fs/cgroup/freezer ]] ||
    skip "needs the cgroup-v1 driver and its freezer (have $WB_CGROUP_DRIVER)"
  run_d --name kc busybox sh -c 'dd if=/dev/zero of=/big bs=1M count=8 2>/dev/null
    mkdir /m; i=0; while [ $i -lt 200 ]; do echo $i >/m/$i; i=$((i + 1)); done
    echo ready; exec sleep 300'
  wait_for 20 eval '[[ "$(wb logs kc)" == ready ]]'
  local try pid st frozen=0
  pid=$(state_field "$CID" .State.Pid)
  st=$(state_field "$CID" .State.StartTime)
  for ((try = 1; try <= TRIES; try++)); do
    "${WBX[@]}" commit kc >/dev/null 2>&1 &
    kill_after_random $! 60 "/sys/fs/cgroup/freezer/$WB_CG_PARENT/$CID/freezer.state"
    [[ "$SAMPLED" == THAWED ]] || frozen=$((frozen + 1))
    # Thawed by the watcher the killed commit left, at once.
    wait_for 5 eval '[[ -z "$(frozen_cgroups)" ]]' || fail "try $try: left frozen:" "$(frozen_cgroups)"
    wait_for 5 eval '[[ "$(state_field "$CID" .State.Paused)" != true ]]' ||
      fail "try $try: the state still says paused"
    assert_all_listed "try $try"
    run --separate-stderr wb ps
    [[ "${lines[1]}" =~ Up\  ]] || fail "try $try: ps: ${lines[1]}"
    assert_not_contains "${lines[1]}" Paused
    proc_alive "$pid" "$st" || fail "try $try: the container died"
  done
  run --separate-stderr timeout 10 "${WBX[@]}" exec kc true
  assert_status 0
  assert_removable "after $TRIES commits"
  local done
  done=$(($(wb images -q | wc -l) - 1))
  echo "# commit: $frozen of $TRIES kills hit the container frozen, $done came after the commit" >&3
}

#!/usr/bin/env bats
# lifecycle-faults.bats - a container's state under faults (issue 13, 4):
# commands killed halfway, run concurrently, a state file that cannot be
# read, a full disk, a monitor that is gone.  The state must never lie and
# nothing may hang.  The kill-at-random-instant loops are in
# kill-loops.bats.

load helpers/common
load helpers/container

setup_file() {
  container_setup_file
}

setup() {
  container_setup
  wbx_init
}

teardown() {
  # A container left frozen (what these tests reproduce) cannot be killed:
  # thaw this test's own cgroups first.
  local f
  for f in /sys/fs/cgroup/freezer/"${WB_CG_PARENT:-none}"/*/freezer.state; do
    [[ -e "$f" ]] && echo THAWED >"$f" 2>/dev/null
  done
  # A state.json made immutable by a test.
  if [[ -n "${WB_ROOT:-}" && -d "$WB_ROOT" ]] && command -v chattr >/dev/null; then
    find "$WB_ROOT" -name state.json -exec chattr -i {} + 2>/dev/null || true
  fi
  container_teardown
}

# The v1 freezer file of container $1's cgroup.
freezer_file() {
  echo "/sys/fs/cgroup/freezer/$WB_CG_PARENT/$1/freezer.state"
}

freezer_state() {
  cat "$(freezer_file "$1")" 2>/dev/null
}

need_freezer() {
  [[ "$WB_CGROUP_DRIVER" == v1 ]] || skip "needs the cgroup-v1 driver (have $WB_CGROUP_DRIVER)"
  [[ -d /sys/fs/cgroup/freezer ]] || skip "no v1 freezer hierarchy at /sys/fs/cgroup/freezer"
}

# The whalebox binary with this test's settings, as a command line rather
# than the wb function: `"${WBX[@]}" ... &` makes $! whalebox's own pid
# (a function in the background is a subshell, which a kill would hit
# instead).
wbx_init() {
  WBX=("$WB_BIN" --config "$WB_CONF" --root "$WB_ROOT" --plugin-dir "$WB_PLUGIN_DIR"
    --cgroup-driver "$WB_CGROUP_DRIVER")
}

# A running container whose commit takes a while (its diff copies 150 MB
# and 2000 files): the window in which it is frozen is wide enough to hit.
run_big() {
  run_d "$@" busybox sh -c 'dd if=/dev/zero of=/big bs=1M count=150 2>/dev/null
    mkdir /many; i=0; while [ $i -lt 2000 ]; do echo $i >/many/$i; i=$((i + 1)); done
    echo ready; exec sleep 300'
  wait_for 20 eval '[[ "$(wb logs "$CID")" == ready ]]'
}

# ---- 1. commit's freeze, pause, unpause --------------------------------------

@test "commit interrupted while the container is frozen (Ctrl-C, SIGTERM, SIGKILL): it is thawed, exec and stop work" {
  need_freezer
  run_big --name big
  local how pid i
  for how in INT TERM KILL; do
    # Its own process group, as a command typed at a terminal, with
    # SIGINT not ignored (bash ignores it in background jobs).
    setsid env --default-signal=INT "${WBX[@]}" \
      commit big "snap-${how,,}" >/dev/null 2>&1 &
    pid=$!
    for ((i = 0; i < 2000; i++)); do
      [[ "$(freezer_state "$CID")" == FROZEN ]] && break
      sleep 0.002
    done
    [[ "$(freezer_state "$CID")" == FROZEN ]] || fail "$how: commit never froze the container"
    if [[ $how == INT ]]; then
      kill -INT -- "-$pid" # Ctrl-C: the terminal signals the whole group
    else
      kill -"$how" "$pid"
    fi
    wait "$pid" || true
    # Before the fix it stayed FROZEN for ever.
    wait_for 5 eval '[[ "$(freezer_state "$CID")" == THAWED ]]' ||
      fail "$how: the container is left $(freezer_state "$CID")"
    wait_for 5 eval '[[ "$(state_field "$CID" .State.Paused)" == false ]]' ||
      fail "$how: the state still says paused"
    run --separate-stderr timeout 10 "${WBX[@]}" exec big echo alive
    assert_status 0
    [[ "$output" == alive ]] || fail "$how: exec said: $output $stderr"
    run --separate-stderr wb ps
    assert_not_contains "$output" "Paused"
  done
  local start
  start=$(date +%s%N)
  run --separate-stderr wb stop -t 1 big
  assert_status 0
  (($(date +%s%N) - start < 5000000000)) || fail "stop took $((($(date +%s%N) - start) / 1000000)) ms"
}

@test "a frozen container (as a killed commit left it) is thawed by stop, kill and rm -f, which then work" {
  need_freezer
  local verb
  for verb in stop kill rm; do
    run_d --name "frz-$verb" busybox sleep 300
    local pid st
    pid=$(state_field "$CID" .State.Pid)
    st=$(state_field "$CID" .State.StartTime)
    echo FROZEN >"$(freezer_file "$CID")"
    wait_for 5 eval '[[ "$(freezer_state "$CID")" == FROZEN ]]'
    # Before the fix: stop failed after 12 s, rm -f with "processes still
    # running after SIGKILL", and kill's SIGKILL waited for a thaw.
    case $verb in
    stop) run --separate-stderr timeout 20 "${WBX[@]}" stop -t 1 "$CID" ;;
    kill) run --separate-stderr wb kill "$CID" ;;
    rm) run --separate-stderr wb rm -f "$CID" ;;
    esac
    assert_status 0
    wait_for 3 eval '! proc_alive "$pid" "$st"' || fail "$verb left the process running"
    if [[ $verb != rm ]]; then
      wait_for 5 eval '[[ "$(state_field "$CID" .State.Status)" == exited ]]' ||
        fail "$verb: state $(state_field "$CID" .State.Status)"
      [[ "$(state_field "$CID" .State.ExitCode)" == 137 ]] ||
        fail "$verb: exit code $(state_field "$CID" .State.ExitCode)"
    else
      assert_container_gone "$CID" "$pid" "$st"
    fi
  done
}

@test "pause and unpause: ps shows (Paused), inspect .State.Paused, Docker's errors, exec refused at once" {
  need_freezer
  run_d --name pz busybox sh -c 'i=0; while :; do i=$((i + 1)); echo $i >/tmp/count; sleep 0.05; done'
  run --separate-stderr wb pause pz
  assert_status 0
  [[ "$output" == pz ]] || fail "pause printed: $output"
  [[ "$(freezer_state "$CID")" == FROZEN ]] || fail "freezer: $(freezer_state "$CID")"
  run --separate-stderr wb ps
  [[ "${lines[1]}" =~ Up\ .*\ \(Paused\) ]] || fail "ps: ${lines[1]}"
  run --separate-stderr wb ps --filter status=paused -q
  [[ "$output" == "${CID:0:12}" ]] || fail "ps --filter status=paused: $output"
  run --separate-stderr wb ps --filter status=running -q
  [[ -z "$output" ]] || fail "a paused container is listed as running: $output"
  run --separate-stderr wb inspect --format '{{.State.Status}} {{.State.Running}} {{.State.Paused}}' pz
  [[ "$output" == "paused true true" ]] || fail "inspect: $output"
  run --separate-stderr wb pause pz
  assert_one_line_error
  assert_contains "$stderr" "container pz is already paused"
  local start
  start=$(date +%s%N)
  run --separate-stderr timeout 10 "${WBX[@]}" exec pz true
  assert_one_line_error
  assert_contains "$stderr" "container pz is paused, unpause the container before exec"
  (($(date +%s%N) - start < 3000000000)) || fail "exec took $((($(date +%s%N) - start) / 1000000)) ms"
  run --separate-stderr wb unpause pz
  assert_status 0
  [[ "$(freezer_state "$CID")" == THAWED ]] || fail "freezer: $(freezer_state "$CID")"
  run --separate-stderr wb inspect --format '{{.State.Status}} {{.State.Paused}}' pz
  [[ "$output" == "running false" ]] || fail "inspect: $output"
  run --separate-stderr wb unpause pz
  assert_one_line_error
  assert_contains "$stderr" "container pz is not paused"
  run --separate-stderr wb exec pz cat /tmp/count
  assert_status 0
  wb stop -t 0 pz >/dev/null
  run --separate-stderr wb pause pz
  assert_one_line_error
  assert_contains "$stderr" "container pz is not running"
  run --separate-stderr wb unpause pz
  assert_one_line_error
  assert_contains "$stderr" "container pz is not paused"
  run --separate-stderr wb pause nosuch
  assert_one_line_error
  assert_contains "$stderr" "no such container: nosuch"
  run --separate-stderr wb pause
  assert_one_line_error
  assert_contains "$stderr" '"pause" requires at least 1 argument'
  # Docker's management command has them too.
  run_d --name pz2 busybox sleep 300
  run --separate-stderr wb container pause pz2
  assert_status 0
  run --separate-stderr wb container unpause pz2
  assert_status 0
}

@test "commit of a paused container leaves it paused; pause during a commit keeps it paused after" {
  need_freezer
  run_d --name keep busybox sleep 300
  wb pause keep >/dev/null
  run --separate-stderr wb commit keep keepimg
  assert_status 0
  [[ "$(freezer_state "$CID")" == FROZEN ]] || fail "commit thawed a paused container"
  [[ "$(state_field "$CID" .State.Paused)" == true ]] || fail "the state lost the pause"
  wb unpause keep >/dev/null
  run_big --name big
  local pid i
  "${WBX[@]}" commit big snap >/dev/null 2>&1 &
  pid=$!
  for ((i = 0; i < 2000; i++)); do
    [[ "$(freezer_state "$CID")" == FROZEN ]] && break
    sleep 0.002
  done
  run --separate-stderr wb pause big
  assert_status 0
  wait "$pid" || fail "commit failed"
  [[ "$(freezer_state "$CID")" == FROZEN ]] || fail "the commit thawed what pause froze"
  run --separate-stderr wb ps
  assert_contains "$output" "(Paused)"
  wb unpause big >/dev/null
}

@test "a freeze lease whose commit and watcher are both gone is ended by the next command" {
  need_freezer
  run_d --name lease busybox sleep 300
  local f dead
  f=$(root_state_path "$WB_ROOT" "$CID")
  # A pid that is surely not a live process with that start time.
  dead=$(jq -n '{Pid: 1, StartTime: 1}')
  jq --argjson by "$dead" '.State.Paused = true | .State.PausedBy = $by' "$f" >"$f.new"
  mv "$f.new" "$f"
  echo FROZEN >"$(freezer_file "$CID")"
  run --separate-stderr wb ps
  [[ "${lines[1]}" =~ Up ]] || fail "ps: ${lines[1]}"
  assert_not_contains "${lines[1]}" Paused
  # Before the fix exec hung, deaf to its timeout's SIGTERM (its output to
  # a file: a helper frozen for ever would hold a pipe open).
  local rc=0
  timeout -k 2 10 "${WBX[@]}" exec lease echo ok \
    >"$WB_TMP/exec.out" 2>&1 || rc=$?
  ((rc == 0)) || fail "exec: status $rc: $(cat "$WB_TMP/exec.out")"
  [[ "$(cat "$WB_TMP/exec.out")" == ok ]] || fail "exec: $(cat "$WB_TMP/exec.out")"
  [[ "$(freezer_state "$CID")" == THAWED ]] || fail "freezer: $(freezer_state "$CID")"
  [[ "$(state_field "$CID" .State.Paused)" == false ]] || fail "the lease is still recorded"
}

# ---- 2. one lock per container --------------------------------------------------

@test "10 concurrent starts of a stopped container start it once; stop then stops it" {
  run_d --name ds busybox sleep 300
  wb stop -t 0 ds >/dev/null
  local i pids=() failed=0
  for ((i = 0; i < 10; i++)); do
    wb start ds >"$WB_TMP/out.$i" 2>"$WB_TMP/err.$i" &
    pids+=($!)
  done
  local p
  for p in "${pids[@]}"; do
    wait "$p" || failed=$((failed + 1))
  done
  # As Docker: starting a running container succeeds and does nothing.
  ((failed == 0)) || fail "$failed starts failed:" "$(cat "$WB_TMP"/err.*)"
  [[ "$(state_field "$CID" .State.Status)" == running ]] || fail "state: $(state_field "$CID" .State)"
  local pid st procs
  pid=$(state_field "$CID" .State.Pid)
  st=$(state_field "$CID" .State.StartTime)
  proc_alive "$pid" "$st" || fail "the recorded pid $pid is not the container's"
  procs=$(cat "/sys/fs/cgroup/pids/$WB_CG_PARENT/$CID/cgroup.procs" 2>/dev/null ||
    cat "/sys/fs/cgroup/memory/$WB_CG_PARENT/$CID/cgroup.procs")
  [[ "$procs" == "$pid" ]] || fail "processes in its cgroup: $procs (recorded: $pid)"
  local monitors
  monitors=$(pgrep -f -- "whalebox-monitor .*--id $CID" | wc -l)
  ((monitors == 1)) || fail "$monitors monitors"
  run --separate-stderr wb stop -t 1 ds
  assert_status 0
  ! proc_alive "$pid" "$st" || fail "stop left the process running"
  [[ "$(state_field "$CID" .State.Status)" == exited ]] || fail "state: $(state_field "$CID" .State.Status)"
  run --separate-stderr wb start ds
  assert_status 0
  [[ "$(state_field "$CID" .State.Status)" == running ]] || fail "restart: $(state_field "$CID" .State.Status)"
}

@test "a container's lock holds off commands on it, and on it only" {
  run_d --name la busybox sleep 300
  local a=$CID
  run_d --name lb busybox sleep 300
  # Another command holding la's lock for 3 s.
  flock "$WB_ROOT/containers/$a" sleep 3 &
  local holder=$!
  sleep 0.3
  run --separate-stderr timeout 2 "${WBX[@]}" stop -t 0 lb
  assert_status 0
  run --separate-stderr timeout 1 "${WBX[@]}" kill la
  [[ "$status" == 124 ]] || fail "kill of a locked container did not wait (status $status)"
  wait "$holder"
  run --separate-stderr wb kill la
  assert_status 0
}

# ---- 3. a state that cannot be read ---------------------------------------------

@test "an empty or garbage state.json: ps -a lists it, inspect shows it, rm -f by name, id or prefix removes it all" {
  local kind ref
  for kind in empty garbage incomplete; do
    for ref in name id prefix; do
      run_d --name "bad-$kind-$ref" busybox sleep 300
      local id=$CID pid st mon mst f
      pid=$(state_field "$id" .State.Pid)
      st=$(state_field "$id" .State.StartTime)
      mon=$(state_field "$id" .State.MonitorPid)
      mst=$(state_field "$id" .State.MonitorStartTime)
      f=$(root_state_path "$WB_ROOT" "$id")
      case $kind in
      empty) : >"$f" ;;
      garbage) printf '{"Id": "%s", "Na\x01\x02' "$id" >"$f" ;;
      incomplete) echo '{}' >"$f" ;;
      esac
      # Before the fix: not listed, and "no such container" for rm -f.
      run --separate-stderr wb ps -a
      assert_status 0
      local line
      line=$(grep "^${id:0:12} " <<<"$output") || fail "ps -a does not list it:" "$output"
      assert_contains "$line" "Unknown (state.json"
      assert_contains "$line" "bad-$kind-$ref"
      run --separate-stderr wb ps -a --format json
      jq -e --arg id "${id:0:12}" 'select(.ID == $id) | .State == "unknown" and (.Error | length > 0)' \
        <<<"$output" >/dev/null || fail "ps json: $output"
      run --separate-stderr wb inspect --format '{{.Id}} {{.Name}} {{.State.Status}}' "bad-$kind-$ref"
      assert_status 0
      [[ "$output" == "$id /bad-$kind-$ref unknown" ]] || fail "inspect: $output"
      run --separate-stderr wb inspect --format '{{.State.Error}}' "$id"
      assert_contains "$output" "state.json"
      # Verbs that need the state say why and how to get rid of it.
      run --separate-stderr wb start "bad-$kind-$ref"
      assert_status 125
      assert_contains "$stderr" "has an unreadable state"
      assert_contains "$stderr" "rm -f"
      run --separate-stderr wb rm "bad-$kind-$ref"
      assert_one_line_error
      assert_contains "$stderr" "use rm -f"
      local arg
      case $ref in
      name) arg=bad-$kind-$ref ;;
      id) arg=$id ;;
      prefix) arg=${id:0:10} ;;
      esac
      run --separate-stderr wb rm -f "$arg"
      assert_status 0
      [[ "$output" == "$arg" ]] || fail "rm -f printed: $output"
      # Its monitor records nothing of a container that is gone, and ends.
      wait_for 5 eval '! proc_alive "$mon" "$mst"' || fail "its monitor is still alive"
      assert_container_gone "$id" "$pid" "$st" "$mon" "$mst"
      [[ -z "$(test_cgroups | grep "$id")" ]] || fail "cgroups left"
    done
  done
  run --separate-stderr wb ps -aq
  [[ -z "$output" ]] || fail "left: $output"
}

@test "a state directory without state.json (a create killed early) is listed and removable; a name left dangling is free" {
  local id
  id=$(printf 'ab%.0s' {1..32})
  mkdir -p "$WB_ROOT/containers/$id"
  run --separate-stderr wb ps -a
  line=$(grep "^${id:0:12} " <<<"$output") || fail "ps -a does not list it:" "$output"
  assert_contains "$line" "state.json is missing"
  run --separate-stderr wb rm -f "${id:0:6}"
  assert_status 0
  [[ ! -e "$WB_ROOT/containers/$id" ]] || fail "it is left"
  # A name pointing to no container (an older version claimed the name
  # first, then was killed): taken for ever before the fix.
  ln -s "$(printf 'cd%.0s' {1..32})" "$WB_ROOT/run/names/ghost"
  run_d --name ghost busybox true
  [[ "$(root_name_target "$WB_ROOT" ghost)" == "$CID" ]] || fail "the name points to $(root_name_target "$WB_ROOT" ghost)"
}

# ---- 5. a full disk ------------------------------------------------------------------

@test "a full disk does not lose the exit code: stop records it in place; it stays once space is back" {
  command -v unshare >/dev/null || skip "unshare is not installed"
  # Everything whalebox does in this test happens in a mount namespace of
  # its own, on a small tmpfs mounted only there: the host sees nothing.
  local script=$BATS_TEST_TMPDIR/fulldisk.sh root=$WB_TMP/fullroot
  mkdir -p "$root"
  cat >"$script" <<'EOF'
set -u
root=$1 tar=$2
mount -t tmpfs -o size=24m,mode=0700 wb-test-fulldisk "$root" || exit 99
wb() {
  "$WB_BIN" --config "$WB_CONF" --root "$root" --plugin-dir "$WB_PLUGIN_DIR" \
    --cgroup-driver "$WB_CGROUP_DRIVER" "$@"
}
cleanup() {
  rm -f "$root/fill"
  local ids
  ids=$(wb ps -aq --no-trunc 2>/dev/null)
  [ -z "$ids" ] || wb rm -f $ids >/dev/null 2>&1
  local home
  home=$(readlink "$root/run")
  case $home in /dev/shm/whalebox-*) rm -rf -- "$home" ;; esac
}
trap cleanup EXIT
wb import "$tar" busybox >/dev/null || exit 98
id=$(wb run -d --cgroup-parent "$WB_CG_PARENT" busybox sleep 300) || exit 97
echo "id $id"
dd if=/dev/zero of="$root/fill" bs=64k >/dev/null 2>&1
echo "free $(df --output=avail -k "$root" | tail -1 | tr -d ' ')"
wb stop -t 0 "$id" >/dev/null
echo "stop $?"
echo "state $(jq -r '"\(.State.Status) \(.State.ExitCode)"' "$root/containers/$id/state.json")"
echo "ps $(wb ps -a --format json | jq -r .Status)"
rm -f "$root/fill"
echo "ps-after $(wb ps -a --format json | jq -r .Status)"
echo "state-after $(jq -r '"\(.State.Status) \(.State.ExitCode)"' "$root/containers/$id/state.json")"
EOF
  run unshare -m --propagation private bash "$script" "$root" "$BATS_FILE_TMPDIR/busybox.tar"
  echo "$output"
  assert_status 0
  assert_contains "$output" "free 0"
  # Before the fix: stop 0, state "running -1", ps "Exited (unknown)".
  assert_contains "$output" "state exited 137"
  [[ "$output" =~ ps\ Exited\ \(137\) ]] || fail "ps: $output"
  [[ "$output" =~ ps-after\ Exited\ \(137\) ]] || fail "ps after: $output"
  assert_contains "$output" "state-after exited 137"
  [[ -z "$(mounts_under "$root")" ]] || fail "the tmpfs is visible on the host"
}

@test "a state.json that cannot be written: stop says so, the exit code is kept in memory and written once it can be" {
  command -v chattr >/dev/null || skip "chattr is not installed"
  run_d --name ro busybox sleep 300
  local f pid st
  f=$(root_state_path "$WB_ROOT" "$CID")
  pid=$(state_field "$CID" .State.Pid)
  st=$(state_field "$CID" .State.StartTime)
  chattr +i "$f" 2>/dev/null || skip "chattr +i does not work on $(stat -f -c %T "$f")"
  # Before the fix: stop 0, and the code was lost for good.
  run --separate-stderr wb stop -t 0 ro
  assert_one_line_error
  assert_contains "$stderr" "container ro stopped, but its end could not be recorded"
  ! proc_alive "$pid" "$st" || fail "stop did not stop it"
  run --separate-stderr wb ps -a
  [[ "${lines[1]}" =~ Exited\ \(137\) ]] || fail "ps -a: ${lines[1]}"
  run --separate-stderr wb inspect --format '{{.State.Status}} {{.State.ExitCode}}' ro
  [[ "$output" == "exited 137" ]] || fail "inspect: $output"
  run --separate-stderr wb wait ro
  [[ "$output" == 137 ]] || fail "wait: $output"
  chattr -i "$f"
  run --separate-stderr wb stop ro
  assert_status 0
  [[ "$(state_field "$CID" .State.Status) $(state_field "$CID" .State.ExitCode)" == "exited 137" ]] ||
    fail "state: $(state_field "$CID" .State)"
  [[ ! -e "$WB_ROOT/run/exits/$CID" ]] || fail "the record in memory is left"
}

# ---- 6. orphans ------------------------------------------------------------------------

@test "an orphan (monitor killed) still running: start leaves it be, prune leaves it be; once stopped, start runs it again" {
  run_d --name orph busybox sleep 300
  local pid st mon mst
  pid=$(state_field "$CID" .State.Pid)
  st=$(state_field "$CID" .State.StartTime)
  mon=$(state_field "$CID" .State.MonitorPid)
  mst=$(state_field "$CID" .State.MonitorStartTime)
  kill -9 "$mon"
  wait_for 5 eval '! proc_alive "$mon" "$mst"'
  # Before the fix: "still stopping", and prune killed the live process.
  run --separate-stderr wb start orph
  assert_status 0
  [[ "$(state_field "$CID" .State.Pid)" == "$pid" ]] || fail "start started it twice"
  run --separate-stderr wb container prune -f
  assert_status 0
  assert_not_contains "$output" "$CID"
  proc_alive "$pid" "$st" || fail "prune killed a running container"
  run --separate-stderr wb stop -t 1 orph
  assert_status 0
  ! proc_alive "$pid" "$st" || fail "stop did not stop the orphan"
  run --separate-stderr wb start orph
  assert_status 0
  [[ "$(state_field "$CID" .State.Status)" == running ]] || fail "not started again"
  proc_alive "$(state_field "$CID" .State.Pid)" "$(state_field "$CID" .State.StartTime)" ||
    fail "the new process is not running"
  run --separate-stderr wb container prune -f
  assert_not_contains "$output" "$CID"
}

@test "a --rm container whose run or monitor was killed is removed once it ends" {
  local how
  for how in foreground detached; do
    local runner id pid st
    if [[ $how == foreground ]]; then
      "${WBX[@]}" run --cgroup-parent "$WB_CG_PARENT" --rm --name "rm-$how" busybox sleep 2 \
        </dev/null >/dev/null 2>&1 &
      runner=$!
      wait_for 10 eval '[[ -n "$(wb ps -q)" ]]'
      id=$(wb ps -q --no-trunc)
    else
      run_d --rm --name "rm-$how" busybox sleep 2
      id=$CID
      runner=$(state_field "$id" .State.MonitorPid)
    fi
    pid=$(state_field "$id" .State.Pid)
    st=$(state_field "$id" .State.StartTime)
    kill -9 "$runner"
    wait "$runner" 2>/dev/null || true
    run --separate-stderr wb ps
    assert_contains "$output" "rm-$how"
    wait_for 10 eval '! proc_alive "$pid" "$st"'
    # The next command that sees it ended removes it (before the fix:
    # "Exited (unknown)" for ever).
    run --separate-stderr wb ps -a
    assert_status 0
    assert_not_contains "$output" "rm-$how"
    assert_container_gone "$id" "$pid" "$st"
  done
}

# ---- 7. no "Exited (unknown)" on the way ----------------------------------------------------

@test "a container that just ended is Up or Exited with its code, never Exited (unknown)" {
  # (bats' `run` uses i and j.)
  local round look bad=0
  for ((round = 0; round < 30; round++)); do
    run_d busybox true
    for ((look = 0; look < 5; look++)); do
      run --separate-stderr wb ps -a --filter "id=$CID"
      if [[ "${lines[1]}" == *"Exited (unknown)"* ]]; then
        bad=$((bad + 1))
        break
      fi
    done
  done
  ((bad == 0)) || fail "Exited (unknown) in $bad of 30 runs"
  wb wait $(wb ps -aq) >/dev/null
  run --separate-stderr wb ps -a
  [[ "$(grep -c 'Exited (0)' <<<"$output")" == 30 ]] || fail "ps -a:" "$output"
}

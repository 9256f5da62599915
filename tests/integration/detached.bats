#!/usr/bin/env bats
# detached.bats - detached containers (issue 4): run -d and its monitor,
# ps, inspect, wait, top, container prune, rm/stop/kill, liveness with pid
# reuse and killed monitors, and concurrent run/rm leaving nothing behind.

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

# ---- run -d --------------------------------------------------------------------

@test "run -d prints the full id and returns while the container runs" {
  local start end
  start=$(date +%s%N)
  run --separate-stderr wb_run -d busybox sleep 30
  end=$(date +%s%N)
  assert_status 0
  [[ "$output" =~ ^[0-9a-f]{64}$ ]] || fail "run -d printed: $output" "$stderr"
  [[ -z "$stderr" ]] || fail "run -d wrote to stderr: $stderr"
  ((end - start < 5000000000)) || fail "run -d took $(((end - start) / 1000000)) ms"
  local id=$output
  [[ "$(state_field "$id" .State.Status)" == running ]] || fail "state is not running"
  local pid st
  pid=$(state_field "$id" .State.Pid)
  st=$(state_field "$id" .State.StartTime)
  proc_alive "$pid" "$st" || fail "the container process $pid is not alive"
  [[ "$(tr '\0' ' ' </proc/"$pid"/cmdline)" == "sleep 30 " ]] ||
    fail "pid $pid runs: $(tr '\0' ' ' </proc/"$pid"/cmdline)"
  run --separate-stderr wb ps -q --no-trunc
  assert_status 0
  [[ "$output" == "$id" ]] || fail "ps -q: $output"
}

@test "run -d: a command that is not found fails with 127 and leaves no container" {
  run -127 --separate-stderr wb_run -d busybox /nonexistent
  assert_status 127
  assert_contains "$stderr" "/nonexistent"
  [[ -z "$output" ]] || fail "a failed run -d printed: $output"
  run --separate-stderr wb ps -aq
  assert_status 0
  [[ -z "$output" ]] || fail "a container was left: $output"
}

# ---- ps --------------------------------------------------------------------------

@test "ps shows running containers, -a all, newest first, with docker's columns" {
  run_d --name exits busybox sh -c 'exit 3'
  local exited=$CID
  run wb wait "$exited"
  [[ "$output" == 3 ]] || fail "wait: $output"
  sleep 1.1
  run_d --name runs busybox sh -c 'sleep 30; echo 12345678'
  local running=$CID

  run --separate-stderr wb ps
  assert_status 0
  [[ "${#lines[@]}" -eq 2 ]] || fail "ps: expected a header and one line:" "$output"
  [[ "${lines[0]}" =~ ^CONTAINER\ ID\ +IMAGE\ +COMMAND\ +CREATED\ +STATUS\ +NAMES$ ]] ||
    fail "header: ${lines[0]}"
  [[ "${lines[1]}" =~ ^${running:0:12}\ +busybox\ +\"sh\ -c\ sleep\ 30\;\ ech…\"\ +(Less\ than\ a\ second|[0-9]+\ seconds?)\ ago\ +Up\ (Less\ than\ a\ second|[0-9]+\ seconds?)\ +runs$ ]] ||
    fail "running line: ${lines[1]}"

  run --separate-stderr wb ps -a
  assert_status 0
  [[ "${#lines[@]}" -eq 3 ]] || fail "ps -a: expected 2 containers:" "$output"
  [[ "${lines[1]}" == "${running:0:12}"* ]] || fail "newest first: $output"
  [[ "${lines[2]}" =~ ^${exited:0:12}\ .*\ Exited\ \(3\)\ [0-9]+\ seconds?\ ago\ +exits$ ]] ||
    fail "exited line: ${lines[2]}"

  run --separate-stderr wb ps -a -q
  assert_status 0
  [[ "$output" == "${running:0:12}"$'\n'"${exited:0:12}" ]] || fail "ps -aq: $output"

  run --separate-stderr wb ps --no-trunc
  assert_status 0
  assert_contains "$output" "$running"
  assert_contains "$output" '"sh -c sleep 30; echo 12345678"'
}

@test "ps --format json and --filter" {
  run_d --name done busybox true
  run wb wait "$CID"
  local exited=$CID
  run_d --name busy busybox sleep 30
  local running=$CID

  run --separate-stderr wb ps -a --format json
  assert_status 0
  [[ "${#lines[@]}" -eq 2 ]] || fail "one object per line:" "$output"
  local first
  first=$(jq -r '"\(.ID) \(.Names) \(.State) \(.Image) \(.Command)"' <<<"${lines[0]}")
  [[ "$first" == "${running:0:12} busy running busybox \"sleep 30\"" ]] || fail "json: $first"
  jq -e '.Status | startswith("Exited (0) ")' <<<"${lines[1]}" >/dev/null ||
    fail "json status: ${lines[1]}"

  run --separate-stderr wb ps --filter status=exited -q --no-trunc
  assert_status 0
  [[ "$output" == "$exited" ]] || fail "status=exited: $output"
  run --separate-stderr wb ps -a --filter status=running -q --no-trunc
  assert_status 0
  [[ "$output" == "$running" ]] || fail "status=running: $output"
  run --separate-stderr wb ps -a --filter name=don -q --no-trunc
  [[ "$output" == "$exited" ]] || fail "name=don: $output"

  run --separate-stderr wb ps --filter status=sleeping
  assert_one_line_error
  assert_contains "$stderr" "status=sleeping"
  run --separate-stderr wb ps --filter colour=red
  assert_one_line_error
  run --separate-stderr wb ps --format yaml
  assert_one_line_error
}

@test "ps shows Created for a container that never started" {
  run_d --name c1 busybox true
  run wb wait "$CID"
  # A container whose start never happened, as a crash after create leaves.
  local f=$WB_ROOT/containers/$CID/state.json
  jq '.State.Status = "created" | .State.StartedAt = null | .State.FinishedAt = null' "$f" >"$f.new"
  mv "$f.new" "$f"
  run --separate-stderr wb ps -a
  assert_status 0
  [[ "${lines[1]}" =~ \ Created\ +c1$ ]] || fail "ps -a: ${lines[1]}"
  run --separate-stderr wb ps -q
  [[ -z "$output" ]] || fail "a created container is not running: $output"
}

@test "ps is fast with 1000 containers" {
  run_d --name template busybox true
  run wb wait "$CID"
  # Copies of one exited container's state (ps reads only state.json).
  python3 - "$WB_ROOT/containers" "$CID" <<'PY'
import json, os, sys
base, src = sys.argv[1], sys.argv[2]
with open(os.path.join(base, src, "state.json")) as f:
    state = json.load(f)
for i in range(1000):
    cid = "%064x" % (i + 1)
    os.mkdir(os.path.join(base, cid))
    state["Id"], state["Name"] = cid, "c%d" % i
    with open(os.path.join(base, cid, "state.json"), "w") as f:
        json.dump(state, f)
PY
  local start end
  start=$(date +%s%N)
  run --separate-stderr wb ps -a
  end=$(date +%s%N)
  assert_status 0
  [[ "${#lines[@]}" -eq 1002 ]] || fail "expected 1001 containers, got $((${#lines[@]} - 1))"
  ((end - start < 2000000000)) || fail "ps -a took $(((end - start) / 1000000)) ms"
  rm -rf "$WB_ROOT"/containers/00000000000000000000000000000000000000000000000000000000000*
}

# ---- liveness ---------------------------------------------------------------------

@test "a stale pid in the state (pid reuse) is not reported as running" {
  run_d --name stale busybox true
  run wb wait "$CID"
  local f=$WB_ROOT/containers/$CID/state.json
  # Our own shell stands for an unrelated process that got the pid.
  jq --argjson pid $$ '.State.Status = "running" | .State.Pid = $pid |
      .State.StartTime = 12345 | .State.MonitorPid = $pid |
      .State.MonitorStartTime = 12345' "$f" >"$f.new"
  mv "$f.new" "$f"
  run --separate-stderr wb ps -q
  assert_status 0
  [[ -z "$output" ]] || fail "ps shows the stale container as running: $output"
  run --separate-stderr wb ps -a
  assert_contains "${lines[1]}" "Exited (unknown)"
  run --separate-stderr wb inspect --format '{{.State.Status}} {{.State.Running}}' stale
  [[ "$output" == "exited false" ]] || fail "inspect: $output"
  run --separate-stderr wb top stale
  assert_status 125
  assert_contains "$stderr" "not running"
  # rm -f must not signal the unrelated process (this very shell).
  run --separate-stderr wb rm -f stale
  assert_status 0
  assert_container_gone "$CID"
}

@test "kill -9 of a monitor: the container runs on, ps says so, stop stops it, rm -f cleans up" {
  run_d --name orphan busybox sleep 300
  local id=$CID pid st mon mst
  pid=$(state_field "$id" .State.Pid)
  st=$(state_field "$id" .State.StartTime)
  mon=$(state_field "$id" .State.MonitorPid)
  mst=$(state_field "$id" .State.MonitorStartTime)
  proc_alive "$mon" "$mst" || fail "monitor $mon is not alive"
  kill -9 "$mon"
  wait_for 5 eval '! proc_alive "$mon" "$mst"'
  proc_alive "$pid" "$st" || fail "the container died with its monitor"
  # Before the fix: "Exited (unknown)" while it ran, and stop exited 0 and
  # did nothing.
  run --separate-stderr wb ps
  assert_status 0
  [[ "${lines[1]}" =~ Up\  ]] || fail "ps: ${lines[1]}"
  run --separate-stderr wb inspect --format '{{.State.Status}} {{.State.Running}} {{.State.Pid}}' orphan
  [[ "$output" == "running true $pid" ]] || fail "inspect: $output"
  run --separate-stderr wb stop -t 1 orphan
  assert_status 0
  ! proc_alive "$pid" "$st" || fail "stop left the orphan running"
  # Its exit code went to whoever reaped it: unknown, and said so.
  run --separate-stderr wb ps -a
  [[ "${lines[1]}" =~ Exited\ \(unknown\) ]] || fail "ps -a: ${lines[1]}"
  [[ "$(state_field "$id" .State.Status)" == exited ]] || fail "the end was not recorded"
  [[ -z "$(test_cgroups | grep "$id")" ]] || fail "its cgroup is left"
  run --separate-stderr wb rm -f orphan
  assert_status 0
  assert_container_gone "$id" "$pid" "$st" "$mon" "$mst"
}

@test "kill -9 of a foreground run: the container runs on, ps says so, rm -f cleans up" {
  # The binary itself in the background, so $! is the runtime's pid.
  "$WB_BIN" --config "$WB_CONF" --root "$WB_ROOT" --plugin-dir "$WB_PLUGIN_DIR" \
    --cgroup-driver "$WB_CGROUP_DRIVER" run --cgroup-parent "$WB_CG_PARENT" \
    --name fg busybox sleep 300 </dev/null >/dev/null 2>&1 &
  local runner=$!
  wait_for 10 eval '[[ -n "$(wb ps -q)" ]]'
  local id pid st
  id=$(wb ps -q --no-trunc)
  pid=$(state_field "$id" .State.Pid)
  st=$(state_field "$id" .State.StartTime)
  kill -9 "$runner"
  wait "$runner" || true
  run --separate-stderr wb ps -a
  [[ "${lines[1]}" =~ Up\  ]] || fail "ps -a: ${lines[1]}"
  run --separate-stderr wb kill -s CONT fg
  assert_status 0
  run --separate-stderr wb rm -f fg
  assert_status 0
  assert_container_gone "$id" "$pid" "$st"
}

# ---- inspect -------------------------------------------------------------------------

@test "inspect prints docker's fields" {
  run_d --name insp -e FOO=bar -w /tmp -h boxy -m 64m --cpus 0.5 \
    --pids-limit 50 -v "$WB_TMP:/mnt:ro" --log-opt max-size=1m busybox sleep 30
  run --separate-stderr wb inspect insp
  assert_status 0
  local j=$output
  jq -e 'length == 1' <<<"$j" >/dev/null || fail "not an array of one: $j"
  local got
  got=$(jq -r '.[0] | [.Id, .Name, .Path, (.Args | join(" ")), .State.Status,
      .State.Running, .Config.Image, .Config.WorkingDir, .Config.Hostname,
      (.Config.Env | index("FOO=bar") != null), .HostConfig.Memory,
      .HostConfig.NanoCpus, .HostConfig.PidsLimit, .HostConfig.Binds[0],
      .HostConfig.LogConfig.Type, .HostConfig.LogConfig.Config["max-size"],
      .GraphDriver.Name] | join("|")' <<<"$j")
  [[ "$got" == "$CID|/insp|sleep|30|running|true|busybox|/tmp|boxy|true|67108864|500000000|50|$WB_TMP:/mnt:ro|file|1m|"* ]] ||
    fail "inspect fields: $got"
  local pid
  pid=$(jq -r '.[0].State.Pid' <<<"$j")
  [[ "$pid" == "$(state_field "$CID" .State.Pid)" && "$pid" -gt 0 ]] || fail "State.Pid: $pid"
  jq -e '.[0].State.StartedAt | test("^[0-9-]{10}T[0-9:]{8}\\.[0-9]+Z$")' <<<"$j" >/dev/null ||
    fail "StartedAt: $(jq '.[0].State.StartedAt' <<<"$j")"
  [[ -f "$(jq -r '.[0].LogPath' <<<"$j")" ]] || fail "LogPath is no file"
  if [[ "$(jq -r '.[0].GraphDriver.Name' <<<"$j")" == overlay ]]; then
    [[ -d "$(jq -r '.[0].GraphDriver.Data.UpperDir' <<<"$j")" ]] || fail "UpperDir is no directory"
  fi
}

@test "inspect --format selects fields; unknown containers fail with 125 after the rest" {
  run_d --name f1 busybox sh -c 'exit 5'
  run wb wait f1
  run --separate-stderr wb inspect --format '{{.State.ExitCode}}' f1
  assert_status 0
  [[ "$output" == 5 ]] || fail "ExitCode: $output"
  run --separate-stderr wb inspect --format 'name={{.Name}} running={{.State.Running}}' f1
  [[ "$output" == "name=/f1 running=false" ]] || fail "template: $output"
  run --separate-stderr wb inspect --format '{{json .State}}' f1
  assert_status 0
  [[ "$(jq -r .ExitCode <<<"$output")" == 5 ]] || fail "json .State: $output"
  [[ "$(jq -r .Status <<<"$output")" == exited ]] || fail "json .State: $output"

  run --separate-stderr wb inspect --format '{{.Name}}' nope f1 nope2
  assert_status 125
  [[ "$output" == /f1 ]] || fail "the found container is printed: $output"
  assert_contains "$stderr" "no such container: nope"
  assert_contains "$stderr" "no such container: nope2"

  run --separate-stderr wb inspect nope
  assert_status 125
  assert_contains "$stderr" "whalebox: no such container: nope"

  run --separate-stderr wb inspect --format '{{.NoSuchField}}' f1
  assert_one_line_error
  run --separate-stderr wb inspect --format '{{.State.ExitCode' f1
  assert_one_line_error
}

# ---- wait, top, prune ------------------------------------------------------------------

@test "wait blocks until the end and prints the exit code" {
  run_d --name w1 busybox sh -c 'sleep 1; exit 7'
  local a=$CID
  run_d --name w2 busybox sh -c 'exit 0'
  local start end
  start=$(date +%s%N)
  run --separate-stderr wb wait w1 w2
  end=$(date +%s%N)
  assert_status 0
  [[ "$output" == $'7\n0' ]] || fail "wait: $output"
  ((end - start > 500000000)) || fail "wait returned before the container ended"
  run --separate-stderr wb wait nope w2
  assert_status 125
  [[ "$output" == 0 ]] || fail "wait nope w2: $output"
  assert_contains "$stderr" "no such container: nope"
}

@test "top lists the container's processes" {
  run_d --name topper busybox sh -c 'sleep 301 & sleep 302 & wait'
  local pid
  pid=$(state_field "$CID" .State.Pid)
  wait_for 5 eval '[[ $(wb top topper | grep -cE " sleep 30[12]$") -eq 2 ]]'
  run --separate-stderr wb top topper
  assert_status 0
  [[ "${lines[0]}" =~ ^UID\ +PID\ +PPID\ +C\ +STIME\ +TTY\ +TIME\ +CMD$ ]] || fail "header: ${lines[0]}"
  [[ "${#lines[@]}" -eq 4 ]] || fail "expected 3 processes:" "$output"
  [[ "${lines[1]}" =~ ^root\ +$pid\ +[0-9]+\ .*\ sh\ -c\ sleep\ 301 ]] || fail "first: ${lines[1]}"
  assert_contains "$output" "sleep 301"
  assert_contains "$output" "sleep 302"
  # ps options are ignored.
  run --separate-stderr wb top topper -ef
  assert_status 0
  wb kill topper >/dev/null
  wb wait topper >/dev/null
  run --separate-stderr wb top topper
  assert_one_line_error
  assert_contains "$stderr" "is not running"
}

@test "container prune removes exited containers only" {
  run_d --name p1 busybox true
  local a=$CID
  run_d --name p2 busybox sh -c 'exit 2'
  local b=$CID
  run_d --name p3 busybox sleep 30
  local c=$CID
  wb wait p1 p2 >/dev/null
  # Without -f it asks; anything but y keeps everything.
  run --separate-stderr wb container prune <<<"n"
  assert_status 0
  assert_contains "$output" "Are you sure"
  [[ "$(wb ps -aq | wc -l)" -eq 3 ]] || fail "prune without consent removed something"
  run --separate-stderr wb container prune -f
  assert_status 0
  assert_contains "$output" "$a"
  assert_contains "$output" "$b"
  assert_not_contains "$output" "$c"
  assert_contains "$output" "Total reclaimed space:"
  assert_container_gone "$a"
  assert_container_gone "$b"
  run --separate-stderr wb ps -aq --no-trunc
  [[ "$output" == "$c" ]] || fail "left: $output"
}

@test "container subcommands are the top-level verbs" {
  run_d --name sub busybox sh -c 'echo hello; exit 4'
  run --separate-stderr wb container wait sub
  [[ "$output" == 4 ]] || fail "container wait: $output"
  run --separate-stderr wb container ls -a -q --no-trunc
  [[ "$output" == "$CID" ]] || fail "container ls: $output"
  run --separate-stderr wb container inspect --format '{{.State.ExitCode}}' sub
  [[ "$output" == 4 ]] || fail "container inspect: $output"
  run --separate-stderr wb container logs sub
  [[ "$output" == hello ]] || fail "container logs: $output"
  run --separate-stderr wb container rm sub
  assert_status 0
  assert_container_gone "$CID"
  run --separate-stderr wb container frobnicate
  assert_one_line_error
}

# ---- rm, stop, kill --------------------------------------------------------------------------

@test "rm refuses a running container without -f" {
  run_d --name busy busybox sleep 30
  run --separate-stderr wb rm busy
  assert_one_line_error
  assert_contains "$stderr" "busy"
  [[ "$(state_field "$CID" .State.Status)" == running ]] || fail "rm changed the state"
  local pid st
  pid=$(state_field "$CID" .State.Pid)
  st=$(state_field "$CID" .State.StartTime)
  run --separate-stderr wb rm -f busy
  assert_status 0
  assert_container_gone "$CID" "$pid" "$st"
}

@test "stop -t 1 of a container ignoring SIGTERM takes about 1 s and ends with 137" {
  run_d --name stubborn busybox sh -c 'trap "" TERM; echo ready; while :; do sleep 1; done'
  wait_for 5 eval '[[ "$(wb logs stubborn)" == ready ]]'
  local start end
  start=$(date +%s%N)
  run --separate-stderr wb stop -t 1 stubborn
  end=$(date +%s%N)
  assert_status 0
  local ms=$(((end - start) / 1000000))
  ((ms >= 900 && ms < 4000)) || fail "stop -t 1 took $ms ms"
  run --separate-stderr wb inspect --format '{{.State.Status}} {{.State.ExitCode}}' stubborn
  [[ "$output" == "exited 137" ]] || fail "after stop: $output"
  run --separate-stderr wb ps -a
  assert_contains "${lines[1]}" "Exited (137)"
}

@test "start runs a stopped container again with its changes; restart and start -a too" {
  run_d --name again busybox sh -c 'echo run >>/runs; cat /runs | wc -l; sleep 30'
  wait_for 5 eval '[[ "$(wb logs again)" == 1 ]]'
  run --separate-stderr wb stop -t 0 again
  assert_status 0
  [[ "$(state_field "$CID" .State.Status)" == exited ]] || fail "stop did not end it"
  local first_pid
  first_pid=$(state_field "$CID" .State.Pid)
  run --separate-stderr wb start again
  assert_status 0
  [[ "$output" == again ]] || fail "start printed: $output"
  # The same root file system: the file written by the first run is there.
  wait_for 5 eval '[[ "$(wb logs again | tail -n 1)" == 2 ]]'
  [[ "$(state_field "$CID" .State.Status)" == running ]] || fail "start did not run it"
  local started
  started=$(state_field "$CID" .State.StartedAt)
  run --separate-stderr wb restart -t 0 again
  assert_status 0
  wait_for 5 eval '[[ "$(wb logs again | tail -n 1)" == 3 ]]'
  [[ "$(state_field "$CID" .State.StartedAt)" != "$started" ]] || fail "restart did not start it again"
  run --separate-stderr wb stop -t 0 again
  assert_status 0
  # start -a stays attached and exits with the command's own code.
  run --separate-stderr wb_run --name quick busybox sh -c 'echo once >>/f; wc -l </f; exit 3'
  assert_status 3
  run --separate-stderr wb start -a quick
  assert_status 3
  [[ "$output" == 2 ]] || fail "start -a printed: $output"
  run --separate-stderr wb start nosuch
  assert_one_line_error
  assert_contains "$stderr" "no such container: nosuch"
}

@test "kill -s USR1 delivers the signal" {
  run_d --name sig busybox sh -c 'trap "echo got-usr1; exit 9" USR1; echo ready; while :; do sleep 0.1; done'
  wait_for 5 eval '[[ "$(wb logs sig)" == ready ]]'
  run --separate-stderr wb kill -s USR1 sig
  assert_status 0
  run --separate-stderr wb wait sig
  [[ "$output" == 9 ]] || fail "exit code: $output"
  run --separate-stderr wb logs sig
  [[ "$output" == $'ready\ngot-usr1' ]] || fail "logs: $output"
}

# ---- many at once ---------------------------------------------------------------------------

@test "20 concurrent run -d then 20 concurrent rm -f leave nothing" {
  local i pids=()
  for ((i = 0; i < 20; i++)); do
    wb_run -d --name "par$i" busybox sleep 300 >"$WB_TMP/id.$i" 2>"$WB_TMP/err.$i" &
    pids+=($!)
  done
  local p failed=0
  for p in "${pids[@]}"; do
    wait "$p" || failed=$((failed + 1))
  done
  ((failed == 0)) || fail "$failed run -d failed:" "$(cat "$WB_TMP"/err.*)"
  local ids=() procs=() id
  for ((i = 0; i < 20; i++)); do
    id=$(cat "$WB_TMP/id.$i")
    [[ "$id" =~ ^[0-9a-f]{64}$ ]] || fail "run -d $i printed: $id"
    ids+=("$id")
    procs+=("$(jq -r '"\(.State.Pid) \(.State.StartTime) \(.State.MonitorPid) \(.State.MonitorStartTime)"' \
      "$WB_ROOT/containers/$id/state.json")")
  done
  run --separate-stderr wb ps -q
  [[ "${#lines[@]}" -eq 20 ]] || fail "expected 20 running, got ${#lines[@]}:" "$output"

  pids=()
  for ((i = 0; i < 20; i++)); do
    wb rm -f "${ids[$i]}" >/dev/null 2>"$WB_TMP/rmerr.$i" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do
    wait "$p" || failed=$((failed + 1))
  done
  ((failed == 0)) || fail "$failed rm -f failed:" "$(cat "$WB_TMP"/rmerr.*)"
  for ((i = 0; i < 20; i++)); do
    # shellcheck disable=SC2086
    assert_container_gone "${ids[$i]}" ${procs[$i]}
  done
  [[ -z "$(root_container_ids "$WB_ROOT")" ]] ||
    fail "containers left: $(root_container_ids "$WB_ROOT")"
  [[ -z "$(root_names "$WB_ROOT")" ]] || fail "names left: $(root_names "$WB_ROOT")"
  [[ -z "$(test_cgroups)" ]] || fail "cgroups left:" "$(test_cgroups)"
  [[ -z "$(test_mounts)" ]] || fail "mounts left:" "$(test_mounts)"
}

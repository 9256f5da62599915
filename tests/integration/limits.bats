#!/usr/bin/env bats
# limits.bats - resource limits enforced for real (issue 7): OOM, memory,
# pids, cpuset, CPU quota and shares, update, stats, and refused values,
# against the cgroup driver $WB_TEST_CGROUP_DRIVER (by default the host
# cgroup mode's; the cgroup-v2-only VM runs this file with v2:
# tests/vm/run-limits-v2.sh).
# The VM emulates its CPU: keep tests few and short.

load helpers/common
load helpers/limits

setup_file() {
  limits_setup_file
}

teardown_file() {
  limits_teardown_file
}

setup() {
  limits_setup
}

teardown() {
  limits_teardown
}

@test "cgroup auto picks the driver this host can use" {
  # Independently of whalebox: v2 when the cgroup2 mount offers memory,
  # cpu and pids, else v1.
  local want=v1 ctrl
  ctrl=" $(cat "$(cgroup2_mount)/cgroup.controllers" 2>/dev/null) "
  if [[ "$ctrl" == *" memory "* && "$ctrl" == *" cpu "* && "$ctrl" == *" pids "* ]]; then
    want=v2
  fi
  run --separate-stderr "$WB_BIN" --config "$LIM_CONF" --root "$LIM_ROOT" \
    --plugin-dir "$WB_PLUGIN_DIR" --cgroup-driver auto info --format json
  assert_status 0
  [[ "$(json .drivers.cgroup.driver <<<"$output")" == "cgroup-$want" ]] ||
    fail "auto chose $(json .drivers.cgroup.driver <<<"$output"), expected cgroup-$want" \
      "$(json .drivers.cgroup.reason <<<"$output")"
}

@test "-m 32m: a 100 MiB allocation is OOM-killed, exit 137, OOMKilled true" {
  # The shell keeps the whole 100 MB in $x: it is the biggest process and
  # the one the OOM killer picks.
  run --separate-stderr wb_run --name oom -m 32m busybox \
    sh -c 'x=$(head -c 100000000 /dev/zero | tr "\0" a); echo survived ${#x}'
  assert_status 137
  assert_not_contains "$output" survived
  run --separate-stderr wb inspect --format '{{.State.OOMKilled}} {{.State.ExitCode}}' oom
  assert_status 0
  [[ "$output" == "true 137" ]] || fail "inspect: $output" "$stderr"
  assert_no_cgroup_left
}

@test "kill -9 is exit 137 but not OOM" {
  run_d --name killed -m 32m busybox sleep 60
  run --separate-stderr wb kill killed
  assert_status 0
  run --separate-stderr wb wait killed
  assert_status 0
  [[ "$output" == 137 ]] || fail "wait: $output" "$stderr"
  run --separate-stderr wb inspect --format '{{.State.OOMKilled}} {{.State.ExitCode}}' killed
  [[ "$output" == "false 137" ]] || fail "inspect: $output" "$stderr"
  assert_no_cgroup_left
}

@test "-m 64m: 8 MiB runs fine" {
  run --separate-stderr wb_run --rm -m 64m busybox \
    sh -c 'x=$(head -c 8000000 /dev/zero | tr "\0" a); echo ok ${#x}'
  assert_status 0
  [[ "$output" == "ok 8000000" ]] || fail "output: $output" "$stderr"
  assert_no_cgroup_left
  assert_no_container_left
}

@test "--pids-limit 16 stops a fork loop" {
  # `command eval` keeps the shell alive when a fork fails.
  run --separate-stderr wb_run --rm --pids-limit 16 busybox sh -c '
    ok=0 failed=0
    for i in $(seq 40); do
      if command eval "sleep 30 &" 2>/dev/null; then ok=$((ok + 1)); else failed=$((failed + 1)); fi
    done
    echo "$ok $failed"'
  assert_status 0
  local ok failed
  read -r ok failed <<<"$output"
  # The shell is one of the 16: at most 15 sleeps, the rest refused.
  [[ "$ok" -le 15 && "$ok" -ge 10 && "$failed" -ge 25 ]] ||
    fail "started $ok, refused $failed (expected at most 15 started)" "$stderr"
  assert_no_cgroup_left
}

@test "--cpuset-cpus 0 shows as Cpus_allowed_list: 0" {
  run --separate-stderr wb_run --rm --cpuset-cpus 0 busybox grep Cpus_allowed_list /proc/self/status
  assert_status 0
  [[ "$output" =~ ^Cpus_allowed_list:[[:space:]]+0$ ]] || fail "got: $output" "$stderr"
  assert_no_cgroup_left
}

@test "--cpus 0.5 holds a busy loop to half a core per CFS period" {
  run_d --cpus 0.5 busybox sh -c 'while :; do :; done'
  # The quota is what the driver wrote: 50 ms of every 100 ms period.
  if [[ "$LIM_DRIVER" == v2 ]]; then
    [[ "$(cat "$(cg_file cpu "$CID" cpu.max)")" == "50000 100000" ]] ||
      fail "cpu.max: $(cat "$(cg_file cpu "$CID" cpu.max)")"
  else
    [[ "$(cat "$(cg_file cpu "$CID" cpu.cfs_quota_us)")" == 50000 &&
      "$(cat "$(cg_file cpu "$CID" cpu.cfs_period_us)")" == 100000 ]] ||
      fail "cfs quota/period: $(cat "$(cg_file cpu "$CID" cpu.cfs_quota_us)")/$(cat "$(cg_file cpu "$CID" cpu.cfs_period_us)")"
  fi
  # The kernel's own counters, not the clock: the CPU time the cgroup used
  # over the CFS periods that elapsed, and the periods in which it used
  # up its quota and was throttled.  Wait (for counters, at most 60 s) until
  # at least 20 periods have elapsed and 3 of them throttled.  (How much
  # below its quota the loop stays depends on the host's load, and in the
  # VM on emulation, where a throttled period shows about half the quota
  # in usage_usec: no floor on the usage.)
  local a b pa pb ta tb i quota_ns=50000000
  a=$(cg_cpu_usage_ns "$CID")
  pa=$(cg_cpu_stat "$CID" nr_periods)
  ta=$(cg_cpu_stat "$CID" nr_throttled)
  for ((i = 0; i < 600; i++)); do
    pb=$(cg_cpu_stat "$CID" nr_periods)
    tb=$(cg_cpu_stat "$CID" nr_throttled)
    ((pb - pa >= 20 && tb - ta >= 3)) && break
    sleep 0.1
  done
  b=$(cg_cpu_usage_ns "$CID")
  pb=$(cg_cpu_stat "$CID" nr_periods)
  tb=$(cg_cpu_stat "$CID" nr_throttled)
  echo "# --cpus 0.5 ($LIM_DRIVER): $(((b - a) / 1000000)) ms of CPU in $((pb - pa)) periods," \
    "throttled in $((tb - ta))" >&3
  ((pb - pa >= 20)) || fail "only $((pb - pa)) CFS periods elapsed (nr_periods $pa -> $pb): is the quota set?"
  # The loop reached its quota (an unlimited loop is never throttled) ...
  ((tb - ta >= 3)) || fail "throttled in $((tb - ta)) of $((pb - pa)) periods: the quota does not bite"
  # ... and used at most the quota in each period (one more period for the
  # counters not being read at one instant; an unlimited loop uses 100 ms
  # each), with 20% to spare.
  ((b - a <= (pb - pa + 1) * quota_ns * 12 / 10)) ||
    fail "used $(((b - a) / 1000000)) ms in $((pb - pa)) periods: above 50 ms a period"
  run wb rm -f "$CID"
  assert_status 0
  assert_no_cgroup_left
}

@test "--cpu-shares 512 lands as cpu.shares (v1) or cpu.weight (v2)" {
  run_d --cpu-shares 512 busybox sleep 60
  if [[ "$LIM_DRIVER" == v2 ]]; then
    # runc's linear mapping of [2, 262144] onto [1, 10000]: 512 -> 20.
    [[ "$(cat "$(cg_file cpu "$CID" cpu.weight)")" == $((1 + (512 - 2) * 9999 / 262142)) ]] ||
      fail "cpu.weight: $(cat "$(cg_file cpu "$CID" cpu.weight)")"
  else
    [[ "$(cat "$(cg_file cpu "$CID" cpu.shares)")" == 512 ]] ||
      fail "cpu.shares: $(cat "$(cg_file cpu "$CID" cpu.shares)")"
  fi
  run wb rm -f "$CID"
  assert_no_cgroup_left
}

@test "update -m changes a running container's limit; a bad value changes nothing" {
  local file=memory.limit_in_bytes
  [[ "$LIM_DRIVER" == v2 ]] && file=memory.max
  run_d --name upd -m 64m busybox sleep 60
  local f
  f=$(cg_file memory "$CID" "$file")
  [[ "$(cat "$f")" == 67108864 ]] || fail "$file at start: $(cat "$f")"
  run --separate-stderr wb update -m 128m upd
  assert_status 0
  [[ "$output" == upd ]] || fail "update printed: $output" "$stderr"
  [[ "$(cat "$f")" == 134217728 ]] || fail "$file after update: $(cat "$f")"
  run --separate-stderr wb inspect --format '{{.HostConfig.Memory}}' upd
  [[ "$output" == 134217728 ]] || fail "inspect Memory: $output"
  run --separate-stderr wb update -m abc upd
  assert_one_line_error
  assert_contains "$stderr" '"abc"'
  assert_contains "$stderr" "--memory"
  [[ "$(cat "$f")" == 134217728 ]] || fail "$file changed by a refused update: $(cat "$f")"
  run --separate-stderr wb update --pids-limit 20 --cpus 0.5 upd
  assert_status 0
  [[ "$(cat "$(cg_file pids "$CID" pids.max)")" == 20 ]] || fail "pids.max: $(cat "$(cg_file pids "$CID" pids.max)")"
  run wb rm -f upd
  assert_no_cgroup_left
}

@test "bad values are refused before anything is created: 125, one line naming flag and value" {
  local -a cases=("-m abc --memory" "-m 1k --memory" "--cpus -1 --cpus"
    "--cpuset-cpus 99 --cpuset-cpus" "--pids-limit x --pids-limit")
  local c flag value name
  for c in "${cases[@]}"; do
    read -r flag value name <<<"$c"
    run --separate-stderr wb_run "$flag" "$value" busybox true
    assert_one_line_error
    assert_contains "$stderr" "\"$value\""
    assert_contains "$stderr" "$name"
    assert_no_container_left
    assert_no_cgroup_left
  done
}

@test "a cgroup that cannot be made: 125 naming it, and no container is left (run --rm, run, run -d)" {
  # A level of the parent that is a file (in our own parent cgroup): the
  # container's process is already cloned when its cgroup is made.
  wb_run --rm busybox true || fail "a first run failed" # makes $LIM_PARENT
  local mode
  for mode in --rm "" -d; do
    # shellcheck disable=SC2086
    run --separate-stderr wb run --cgroup-parent "$LIM_PARENT/cgroup.procs" $mode busybox sleep 5
    assert_one_line_error
    assert_contains "$stderr" "$LIM_PARENT/cgroup.procs/"
    assert_contains "$stderr" "Not a directory"
    assert_no_container_left
    run --separate-stderr wb ps -aq
    [[ -z "$output" ]] || fail "ps lists:" "$output"
  done
  assert_no_cgroup_left
}

@test "stats --no-stream: memory usage / limit and PIDs from the cgroup, json too" {
  run_d --name st -m 64m busybox sleep 60
  run --separate-stderr wb stats --no-stream
  assert_status 0
  [[ "${lines[0]}" =~ ^CONTAINER\ ID\ +NAME\ +CPU\ %\ +MEM\ USAGE\ /\ LIMIT\ +MEM\ %\ +PIDS$ ]] ||
    fail "header: ${lines[0]}"
  [[ "${#lines[@]}" -eq 2 ]] || fail "expected one container:" "$output"
  [[ "${lines[1]}" =~ ^${CID:0:12}\ +st\ +[0-9]+\.[0-9]{2}%\ +[0-9.]+[KMG]?i?B\ /\ 64MiB\ +[0-9]+\.[0-9]{2}%\ +1$ ]] ||
    fail "row: ${lines[1]}"
  run --separate-stderr wb stats --no-stream --format json st
  assert_status 0
  [[ "$(json .Name <<<"$output")" == st && "$(json .PIDs <<<"$output")" == 1 ]] ||
    fail "json: $output"
  [[ "$(json .MemUsage <<<"$output")" == *" / 64MiB" ]] || fail "json: $output"
  run wb rm -f st
  assert_no_cgroup_left
}

# strace of whalebox with this file's root, config and drivers, into
# $TRACE (set by the caller: `run` is a subshell).  LeakSanitizer (the ASan
# build) cannot run under ptrace.
wb_strace() {
  ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
    strace -f -y -qq -s 64 -o "$TRACE" -e trace=clone3,openat,write \
    "$WB_BIN" --config "$LIM_CONF" --root "$LIM_ROOT" --plugin-dir "$WB_PLUGIN_DIR" \
    --cgroup-driver "$LIM_DRIVER" ${WB_TEST_STORAGE_DRIVER:+--storage-driver "$WB_TEST_STORAGE_DRIVER"} "$@"
}

# $TRACE has a clone3 with CLONE_INTO_CGROUP that gave a pid, its cgroup
# fd was opened (O_PATH) on the cgroup of container $1 (a regex), and no
# cgroup.procs was opened for writing or written to.
assert_born_in_cgroup() {
  local into fd procs
  into=$(grep -E 'clone3\(\{flags=[^}]*CLONE_INTO_CGROUP.*cgroup=[0-9]+.*\) = [1-9][0-9]*$' "$TRACE" || true)
  [[ -n "$into" ]] || fail "no clone3 with CLONE_INTO_CGROUP succeeded:" \
    "$(grep -E 'clone3|cgroup' "$TRACE")"
  fd=$(sed -nE 's/.*cgroup=([0-9]+).*/\1/p' <<<"$into" | head -n 1)
  grep -qE "O_PATH.* = $fd<$(cgroup2_mount)/$LIM_PARENT/$1>\$" "$TRACE" ||
    fail "clone3's cgroup fd $fd is not the container's cgroup $LIM_PARENT/$1:" \
      "$into" "$(grep -E "O_PATH" "$TRACE")"
  procs=$(grep -E 'cgroup\.procs' "$TRACE" | grep -E 'O_WRONLY|O_RDWR|^[0-9]+ +write\(' || true)
  [[ -z "$procs" ]] || fail "a process was migrated through cgroup.procs:" "$procs"
}

# $TRACE shows, in every v1 hierarchy, one write of "0" to the tasks file of
# container $1 (a regex) by a process other than the runtime (strace's
# first pid), and no process migrated through cgroup.procs.  strace splits
# a call that another process interrupts ("<unfinished ...>", then
# "<... resumed>").
assert_moved_itself() {
  local d dirs writes runtime procs
  mapfile -t dirs < <(limits_parent_dirs)
  ((${#dirs[@]} > 0)) || fail "no v1 hierarchy found"
  runtime=$(head -n 1 "$TRACE" | awk '{print $1}')
  for d in "${dirs[@]}"; do
    writes=$(grep -E "^[0-9]+ +write\([0-9]+<$d/$1/tasks>, \"0\", 1(\) = 1| <unfinished \.\.\.>)\$" "$TRACE" || true)
    [[ $(grep -c . <<<"$writes") -eq 1 ]] || fail "no single write of 0 to tasks under $d:" "$(grep -F "$d" "$TRACE")"
    [[ "$(awk '{print $1}' <<<"$writes")" != "$runtime" ]] || fail "the runtime, not the process itself, wrote $d tasks"
  done
  procs=$(grep -E 'cgroup\.procs' "$TRACE" | grep -E 'O_WRONLY|O_RDWR|^[0-9]+ +write\(' || true)
  [[ -z "$procs" ]] || fail "a process was migrated through cgroup.procs:" "$procs"
}

@test "v1: run's first process and exec's helper move themselves into every hierarchy (0 to tasks); nothing goes through cgroup.procs" {
  [[ "$LIM_DRIVER" == v1 ]] ||
    skip_cgroup_mode "the driver under test is cgroup-$LIM_DRIVER: containers are cloned into their cgroup"
  command -v strace >/dev/null || skip "strace is not installed"
  TRACE=$BATS_TEST_TMPDIR/strace.run
  run --separate-stderr wb_strace run --rm --cgroup-parent "$LIM_PARENT" busybox true
  assert_status 0
  assert_moved_itself '[0-9a-f]{64}'
  # Its processes are reaped before its cgroups go: removed without listing
  # them (no cgroup.procs read either).
  ! grep -F 'cgroup.procs' "$TRACE" || fail "cgroup.procs was opened:" "$(grep -F cgroup.procs "$TRACE")"
  assert_no_cgroup_left
  # The host's view of a detached container's pid 1: in every hierarchy.
  run_d --name moved busybox sleep 60
  local pid line d dirs
  mapfile -t dirs < <(limits_parent_dirs)
  pid=$(wb inspect --format '{{.State.Pid}}' moved)
  for d in "${dirs[@]}"; do
    local ctl=${d%/"$LIM_PARENT"}
    ctl=${ctl##*/}
    line=$(grep -E "^[0-9]+:([a-z_]+,)*$ctl(,[a-z_]+)*:" "/proc/$pid/cgroup")
    [[ "$line" == *":/$LIM_PARENT/$CID" ]] || fail "$ctl: /proc/$pid/cgroup says $line"
  done
  # exec: its helper moves itself before it forks the command.
  TRACE=$BATS_TEST_TMPDIR/strace.exec
  run --separate-stderr wb_strace exec moved sh -c 'grep -c ":/\$" /proc/self/cgroup'
  assert_status 0
  (("$output" >= ${#dirs[@]})) || fail "exec is not at its cgroup namespace's root:" "$output" "$stderr"
  assert_moved_itself "$CID"
  run wb rm -f moved
  assert_status 0
  assert_no_cgroup_left
}

@test "v2: run's first process and exec's are born in the cgroup (clone3 CLONE_INTO_CGROUP), never migrated" {
  [[ "$LIM_DRIVER" == v2 ]] ||
    skip_cgroup_mode "the driver under test is cgroup-$LIM_DRIVER: CLONE_INTO_CGROUP takes only a cgroup2 directory (v1 containers move themselves: the test above)"
  command -v strace >/dev/null || skip "strace is not installed"
  # A foreground run (strace -f would wait for a detached one's monitor).
  # Inside, its cgroup is the root of its cgroup namespace.
  TRACE=$BATS_TEST_TMPDIR/strace.run
  run --separate-stderr wb_strace run --rm --cgroup-parent "$LIM_PARENT" busybox cat /proc/self/cgroup
  assert_status 0
  [[ "$output" == "0::/" ]] || fail "the container sees its cgroup as: $output" "$stderr"
  assert_born_in_cgroup '[0-9a-f]{64}'
  assert_no_cgroup_left
  # The host's view of a detached container's pid 1.
  run_d --name born busybox sleep 60
  local pid
  pid=$(wb inspect --format '{{.State.Pid}}' born)
  [[ "$(cat "/proc/$pid/cgroup")" == "0::/$LIM_PARENT/$CID" ]] ||
    fail "/proc/$pid/cgroup: $(cat "/proc/$pid/cgroup")"
  # exec: its helper (and so the command, its child) is born in the cgroup.
  TRACE=$BATS_TEST_TMPDIR/strace.exec
  run --separate-stderr wb_strace exec born cat /proc/self/cgroup
  assert_status 0
  [[ "$output" == "0::/" ]] || fail "exec sees its cgroup as: $output" "$stderr"
  assert_born_in_cgroup "$CID"
  run wb rm -f born
  assert_status 0
  assert_no_cgroup_left
}

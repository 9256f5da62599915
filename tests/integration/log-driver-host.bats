#!/usr/bin/env bats
# log-driver-host.bats - a log driver in whalebox-monitor gets what plugin.h
# promises, the same as in whalebox: one struct wb_host (state root,
# driver directory, configuration, sizes, errors), host->log that a user
# can read, fini() called.  tests/plugins/loghost.c (log-hostcheck.so)
# writes down what its host says; issue 13 found the monitor's own table
# differing on every one of these.

load helpers/common
load helpers/container

setup_file() {
  container_setup_file
}

setup() {
  container_setup
  HC=$WB_TEST_PLUGIN_DIR/log-hostcheck.so
  [[ -e "$HC" ]] || fail "$HC is not built"
  cat >"$WB_CONF" <<'CONF'
log: { hostcheck: {
  flavour = "vanilla";
  count = 7;
  limit = "1t";
  verbose = true;
}; };
CONF
}

teardown() {
  container_teardown
}

@test "a log driver sees the same host table in whalebox-monitor as in whalebox" {
  run_d --name same --log-driver "$HC" busybox true
  wb wait same >/dev/null
  local dir=$WB_ROOT/containers/$CID/log
  [[ -s "$dir/host-open.txt" ]] || fail "open() in the monitor wrote nothing"
  # read() runs in whalebox itself.
  run --separate-stderr wb logs same
  assert_status 0
  [[ -s "$dir/host-read.txt" ]] || fail "read() in whalebox wrote nothing"
  diff -u "$dir/host-read.txt" "$dir/host-open.txt" ||
    fail "the monitor's host table differs from whalebox's (- whalebox, + monitor)"
  # And what they both say is what plugin.h promises.
  local t
  t=$(cat "$dir/host-open.txt")
  assert_contains "$t" "state_root=$WB_ROOT"$'\n'
  assert_contains "$t" "driver_dir=$WB_ROOT/drivers/log-hostcheck"$'\n'
  [[ -d "$WB_ROOT/drivers/log-hostcheck" ]] || fail "the driver directory does not exist"
  assert_contains "$t" "config_string(flavour)=0:vanilla"
  assert_contains "$t" "config_int(count)=0:7"
  assert_contains "$t" "config_string(count)=-2:"
  assert_contains "$t" "config_int(limit)=0:1099511627776"
  assert_contains "$t" "config_bool(verbose)=0:1"
  assert_contains "$t" "parse_size(\"1t\")=0:1099511627776"
  assert_contains "$t" "parse_size(\" 5m\")=-22:0"
  assert_contains "$t" "parse_size(\"99999999999g\")=-22:0"
}

@test "host->log of a log driver in whalebox-monitor reaches monitor.log and logs" {
  run_d --name talk --log-driver "$HC" busybox true
  wb wait talk >/dev/null
  local mpid
  mpid=$(state_field "$CID" .State.MonitorPid)
  local messages=$WB_ROOT/containers/$CID/monitor.log
  [[ -s "$messages" ]] || fail "no $messages"
  grep -Eq "^[0-9T:.-]+Z whalebox: warning: log-hostcheck: open in pid $mpid\$" "$messages" ||
    fail "monitor.log:" "$(cat "$messages")"
  run --separate-stderr wb logs talk
  assert_status 0
  [[ "$stderr" == "whalebox: warning: log-hostcheck: open in pid $mpid" ]] ||
    fail "logs stderr: $stderr"
}

@test "whalebox-monitor calls fini() of its log driver" {
  run_d --name fini --log-driver "$HC" busybox true
  local mpid
  mpid=$(state_field "$CID" .State.MonitorPid)
  wb wait fini >/dev/null
  wait_for 5 grep -qx "fini $mpid" "$WB_ROOT/drivers/log-hostcheck/fini" ||
    fail "no fini from the monitor ($mpid):" "$(cat "$WB_ROOT/drivers/log-hostcheck/fini" 2>&1)"
}

@test "a container with nothing to report has no monitor.log" {
  run_to_end() { run_d "$@"; wb wait "$CID" >/dev/null; }
  run_to_end --name quiet busybox sh -c 'echo hi'
  [[ ! -e "$WB_ROOT/containers/$CID/monitor.log" ]] ||
    fail "monitor.log: $(cat "$WB_ROOT/containers/$CID/monitor.log")"
  run --separate-stderr wb logs quiet
  [[ "$output" == hi && -z "$stderr" ]] || fail "logs: $output / $stderr"
}

@test "open() runs once per start, in the monitor, and close() there too" {
  run_d --name once --log-driver "$HC" busybox true
  local m1
  m1=$(state_field "$CID" .State.MonitorPid)
  wb wait once >/dev/null
  local calls=$WB_ROOT/containers/$CID/log/calls
  wait_for 5 grep -q close "$calls"
  [[ "$(cat "$calls")" == "open $m1"$'\n'"close $m1" ]] ||
    fail "monitor $m1; calls:" "$(cat "$calls")"
  run --separate-stderr wb start once
  assert_status 0
  local m2
  m2=$(state_field "$CID" .State.MonitorPid)
  wb wait once >/dev/null
  wait_for 5 eval '[[ $(grep -c close "$calls") -eq 2 ]]'
  [[ "$(cat "$calls")" == "open $m1"$'\n'"close $m1"$'\n'"open $m2"$'\n'"close $m2" ]] ||
    fail "monitors $m1 $m2; calls:" "$(cat "$calls")"
}

@test "run -d: the log driver's open() failing in the monitor fails the run, leaving nothing" {
  run --separate-stderr wb_run -d --name nolog --log-driver "$HC" --log-opt fail=1 busybox true
  assert_one_line_error
  [[ "$stderr" == "whalebox: log-hostcheck: open /hostcheck/x: No such file or directory" ]] ||
    fail "stderr: $stderr"
  [[ -z "$(root_container_ids "$WB_ROOT")" ]] || fail "a container is left"
  [[ -z "$(root_names "$WB_ROOT")" ]] || fail "a name is left"
  [[ -z "$(test_cgroups)" ]] || fail "cgroups are left: $(test_cgroups)"
}

@test "run -d: a log driver that ends the monitor in open() fails the run, leaving nothing" {
  run --separate-stderr wb_run -d --name crash --log-driver "$HC" --log-opt exit=1 busybox true
  assert_one_line_error
  assert_contains "$stderr" "container monitor exited before opening the log"
  [[ -z "$(root_container_ids "$WB_ROOT")" ]] || fail "a container is left"
  [[ -z "$(root_names "$WB_ROOT")" ]] || fail "a name is left"
  [[ -z "$(test_cgroups)" ]] || fail "cgroups are left: $(test_cgroups)"
}

@test "start: a log that cannot be opened fails the start with the driver's message" {
  run_d --name restart busybox sh -c 'echo first'
  wb wait restart >/dev/null
  local dir=$WB_ROOT/containers/$CID/log
  rm -rf "$dir"
  : >"$dir" # a file where the log directory was
  run --separate-stderr wb start restart
  assert_status 125
  assert_contains "$stderr" "log-file: open $dir: Not a directory"
  run wb inspect --format '{{.State.Running}}|{{.State.Error}}' restart
  [[ "$output" == "false|log-file: open $dir: Not a directory" ]] || fail "inspect: $output"
  rm -f "$dir"
  run --separate-stderr wb start restart
  assert_status 0
  wb wait restart >/dev/null
  run wb inspect --format '{{.State.Status}}|{{.State.Error}}' restart
  [[ "$output" == "exited|" ]] || fail "after a good start: $output"
  run --separate-stderr wb logs restart
  [[ "$output" == first ]] || fail "logs: $output / $stderr"
}

@test "a write the log driver refuses in the monitor reaches inspect's .State.Error and logs" {
  mkdir "$WB_TMP/ctl"
  run_d --name refused --log-driver "$HC" -v "$WB_TMP/ctl:/ctl" busybox sh -c '
    w() { while [ ! -e /ctl/$1 ]; do sleep 0.05; done; }
    echo ok1; w go1; echo "!fail!"; w go2; echo ok2; w go3'
  local dir=$WB_ROOT/containers/$CID/log messages=$WB_ROOT/containers/$CID/monitor.log
  wait_for 10 grep -qx ok1 "$dir/data"
  run wb inspect --format '{{.State.Error}}' refused
  [[ -z "$output" ]] || fail "an error before any: $output"
  touch "$WB_TMP/ctl/go1"
  wait_for 10 grep -q "write refused" "$messages"
  run wb inspect --format '{{.State.Running}}|{{.State.Error}}' refused
  [[ "$output" == "true|log-hostcheck: write refused: Input/output error; container output is being lost" ]] ||
    fail "inspect while running: $output"
  touch "$WB_TMP/ctl/go2"
  wait_for 10 grep -qx ok2 "$dir/data"
  touch "$WB_TMP/ctl/go3"
  wb wait refused >/dev/null
  run wb inspect --format '{{.State.Error}}' refused
  [[ "$output" == "log-hostcheck: write refused: Input/output error; container output is being lost" ]] ||
    fail "inspect after the exit: $output"
  run --separate-stderr wb logs refused
  assert_status 0
  assert_contains "$stderr" "whalebox: error: log-hostcheck: write refused: Input/output error; container output is being lost"
  assert_contains "$stderr" "whalebox: warning: log-hostcheck: writing again after 1 failed writes"
  [[ "$(grep -c . "$messages")" -eq 3 ]] || fail "monitor.log:" "$(cat "$messages")"
}

# As Docker: a foreground container's output reaches its log driver too
# (a syslog-like driver sees it), through the same host table.
@test "foreground: the log driver gets the output, opened once by whalebox run" {
  run --separate-stderr wb_run --name fgdrv --log-driver "$HC" busybox sh -c 'echo to-driver; echo err-to-driver >&2'
  assert_status 0
  # In whalebox, host->log goes to its stderr, as every message of its own.
  [[ "$output" == to-driver ]] || fail "run: $output"
  [[ "$stderr" =~ ^"whalebox: warning: log-hostcheck: open in pid "[0-9]+$'\n'"err-to-driver"$ ]] ||
    fail "run's stderr: $stderr"
  local id dir
  id=$(wb inspect --format '{{.Id}}' fgdrv)
  dir=$WB_ROOT/containers/$id/log
  [[ "$(sort "$dir/data")" == $'err-to-driver\nto-driver' ]] || fail "data: $(cat "$dir/data")"
  local calls
  calls=$(cut -d' ' -f1 "$dir/calls" | tr '\n' ' ')
  [[ "$calls" == "open close " ]] || fail "calls: $(cat "$dir/calls")"
  run --separate-stderr wb logs fgdrv
  assert_status 0
  diff -u "$dir/host-read.txt" "$dir/host-open.txt" || fail "host tables differ"
}

@test "foreground: a refused write is said on stderr and kept in .State.Error" {
  run --separate-stderr wb_run --name fgfail --log-driver "$HC" busybox sh -c 'echo "!fail!"'
  assert_status 0
  [[ "$output" == '!fail!' ]] || fail "run: $output"
  assert_contains "$stderr" "whalebox: error: log-hostcheck: write refused: Input/output error; container output is being lost"
  run wb inspect --format '{{.State.Error}}' fgfail
  [[ "$output" == "log-hostcheck: write refused: Input/output error; container output is being lost" ]] ||
    fail "inspect: $output"
}

@test "foreground: the log driver's open() failing fails the run, leaving nothing" {
  run --separate-stderr wb_run --name fgnolog --log-driver "$HC" --log-opt fail=1 busybox echo never
  assert_one_line_error
  [[ "$stderr" == "whalebox: log-hostcheck: open /hostcheck/x: No such file or directory" ]] ||
    fail "stderr: $stderr"
  [[ -z "$(root_container_ids "$WB_ROOT")" ]] || fail "a container is left"
  [[ -z "$(root_names "$WB_ROOT")" ]] || fail "a name is left"
}

#!/usr/bin/env bats
# logs.bats - `logs` through the log drivers: streams kept apart, --tail,
# -t, --since, -f until the container exits, rotation under a container
# printing 50 MB, -f across rotation, log-none and foreground containers
# (logged too, as Docker's).

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

# Run a container to its end; its id in $CID.
run_to_end() {
  run_d "$@"
  wb wait "$CID" >/dev/null || fail "wait $CID failed"
}

@test "logs: stdout to stdout, stderr to stderr, in order" {
  run_to_end --name streams busybox sh -c 'echo out1; echo err1 >&2; echo out2; printf "no newline"'
  run --separate-stderr wb logs streams
  assert_status 0
  [[ "$output" == $'out1\nout2\nno newline' ]] || fail "stdout: $output"
  [[ "$stderr" == err1 ]] || fail "stderr: $stderr"
}

@test "logs of a running container, by id prefix" {
  run_d --name live busybox sh -c 'echo started; sleep 30'
  wait_for 5 eval '[[ "$(wb logs live)" == started ]]'
  run --separate-stderr wb logs "${CID:0:8}"
  assert_status 0
  [[ "$output" == started ]] || fail "logs: $output"
}

@test "logs --tail N and --tail all" {
  run_to_end --name tail busybox sh -c 'for i in 1 2 3 4 5; do echo line$i; done'
  run --separate-stderr wb logs --tail 2 tail
  assert_status 0
  [[ "$output" == $'line4\nline5' ]] || fail "--tail 2: $output"
  run --separate-stderr wb logs -n 1 tail
  [[ "$output" == line5 ]] || fail "-n 1: $output"
  run --separate-stderr wb logs --tail 0 tail
  [[ -z "$output" ]] || fail "--tail 0: $output"
  run --separate-stderr wb logs --tail all tail
  [[ "${#lines[@]}" -eq 5 ]] || fail "--tail all: $output"
  run --separate-stderr wb logs --tail lots tail
  assert_one_line_error
  assert_contains "$stderr" "--tail"
}

@test "logs -t prefixes each line with its RFC 3339 time" {
  local before after
  before=$(date -u +%s)
  run_to_end --name ts busybox sh -c 'echo hello; echo oops >&2'
  after=$(date -u +%s)
  run --separate-stderr wb logs -t ts
  assert_status 0
  [[ "$output" =~ ^([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z)\ hello$ ]] ||
    fail "logs -t: $output"
  local t
  t=$(date -u -d "${BASH_REMATCH[1]}" +%s)
  ((t >= before && t <= after + 1)) || fail "time $t is not within [$before, $after]"
  [[ "$stderr" =~ ^[0-9T:.Z-]+\ oops$ ]] || fail "stderr -t: $stderr"
}

@test "logs --since: RFC 3339, Unix time and durations" {
  run_d --name since busybox sh -c 'echo early; sleep 2; echo late'
  wait_for 5 eval '[[ "$(wb logs since)" == early ]]'
  sleep 0.5
  local mid_rfc mid_unix
  mid_rfc=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
  mid_unix=$(date +%s.%N)
  wb wait since >/dev/null
  run --separate-stderr wb logs --since "$mid_rfc" since
  assert_status 0
  [[ "$output" == late ]] || fail "--since $mid_rfc: $output"
  run --separate-stderr wb logs --since "$mid_unix" since
  [[ "$output" == late ]] || fail "--since $mid_unix: $output"
  run --separate-stderr wb logs --since 1h since
  [[ "$output" == $'early\nlate' ]] || fail "--since 1h: $output"
  run --separate-stderr wb logs --since 1m30s since
  [[ "$output" == $'early\nlate' ]] || fail "--since 1m30s: $output"
  run --separate-stderr wb logs --since "$(($(date +%s) + 3600))" since
  [[ -z "$output" ]] || fail "--since the future: $output"
  run --separate-stderr wb logs --since yesterdayish since
  assert_one_line_error
  assert_contains "$stderr" "--since"
}

@test "logs -f follows until the container exits" {
  run_d --name follow busybox sh -c 'echo one; sleep 1; echo two; sleep 1; echo three >&2; exit 3'
  local start end
  start=$(date +%s%N)
  run --separate-stderr timeout 20 "$WB_BIN" --config "$WB_CONF" --root "$WB_ROOT" \
    --plugin-dir "$WB_PLUGIN_DIR" logs -f follow
  end=$(date +%s%N)
  assert_status 0
  [[ "$output" == $'one\ntwo' ]] || fail "stdout: $output"
  [[ "$stderr" == three ]] || fail "stderr: $stderr"
  local ms=$(((end - start) / 1000000))
  ((ms >= 1500)) || fail "logs -f returned after $ms ms, before the container ended"
  # An exited container: -f prints everything and returns.
  run --separate-stderr timeout 10 "$WB_BIN" --config "$WB_CONF" --root "$WB_ROOT" \
    --plugin-dir "$WB_PLUGIN_DIR" logs -f --tail 1 follow
  assert_status 0
  [[ -z "$output" && "$stderr" == three ]] || fail "-f --tail 1: $output / $stderr"
}

@test "logs -f returns when the monitor is killed" {
  run_d --name orphan busybox sh -c 'echo hi; sleep 300'
  wait_for 5 eval '[[ "$(wb logs orphan)" == hi ]]'
  wb logs -f orphan >"$WB_TMP/follow.out" 2>&1 &
  local follower=$!
  sleep 0.5
  kill -0 "$follower" || fail "logs -f returned while the container runs"
  kill -9 "$(state_field "$CID" .State.MonitorPid)"
  wait_for 5 eval '! kill -0 "$follower" 2>/dev/null'
  wait "$follower" || fail "logs -f failed: $(cat "$WB_TMP/follow.out")"
  [[ "$(cat "$WB_TMP/follow.out")" == hi ]] || fail "logs -f: $(cat "$WB_TMP/follow.out")"
}

@test "rotation: 50 MB through max-size=1m max-file=2 keeps at most 2 files of about 1 MB" {
  # 50000 lines of 999 characters (1000 bytes with the newline).
  run_to_end --name chatty --log-opt max-size=1m --log-opt max-file=2 busybox \
    sh -c 'yes "$(printf "%0999d" 7)" | head -c 50000000'
  run wb inspect --format '{{.State.ExitCode}}' chatty
  [[ "$output" == 0 ]] || fail "exit code: $output"
  local dir=$WB_ROOT/containers/$CID/log
  local files
  files=$(ls -A "$dir")
  [[ "$(wc -l <<<"$files")" -le 2 ]] || fail "more than 2 log files:" "$files"
  local f size
  for f in "$dir"/*; do
    size=$(stat -c %s "$f")
    ((size <= 1048576 + 2048)) || fail "$f is $size bytes"
  done
  run --separate-stderr wb logs chatty
  assert_status 0
  # What is kept is whole lines from the end of the output.
  ((${#lines[@]} > 500 && ${#lines[@]} < 2200)) || fail "${#lines[@]} lines kept"
  local bad
  bad=$(printf '%s\n' "${lines[@]}" | grep -cvx "$(printf '%0999d' 7)" || true)
  [[ "$bad" -eq 0 ]] || fail "$bad lines are damaged"
  run --separate-stderr wb logs --tail 3 chatty
  [[ "${#lines[@]}" -eq 3 ]] || fail "--tail 3 gave ${#lines[@]} lines"
}

@test "logs --tail N at rotation boundaries and past the start is the end of logs" {
  # Lines of 10 bytes, entries of 81: about 25 per 2k file, 4 files kept.
  run_to_end --name tailrot --log-opt max-size=2k --log-opt max-file=4 busybox \
    sh -c 'i=1; while [ $i -le 300 ]; do printf "line %04d\n" $i; i=$((i+1)); done'
  local all
  all=$(wb logs tailrot)
  local total
  total=$(wc -l <<<"$all")
  ((total > 50 && total < 110)) || fail "$total lines kept"
  # Where each file begins, counted from the end: the boundaries.
  local dir=$WB_ROOT/containers/$CID/log f n=0 marks=()
  for f in container.log container.log.1 container.log.2; do
    n=$((n + $(wc -l <"$dir/$f")))
    marks+=($((n - 1)) "$n" $((n + 1)))
  done
  local want
  for n in 0 1 2 "${marks[@]}" $((total - 1)) "$total" $((total + 1)) 100000; do
    want=$(tail -n "$n" <<<"$all")
    ((n > 0)) || want=
    run --separate-stderr wb logs --tail "$n" tailrot
    assert_status 0
    [[ "$output" == "$want" ]] ||
      fail "--tail $n:" "$(diff <(echo "$output") <(echo "$want") | head -5)"
  done
}

@test "logs --tail 2 does not read the rotated files, nor the current one whole" {
  command -v strace >/dev/null || skip "strace is not installed"
  run_to_end --name tailbig --log-opt max-size=1m --log-opt max-file=3 busybox \
    sh -c 'yes "$(printf "%0199d" 5)" | head -c 3000000'
  local trace=$WB_TMP/trace
  # LeakSanitizer (the ASan build) cannot run under ptrace.
  ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
    strace -o "$trace" -e trace=openat,read,pread64 -e signal=none \
    "$WB_BIN" --config "$WB_CONF" --root "$WB_ROOT" --plugin-dir "$WB_PLUGIN_DIR" \
    logs --tail 2 tailbig >"$WB_TMP/tail.out"
  [[ "$(wc -l <"$WB_TMP/tail.out")" -eq 2 ]] || fail "tail: $(cat "$WB_TMP/tail.out")"
  local name fd bytes
  for name in container.log container.log.1 container.log.2; do
    fd=$(sed -nE "s/^openat\(.*\"(.*\/)?$name\", .*\) = ([0-9]+)$/\2/p" "$trace")
    [[ -n "$fd" ]] || fail "$name was not opened:" "$(grep container.log "$trace")"
    bytes=$(sed -nE "s/^p?read(64)?\($fd, .*\) = ([0-9]+)$/\2/p" "$trace" | awk '{s += $1} END {print s + 0}')
    if [[ "$name" == container.log ]]; then
      ((bytes <= 128 * 1024)) || fail "read $bytes bytes of $name ($(stat -c %s "$WB_ROOT/containers/$CID/log/$name") in all)"
    else
      ((bytes == 0)) || fail "read $bytes bytes of $name"
    fi
  done
}

@test "logs -f across rotation loses nothing and repeats nothing" {
  run_d --name rot --log-opt max-size=10k --log-opt max-file=5 busybox \
    sh -c 'i=0; while [ $i -lt 60 ]; do seq $((i * 50 + 1)) $((i * 50 + 50)); i=$((i + 1)); sleep 0.05; done'
  run --separate-stderr timeout 60 "$WB_BIN" --config "$WB_CONF" --root "$WB_ROOT" \
    --plugin-dir "$WB_PLUGIN_DIR" logs -f rot
  assert_status 0
  local expected
  expected=$(seq 1 3000)
  [[ "$output" == "$expected" ]] ||
    fail "logs -f differs from 1..3000:" "$(diff <(echo "$output") <(echo "$expected") | head -20)"
  local n
  n=$(ls "$WB_ROOT/containers/$CID/log" | wc -l)
  ((n <= 5)) || fail "$n log files"
}

# Issue 13: the runtime and whalebox-monitor parsed sizes differently, so a
# size the run accepted made the monitor drop the whole log.
@test "logs: max-size=1t (accepted by run) is the monitor's too" {
  run_to_end --name tera --log-opt max-size=1t busybox sh -c 'echo hello'
  run --separate-stderr wb logs tera
  assert_status 0
  [[ "$output" == hello ]] || fail "logs: '$output'" "stderr: $stderr"
}

@test "logs: a config max_size of \"1t\" is the monitor's too" {
  printf 'log: { file: { max_size = "1t"; max_file = 2; }; };\n' >"$WB_CONF"
  run_to_end --name teraconf busybox sh -c 'echo hello'
  run --separate-stderr wb logs teraconf
  assert_status 0
  [[ "$output" == hello ]] || fail "logs: '$output'" "stderr: $stderr"
}

@test "logs: sizes that are not sizes are refused by run -d, leaving nothing" {
  local size
  for size in ' 5m' '99999999999g' '5m ' '-1m' '1.5m' ''; do
    run --separate-stderr wb_run -d --name badsize --log-opt "max-size=$size" busybox true
    assert_one_line_error
    assert_contains "$stderr" "invalid max-size '$size'"
    [[ -z "$(root_container_ids "$WB_ROOT")" ]] || fail "max-size '$size' left a container"
    [[ -z "$(root_names "$WB_ROOT")" ]] || fail "max-size '$size' left a name"
  done
}

@test "logs of a log-none container says logging is disabled" {
  run_to_end --name quiet --log-driver none busybox echo hidden
  run --separate-stderr wb logs quiet
  assert_one_line_error
  assert_contains "$stderr" "logging is disabled for this container"
  assert_contains "$stderr" "none"
  run --separate-stderr wb inspect --format '{{.HostConfig.LogConfig.Type}}|{{.LogPath}}|' quiet
  [[ "$output" == "none||" ]] || fail "inspect: $output"
}

# As Docker: a foreground container is logged too (issue 13).
@test "logs of a foreground container: what it printed, streams apart" {
  run --separate-stderr wb_run --name fg busybox sh -c 'echo visible; echo oops >&2; exit 3'
  assert_status 3
  [[ "$output" == visible && "$stderr" == oops ]] || fail "run: $output / $stderr"
  run --separate-stderr wb logs fg
  assert_status 0
  [[ "$output" == visible && "$stderr" == oops ]] || fail "logs: $output / $stderr"
}

@test "logs of a foreground -t container: the pty's output" {
  run --separate-stderr wb_run -t --name fgtty busybox sh -c 'echo on-tty; echo err-on-tty >&2'
  assert_status 0
  run --separate-stderr wb logs fgtty
  assert_status 0
  [[ "$output" == $'on-tty\r\nerr-on-tty\r' && -z "$stderr" ]] ||
    fail "logs: $(printf %q "$output") / $stderr"
}

@test "logs of a foreground --rm container while it runs; the log goes with it" {
  mkdir "$WB_TMP/ctl"
  wb_run --rm --name fgrm -v "$WB_TMP/ctl:/ctl" busybox sh -c \
    'echo started; while [ ! -e /ctl/go ]; do sleep 0.05; done; echo done' \
    >"$WB_TMP/run.out" 2>&1 &
  local runner=$!
  wait_for 10 eval '[[ "$(wb logs fgrm 2>/dev/null)" == started ]]' ||
    fail "logs: $(wb logs fgrm 2>&1)"
  local id
  id=$(wb inspect --format '{{.Id}}' fgrm)
  touch "$WB_TMP/ctl/go"
  wait "$runner" || fail "run: $(cat "$WB_TMP/run.out")"
  [[ "$(cat "$WB_TMP/run.out")" == $'started\ndone' ]] || fail "run: $(cat "$WB_TMP/run.out")"
  run --separate-stderr wb logs fgrm
  assert_one_line_error
  assert_contains "$stderr" "no such container: fgrm"
  assert_container_gone "$id"
}

@test "foreground, logged: a reader of run's output that stops reading does not stop signals" {
  mkdir "$WB_TMP/ctl"
  local ctl=$WB_TMP/ctl
  # The reader reads nothing until released, so run's writes to it would
  # block once the pipe is full: the TERM must still reach the container.
  ( rc=0
    wb_run --name stalled -v "$ctl:/ctl" busybox sh -c \
      'trap "touch /ctl/got-term; exit 7" TERM; touch /ctl/started
       (while :; do echo 0123456789012345678901234567890123456789; done) & wait' || rc=$?
    echo "run:$rc" >"$ctl/run-status" ) |
    ( while [[ ! -e "$ctl/release" ]]; do sleep 0.1; done; cat >/dev/null ) &
  local pipeline=$!
  wait_for 10 test -e "$ctl/started" || fail "the container did not start"
  sleep 1 # long enough for the pipe to fill up
  local runpid
  runpid=$(state_field "$(wb inspect --format '{{.Id}}' stalled)" .State.MonitorPid)
  kill -TERM "$runpid"
  wait_for 10 test -e "$ctl/got-term" || {
    touch "$ctl/release"
    fail "SIGTERM did not reach the container while the reader was stalled"
  }
  touch "$ctl/release"
  wait "$pipeline"
  [[ "$(cat "$ctl/run-status")" == run:7 ]] || fail "run: $(cat "$ctl/run-status")"
}

@test "--log-driver none in the foreground: straight to the terminal, nothing kept" {
  # Logged, the command writes to a pipe that whalebox relays; with none it
  # writes to our stdout itself, as fast as before.
  wb_run --name fgnone --log-driver none busybox readlink /proc/self/fd/1 >"$WB_TMP/none.out"
  [[ "$(cat "$WB_TMP/none.out")" != pipe:* ]] || fail "with none, fd 1 is $(cat "$WB_TMP/none.out")"
  wb_run --name fglogged busybox readlink /proc/self/fd/1 >"$WB_TMP/logged.out"
  [[ "$(cat "$WB_TMP/logged.out")" == pipe:* ]] || fail "logged, fd 1 is $(cat "$WB_TMP/logged.out")"
  run --separate-stderr wb logs fgnone
  assert_one_line_error
  assert_contains "$stderr" "logging is disabled for this container"
}

@test "foreground: a --log-opt the driver refuses fails the run before it starts" {
  run --separate-stderr wb_run --name badopt --log-opt max-size=lots busybox echo never
  assert_one_line_error
  assert_contains "$stderr" "invalid max-size 'lots'"
  [[ -z "$(root_container_ids "$WB_ROOT")" ]] || fail "a container is left"
  [[ -z "$(root_names "$WB_ROOT")" ]] || fail "a name is left"
}

@test "logs: errors are one line and exit 125" {
  run --separate-stderr wb logs nope
  assert_one_line_error
  assert_contains "$stderr" "no such container: nope"
  run --separate-stderr wb logs
  assert_one_line_error
  run --separate-stderr wb logs --frobnicate x
  assert_one_line_error
}

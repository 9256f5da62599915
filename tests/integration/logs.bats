#!/usr/bin/env bats
# logs.bats - `logs` through the log drivers: streams kept apart, --tail,
# -t, --since, -f until the container exits, rotation under a container
# printing 50 MB, -f across rotation, log-none and foreground containers.

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

@test "logs of a foreground container says it has none" {
  run --separate-stderr wb_run --name fg busybox echo visible
  assert_status 0
  [[ "$output" == visible ]] || fail "run: $output"
  run --separate-stderr wb logs fg
  assert_one_line_error
  assert_contains "$stderr" "container fg has no logs"
  assert_contains "$stderr" "foreground"
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

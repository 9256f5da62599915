#!/usr/bin/env bats
# kill-import.bats - the work directories of a killed `import` or `commit`
# (up to the size of an image) are removed by the next command that touches
# the image store, whichever it is, and never while their owner is alive
# (issue 13, part 4).  Random SIGKILLs of import and commit (100 each), a
# deterministic kill of an import blocked on its input before each
# store-touching command, and a live import that every one of them leaves
# alone.

load helpers/common
load helpers/run

setup_file() {
  rt_setup_file
  # The busybox tree with some hundreds of files more: an import takes
  # long enough that a kill after 0-50 ms lands in its extraction often.
  local tree=$BATS_FILE_TMPDIR/tree d f
  mkdir -p "$tree"
  tar -C "$tree" -xf "$RT_BUSYBOX_TAR"
  for d in 1 2 3 4; do
    mkdir -p "$tree/data/$d"
    for f in $(seq 100); do
      head -c 1024 /dev/urandom >"$tree/data/$d/$f"
    done
  done
  export KI_TAR=$BATS_FILE_TMPDIR/bigger.tar
  tar -C "$tree" -cf "$KI_TAR" .
}

setup() {
  rt_setup
  KI_FIFO=$BATS_TEST_TMPDIR/input
}

teardown() {
  exec 7>&- 2>/dev/null || true
  rt_teardown
}

# whalebox in the background reading file $1 (a background command's
# stdin is /dev/null otherwise), without fd 7; its pid (not a subshell's)
# in $KI_PID.
wbx_bg() {
  local in=$1
  shift
  "$WB_BIN" --config "$RT_CONF" --root "$ROOT" --plugin-dir "$WB_PLUGIN_DIR" "$@" <"$in" 7>&- &
  KI_PID=$!
}

# What the image store's work directory holds (nothing, one per line).
tmp_entries() {
  [[ -d "$ROOT/tmp" ]] && ls -A "$ROOT/tmp"
  return 0
}

# The commands that touch the image store, one per line (wbx arguments,
# "RUN" for a container run).  $1 makes tags and names unique.
store_commands() {
  cat <<EOF
images
image inspect busybox
history busybox
tag busybox t:$1
rmi t:$1
RUN
import $RT_BUSYBOX_TAR imp:$1
commit ci-src ci:$1
save -o $BATS_TEST_TMPDIR/save-$1.tar busybox
load -i $RT_BUSYBOX_OCI
EOF
}

# Run store command $1 (a line of store_commands), which must succeed.
run_store_command() {
  local -a words
  read -r -a words <<<"$1"
  if [[ "$1" == RUN ]]; then
    wbrun --rm busybox true >/dev/null
  else
    wbx "${words[@]}" >/dev/null
  fi
}

# A container to commit from, and an archive for load.
store_fixtures() {
  wbrun --name ci-src busybox sh -c 'echo changed >/etc/motd' >/dev/null ||
    fail "run ci-src failed"
  RT_BUSYBOX_OCI=$BATS_TEST_TMPDIR/busybox-oci.tar
  wbx save -o "$RT_BUSYBOX_OCI" busybox || fail "save failed"
}

# Every image the store lists runs: nothing half-made is listed.
assert_store_consistent() {
  local id n=0
  for id in $(wbx images -q --no-trunc | sort -u); do
    run --separate-stderr wbrun --rm "$id" /bin/true
    [[ $status -eq 0 ]] || fail "image $id is listed but does not run:" "$stderr"
    n=$((n + 1))
  done
  echo "# $n images listed, each runs" >&3
}

# Start `import -` reading from a fifo and feed it the first 256 KiB of
# the tarball; returns once its work directory holds extracted files.  The
# import's pid in $KI_PID; fd 7 is the fifo's writing end (3 is bats').
import_blocked_on_input() {
  rm -f "$KI_FIFO"
  mkfifo "$KI_FIFO"
  # Opened read-write first, so that opening it to read does not wait;
  # the import does not inherit it, so closing it is its end of input.
  exec 7<>"$KI_FIFO"
  wbx_bg "$KI_FIFO" import - >"$BATS_TEST_TMPDIR/import.out" 2>"$BATS_TEST_TMPDIR/import.err"
  timeout 30 head -c 262144 "$KI_TAR" >&7 ||
    fail "the import does not read its input:" "$(cat "$BATS_TEST_TMPDIR/import.err")"
  local i
  for ((i = 0; i < 200; i++)); do
    compgen -G "$ROOT/tmp/import-*/diff/*" >/dev/null && return 0
    sleep 0.05
  done
  fail "the import made no work directory:" "$(cat "$BATS_TEST_TMPDIR/import.err")"
}

@test "a killed import's work directory is removed by the next command that touches the store, whichever" {
  local cmd dir n=0
  store_fixtures
  while read -r cmd; do
    n=$((n + 1))
    import_blocked_on_input
    dir=$(tmp_entries)
    [[ "$dir" == import-* ]] || fail "no work directory to leave behind:" "$dir"
    kill -KILL "$KI_PID"
    wait "$KI_PID" || true
    exec 7>&-
    # Dead, but nobody has looked yet.
    assert_equal "$(tmp_entries)" "$dir"
    run_store_command "$cmd" || fail "'$cmd' failed"
    [[ -z "$(tmp_entries)" ]] || fail "after '$cmd', $ROOT/tmp still holds:" "$(tmp_entries)"
  done < <(store_commands 1)
  ((n >= 10)) || fail "only $n commands tried"
  assert_store_consistent
}

@test "a live import's work directory survives every other command that touches the store" {
  local cmd dir
  store_fixtures
  import_blocked_on_input
  dir=$(tmp_entries)
  while read -r cmd; do
    run_store_command "$cmd" || fail "'$cmd' failed"
    grep -qxF "$dir" <<<"$(tmp_entries)" || fail "'$cmd' removed the live import's $dir"
  done < <(store_commands 2)
  timeout 60 tail -c +262145 "$KI_TAR" >&7 || fail "the import stopped reading its input"
  exec 7>&-
  wait "$KI_PID" || fail "the import failed:" "$(cat "$BATS_TEST_TMPDIR/import.err")"
  run --separate-stderr wbrun --rm "$(cat "$BATS_TEST_TMPDIR/import.out")" /bin/true
  assert_status 0
  [[ -z "$(tmp_entries)" ]] || fail "left in $ROOT/tmp:" "$(tmp_entries)"
}

# 100 imports (or commits: $1) SIGKILLed 0-49 ms after they start; after
# each, one other store-touching command (in turn) leaves no work
# directory.  The kills that left one are counted: at least one must have,
# or the loop proved nothing.
kill_loop() {
  local what=$1 i cmd left=0 done_ok=0 pid status
  local -a cmds
  mapfile -t cmds < <(store_commands loop | grep -v '^import\|^commit')
  for ((i = 0; i < 100; i++)); do
    if [[ $what == import ]]; then
      wbx_bg /dev/null import "$KI_TAR" >/dev/null 2>&1
    else
      wbx_bg /dev/null commit ci-src >/dev/null 2>&1
    fi
    pid=$KI_PID
    sleep "0.0$(printf %02d $((RANDOM % 50)))"
    kill -KILL "$pid" 2>/dev/null || true
    status=0
    wait "$pid" || status=$?
    [[ $status -eq 0 ]] && done_ok=$((done_ok + 1))
    [[ -n "$(tmp_entries)" ]] && left=$((left + 1))
    cmd=${cmds[i % ${#cmds[@]}]}
    cmd=${cmd//:loop/:$((i / ${#cmds[@]}))} # tag, then rmi, in one round
    run_store_command "$cmd" || fail "kill $i: '$cmd' failed"
    [[ -z "$(tmp_entries)" ]] || fail "kill $i: after '$cmd', $ROOT/tmp still holds:" "$(tmp_entries)"
  done
  echo "# $what: $left of 100 kills left a work directory, $done_ok finished first" >&3
  ((left > 0)) || fail "no kill landed while the $what had a work directory"
  assert_store_consistent
}

@test "import SIGKILLed at 100 random instants: the next command leaves no work directory; the store stays whole" {
  store_fixtures
  kill_loop import
}

@test "commit SIGKILLed at 100 random instants: the next command leaves no work directory; the store stays whole" {
  store_fixtures
  # Enough changes that the capture and the layer take a while.
  wbx rm -f ci-src >/dev/null
  wbrun --name ci-src busybox sh -c \
    'for d in 1 2 3 4 5 6; do mkdir -p /data/$d; for f in $(seq 100); do head -c 2048 /dev/urandom >/data/$d/$f; done; done' ||
    fail "run ci-src failed"
  kill_loop commit
}

#!/usr/bin/env bats
# run-tty.bats - `whalebox run -t` (issue 3): a real pseudo-terminal, the
# user's terminal raw while the container runs and always restored, the
# window size kept in sync, typed input, ^C.  The user's terminal is made by
# script(1) (util-linux); every case runs against both storage drivers.

load helpers/common
load helpers/run

setup_file() {
  command -v script >/dev/null || skip "script(1) (util-linux) is not installed"
  rt_setup_file
}

setup() {
  rt_setup
  RT_PTY_FEED=
}

teardown() {
  rt_teardown
}

@test "-t: the command runs on its own pty, /dev/pts/0, with TERM set" {
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    run_in_pty <<'EOF'
wbrun --rm -t busybox sh -c 'tty; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-ttys; echo "TERM=$TERM"'
EOF
    assert_status 0
    assert_equal "$output" $'/dev/pts/0\nall-ttys\nTERM=xterm'
    rt_assert_clean "-t ($DRIVER)"
  done
}

@test "-t: /dev has console, and only the standard nodes" {
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    run_in_pty <<'EOF'
wbrun --rm -t busybox sh -c 'echo $(ls -A /dev); ls -l /dev/console | cut -c1; echo $(ls -A /dev/pts)'
EOF
    assert_status 0
    assert_equal "$output" $'console fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero\nc\n0 ptmx'
  done
}

@test "-t without a terminal on stdin still gives the command a pty" {
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    run --separate-stderr wbrun --rm -t busybox tty </dev/null
    assert_status 0
    assert_equal "$(tr -d '\r' <<<"$output")" "/dev/pts/0"
  done
}

@test "-t: the window size is the user's, and follows it (SIGWINCH)" {
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    run_in_pty <<'EOF'
stty rows 33 cols 111
wbrun --rm -t busybox stty size
out=$BATS_TEST_TMPDIR/winch.out
: >"$out" # before the job opens it: the wait loop below may run first
wbrun --rm -t busybox sh -c 'echo ready; sleep 2; stty size' </dev/tty >"$out" &
pid=$!
for _ in $(seq 100); do grep -q ready "$out" && break; sleep 0.1; done
stty rows 41 cols 99
wait $pid
echo "rc=$?"
tr -d '\r' <"$out"
EOF
    assert_status 0
    assert_equal "$output" $'33 111\nrc=0\nready\n41 99'
  done
}

@test "-t: the terminal is raw while the container runs and restored after it is killed" {
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    run_in_pty <<'EOF'
d=$BATS_TEST_TMPDIR
stty -g >"$d/before"
wbrun --rm -t busybox true
stty -g >"$d/after-exit"
: >"$d/ctr.out"
wbrun -t --name tk busybox sh -c 'echo ready; exec sleep 60' </dev/tty >"$d/ctr.out" &
pid=$!
for _ in $(seq 100); do grep -q ready "$d/ctr.out" && break; sleep 0.1; done
stty -g >"$d/during"
stty -a >"$d/during-a"
wbx kill tk >/dev/null
wait $pid
echo "rc=$?"
stty -g >"$d/after-kill"
wbx rm tk >/dev/null
EOF
    assert_status 0
    assert_equal "$output" "rc=137"
    local d=$BATS_TEST_TMPDIR
    [[ -s "$d/before" ]] || fail "no stty -g before"
    assert_equal "$(cat "$d/after-exit")" "$(cat "$d/before")"
    assert_equal "$(cat "$d/after-kill")" "$(cat "$d/before")"
    [[ "$(cat "$d/during")" != "$(cat "$d/before")" ]] || fail "the terminal was not put in raw mode"
    # Raw: no echo, no line editing, no signals from keys.
    grep -qw -- -echo "$d/during-a" && grep -qw -- -icanon "$d/during-a" && grep -qw -- -isig "$d/during-a" ||
      fail "not raw while the container ran:" "$(cat "$d/during-a")"
    rt_assert_clean "-t kill ($DRIVER)"
  done
}

@test "-it: typed input reaches the shell and its exit code comes back" {
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    RT_PTY_FEED="printf 'echo \$((6*7))\nexit 4\n'"
    run_in_pty <<'EOF'
wbrun --rm -it busybox sh
EOF
    assert_status 4
    grep -qx 42 <<<"$output" || fail "the shell did not run the typed command:" "$output"
    rt_assert_clean "-it ($DRIVER)"
  done
}

@test "-ti is -it" {
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    RT_PTY_FEED="printf 'tty; exit 3\n'"
    run_in_pty <<'EOF'
wbrun --rm -ti busybox sh
EOF
    assert_status 3
    grep -qx /dev/pts/0 <<<"$output" || fail "no tty output:" "$output"
  done
}

@test "-it: ^C typed at the terminal reaches the container as SIGINT" {
  local sync=$BATS_TEST_TMPDIR/sync
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    rm -rf "$sync"
    mkdir -p "$sync"
    # ^C once the container has set its trap (the terminal is raw by then,
    # so only the container's pty turns it into SIGINT; the outer shell
    # survives and prints rc=).
    RT_PTY_FEED="for _ in \$(seq 200); do [ -e '$sync/ready' ] && break; sleep 0.1; done; sleep 0.5; printf '\\003'; sleep 3"
    run_in_pty <<'EOF'
wbrun --rm -it -v "$BATS_TEST_TMPDIR/sync:/sync" busybox sh -c 'trap "echo got-int; exit 5" INT; touch /sync/ready; i=0; while [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done; exit 9'
echo "rc=$?"
EOF
    assert_status 0
    assert_contains "$output" "got-int"
    assert_equal "${lines[-1]}" "rc=5"
  done
}

@test "-t without -i: what is typed does not reach the container (as Docker)" {
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    RT_PTY_FEED="sleep 1; printf 'typed-input\n'"
    run_in_pty <<'EOF'
wbrun --rm -t busybox sh -c 'read -t 3 x; echo "got[$x]"'
EOF
    assert_status 0
    assert_equal "${lines[-1]}" "got[]"
  done
}

@test "exec -t under a user namespace: the pty belongs to the container's root" {
  local id
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    id=$(wbrun -d --uidmap 0:100000:65536 busybox sleep 120) || fail "run -d failed"
    run_in_pty <<EOS
wbx exec -t $id sh -c 'stat -c %u:%g \$(tty)'
wbx exec -t -u 1000 $id sh -c 'id -u; [ -t 0 ] && echo tty'
EOS
    assert_status 0
    assert_equal "$output" $'0:5\n1000\ntty' # root, group tty (devpts gid=5)
    wbx rm -f "$id" >/dev/null
    rt_assert_clean "exec -t userns ($DRIVER)"
  done
}

@test "exec -t: its own pty in the container; exec -it: typed input and exit code" {
  local id
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    id=$(wbrun -d busybox sleep 120) || fail "run -d failed"
    # The first process keeps no terminal; exec -t gets a new one from the
    # container's own devpts instance.
    run_in_pty <<EOS
wbx exec -t $id sh -c 'tty; [ -t 0 ] && [ -t 1 ] && echo all-ttys'
EOS
    assert_status 0
    assert_equal "$output" $'/dev/pts/0\nall-ttys'
    RT_PTY_FEED="printf 'echo \$((6*7))\nexit 5\n'"
    run_in_pty <<EOS
wbx exec -it $id sh
EOS
    unset RT_PTY_FEED
    assert_status 5
    grep -qx 42 <<<"$output" || fail "the shell did not run the typed command:" "$output"
    wbx rm -f "$id" >/dev/null
    rt_assert_clean "exec -t ($DRIVER)"
  done
}

#!/usr/bin/env bats
# exe-escape.bats - CVE-2019-5736, run for real against every path that
# execs a user's command: run (foreground, -d, -t), start, restart, exec
# (plain, -t, -d), and run under a user namespace.
#
# The attack: the container's command is a script whose first line is
# "#!/proc/self/exe".  If the process that execs it is still backed by the
# runtime's binary, the kernel runs that binary as the script's interpreter
# and loads ITS interpreter (PT_INTERP) from the container's root, where a
# volume puts the fake interpreter of tests/helpers/fake-interp.c.  That
# program reports what /proc/self/exe was, keeps an O_PATH descriptor of it,
# execs itself and retries opening the descriptor for writing until the
# runtime's processes have gone.  It never writes a byte.
#
# The runtime under attack is a copy of the built whalebox (the real build
# is never at stake); its checksum must be unchanged afterwards, and no
# report line may name its device and inode.  Against the code before the
# exec stub (core/exec_stub/) every case here fails: "stage1" names the
# runtime's file, and after `run -d` and `exec -d` "stage2 OPENED" does too.

load helpers/common
load helpers/run

setup_file() {
  rt_setup_file
  local dir=$BATS_FILE_TMPDIR/attack-tools
  mkdir -p "$dir"
  cc -std=gnu11 -O2 -Wall -Wextra -Werror -nostdlib -static -ffreestanding \
    -fno-stack-protector -fno-pie -no-pie -I"$WB_SOURCE_DIR/core/exec_stub" \
    -o "$dir/fake-interp" "$WB_SOURCE_DIR/tests/helpers/fake-interp.c" ||
    fail "cannot build tests/helpers/fake-interp.c"
  # The copy under attack, with its monitor next to it (found there first).
  cp "$WB_BIN" "$dir/whalebox"
  cp "$(dirname "$WB_BIN")/whalebox-monitor" "$dir/"
  export EX_TOOLS=$dir
}

setup() {
  rt_setup
  EX_REAL_BIN=$WB_BIN
  export WB_BIN=$EX_TOOLS/whalebox
  EX_DEVINO=$(stat -L -c '%d:%i' "$WB_BIN")
  EX_SUM=$(sha256sum <"$WB_BIN")
  EX_REAL_SUM=$(sha256sum <"$EX_REAL_BIN")
  # The interpreter's path as the runtime's ELF header names it.
  EX_INTERP=$(readelf -l "$WB_BIN" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
  [[ "$EX_INTERP" == /lib64/ld-linux-x86-64.so.2 ]] ||
    skip "the fake interpreter is written for x86_64's /lib64/ld-linux-x86-64.so.2, not '$EX_INTERP'"
  EX_LIB=$BATS_TEST_TMPDIR/lib64
  EX_ATTACK=$BATS_TEST_TMPDIR/attack
  mkdir -p "$EX_LIB" "$EX_ATTACK"
  cp "$EX_TOOLS/fake-interp" "$EX_LIB/ld-linux-x86-64.so.2"
  printf '#!/proc/self/exe\n' >"$EX_ATTACK/attack.sh"
  chmod 755 "$EX_ATTACK/attack.sh"
  chmod 777 "$EX_ATTACK"
  : >"$EX_ATTACK/report"
  chmod 666 "$EX_ATTACK/report"
  EX_VOLS=(-v "$EX_LIB:/lib64" -v "$EX_ATTACK:/attack")
  export EX_LIB EX_ATTACK
}

teardown() {
  rt_teardown
}

# The verdict on the report: the attack reached at most a private copy.
# With the exec stub the fake interpreter does not even run (the stub is
# static: no interpreter to load), so an empty report passes too, but only
# with proof that the script was exec'd through the stub ($1: its output).
assert_attack_failed() {
  local line seen_stub=$1
  local report
  report=$(cat "$EX_ATTACK/report")
  while read -r line; do
    [[ -n "$line" ]] || continue
    case $line in
    "stage1 $EX_DEVINO "* | "stage2 OPENED $EX_DEVINO")
      fail "the container got hold of the runtime's binary ($EX_DEVINO):" "$report" ;;
    "stage1 "*) [[ "$line" == *memfd:* || "$line" == *"(deleted)"* ]] ||
      fail "stage 1 reached a file that is neither a memfd nor deleted:" "$report" ;;
    "stage2 REFUSED "* | "stage2 BUSY") ;;
    "stage2 OPENED "*) ;; # a private copy (stage 1 said which)
    *) fail "unexpected report line: $line" "$report" ;;
    esac
  done <<<"$report"
  if [[ -z "$report" ]]; then
    assert_contains "$seen_stub" "runs only as whalebox's last step"
  fi
  [[ "$(sha256sum <"$WB_BIN")" == "$EX_SUM" ]] || fail "the runtime's binary changed"
  [[ "$(sha256sum <"$EX_REAL_BIN")" == "$EX_REAL_SUM" ]] || fail "the built whalebox changed"
}

# Wait until every process of container $1 but its first is gone or a
# zombie: the attack (or the stub's refusal) has run its course.  The
# fake interpreter gives up after 3 s at most.
wait_attack_settled() {
  local i out
  for ((i = 0; i < 100; i++)); do
    out=$(container_procs "$1")
    awk '$1 != 1 && $3 != "Z"' <<<"$out" | grep -q . || return 0
    sleep 0.1
  done
  fail "the attack in $1 did not settle:" "$out"
}

# "pid (comm) state ..." of every process of container $1 but the shell
# and cat that look.
container_procs() {
  wbx exec "$1" sh -c 'cat /proc/[0-9]*/stat' 2>/dev/null |
    grep -v -e ' (sh) ' -e ' (cat) ' || true
}

# A detached container that ran the attack as its command; waits for it
# to end and leaves its id in $CID.
attack_detached() {
  CID=$(wbrun -d "${EX_VOLS[@]}" "$@" busybox /attack/attack.sh) ||
    fail "run -d failed: $CID"
  wbx wait "$CID" >/dev/null || true
}

@test "CVE-2019-5736: run (foreground) execs the command so that it cannot reach the runtime binary" {
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    : >"$EX_ATTACK/report"
    run wbrun --rm "${EX_VOLS[@]}" busybox /attack/attack.sh
    echo "$output"
    assert_attack_failed "$output"
    assert_status 126
  done
}

@test "CVE-2019-5736: run -d" {
  attack_detached
  assert_attack_failed "$(wbx logs "$CID" 2>&1)"
  [[ "$(container_state "$CID" .State.ExitCode)" == 126 ]] ||
    fail "exit code: $(container_state "$CID" .State.ExitCode)"
}

@test "CVE-2019-5736: run -t" {
  EX_VOLS_TEXT="${EX_VOLS[*]}"
  export EX_VOLS_TEXT
  run_in_pty <<'EOF'
wbrun --rm -t $EX_VOLS_TEXT busybox /attack/attack.sh
EOF
  echo "$output"
  assert_attack_failed "$output"
  assert_status 126
}

@test "CVE-2019-5736: start of a stopped container" {
  attack_detached
  : >"$EX_ATTACK/report"
  wbx start "$CID" >/dev/null
  wbx wait "$CID" >/dev/null || true
  assert_attack_failed "$(wbx logs "$CID" 2>&1)"
}

@test "CVE-2019-5736: restart" {
  attack_detached
  : >"$EX_ATTACK/report"
  wbx restart "$CID" >/dev/null
  wbx wait "$CID" >/dev/null || true
  assert_attack_failed "$(wbx logs "$CID" 2>&1)"
}

@test "CVE-2019-5736: exec" {
  CID=$(wbrun -d "${EX_VOLS[@]}" busybox sleep 600)
  run wbx exec "$CID" /attack/attack.sh
  echo "$output"
  wait_attack_settled "$CID"
  assert_attack_failed "$output"
  assert_status 126
}

@test "CVE-2019-5736: exec -t" {
  CID=$(wbrun -d "${EX_VOLS[@]}" busybox sleep 600)
  export CID
  run_in_pty <<'EOF'
wbx exec -t "$CID" /attack/attack.sh
EOF
  echo "$output"
  wait_attack_settled "$CID"
  assert_attack_failed "$output"
  assert_status 126
}

@test "CVE-2019-5736: exec -d" {
  CID=$(wbrun -d "${EX_VOLS[@]}" busybox sleep 600)
  wbx exec -d "$CID" /attack/attack.sh
  wait_attack_settled "$CID"
  # exec -d keeps nothing of its output: the stub's refusal is its exit,
  # a zombie under the container's first process (sleep reaps nothing).
  local ps
  ps=$(container_procs "$CID")
  local refused=
  grep -q '(attack.sh) Z' <<<"$ps" && refused="runs only as whalebox's last step"
  assert_attack_failed "$refused"
}

@test "CVE-2019-5736: run in a user namespace" {
  # The volumes must be readable by the container's root (host uid 100000).
  chmod 755 "$BATS_TEST_TMPDIR" "$EX_LIB"
  run wbrun --rm --uidmap 0:100000:65536 "${EX_VOLS[@]}" busybox /attack/attack.sh
  echo "$output"
  assert_attack_failed "$output"
  assert_status 126
}

@test "exec stub: a command the kernel cannot exec fails with 126 and the kernel's reason" {
  printf '\177ELF-not-really\n' >"$EX_ATTACK/junk"
  chmod 755 "$EX_ATTACK/junk"
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    run --separate-stderr wbrun --rm "${EX_VOLS[@]}" busybox /attack/junk
    assert_status 126
    assert_equal "$stderr" 'whalebox: exec "/attack/junk": exec format error'
    [[ -z "$(container_ids)" ]] || fail "a container was left: $(container_ids)"
  done
  run --separate-stderr wbrun -d "${EX_VOLS[@]}" busybox /attack/junk
  assert_status 126
  assert_equal "$stderr" 'whalebox: exec "/attack/junk": exec format error'
  [[ -z "$output" ]] || fail "run -d printed an id for a container that never ran: $output"
  CID=$(wbrun -d "${EX_VOLS[@]}" busybox sleep 600)
  run --separate-stderr wbx exec "$CID" /attack/junk
  assert_status 126
  assert_equal "$stderr" 'whalebox: exec "/attack/junk": exec format error'
}

@test "exec stub: the command's /proc/self/exe is its own binary, and nothing else is left open" {
  run wbrun --rm busybox sh -c 'readlink /proc/self/exe; ls /proc/self/fd'
  assert_status 0
  assert_equal "$output" $'/bin/busybox\n0\n1\n2\n3'
  CID=$(wbrun -d busybox sleep 600)
  run wbx exec "$CID" sh -c 'readlink /proc/self/exe; ls /proc/self/fd'
  assert_status 0
  assert_equal "$output" $'/bin/busybox\n0\n1\n2\n3'
}

# A seccomp profile (Docker's JSON) that refuses the syscalls $2... with EPERM.
deny_profile() {
  local f=$1 names
  shift
  names=$(printf '"%s",' "$@")
  printf '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": [%s], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}\n' \
    "${names%,}" >"$f"
}

@test "exec stub: a seccomp profile that refuses execveat still runs the command (execve of /proc/self/fd)" {
  local prof=$BATS_TEST_TMPDIR/no-execveat.json
  deny_profile "$prof" execveat
  run --separate-stderr wbrun --rm --security-opt "seccomp=$prof" busybox echo still-runs
  assert_status 0
  assert_equal "$output" still-runs
  CID=$(wbrun -d --security-opt "seccomp=$prof" busybox sleep 600)
  run --separate-stderr wbx exec "$CID" echo exec-too
  assert_status 0
  assert_equal "$output" exec-too
}

@test "exec stub: a seccomp profile that refuses every exec fails with 126, saying why, and leaves nothing" {
  local prof=$BATS_TEST_TMPDIR/no-exec.json
  deny_profile "$prof" execve execveat
  run --separate-stderr wbrun --rm --security-opt "seccomp=$prof" busybox echo never
  assert_status 126
  assert_equal "$stderr" "whalebox: cannot run whalebox's exec stub (the seccomp profile must allow execveat or execve): Operation not permitted"
  [[ -z "$output" ]] || fail "stdout: $output"
  [[ -z "$(container_ids)" ]] || fail "a container was left: $(container_ids)"
  [[ -z "$(wbx ps -aq)" ]] || fail "ps -a lists: $(wbx ps -aq)"
}

@test "exec stub: nothing in core/ execs a command but the stub and the monitor's hand-over" {
  # A new path that execs a user's command must go through
  # wb_exec_in_container (container/exec_process.c) and so the stub.
  run grep -rlE '\b(execv|execve|execvp|execl|execlp|fexecve)[[:space:]]*\(|SYS_execveat' \
    "$WB_SOURCE_DIR/core" --include='*.c'
  local f bad=()
  for f in "${lines[@]}"; do
    case ${f#"$WB_SOURCE_DIR"/} in
    core/container/exec_stub.c | core/exec_stub/exec_stub.c) ;;
    core/monitor/monitor.c | core/container/monitor.c) ;; # whalebox's own programs, outside containers
    *) bad+=("$f") ;;
    esac
  done
  [[ ${#bad[@]} -eq 0 ]] || fail "files that exec directly:" "${bad[@]}"
}

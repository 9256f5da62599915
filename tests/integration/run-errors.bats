#!/usr/bin/env bats
# run-errors.bats - `whalebox run` exit codes and failures (issue 3): the
# command's own code, 125 for whalebox's errors, 126 cannot execute, 127
# not found, each with one line on stderr naming the cause, and nothing
# left behind (no container directory, name, mount or cgroup).  Every case
# runs against both storage drivers.

load helpers/common
load helpers/run

setup_file() {
  rt_setup_file
}

setup() {
  rt_setup
}

teardown() {
  rt_teardown
}

# $1 = expected status, $2 = text the one stderr line contains, rest = run
# arguments.  Asserts nothing on stdout and nothing left behind.
assert_run_fails() {
  local code=$1 msg=$2
  shift 2
  # (-N tells bats an exit of 127 is expected, not a missing command.)
  run "-$code" --separate-stderr wbrun "$@"
  assert_error_line "$code" "$msg"
  assert_equal "$output" ""
  rt_assert_clean "run $*"
}

@test "exit code: the command's own" {
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    for code in 0 1 3 42 124 255; do
      run --separate-stderr wbrun --rm busybox sh -c "exit $code"
      assert_status "$code"
      assert_equal "$stderr" ""
    done
    run --separate-stderr wbrun --rm busybox false
    assert_status 1
    rt_assert_clean "exit ($DRIVER)"
  done
}

@test "exit code: a child killed by a signal gives the shell's 128+N" {
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    # pid 1 cannot be killed from inside its own namespace (as with Docker),
    # so the signal hits a child and the shell passes 128+N on.
    run --separate-stderr wbrun --rm busybox sh -c 'sh -c "kill -9 \$\$"; exit $?'
    assert_status 137
    run --separate-stderr wbrun --rm busybox sh -c 'sleep 100 & kill -TERM $!; wait $!'
    assert_status 143
  done
}

@test "exit 125: unknown image, with its name" {
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    assert_run_fails 125 "unable to find image 'nosuchimage:latest'" --rm nosuchimage true
    assert_run_fails 125 "unable to find image 'nosuchimage:v2'" nosuchimage:v2 true
    assert_run_fails 125 "unable to find image 'deadbeefdead" deadbeefdead
  done
}

@test "exit 125: bad flags, missing image" {
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    assert_run_fails 125 "unknown flag: --bogus" --bogus busybox true
    assert_run_fails 125 "-Z" -Z busybox true
    assert_run_fails 125 "requires at least 1 argument"
    assert_run_fails 125 "requires at least 1 argument" --rm
    assert_run_fails 125 "--name" --name
    assert_run_fails 125 "working directory" -w relative/dir busybox true
    assert_run_fails 125 "invalid environment variable" -e =x busybox true
    assert_run_fails 125 "--env-file" --env-file "$BATS_TEST_TMPDIR/no-such-env-file" busybox true
  done
}

@test "exit 125: a second --name x fails and leaves the first alone" {
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    run --separate-stderr wbrun --name x busybox sh -c 'exit 5'
    assert_status 5
    local id before
    id=$(only_container_id)
    before=$(cat "$ROOT/containers/$id/state.json")

    run --separate-stderr wbrun --name x busybox echo second
    assert_error_line 125 'the container name "x" is already in use by container '"${id:0:12}"
    assert_equal "$output" ""
    run --separate-stderr wbrun --rm --name x busybox echo second
    assert_error_line 125 'is already in use'
    assert_equal "$(container_ids)" "$id"
    assert_equal "$(root_name_target "$ROOT" x)" "$id"
    assert_equal "$(cat "$ROOT/containers/$id/state.json")" "$before"
    [[ -z "$(cgroups_under_parent)" ]] || fail "cgroups left:" "$(cgroups_under_parent)"

    # While it runs, too.
    wbrun_bg --rm --name y busybox sh -c 'echo ready; sleep 100'
    wait_bg_output ready
    run --separate-stderr wbrun --name y busybox true
    assert_error_line 125 'the container name "y" is already in use'
    kill -0 "$BG_PID" || fail "the first container y died"
    wbx kill y >/dev/null
    wait_bg
    assert_equal "$BG_STATUS" 137

    run --separate-stderr wbx rm x
    assert_status 0
    rt_assert_clean "name in use ($DRIVER)"
    # The name is free again.
    run --separate-stderr wbrun --rm --name x busybox echo third
    assert_status 0
    assert_equal "$output" "third"
  done
}

@test "exit 125: invalid names are refused before anything is created" {
  local name
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    for name in a/b ../x x/../y .. . -x _x .x 'a b' 'a:b' '' "$(printf 'a%.0s' {1..200})"; do
      echo "name: $name"
      assert_run_fails 125 "invalid container name" --name "$name" busybox true
      [[ -z "$(container_ids)" ]] || fail "created a container for name '$name'"
      for d in /sys/fs/cgroup/*/"$CGPARENT"; do
        [[ ! -e "$d" ]] || fail "created the cgroup parent $d for name '$name'"
      done
    done
    [[ ! -e "$ROOT/b" && ! -e "$ROOT/x" && ! -e "$(dirname "$ROOT")/x" ]] || fail "a name escaped the root"
  done
}

@test "exit 125: bad -v specifications, nothing created" {
  local spec
  mkdir -p "$BATS_TEST_TMPDIR/vol"
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    # (A lone absolute path is an anonymous volume, as in Docker.)
    for spec in x rel/path ":/a" "$BATS_TEST_TMPDIR/vol:" \
      "$BATS_TEST_TMPDIR/vol:rel" "$BATS_TEST_TMPDIR/vol:/" \
      "$BATS_TEST_TMPDIR/vol:/a:zz" "$BATS_TEST_TMPDIR/vol:/a:ro:x"; do
      echo "spec: $spec"
      assert_run_fails 125 "invalid volume specification" -v "$spec" busybox true
      for d in /sys/fs/cgroup/*/"$CGPARENT"; do
        [[ ! -e "$d" ]] || fail "created the cgroup parent $d for -v '$spec'"
      done
    done
    assert_run_fails 125 "invalid --mount" --mount "type=bind,target=/a" busybox true
  done
}

@test "exit 125: unknown user or group (the image's files, never the host's)" {
  getent passwd daemon >/dev/null || skip "the host has no 'daemon' user to check host NSS is not used"
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    assert_run_fails 125 "unable to find user nosuchuser" -u nosuchuser busybox true
    assert_run_fails 125 "unable to find user nosuchuser" --rm -u nosuchuser busybox true
    # 'daemon' exists on the host but not in the image.
    assert_run_fails 125 "unable to find user daemon" -u daemon busybox true
    assert_run_fails 125 "unable to find group nosuch" -u app:nosuch busybox true
  done
}

@test "exit 126: a file that is not executable, a directory" {
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    assert_run_fails 126 'exec "/etc/passwd": permission denied' busybox /etc/passwd
    assert_run_fails 126 'exec "/etc": is a directory' --rm busybox /etc
    assert_run_fails 126 '"/etc/passwd"' -u app busybox /etc/passwd
  done
}

@test "exit 127: not found, by path and through PATH" {
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    assert_run_fails 127 'exec "/nope": no such file or directory' busybox /nope
    assert_run_fails 127 '"nope": executable file not found in $PATH' --rm busybox nope
    assert_run_fails 127 '"./nope"' busybox ./nope
    assert_run_fails 127 '"nope"' --entrypoint nope busybox
    # An image whose CMD does not exist.
    wbx import --change 'CMD ["/not/there"]' "$RT_BUSYBOX_TAR" badcmd >/dev/null
    assert_run_fails 127 '"/not/there"' badcmd
  done
}

@test "a failed start frees the name and leaves no container" {
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    assert_run_fails 127 '"/nope"' --name n1 busybox /nope
    assert_run_fails 125 "unable to find user" --name n1 -u nosuchuser busybox true
    assert_run_fails 126 '"/etc"' --name n1 -v "$BATS_TEST_TMPDIR:/data" busybox /etc
    run --separate-stderr wbrun --rm --name n1 busybox echo ok
    assert_status 0
    assert_equal "$output" "ok"
    rt_assert_clean "reuse ($DRIVER)"
  done
}

#!/usr/bin/env bats
# runroot.bats - <root>/run, whalebox's in-memory directory (issue 8): a
# symlink to /dev/shm/whalebox-<random>, never a mount.  The name index
# and the whole state of foreground --rm containers live there, so a
# `run --rm` creates no inode on the state root's disk but its writable
# layer's.  Covers where things are, one name space across disk and tmpfs,
# a runroot mounted afresh (names rebuilt; layers of an earlier boot
# removed, those of this boot kept) and concurrent first use.

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

# The directories a runroot is built in (0: none left half made).
half_made() {
  local home
  home=$(runroot_home "$ROOT")
  [[ -n "$home" ]] && ls -d "$home"/names.new 2>/dev/null
  return 0
}

@test "a foreground --rm container: state in the runroot, writable layer on disk, nothing left" {
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    wbrun_bg --rm --name fg busybox sh -c 'echo data >/written && echo ready && sleep 30'
    wait_bg_output ready
    local id
    id=$(only_container_id)
    [[ "$(stat -f -c %T "$ROOT/run")" == tmpfs ]] || fail "$ROOT/run is not on a tmpfs"
    # In /dev/shm, ours alone, and nothing mounted on the host.
    local home
    home=$(runroot_home "$ROOT")
    [[ "$home" =~ ^/dev/shm/whalebox-[0-9a-f]{32}$ ]] || fail "$ROOT/run -> $(readlink "$ROOT/run")"
    assert_equal "$(stat -c '%F %a %u' "$home")" "directory 700 0"
    assert_equal "$(cat "$home/root")" "$ROOT"
    [[ -z "$(mounts_under "$ROOT")" ]] || fail "mounts under $ROOT:" "$(mounts_under "$ROOT")"
    [[ -f "$ROOT/run/containers/$id/state.json" ]] || fail "no state in the runroot"
    [[ ! -e "$ROOT/containers/$id" ]] || fail "state of a --rm container on disk"
    assert_equal "$(root_name_target "$ROOT" fg)" "$id"
    # The writable layer is on the root's disk, not in memory.
    [[ "$(stat -f -c %T "$ROOT/rw/$id")" != tmpfs ]] || fail "$ROOT/rw/$id is on a tmpfs"
    if [[ $DRIVER == overlay ]]; then
      assert_equal "$(cat "$ROOT/rw/$id/upper/written")" data
      run --separate-stderr wbx inspect -f '{{.GraphDriver.Data.UpperDir}}' fg
      assert_status 0
      assert_equal "$output" "$ROOT/rw/$id/upper"
    fi
    run --separate-stderr wbx ps -q --no-trunc
    assert_status 0
    assert_equal "$output" "$id"
    run --separate-stderr wbx exec fg cat /written
    assert_status 0
    assert_equal "$output" data
    run --separate-stderr wbx stop -t 1 fg
    assert_status 0
    wait_bg
    rt_assert_clean "foreground --rm ($DRIVER)"
    [[ ! -e "$ROOT/rw/$id" ]] || fail "writable layer left"
  done
}

@test "run -d and run without --rm keep their state on disk" {
  run --separate-stderr wbrun -d --rm busybox sleep 30
  assert_status 0
  local d=$output
  run --separate-stderr wbrun --name kept busybox true
  assert_status 0
  local k
  k=$(root_name_target "$ROOT" kept)
  [[ -f "$ROOT/containers/$d/state.json" ]] || fail "run -d --rm: state not on disk"
  [[ -f "$ROOT/containers/$k/state.json" ]] || fail "run without --rm: state not on disk"
  [[ -z "$(ls -A "$ROOT/run/containers")" ]] || fail "in the runroot:" "$(ls -A "$ROOT/run/containers")"
  run --separate-stderr wbx rm -f "$d" kept
  assert_status 0
  rt_assert_clean "detached"
}

@test "one name space: a name held on disk or in the runroot is refused to the other, 125, nothing left" {
  run --separate-stderr wbrun -d --name a busybox sleep 30
  assert_status 0
  local a=$output
  run --separate-stderr wbrun --rm --name a busybox true
  assert_error_line 125 'the container name "a" is already in use by container '"${a:0:12}"
  wbrun_bg --rm --name b busybox sh -c 'echo ready && sleep 30'
  wait_bg_output ready
  local b
  b=$(ls "$ROOT/run/containers")
  run --separate-stderr wbrun -d --name b busybox true
  assert_error_line 125 'the container name "b" is already in use by container '"${b:0:12}"
  # Only a and b exist; the refused runs left no state, name or layer.
  assert_equal "$(container_ids | sort)" "$(printf '%s\n' "$a" "$b" | sort)"
  assert_equal "$(root_names "$ROOT" | sort)" "$(printf 'a\nb\n')"
  assert_equal "$(root_rw_dirs "$ROOT")" "$b"
  run --separate-stderr wbx rm -f a b
  assert_status 0
  wait_bg
  rt_assert_clean "names"
}

@test "a runroot made afresh gets back the names of the containers on disk" {
  run --separate-stderr wbrun -d --name keep busybox sleep 30
  assert_status 0
  local id=$output
  remove_runroot "$ROOT" # as a reboot does
  [[ ! -e "$ROOT/run/names/keep" ]] || fail "the name outlived the runroot"
  run --separate-stderr wbx inspect -f '{{.Id}}' keep
  assert_status 0
  assert_equal "$output" "$id"
  [[ -d "$(runroot_home "$ROOT")/names" ]] || fail "no runroot made again"
  run --separate-stderr wbrun --rm --name keep busybox true
  assert_error_line 125 'is already in use'
  run --separate-stderr wbx rm -f keep
  assert_status 0
  rt_assert_clean "rebuilt names"
}

@test "a runroot of a new boot removes the writable layers of an earlier boot; one of this boot keeps them" {
  run --separate-stderr wbrun --rm busybox true # makes the runroot
  assert_status 0
  local old new
  old=$(printf 'a%.0s' {1..64})
  new=$(printf 'b%.0s' {1..64})
  # A layer left by a foreground --rm container of another boot.
  mkdir -p "$ROOT/rw/$old/upper"
  echo 00000000-0000-0000-0000-000000000000 >"$ROOT/rw/boot_id"
  remove_runroot "$ROOT"
  run --separate-stderr wbx inspect nothing-here
  assert_error_line 125 'no such container: nothing-here'
  [[ ! -e "$ROOT/rw/$old" ]] || fail "the layer of an earlier boot is still there"
  assert_equal "$(cat "$ROOT/rw/boot_id")" "$(cat /proc/sys/kernel/random/boot_id)"
  # Same boot: a container may still run on it; it stays.
  mkdir -p "$ROOT/rw/$new/upper"
  remove_runroot "$ROOT"
  run --separate-stderr wbx inspect nothing-here
  assert_status 125
  [[ -d "$ROOT/rw/$new/upper" ]] || fail "a layer of this boot was removed"
  rm -rf "${ROOT:?}/rw/$new"
  # One that cannot be removed is reported and left; commands go on.
  command -v chattr >/dev/null || skip "chattr (e2fsprogs) is not installed"
  mkdir -p "$ROOT/rw/$old/upper"
  touch "$ROOT/rw/$old/upper/pinned"
  chattr +i "$ROOT/rw/$old/upper/pinned" 2>/dev/null || skip "no immutable flag on $(stat -f -c %T "$ROOT")"
  echo 00000000-0000-0000-0000-000000000000 >"$ROOT/rw/boot_id"
  remove_runroot "$ROOT"
  run --separate-stderr wbrun --rm busybox echo still-runs
  chattr -i "$ROOT/rw/$old/upper/pinned"
  assert_status 0
  assert_equal "$output" still-runs
  assert_contains "$stderr" "rw/$old, left by an earlier boot"
  assert_equal "$(cat "$ROOT/rw/boot_id")" "$(cat /proc/sys/kernel/random/boot_id)"
  rm -rf "${ROOT:?}/rw/$old"
}

@test "the directories of containers, writable layers and imports spread their subdirectories (ext4 TOPDIR)" {
  command -v lsattr >/dev/null || skip "lsattr (e2fsprogs) is not installed"
  # Whether this file system keeps the flag at all, independently of whalebox.
  mkdir "$ROOT/probe"
  chattr +T "$ROOT/probe" 2>/dev/null && lsattr -d "$ROOT/probe" | grep -q '^[^ ]*T' ||
    skip "$(stat -f -c %T "$ROOT") keeps no TOPDIR flag"
  rmdir "$ROOT/probe"
  run --separate-stderr wbrun --rm busybox true
  assert_status 0
  local d
  for d in containers rw tmp; do
    lsattr -d "$ROOT/$d" | grep -q '^[^ ]*T' || fail "$ROOT/$d is not marked:" "$(lsattr -d "$ROOT/$d")"
  done
  # A new root's store marks tmp/ itself, before any container exists.
  local other=$BATS_TEST_TMPDIR/other-root
  mkdir -p "$other"
  "$WB_BIN" --config "$RT_CONF" --root "$other/r" --plugin-dir "$WB_PLUGIN_DIR" import "$RT_BUSYBOX_TAR" x >/dev/null ||
    fail "import into a new root failed"
  lsattr -d "$other/r/tmp" | grep -q '^[^ ]*T' || fail "a new store's tmp/ is not marked"
  [[ ! -e "$other/r/run" ]] || fail "an import mounted a runroot"
  rm -rf "$other"
  rt_assert_clean "spread"
}

@test "cgroup auto: the choice is kept for the boot in the runroot; a wrong or stale one is not used" {
  command -v strace >/dev/null || skip "strace is not installed"
  # whalebox with the default cgroup driver: auto.
  wba() {
    "$WB_BIN" --config "$RT_CONF" --root "$ROOT" --plugin-dir "$WB_PLUGIN_DIR" "$@"
  }
  local want other
  want=$(wba info --format json | jq -r .drivers.cgroup.driver)
  want=${want#cgroup-}
  [[ $want == v1 || $want == v2 ]] || skip "auto picks no cgroup driver here ($want)"
  other=$([[ $want == v1 ]] && echo v2 || echo v1)
  wba run --rm --cgroup-parent "$CGPARENT" busybox true || fail "first run"  # makes the runroot
  wba run --rm --cgroup-parent "$CGPARENT" busybox true || fail "second run" # remembers
  assert_equal "$(cat "$ROOT/run/cgroup-auto")" "$want"
  local trace=$BATS_TEST_TMPDIR/strace.auto
  ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
    strace -f -o "$trace" -e trace=openat "$WB_BIN" --config "$RT_CONF" --root "$ROOT" \
    --plugin-dir "$WB_PLUGIN_DIR" run --rm --cgroup-parent "$CGPARENT" busybox true ||
    fail "traced run"
  grep -q "cgroup-$want.so" "$trace" || fail "cgroup-$want.so not loaded"
  ! grep -q "cgroup-$other.so" "$trace" || fail "cgroup-$other.so loaded although the choice is kept"
  # Nonsense, or a driver whose probe fails here: the whole order again.
  local bad
  for bad in v3 "$other"; do
    echo "$bad" >"$ROOT/run/cgroup-auto"
    run --separate-stderr wba run --rm --cgroup-parent "$CGPARENT" busybox echo ok
    assert_status 0
    assert_equal "$output" ok
    assert_equal "$(cat "$ROOT/run/cgroup-auto")" "$want"
  done
  rt_assert_clean "auto"
}

@test "a runroot that is not whalebox's is refused: 125, the path named, nothing created" {
  run --separate-stderr wbrun --rm busybox true # makes the runroot
  assert_status 0
  local home
  home=$(runroot_home "$ROOT")
  # Opened up to others: whoever could write there could forge names.
  chmod 0755 "$home"
  rm -rf "${home:?}/names"
  run --separate-stderr wbrun --rm busybox true
  assert_error_line 125 "$home is not a directory of whalebox's (owner 0, mode 755): remove it"
  [[ -z "$(container_ids)" && ! -e "$home/names" ]] || fail "something was created"
  rm -rf "$home"
  # A link somewhere else.
  ln -sfn "$BATS_TEST_TMPDIR/elsewhere" "$ROOT/run"
  run --separate-stderr wbrun --rm busybox true
  assert_error_line 125 "$ROOT/run points to $BATS_TEST_TMPDIR/elsewhere, not to a runroot of whalebox's"
  [[ ! -e "$BATS_TEST_TMPDIR/elsewhere" && -z "$(container_ids)" ]] || fail "something was created"
  rm "$ROOT/run"
  rt_assert_clean "foreign runroot"
}

@test "a lookup on a state root that does not exist creates nothing" {
  local missing=$BATS_TEST_TMPDIR/missing-root
  run --separate-stderr "$WB_BIN" --config "$RT_CONF" --root "$missing" --plugin-dir "$WB_PLUGIN_DIR" inspect x
  assert_error_line 125 'no such container: x'
  [[ ! -e "$missing" ]] || fail "created $missing"
}

@test "concurrent first runs make one runroot, none half made" {
  local i pids=() holder
  # Hold the root's lock so that all four find no runroot and queue on it.
  flock "$ROOT" sleep 1 &
  holder=$!
  sleep 0.2
  for i in 1 2 3 4; do
    wbrun --rm busybox true &
    pids+=($!)
  done
  wait "$holder"
  for i in "${pids[@]}"; do
    wait "$i" || fail "a concurrent run failed"
  done
  [[ "$(runroot_home "$ROOT")" =~ ^/dev/shm/whalebox-[0-9a-f]{32}$ ]] || fail "$ROOT/run -> $(readlink "$ROOT/run")"
  [[ -z "$(half_made)" ]] || fail "left half made:" "$(half_made)"
  rt_assert_clean "concurrent"
}

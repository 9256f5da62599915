# container.bash - shared setup for the container tests (run -d, ps, logs,
# inspect, rm...).  Load after helpers/common:
#
#   load helpers/common
#   load helpers/container
#   setup_file() { container_setup_file; }
#   setup() { container_setup; }
#   teardown() { container_teardown; }
#
# Every test gets its own state root (from wb_setup) with a "busybox" image,
# and its own cgroup parent ($WB_CG_PARENT) that teardown removes together
# with every container, monitor and state directory the test left.

# The cgroup driver: the real one of the host's cgroup mode (v1 on a
# hybrid or v1-only host, v2 on a unified one).
container_cgroup_driver() {
  host_cgroup_driver
}

# whalebox with this test's root, config, drivers (overrides common's wb).
wb() {
  "$WB_BIN" --config "$WB_CONF" --root "$WB_ROOT" --plugin-dir "$WB_PLUGIN_DIR" \
    --cgroup-driver "$WB_CGROUP_DRIVER" "$@"
}

# `run` with this test's cgroup parent; the arguments are run's.
wb_run() {
  wb run --cgroup-parent "$WB_CG_PARENT" "$@"
}

# run -d, the id in $CID (fails the test unless it prints a full id).
run_d() {
  CID=$(wb_run -d "$@") || fail "run -d $* failed"
  [[ "$CID" =~ ^[0-9a-f]{64}$ ]] || fail "run -d printed: $CID"
}

# A busybox root filesystem tarball, built once per file (or made
# beforehand: $WB_TEST_BUSYBOX_TAR, as the VM runners do on the host).
make_busybox_image() {
  local tar=$BATS_FILE_TMPDIR/busybox.tar script=$WB_SOURCE_DIR/scripts/make-busybox-image.sh
  [[ -s "$tar" ]] && return 0
  if [[ -n "${WB_TEST_BUSYBOX_TAR:-}" ]]; then
    cp "$WB_TEST_BUSYBOX_TAR" "$tar"
    return
  fi
  if [[ -x "$script" ]]; then
    "$script" "$tar" 2>/dev/null && return 0
  fi
  # Fallback: a tree around the host's static busybox.
  local bb tree=$BATS_FILE_TMPDIR/bbtree
  bb=$(command -v busybox) || fail "no busybox to build an image from"
  file -L "$bb" 2>/dev/null | grep -q 'statically linked' ||
    fail "$bb is not statically linked"
  mkdir -p "$tree"/{bin,etc,tmp,proc,sys,dev,root}
  chmod 1777 "$tree/tmp"
  cp -L "$bb" "$tree/bin/busybox"
  local a
  for a in $("$bb" --list); do
    [[ "$a" == busybox ]] || ln -s busybox "$tree/bin/$a"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\n' >"$tree/etc/passwd"
  printf 'root:x:0:\n' >"$tree/etc/group"
  tar -C "$tree" --numeric-owner --owner=0 --group=0 -cf "$tar" .
}

container_setup_file() {
  make_busybox_image
}

container_setup() {
  wb_setup
  WB_CGROUP_DRIVER=$(container_cgroup_driver)
  WB_CG_PARENT=wb-test-$$-$RANDOM
  export WB_CGROUP_DRIVER WB_CG_PARENT
  wb import -c 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' \
    "$BATS_FILE_TMPDIR/busybox.tar" busybox >/dev/null ||
    fail "cannot import the busybox image"
}

# Field 22 of /proc/PID/stat (start time), empty when gone or a zombie.
proc_start_time() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  stat=${stat##*) }
  # shellcheck disable=SC2086
  set -- $stat
  [[ "$1" == Z ]] && return 0
  echo "${20}"
}

# Is pid $1 still the process that started at $2?
proc_alive() {
  [[ -n "$1" && "$1" -gt 0 && -n "$2" ]] || return 1
  [[ "$(proc_start_time "$1")" == "$2" ]]
}

# A field of a container's state.json (jq path), by full id.
state_field() {
  jq -r "$2" "$(root_state_path "$WB_ROOT" "$1")"
}

# Mounts under this test's scratch dir, as the host sees them.
test_mounts() {
  mounts_under "$WB_TMP"
}

# The cgroup directories of this test's parent, in every hierarchy.
test_cgroups() {
  local d
  for d in /sys/fs/cgroup/*/"$WB_CG_PARENT" /sys/fs/cgroup/"$WB_CG_PARENT"; do
    [[ -d "$d" ]] && find "$d" -mindepth 1 -type d
  done
  return 0
}

# Nothing of container $1 is left: state, name, cgroup, mounts, processes
# ($2 $3: pid and start time, $4 $5: monitor pid and start time).
assert_container_gone() {
  local id=$1
  local d
  for d in "$WB_ROOT/containers/$id" "$WB_ROOT/run/containers/$id" "$WB_ROOT/rw/$id"; do
    [[ ! -e "$d" ]] || fail "$d is left:" "$(tree_listing "$d" | head -20)"
  done
  if [[ -d "$WB_ROOT/run/names" ]]; then
    [[ -z "$(find "$WB_ROOT/run/names" -lname "$id")" ]] || fail "a name of $id is left"
  fi
  local cg
  cg=$(test_cgroups | grep "$id" || true)
  [[ -z "$cg" ]] || fail "cgroups of $id are left:" "$cg"
  local m
  m=$(test_mounts | grep "$id" || true)
  [[ -z "$m" ]] || fail "mounts of $id are left:" "$m"
  if [[ -n "${2:-}" ]]; then
    ! proc_alive "$2" "$3" || fail "the process $2 of $id is still alive"
  fi
  if [[ -n "${4:-}" ]]; then
    ! proc_alive "$4" "$5" || fail "the monitor $4 of $id is still alive"
  fi
}

# Wait up to $1 seconds for the command to succeed.
wait_for() {
  local timeout=$1 i
  shift
  for ((i = 0; i < timeout * 10; i++)); do
    "$@" && return 0
    sleep 0.1
  done
  "$@"
}

container_teardown() {
  if [[ -n "${WB_ROOT:-}" && -d "$WB_ROOT" ]]; then
    # Remember every process the test started, in case rm -f misses one.
    local procs=() id state
    for id in $(root_container_ids "$WB_ROOT"); do
      state=$(root_state_path "$WB_ROOT" "$id")
      [[ -f "$state" ]] || continue
      procs+=("$(jq -r '"\(.State.Pid) \(.State.StartTime) \(.State.MonitorPid) \(.State.MonitorStartTime)"' \
        "$state" 2>/dev/null)")
    done
    local ids
    ids=$(wb ps -aq --no-trunc 2>/dev/null)
    # shellcheck disable=SC2086
    [[ -z "$ids" ]] || wb rm -f $ids >/dev/null 2>&1 || true
    local p
    for p in "${procs[@]}"; do
      # shellcheck disable=SC2086
      set -- $p
      proc_alive "$3" "$4" && kill -9 "$3" 2>/dev/null
      proc_alive "$1" "$2" && kill -9 "$1" 2>/dev/null
    done
  fi
  if [[ -n "${WB_CG_PARENT:-}" ]]; then
    local d
    for d in /sys/fs/cgroup/*/"$WB_CG_PARENT" /sys/fs/cgroup/"$WB_CG_PARENT"; do
      [[ -d "$d" ]] || continue
      # Only directories: rmdir of a cgroup still in use fails, as it should.
      find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || true
    done
  fi
  remove_runroot "${WB_ROOT:-}"
  # Never rm -rf through a mount that was left behind.
  if [[ -n "${WB_TMP:-}" && -n "$(test_mounts)" ]]; then
    echo "# mounts left under $WB_TMP, not removing it: $(test_mounts)" >&2
    return 1
  fi
  wb_teardown
}

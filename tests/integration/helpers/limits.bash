# limits.bash - setup and cgroup file access for limits.bats.  Load after
# helpers/common:
#
#   setup_file() { limits_setup_file; }     teardown_file() { limits_teardown_file; }
#   setup() { limits_setup; }               teardown() { limits_teardown; }
#
# The driver under test is $WB_TEST_CGROUP_DRIVER, by default the one of
# the host's cgroup mode (v2 on a unified host, else v1;
# tests/vm/run-limits-v2.sh sets v2 in the cgroup-v2-only VM).  One state root per file (under $TMPDIR, a tmpfs in
# the VM) holds the busybox image, imported once: $WB_TEST_BUSYBOX_TAR when
# set, else a tarball made by scripts/make-busybox-image.sh.  Every
# container lives in the file's own cgroup parent wb-test-<pid>-lim, which
# teardown_file removes.

limits_setup_file() {
  LIM_DRIVER=${WB_TEST_CGROUP_DRIVER:-$(host_cgroup_driver)}
  LIM_TMP=$(mktemp -d "${TMPDIR:-/tmp}/wb-limits.XXXXXX")
  LIM_ROOT=$LIM_TMP/root
  LIM_CONF=$LIM_TMP/empty.conf
  LIM_PARENT=wb-test-$$-lim
  : >"$LIM_CONF"
  export LIM_DRIVER LIM_TMP LIM_ROOT LIM_CONF LIM_PARENT
  unset WHALEBOX_CONFIG
  # A tarball made beforehand (the VM runner makes it on the host, where
  # it is 10x faster) is imported as it is.
  local tar=${WB_TEST_BUSYBOX_TAR:-}
  if [[ -z "$tar" ]]; then
    tar=$LIM_TMP/busybox.tar
    "$WB_SOURCE_DIR/scripts/make-busybox-image.sh" "$tar" >"$LIM_TMP/image.log" 2>&1 || {
      cat "$LIM_TMP/image.log" >&2
      return 1
    }
  fi
  wb import "$tar" busybox >"$LIM_TMP/import.log" 2>&1 || {
    cat "$LIM_TMP/import.log" >&2
    return 1
  }
}

limits_teardown_file() {
  [[ -n "${LIM_TMP:-}" && "$LIM_TMP" == */wb-limits.* ]] || return 0
  limits_remove_containers
  limits_remove_parent
  remove_runroot "${LIM_ROOT:-}"
  rm -rf -- "$LIM_TMP"
}

limits_setup() {
  # The teardown of the previous test emptied the root: start clean.
  [[ -z "$(limits_containers)" ]] || fail "containers left over: $(limits_containers)"
}

limits_teardown() {
  limits_remove_containers
}

# whalebox with the file's root, an empty config, the driver under test
# (and the storage driver $WB_TEST_STORAGE_DRIVER when set).
wb() {
  "$WB_BIN" --config "$LIM_CONF" --root "$LIM_ROOT" --plugin-dir "$WB_PLUGIN_DIR" \
    --cgroup-driver "$LIM_DRIVER" ${WB_TEST_STORAGE_DRIVER:+--storage-driver "$WB_TEST_STORAGE_DRIVER"} "$@"
}

wb_run() {
  wb run --cgroup-parent "$LIM_PARENT" "$@"
}

# run -d; the full id in $CID.
run_d() {
  CID=$(wb_run -d "$@") || fail "run -d $* failed"
  [[ "$CID" =~ ^[0-9a-f]{64}$ ]] || fail "run -d printed: $CID"
}

# Entries of <root>/containers (ids), one per line.
limits_containers() {
  root_container_ids "$LIM_ROOT"
}

limits_remove_containers() {
  local id
  for id in $(limits_containers); do
    wb rm -f "$id" >/dev/null 2>&1 || true
  done
}

# The cgroup2 mount: /sys/fs/cgroup on a unified host, .../unified on a
# hybrid one (first cgroup2 entry of mountinfo, as the driver finds it).
cgroup2_mount() {
  awk '{ for (i = 7; i <= NF; i++) if ($i == "-") break;
         if ($(i + 1) == "cgroup2") { print $5; exit } }' /proc/self/mountinfo
}

# v1: the mount point of one controller.
cgroup_v1_mount() {
  awk -v c="$1" '{ for (i = 7; i <= NF; i++) if ($i == "-") break;
         if ($(i + 1) != "cgroup") next;
         n = split($(i + 3), o, ",");
         for (j = 1; j <= n; j++) if (o[j] == c) { print $5; exit } }' /proc/self/mountinfo
}

# The directories that hold our parent cgroup, one per line: one per v1
# controller, or the single v2 one.
limits_parent_dirs() {
  if [[ "$LIM_DRIVER" == v2 ]]; then
    echo "$(cgroup2_mount)/$LIM_PARENT"
  else
    local c m
    for c in memory cpu cpuacct cpuset pids freezer; do
      m=$(cgroup_v1_mount "$c")
      [[ -n "$m" ]] && echo "$m/$LIM_PARENT"
    done | sort -u
  fi
}

# Path of a container's cgroup file: cg_file <controller> <id> <file>.
cg_file() {
  if [[ "$LIM_DRIVER" == v2 ]]; then
    echo "$(cgroup2_mount)/$LIM_PARENT/$2/$3"
  else
    echo "$(cgroup_v1_mount "$1")/$LIM_PARENT/$2/$3"
  fi
}

# The container's CPU time in ns, from the cgroup's own counter.
cg_cpu_usage_ns() {
  local f
  if [[ "$LIM_DRIVER" == v2 ]]; then
    f=$(cg_file cpu "$1" cpu.stat)
    awk '$1 == "usage_usec" { printf "%d\n", $2 * 1000 }' "$f"
  else
    cat "$(cg_file cpuacct "$1" cpuacct.usage)"
  fi
}

# A key of the cpu controller's cpu.stat (nr_periods, nr_throttled).
cg_cpu_stat() {
  awk -v k="$2" '$1 == k { print $2 }' "$(cg_file cpu "$1" cpu.stat)"
}

# No cgroup of ours is left below the parent, in any hierarchy.
assert_no_cgroup_left() {
  local d left
  for d in $(limits_parent_dirs); do
    [[ -d "$d" ]] || continue
    left=$(find "$d" -mindepth 1 -maxdepth 1 -type d)
    [[ -z "$left" ]] || fail "cgroups left under $d:" "$left"
  done
}

# No state directory, no name, no container left in the root.
assert_no_container_left() {
  [[ -z "$(limits_containers)" ]] ||
    fail "state left in $LIM_ROOT/containers:" "$(limits_containers)"
  [[ -z "$(root_names "$LIM_ROOT")" ]] || fail "names left: $(root_names "$LIM_ROOT")"
  [[ -z "$(root_rw_dirs "$LIM_ROOT")" ]] || fail "writable layers left: $(root_rw_dirs "$LIM_ROOT")"
}

# Remove our parent cgroup (and anything a failed test left below it: only
# cgroups under our own parent, whose processes are ours).
limits_remove_parent() {
  local d sub pid
  for d in $(limits_parent_dirs); do
    [[ -d "$d" && "$d" == */wb-test-*-lim ]] || continue
    for sub in $(find "$d" -mindepth 1 -depth -type d); do
      while read -r pid; do
        [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null
      done <"$sub/cgroup.procs"
      rmdir "$sub" 2>/dev/null || { sleep 0.5; rmdir "$sub" 2>/dev/null; }
    done
    rmdir "$d" 2>/dev/null || true
  done
}

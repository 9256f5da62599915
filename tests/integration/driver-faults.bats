#!/usr/bin/env bats
# driver-faults.bats - drivers that crash, abort, call exit() or hang, in
# every step a command runs them: loading, init, probe, and the ops `run`,
# `exec`, `logs` and `rm -f` use, in the runtime and in the processes it
# forks (the container's first process mounts the root file system and
# joins the cgroup; exec's helper joins it too).  Each must end the command
# with one line naming the driver, the op and the signal or time limit,
# exit code 125, and nothing left: no container in `ps -a`, no name, no
# state directory, no cgroup.  `rm -f` always removes the container.
# `plugins` and `info` list such drivers instead of dying with them.
#
# The drivers are tests/plugins/faultdriver.c: <kind>-<fault>.so misbehaves
# in the ops named by WB_TD_FAULT_OP ("create+": after doing the work) and
# otherwise forwards to the real driver in WB_TD_DELEGATE_<KIND>.

load helpers/common
load helpers/container

FAULTS=(segv abort exit hang)

setup_file() {
  container_setup_file
}

setup() {
  container_setup
  # Hangs are given up on after 2 s instead of a minute.
  printf 'drivers: { timeout = 2; data_timeout = 2; };\n' >"$WB_CONF"
  local cg=$WB_CGROUP_DRIVER
  [[ "$cg" == /* ]] || cg=$WB_PLUGIN_DIR/cgroup-$cg.so
  export WB_TD_DELEGATE_STORAGE=$WB_PLUGIN_DIR/storage-bind.so
  export WB_TD_DELEGATE_CGROUP=$cg
  export WB_TD_DELEGATE_LOG=$WB_PLUGIN_DIR/log-file.so
  unset WB_TD_FAULT_OP
}

teardown() {
  unset WB_TD_FAULT_OP
  container_teardown
}

# The fault test driver of kind $1 and fault $2.
fd_path() {
  echo "$WB_TEST_PLUGIN_DIR/$1-$2.so"
}

# What the one line says about fault $1 in op $2 (without a trailing "+").
fault_says() {
  case $1 in
  segv | overflow) echo "crashed in $2() with signal 11 (Segmentation fault)" ;;
  abort) echo "crashed in $2() with signal 6 (Aborted)" ;;
  exit) echo "called exit(3) in $2()" ;;
  hang) echo "$2() did not answer within 2 s" ;;
  esac
}

# After `run --separate-stderr`: 125, stdout empty (no id printed), one line
# on stderr naming the driver <kind>-<fault> and what happened in op.
assert_fault_line() {
  local kind=$1 fault=$2 op=${3%+}
  assert_one_line_error
  assert_contains "$stderr" "$kind-$fault: $(fault_says "$fault" "$op")"
}

# Nothing of any container is left in the state root or the cgroup parent.
assert_nothing_left() {
  local ps
  ps=$(wb ps -a -q --no-trunc 2>&1) || fail "ps -a failed: $ps"
  [[ -z "$ps" ]] || fail "ps -a lists:" "$ps"
  [[ -z "$(root_container_ids "$WB_ROOT")" ]] ||
    fail "container state left:" "$(root_container_ids "$WB_ROOT")"
  [[ -z "$(root_names "$WB_ROOT")" ]] || fail "names left:" "$(root_names "$WB_ROOT")"
  [[ -z "$(root_rw_dirs "$WB_ROOT")" ]] || fail "writable layers left:" "$(root_rw_dirs "$WB_ROOT")"
  [[ -z "$(test_cgroups)" ]] || fail "cgroups left:" "$(test_cgroups)"
  [[ -z "$(test_mounts)" ]] || fail "mounts left:" "$(test_mounts)"
}

# ---- loading, init, probe ------------------------------------------------

@test "run: a driver of any kind that faults while loading, in init or in probe: 125, one line, nothing created" {
  local kind fault op
  for kind in storage cgroup log; do
    for fault in "${FAULTS[@]}"; do
      for op in load entry init probe; do
        WB_TD_FAULT_OP=$op run --separate-stderr wb "--$kind-driver" "$(fd_path "$kind" "$fault")" \
          run --rm --cgroup-parent "$WB_CG_PARENT" busybox true
        assert_one_line_error
        assert_contains "$stderr" "$kind-$fault"
        case $op:$fault in
        load:hang | entry:hang) assert_contains "$stderr" "did not finish loading within 2 s" ;;
        load:exit | entry:exit) assert_contains "$stderr" "called exit(3) while loading" ;;
        load:* | entry:*) assert_contains "$stderr" "crashed while loading with signal" ;;
        *) assert_contains "$stderr" "$(fault_says "$fault" "$op")" ;;
        esac
        assert_nothing_left
      done
    done
  done
}

# ---- run -----------------------------------------------------------------

@test "run and run -d: a storage driver that faults in create or mount (in the container's process): 125, one line, nothing left" {
  local fault op mode
  for fault in "${FAULTS[@]}" overflow; do
    for op in create create+ mount mount+; do
      for mode in --rm -d; do
        WB_TD_FAULT_OP=$op run --separate-stderr wb --storage-driver "$(fd_path storage "$fault")" \
          run "$mode" --cgroup-parent "$WB_CG_PARENT" busybox true
        assert_fault_line storage "$fault" "$op"
        assert_nothing_left
      done
    done
  done
}

@test "run: a cgroup driver that faults in create, apply or enter_self (in the container's process): 125, one line, nothing left" {
  local fault op
  for fault in "${FAULTS[@]}"; do
    for op in create create+ apply apply+ enter_self enter_self+; do
      WB_TD_FAULT_OP=$op run --separate-stderr wb --cgroup-driver "$(fd_path cgroup "$fault")" \
        run --rm --cgroup-parent "$WB_CG_PARENT" busybox true
      assert_fault_line cgroup "$fault" "$op"
      assert_nothing_left
    done
  done
}

@test "run --rm: a cgroup driver that faults in destroy at the end: the command's exit code, one warning naming the cgroup, the container gone" {
  local fault op
  for fault in "${FAULTS[@]}"; do
    for op in destroy destroy+; do
      WB_TD_FAULT_OP=$op run --separate-stderr wb --cgroup-driver "$(fd_path cgroup "$fault")" \
        run --rm --cgroup-parent "$WB_CG_PARENT" busybox sh -c 'exit 3'
      assert_status 3
      [[ "${#stderr_lines[@]}" -eq 1 ]] || fail "expected one line on stderr:" "$stderr"
      assert_contains "$stderr" "warning: cgroup-$fault: $(fault_says "$fault" destroy)"
      assert_contains "$stderr" "cgroup $WB_CG_PARENT/"
      assert_contains "$stderr" "may be left"
      # The driver never removed it: that one cgroup, and nothing else.
      local left
      left=$(test_cgroups | grep -v "/$WB_CG_PARENT/[0-9a-f]\{64\}$" || true)
      [[ -z "$left" ]] || fail "more than the container's cgroup is left:" "$left"
      find /sys/fs/cgroup/*/"$WB_CG_PARENT" /sys/fs/cgroup/"$WB_CG_PARENT" -mindepth 1 \
        -depth -type d -exec rmdir {} + 2>/dev/null || true
      assert_nothing_left
    done
  done
}

@test "run -d: a log driver that faults in open: 125, one line, no id printed, nothing left" {
  local fault op
  for fault in "${FAULTS[@]}"; do
    for op in open open+; do
      WB_TD_FAULT_OP=$op run --separate-stderr wb --log-driver "$(fd_path log "$fault")" \
        run -d --cgroup-parent "$WB_CG_PARENT" busybox true
      assert_fault_line log "$fault" "$op"
      assert_nothing_left
    done
  done
}

@test "run -d: a log driver that faults in write, in whalebox-monitor: the container runs to its end, its exit code recorded, the fault in .State.Error" {
  local fault
  for fault in "${FAULTS[@]}"; do
    CID=$(WB_TD_FAULT_OP=write wb --log-driver "$(fd_path log "$fault")" run -d --name "w-$fault" \
      --cgroup-parent "$WB_CG_PARENT" busybox sh -c 'echo hi; exit 4') ||
      fail "run -d with log-$fault failed"
    run --separate-stderr timeout 60 "$WB_BIN" --config "$WB_CONF" --root "$WB_ROOT" \
      --plugin-dir "$WB_PLUGIN_DIR" wait "w-$fault"
    assert_status 0
    [[ "$output" == 4 ]] || fail "wait printed: $output" "$stderr"
    run --separate-stderr wb inspect "w-$fault"
    assert_status 0
    [[ "$(json '.[0].State.Status' <<<"$output")" == exited ]] || fail "state" "$output"
    [[ "$(json '.[0].State.ExitCode' <<<"$output")" == 4 ]] || fail "exit code" "$output"
    assert_contains "$(json '.[0].State.Error' <<<"$output")" \
      "log-$fault: $(fault_says "$fault" write)"
    run --separate-stderr wb rm -f "w-$fault"
    assert_status 0
  done
  assert_nothing_left
}

# ---- exec, logs ------------------------------------------------------------

@test "exec: a cgroup driver that faults in enter_self in exec's helper: 125, one line, the container unharmed" {
  local fault
  for fault in "${FAULTS[@]}"; do
    CID=$(wb --cgroup-driver "$(fd_path cgroup "$fault")" run -d --name "c-$fault" \
      --cgroup-parent "$WB_CG_PARENT" busybox sleep 60) || fail "run -d with cgroup-$fault failed"
    WB_TD_FAULT_OP=enter_self run --separate-stderr wb exec "c-$fault" true
    assert_fault_line cgroup "$fault" enter_self
    run --separate-stderr wb exec "c-$fault" true
    assert_status 0
    run --separate-stderr wb rm -f "c-$fault"
    assert_status 0
    assert_nothing_left
  done
}

@test "logs: a log driver that faults in read: 125, one line" {
  local fault
  for fault in "${FAULTS[@]}"; do
    CID=$(wb --log-driver "$(fd_path log "$fault")" run -d --name "l-$fault" \
      --cgroup-parent "$WB_CG_PARENT" busybox echo hello) || fail "run -d with log-$fault failed"
    wb wait "l-$fault" >/dev/null
    run --separate-stderr wb logs "l-$fault"
    assert_status 0
    [[ "$output" == hello ]] || fail "logs without a fault: $output" "$stderr"
    WB_TD_FAULT_OP=read run --separate-stderr wb logs "l-$fault"
    assert_fault_line log "$fault" read
    run --separate-stderr wb rm -f "l-$fault"
    assert_status 0
    assert_nothing_left
  done
}

@test "commit: a storage driver that faults in diff, or a cgroup driver in freeze: 125, one line, no image, the container running and thawed" {
  local fault kind op pair images
  images=$(wb images -q | sort)
  for fault in "${FAULTS[@]}"; do
    # freeze+: the container is frozen when the driver faults.
    for pair in storage:diff storage:diff+ cgroup:freeze cgroup:freeze+; do
      kind=${pair%%:*} op=${pair#*:}
      CID=$(wb "--$kind-driver" "$(fd_path "$kind" "$fault")" run -d --name "k-$kind-$fault" \
        --cgroup-parent "$WB_CG_PARENT" busybox sh -c 'echo x >/new; sleep 60') ||
        fail "run -d with $kind-$fault failed"
      WB_TD_FAULT_OP=$op run --separate-stderr wb commit "k-$kind-$fault" "img-$kind-$fault"
      assert_one_line_error
      assert_contains "$stderr" "$kind-$fault: $(fault_says "$fault" "${op%+}")"
      [[ "$(wb images -q | sort)" == "$images" ]] || fail "an image was made" "$(wb images)"
      local state=/sys/fs/cgroup/freezer/$WB_CG_PARENT/$CID/freezer.state
      if [[ -e "$state" && "$(cat "$state")" != THAWED ]]; then
        # Our own test cgroup: thawed so that teardown can remove it.
        echo THAWED >"$state"
        fail "commit left the container frozen ($op)"
      fi
      run --separate-stderr timeout 20 "$WB_BIN" --config "$WB_CONF" --root "$WB_ROOT" \
        --plugin-dir "$WB_PLUGIN_DIR" exec "k-$kind-$fault" true
      assert_status 0
      run --separate-stderr wb rm -f "k-$kind-$fault"
      assert_status 0
    done
  done
  assert_nothing_left
}

# ---- rm -f -----------------------------------------------------------------

# run -d a container with the fault driver of kind $1 and fault $2.
run_d_with() {
  CID=$(wb "--$1-driver" "$(fd_path "$1" "$2")" run -d --name "$1-$2" \
    --cgroup-parent "$WB_CG_PARENT" busybox sleep 60) || fail "run -d with $1-$2 failed"
}

# After `rm -f NAME`: exit 0, the name printed, one warning on stderr
# naming what may be left, and the container gone.
assert_removed_with_warning() {
  local name=$1 says=$2
  assert_status 0
  [[ "$output" == "$name" ]] || fail "rm -f printed: $output" "$stderr"
  [[ "${#stderr_lines[@]}" -eq 1 ]] || fail "expected one warning:" "$stderr"
  assert_contains "$stderr" "whalebox: warning: "
  assert_contains "$stderr" "$says"
  assert_contains "$stderr" "may be left"
  run --separate-stderr wb inspect "$name"
  [[ "$status" -ne 0 ]] || fail "$name can still be inspected after rm -f"
}

@test "rm -f: a storage, cgroup or log driver that faults while removing: the container is removed, one warning" {
  local fault
  for fault in "${FAULTS[@]}"; do
    run_d_with storage "$fault"
    WB_TD_FAULT_OP=remove run --separate-stderr wb rm -f "storage-$fault"
    assert_contains "$stderr" "what it keeps on disk for container ${CID:0:12}"
    assert_removed_with_warning "storage-$fault" "storage-$fault: $(fault_says "$fault" remove)"
    assert_nothing_left

    run_d_with log "$fault"
    WB_TD_FAULT_OP=remove run --separate-stderr wb rm -f "log-$fault"
    assert_removed_with_warning "log-$fault" "log-$fault: $(fault_says "$fault" remove)"
    assert_nothing_left

    run_d_with cgroup "$fault"
    WB_TD_FAULT_OP=destroy+ run --separate-stderr wb rm -f "cgroup-$fault"
    assert_contains "$stderr" "cgroup $WB_CG_PARENT/$CID"
    assert_removed_with_warning "cgroup-$fault" "cgroup-$fault: $(fault_says "$fault" destroy)"
    assert_nothing_left
  done
}

@test "rm -f: a storage driver whose remove fails, even without a message: the container is removed, one warning naming the errno" {
  run_d_with storage silent
  WB_TD_FAULT_OP=remove run --separate-stderr wb rm -f storage-silent
  assert_removed_with_warning storage-silent "storage-silent: remove() failed: Permission denied"
  assert_nothing_left
}

@test "rm -f: a driver that is gone since the container was made: the container is removed, one warning naming the driver and what may be left" {
  local kind real
  for kind in storage log cgroup; do
    case $kind in
    storage) real=$WB_PLUGIN_DIR/storage-bind.so ;;
    log) real=$WB_PLUGIN_DIR/log-file.so ;;
    cgroup) real=$WB_TD_DELEGATE_CGROUP ;;
    esac
    mkdir -p "$WB_TMP/gone"
    cp "$real" "$WB_TMP/gone/"
    local copy=$WB_TMP/gone/$(basename "$real")
    CID=$(wb "--$kind-driver" "$copy" run -d --name "gone-$kind" \
      --cgroup-parent "$WB_CG_PARENT" busybox sleep 60) || fail "run -d with $copy failed"
    rm "$copy"
    run --separate-stderr wb rm -f "gone-$kind"
    assert_removed_with_warning "gone-$kind" "$copy not found"
    # A cgroup driver that is gone cannot remove its cgroup: the warning
    # said so; the test removes it.
    find /sys/fs/cgroup/*/"$WB_CG_PARENT" /sys/fs/cgroup/"$WB_CG_PARENT" -mindepth 1 \
      -depth -type d -exec rmdir {} + 2>/dev/null || true
    assert_nothing_left
  done
}

# ---- the error convention ------------------------------------------------------

@test "drivers returning positive values for success: run -d, exec, logs, stop, start, rm -f all work" {
  export WB_TD_FAULT_OP='*'
  run --separate-stderr wb --storage-driver "$(fd_path storage positive)" \
    --cgroup-driver "$(fd_path cgroup positive)" --log-driver "$(fd_path log positive)" \
    run -d --name pos --cgroup-parent "$WB_CG_PARENT" busybox sh -c 'echo hi; sleep 60'
  assert_status 0
  [[ "$output" =~ ^[0-9a-f]{64}$ ]] || fail "run -d printed: $output" "$stderr"
  run --separate-stderr wb exec pos echo there
  assert_status 0
  [[ "$output" == there ]] || fail "exec: $output" "$stderr"
  run --separate-stderr wb logs pos
  assert_status 0
  [[ "$output" == hi ]] || fail "logs: $output" "$stderr"
  run --separate-stderr wb stop -t 1 pos
  assert_status 0
  run --separate-stderr wb start pos
  assert_status 0
  run --separate-stderr wb rm -f pos
  assert_status 0
  [[ -z "$stderr" ]] || fail "rm -f said:" "$stderr"
  assert_nothing_left
}

@test "a driver that fails without host->error: one line naming the driver, the op and the errno" {
  WB_TD_FAULT_OP=create run --separate-stderr wb --storage-driver "$(fd_path storage silent)" \
    run --rm --cgroup-parent "$WB_CG_PARENT" busybox true
  assert_one_line_error
  assert_contains "$stderr" "storage-silent: create() failed: Permission denied"
  assert_nothing_left
  WB_TD_FAULT_OP=create run --separate-stderr wb --cgroup-driver "$(fd_path cgroup silent)" \
    run --rm --cgroup-parent "$WB_CG_PARENT" busybox true
  assert_one_line_error
  assert_contains "$stderr" "cgroup-silent: create() failed: Permission denied"
  assert_nothing_left
  WB_TD_FAULT_OP=open run --separate-stderr wb --log-driver "$(fd_path log silent)" \
    run -d --cgroup-parent "$WB_CG_PARENT" busybox true
  assert_one_line_error
  assert_contains "$stderr" "log-silent: open() failed: Permission denied"
  assert_nothing_left
}

# ---- plugins, info ---------------------------------------------------------

# A plugin directory with the real drivers and every faulting storage driver.
fault_plugin_dir() {
  local pd=$WB_TMP/plugins f
  mkdir -p "$pd"
  ln -sf "$WB_PLUGIN_DIR"/*.so "$pd/"
  for f in segv abort exit hang overflow stdout rawexit blockhang; do
    ln -sf "$(fd_path storage "$f")" "$pd/"
  done
  echo "$pd"
}

@test "plugins: drivers that crash, exit, hang or print while loading, in init or in probe are one line each; good drivers still listed; JSON intact; exit 0" {
  local pd op
  pd=$(fault_plugin_dir)
  # The guard gives up after 1 s; the child a driver blocks it in after
  # the sum of its limits.
  printf 'drivers: { timeout = 1; data_timeout = 1; };\n' >"$WB_CONF"
  for op in load init probe; do
    WB_TD_FAULT_OP=$op run --separate-stderr wb --plugin-dir "$pd" plugins --format json
    assert_status 0
    jq -e 'type == "array"' <<<"$output" >/dev/null || fail "not JSON ($op):" "$output"
    local j=$output
    entry() {
      json ".[] | select(.path == \"$pd/storage-$1.so\") | .status + \"|\" + (.error // \"\")" <<<"$j"
    }
    local where="in $op()" f e
    [[ $op == load ]] && where="while loading"
    for f in segv abort exit overflow; do
      e=$(entry "$f")
      [[ "${e%%|*}" == error ]] || fail "storage-$f ($op): $e" "$j"
      [[ "$e" != *$'\n'* ]] || fail "more than one line: $e"
      case $f in
      exit) assert_contains "$e" "called exit(3) $where" ;;
      abort) assert_contains "$e" "crashed $where with signal 6 (Aborted)" ;;
      *) assert_contains "$e" "crashed $where with signal 11 (Segmentation fault)" ;;
      esac
    done
    e=$(entry hang)
    [[ "${e%%|*}" == error ]] || fail "storage-hang ($op): $e" "$j"
    if [[ $op == load ]]; then
      assert_contains "$e" "did not finish loading within 1 s"
    else
      assert_contains "$e" "$op() did not answer within 1 s"
    fi
    # What the guard cannot catch, the child process does.
    e=$(entry rawexit)
    assert_contains "$e" "error|"
    assert_contains "$e" "exited with status 4 $where"
    e=$(entry blockhang)
    assert_contains "$e" "error|"
    assert_contains "$e" "did not answer within 6 s $where"
    # Printing to stdout breaks nothing.
    [[ "$(entry stdout)" == "usable|" ]] || fail "storage-stdout: $(entry stdout)"
    local d
    for d in storage-overlay storage-bind log-file log-none; do
      [[ "$(json ".[] | select(.path == \"$pd/$d.so\") | .status" <<<"$j")" == usable ]] ||
        fail "$d not usable ($op)" "$j"
    done
  done
  WB_TD_FAULT_OP=probe run --separate-stderr wb --plugin-dir "$pd" plugins
  assert_status 0
  grep -Eq "^storage +overlay .* usable +$pd/storage-overlay.so\$" <<<"$output" || fail "text listing" "$output"
  assert_contains "$output" "storage-segv: crashed in probe() with signal 11 (Segmentation fault)"
}

@test "info: a driver of any kind that crashes, exits, hangs or prints in init or probe is an error of its own entry; JSON intact; exit 0" {
  local kind fault op
  for kind in storage cgroup log; do
    for fault in "${FAULTS[@]}" rawexit stdout; do
      [[ $kind == storage || ($fault != rawexit && $fault != stdout) ]] || continue
      for op in load init probe; do
        WB_TD_FAULT_OP=$op run --separate-stderr wb "--$kind-driver" "$(fd_path "$kind" "$fault")" \
          info --format json
        assert_status 0
        jq -e '.drivers' <<<"$output" >/dev/null || fail "not JSON ($kind-$fault, $op):" "$output"
        local e
        e=$(json ".drivers.$kind.error // \"\"" <<<"$output")
        if [[ $fault == stdout ]]; then
          [[ -z "$e" ]] || fail "storage-stdout: $e"
          continue
        fi
        [[ "$e" != *$'\n'* ]] || fail "more than one line: $e"
        assert_contains "$e" "$kind-$fault"
        case $op in
        load) assert_contains "$e" "loading" ;;
        *) assert_contains "$e" "$op()" ;;
        esac
        # The other kinds are unaffected.
        local other
        for other in storage cgroup log; do
          [[ $other == "$kind" ]] && continue
          [[ "$(json ".drivers.$other.error // \"\"" <<<"$output")" == "" ]] ||
            fail "$other has an error with $kind-$fault:" "$output"
        done
      done
    done
  done
}

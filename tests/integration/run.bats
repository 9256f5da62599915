#!/usr/bin/env bats
# run.bats - `whalebox run` in the foreground (issue 3): output, command
# and arguments, environment, user, working directory, names and ids,
# read-only roots, volumes, --rm, namespaces, mounts, stdio and signals.
# Every case runs against both storage drivers.  Failures and exit codes
# are in run-errors.bats, the terminal in run-tty.bats.

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

# ---- output, command, arguments -------------------------------------------

@test "run prints the command's output; CMD comes from the image; --rm leaves nothing" {
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    run --separate-stderr wbrun --rm busybox
    assert_status 0
    assert_equal "$output" "from-image"
    assert_equal "$stderr" ""
    rt_assert_clean "--rm ($DRIVER)"

    run --separate-stderr wbrun --rm busybox echo hello world
    assert_status 0
    assert_equal "$output" "hello world"
    rt_assert_clean "--rm ($DRIVER)"
  done
}

@test "an image without CMD needs a command: 125, docker's message (issue 13)" {
  wbx import "$RT_BUSYBOX_TAR" bare >/dev/null
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    # No /bin/sh of our choosing, with or without -i.
    run --separate-stderr wbrun --rm -i bare <<<'echo from-sh'
    assert_error_line 125 "no command specified"
    assert_equal "$output" ""
    run --separate-stderr wbrun --rm bare
    assert_error_line 125 "no command specified"
    run --separate-stderr wbrun --rm -i bare sh <<<'echo from-sh; cat /proc/1/cmdline; echo'
    assert_status 0
    assert_equal "$output" $'from-sh\nsh'
    rt_assert_clean "bare ($DRIVER)"
  done
}

@test "arguments arrive intact: spaces, quotes, empty, newlines, globs" {
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    run --separate-stderr wbrun --rm busybox sh -c 'printf "%s|" "$@"' x "a b" 'c"d' '' "it's" $'l1\nl2' '*' '$HOME'
    assert_status 0
    assert_equal "$output" $'a b|c"d||it\'s|l1\nl2|*|$HOME|'
    # A command that looks like a flag after the image is the command's.
    run --separate-stderr wbrun --rm busybox echo --rm -e X=1
    assert_status 0
    assert_equal "$output" "--rm -e X=1"
  done
}

@test "--entrypoint replaces the image's entrypoint and drops its CMD" {
  wbx import --change 'ENTRYPOINT ["echo","ep"]' --change 'CMD ["dflt"]' "$RT_BUSYBOX_TAR" epimg >/dev/null
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    run --separate-stderr wbrun --rm epimg
    assert_status 0
    assert_equal "$output" "ep dflt"
    run --separate-stderr wbrun --rm epimg x y
    assert_status 0
    assert_equal "$output" "ep x y"
    run --separate-stderr wbrun --rm --entrypoint printf epimg '%s-' a b
    assert_status 0
    assert_equal "$output" "a-b-"
    # --entrypoint alone: the image's CMD is not appended.
    run --separate-stderr wbrun --rm --entrypoint /bin/echo busybox
    assert_status 0
    assert_equal "$output" ""
    run --separate-stderr wbrun --rm --entrypoint echo busybox hi there
    assert_status 0
    assert_equal "$output" "hi there"
  done
}

# ---- environment ------------------------------------------------------------

@test "-e K=V, -e K from our environment, --env-file, image ENV" {
  wbx import --change 'ENV IMG=image' --change 'ENV OVER=image' "$RT_BUSYBOX_TAR" envimg >/dev/null
  local ef=$BATS_TEST_TMPDIR/env.list
  printf '# a comment\n\nFILE1=one\nFILE2=two words\nPASSED\n' >"$ef"
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    PASSED=from-host run --separate-stderr wbrun --rm -e A=1 -e 'B=x y=z' -e PASSED \
      --env-file "$ef" -e OVER=flag envimg env
    assert_status 0
    local env=$output kv
    for kv in A=1 'B=x y=z' PASSED=from-host FILE1=one 'FILE2=two words' IMG=image OVER=flag HOME=/root; do
      grep -qxF -- "$kv" <<<"$env" || fail "$kv not in the environment:" "$env"
    done
    assert_not_contains "$env" "OVER=image"
    assert_not_contains "$env" "comment"
    grep -q '^PATH=.*/bin' <<<"$env" || fail "no PATH:" "$env"
    grep -q '^HOSTNAME=' <<<"$env" || fail "no HOSTNAME:" "$env"

    # -e NAME of a variable we do not have: not set at all.
    unset NOT_IN_OUR_ENV
    run --separate-stderr wbrun --rm -e NOT_IN_OUR_ENV busybox sh -c 'echo "${NOT_IN_OUR_ENV-unset}"'
    assert_status 0
    assert_equal "$output" "unset"
    # PATH and HOME can be overridden.
    run --separate-stderr wbrun --rm -e PATH=/usr/bin -e HOME=/tmp busybox env
    assert_status 0
    grep -qx PATH=/usr/bin <<<"$output" || fail "PATH not overridden:" "$output"
    grep -qx HOME=/tmp <<<"$output" || fail "HOME not overridden:" "$output"
  done
}

@test "a variable given twice reaches the command once, with the last value" {
  wbx import --change 'ENV OVER=image' "$RT_BUSYBOX_TAR" envimg >/dev/null
  local ef=$BATS_TEST_TMPDIR/env.list
  printf 'OVER=file\nTWICE=file\n' >"$ef"
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    # env prints the environment as execve got it (a shell would dedupe).
    # Docker reads every --env-file before the -e flags, wherever they
    # stand on the command line, so -e wins over a file.
    run --separate-stderr wbrun --rm -e OVER=1 -e TWICE=flag --env-file "$ef" -e OVER=2 envimg env
    assert_status 0
    assert_equal "$(grep -E '^(OVER|TWICE)=' <<<"$output" | sort)" $'OVER=2\nTWICE=flag'
  done
}

# ---- working directory ------------------------------------------------------

@test "-w sets the working directory; the image's WORKDIR is the default" {
  wbx import --change 'WORKDIR /home/app' "$RT_BUSYBOX_TAR" wdimg >/dev/null
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    run --separate-stderr wbrun --rm -w /tmp busybox pwd
    assert_status 0
    assert_equal "$output" "/tmp"
    run --separate-stderr wbrun --rm wdimg pwd
    assert_status 0
    assert_equal "$output" "/home/app"
    run --separate-stderr wbrun --rm -w /etc wdimg pwd
    assert_status 0
    assert_equal "$output" "/etc"
    run --separate-stderr wbrun --rm busybox pwd
    assert_status 0
    assert_equal "$output" "/"
  done
}

@test "-w creates a missing working directory, as Docker does" {
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    run --separate-stderr wbrun --rm -w /new/work/dir busybox sh -c 'pwd; ls -ld . | cut -c1-10'
    assert_status 0
    assert_equal "$output" $'/new/work/dir\ndrwxr-xr-x'
    rt_assert_clean "-w ($DRIVER)"
  done
}

# ---- user ---------------------------------------------------------------------

@test "-u resolves users and groups through the image's /etc/passwd and /etc/group" {
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    run --separate-stderr wbrun --rm -u app busybox sh -c 'id; echo "$HOME"'
    assert_status 0
    assert_equal "$output" $'uid=1000(app) gid=1000(app)\n/home/app'
    run --separate-stderr wbrun --rm -u 1000:1000 busybox id
    assert_status 0
    assert_equal "$output" "uid=1000(app) gid=1000(app)"
    run --separate-stderr wbrun --rm -u app:root busybox id
    assert_status 0
    assert_equal "$output" "uid=1000(app) gid=0(root)"
    # A uid the image does not know: gid 0, HOME /.
    run --separate-stderr wbrun --rm -u 4242 busybox sh -c 'id; echo "$HOME"'
    assert_status 0
    assert_equal "$output" $'uid=4242 gid=0(root)\n/'
    run --separate-stderr wbrun --rm -u 4242:4343 busybox id
    assert_status 0
    assert_equal "$output" "uid=4242 gid=4343"
    # No supplementary groups leak in from the host.
    run --separate-stderr wbrun --rm -u app busybox sh -c 'grep ^Groups: /proc/self/status'
    assert_status 0
    [[ "$output" =~ ^Groups:[[:space:]]*$ ]] || fail "supplementary groups: $output"
    # As app, root's files are not writable.
    run --separate-stderr wbrun --rm -u app busybox sh -c 'touch /root/x'
    assert_status 1
    assert_contains "$stderr" "Permission denied"
  done
}

# ---- hostname, names, ids -------------------------------------------------------

@test "the hostname is the id's first 12 characters; --hostname sets it; /etc files name it" {
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    run --separate-stderr wbrun busybox sh -c 'hostname; cat /etc/hostname; cat /etc/hosts; echo "$HOSTNAME"'
    assert_status 0
    local id
    id=$(only_container_id)
    [[ "$id" =~ ^[0-9a-f]{64}$ ]] || fail "id is not 64 hex: $id"
    local h=${id:0:12}
    [[ "${lines[0]}" == "$h" && "${lines[1]}" == "$h" ]] || fail "hostname is not $h:" "$output"
    grep -qE "^127\.0\.0\.1[[:space:]]+localhost" <<<"$output" || fail "no localhost in /etc/hosts:" "$output"
    grep -qE "^[0-9.:a-f]+[[:space:]].*\b$h\b" <<<"$output" || fail "/etc/hosts does not name $h:" "$output"
    assert_equal "${lines[-1]}" "$h"
    wbx rm "$id" >/dev/null

    run --separate-stderr wbrun --rm --hostname my-box busybox sh -c 'hostname; cat /etc/hostname; grep -c "my-box" /etc/hosts'
    assert_status 0
    assert_equal "$output" $'my-box\nmy-box\n1'
    run --separate-stderr wbrun --rm busybox cat /etc/resolv.conf
    assert_status 0
    grep -q '^nameserver ' <<<"$output" || fail "/etc/resolv.conf has no nameserver:" "$output"
    rt_assert_clean "hostname ($DRIVER)"
  done
}

@test "--name names the container; without it a readable random name; ids are 64 hex" {
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    run --separate-stderr wbrun --name web-1.a_b busybox true
    assert_status 0
    local id
    id=$(only_container_id)
    [[ "$id" =~ ^[0-9a-f]{64}$ ]] || fail "id is not 64 hex: $id"
    [[ "$(root_name_target "$ROOT" web-1.a_b)" == "$id" ]] || fail "names/web-1.a_b does not point to $id"
    assert_equal "$(container_state "$id" .Name)" "web-1.a_b"
    run --separate-stderr wbx rm web-1.a_b
    assert_status 0
    rt_assert_clean "rm by name ($DRIVER)"

    local names=() n
    for _ in 1 2 3; do
      run --separate-stderr wbrun busybox true
      assert_status 0
    done
    mapfile -t names < <(root_names "$ROOT")
    [[ ${#names[@]} -eq 3 ]] || fail "expected 3 names, got:" "${names[@]}"
    for n in "${names[@]}"; do
      [[ "$n" =~ ^[a-z]+_[a-z]+[0-9]*$ ]] || fail "not a readable name: $n"
      id=$(root_name_target "$ROOT" "$n")
      [[ "$id" =~ ^[0-9a-f]{64}$ && -f "$(root_state_path "$ROOT" "$id")" ]] || fail "name $n -> '$id' is no container"
      assert_equal "$(container_state "$id" .Name)" "$n"
    done
    for id in $(container_ids); do
      wbx rm "$id" >/dev/null
    done
    rt_assert_clean "rm ($DRIVER)"
  done
}

@test "the seed tool's spellings: -rm, -name, -eK=V, -i" {
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    run --separate-stderr wbrun -rm -name seedname -eK=V -i busybox sh -c 'read x; echo "$x $K $(hostname | wc -c)"' <<<"in"
    assert_status 0
    assert_equal "$output" "in V 13"
    rt_assert_clean "-rm ($DRIVER)"
  done
}

@test "without --rm an exited container stays until rm" {
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    run --separate-stderr wbrun --name stays busybox sh -c 'echo x >/created-file; exit 7'
    assert_status 7
    local id
    id=$(only_container_id)
    [[ -f "$ROOT/containers/$id/state.json" ]] || fail "no state.json for $id"
    assert_equal "$(container_state "$id" .State.Status)" "exited"
    assert_equal "$(container_state "$id" .State.ExitCode)" "7"
    run --separate-stderr wbx ps -a
    assert_status 0
    assert_contains "$output" "stays"
    # Its container mounts are gone while it is stopped.
    [[ -z "$(host_mounts_under_root)" ]] || fail "mounts while exited:" "$(host_mounts_under_root)"
    run --separate-stderr wbx rm stays
    assert_status 0
    rt_assert_clean "rm ($DRIVER)"
    run --separate-stderr wbx ps -a
    assert_not_contains "$output" "stays"
  done
}

# ---- read-only root, volumes --------------------------------------------------

@test "--read-only: writes to the root fail with EROFS; /dev/shm stays writable" {
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    run --separate-stderr wbrun --rm --read-only busybox sh -c \
      'touch /x; echo "root=$?"; touch /tmp/x; echo "tmp=$?"; touch /dev/shm/x; echo "shm=$?"'
    assert_status 0
    assert_equal "$output" $'root=1\ntmp=1\nshm=0'
    assert_contains "$stderr" "touch: /x: Read-only file system"
    assert_contains "$stderr" "touch: /tmp/x: Read-only file system"
    rt_assert_clean "--read-only ($DRIVER)"
    # The image itself was not written by the read-write run before.
    run --separate-stderr wbrun --rm busybox sh -c 'touch /rw-file && echo ok'
    assert_equal "$output" "ok"
    run --separate-stderr wbrun --rm --read-only busybox ls /rw-file
    assert_status 1
  done
}

@test "-v HOST:CTR bind mounts a directory; data persists after rm; :ro is read-only" {
  local vol=$BATS_TEST_TMPDIR/vol
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    rm -rf "$vol"
    mkdir -p "$vol"
    echo from-host >"$vol/h"
    run --separate-stderr wbrun --rm -v "$vol:/data" busybox sh -c 'cat /data/h; echo from-ctr >/data/c'
    assert_status 0
    assert_equal "$output" "from-host"
    assert_equal "$(cat "$vol/c")" "from-ctr"
    rt_assert_clean "-v ($DRIVER)"

    run --separate-stderr wbrun --rm -v "$vol:/data:ro" busybox sh -c 'cat /data/c; touch /data/y'
    assert_status 1
    assert_equal "$output" "from-ctr"
    assert_contains "$stderr" "Read-only file system"
    [[ ! -e "$vol/y" ]] || fail "wrote through a :ro volume"

    # A volume on a path missing from the image, and --mount spelled the
    # long way.
    run --separate-stderr wbrun --rm -v "$vol:/not/in/image:rw" busybox sh -c 'echo w >/not/in/image/w && cat /not/in/image/h'
    assert_status 0
    assert_equal "$output" "from-host"
    assert_equal "$(cat "$vol/w")" "w"
    run --separate-stderr wbrun --rm --mount "type=bind,source=$vol,target=/m,readonly" busybox sh -c 'cat /m/h; touch /m/z'
    assert_status 1
    assert_equal "$output" "from-host"
    [[ ! -e "$vol/z" ]] || fail "wrote through a readonly --mount"

    # A missing host directory is created (as Docker's -v does).
    run --separate-stderr wbrun --rm -v "$vol/new/sub:/n" busybox sh -c 'echo n >/n/f'
    assert_status 0
    assert_equal "$(cat "$vol/new/sub/f")" "n"

    # A single file.
    run --separate-stderr wbrun --rm -v "$vol/h:/etc/motd:ro" busybox cat /etc/motd
    assert_status 0
    assert_equal "$output" "from-host"
    rt_assert_clean "-v ($DRIVER)"
    [[ -f "$vol/h" && -f "$vol/c" ]] || fail "volume data gone after rm"
  done
}

@test "-v onto a path missing from the image works with --read-only too (as Docker)" {
  local vol=$BATS_TEST_TMPDIR/vol
  mkdir -p "$vol"
  echo from-host >"$vol/h"
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    run --separate-stderr wbrun --rm --read-only -v "$vol:/not/in/image" busybox sh -c 'cat /not/in/image/h; touch /x'
    assert_status 1
    assert_equal "$output" "from-host"
    assert_contains "$stderr" "Read-only file system"
    rt_assert_clean "--read-only -v ($DRIVER)"
  done
}

# ---- namespaces -------------------------------------------------------------------

@test "new pid, mount, uts, ipc and net namespaces; the command is pid 1" {
  local ns host
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    run --separate-stderr wbrun --rm busybox sh -c 'echo $$; for n in pid mnt uts ipc net; do readlink /proc/self/ns/$n; done'
    assert_status 0
    assert_equal "${lines[0]}" "1"
    for ns in "${lines[@]:1}"; do
      host=$(readlink "/proc/self/ns/${ns%%:*}")
      [[ "$ns" != "$host" ]] || fail "the container shares the host's $ns"
    done
    [[ ${#lines[@]} -eq 6 ]] || fail "expected 6 lines:" "$output"
    # Only our processes are visible.
    run --separate-stderr wbrun --rm busybox sh -c 'ls /proc | grep -c "^[0-9]"'
    assert_status 0
    [[ "$output" -le 3 ]] || fail "more processes than ours in /proc: $output"
  done
}

@test "network: only lo, and it is up" {
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    run --separate-stderr wbrun --rm busybox sh -c 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "; cat /sys/class/net/lo/flags; ls /sys/class/net'
    assert_status 0
    assert_equal "$output" $'lo\n0x9\nlo'
    run --separate-stderr wbrun --rm busybox ip link show lo
    assert_status 0
    assert_contains "$output" "LOOPBACK,UP"
    run --separate-stderr wbrun --rm busybox ping -c 1 -W 2 127.0.0.1
    assert_status 0
  done
}

@test "mounts: /proc, read-only /sys, /dev with only the standard nodes" {
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    run --separate-stderr wbrun --rm busybox sh -c 'grep -E " /(proc|sys) " /proc/mounts | cut -d" " -f2-4'
    assert_status 0
    grep -qE '^/proc proc rw' <<<"$output" || fail "no rw /proc:" "$output"
    grep -qE '^/sys sysfs ro' <<<"$output" || fail "no ro /sys:" "$output"
    run --separate-stderr wbrun --rm busybox touch /sys/x
    assert_status 1
    assert_contains "$stderr" "Read-only file system"

    run --separate-stderr wbrun --rm busybox ls -A /dev
    assert_status 0
    assert_equal "$(echo $output)" "fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero"
    run --separate-stderr wbrun --rm busybox sh -c 'ls -l /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty | cut -c1 | tr -d "\n"; echo; for l in fd stdin stdout stderr ptmx; do readlink /dev/$l; done; ls -A /dev/pts'
    assert_status 0
    assert_equal "$output" $'cccccc\n/proc/self/fd\n/proc/self/fd/0\n/proc/self/fd/1\n/proc/self/fd/2\npts/ptmx\nptmx'
    run --separate-stderr wbrun --rm busybox sh -c 'head -c 4 /dev/zero | od -An -tx1; echo x >/dev/null && echo null-ok; echo x >/dev/full; echo "full=$?"; head -c 16 /dev/urandom | wc -c'
    assert_status 0
    assert_equal "$(echo $output)" "00 00 00 00 null-ok full=1 16"
    run --separate-stderr wbrun --rm busybox sh -c 'grep -E " /dev/(shm|mqueue|pts) " /proc/mounts | cut -d" " -f2,3'
    assert_status 0
    assert_equal "$output" $'/dev/pts devpts\n/dev/shm tmpfs\n/dev/mqueue mqueue'
  done
}

@test "/dev/pts is a new devpts instance, not the host's" {
  local host_dev
  host_dev=$(awk '$5 == "/dev/pts" { print $3; exit }' /proc/self/mountinfo)
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    run --separate-stderr wbrun --rm busybox sh -c 'awk "\$5 == \"/dev/pts\" { print \$3 }" /proc/self/mountinfo; grep " /dev/pts " /proc/mounts'
    assert_status 0
    [[ "${#lines[@]}" -eq 2 ]] || fail "expected one /dev/pts mount:" "$output"
    [[ -n "${lines[0]}" && "${lines[0]}" != "$host_dev" ]] ||
      fail "/dev/pts is the host's devpts (${lines[0]} = $host_dev)"
    assert_contains "${lines[1]}" "ptmxmode=666"
  done
}

@test "the runtime's /etc/hostname, /etc/hosts, /etc/resolv.conf; no host or old-root mounts" {
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    run --separate-stderr wbrun --rm busybox sh -c 'cut -d" " -f5 /proc/self/mountinfo'
    assert_status 0
    local mp roots=0 bad=()
    for mp in "${lines[@]}"; do
      case $mp in
      /) roots=$((roots + 1)) ;;
      /proc | /proc/* | /sys | /sys/* | /dev | /dev/*) ;;
      /etc/hostname | /etc/hosts | /etc/resolv.conf) ;;
      *) bad+=("$mp") ;;
      esac
    done
    [[ $roots -eq 1 ]] || fail "$roots mounts on / (the old root is still there?):" "$output"
    [[ ${#bad[@]} -eq 0 ]] || fail "host mounts visible in the container:" "${bad[@]}"
    for mp in /etc/hostname /etc/hosts /etc/resolv.conf; do
      grep -qx "$mp" <<<"$output" || fail "$mp is not supplied by the runtime:" "$output"
    done
    # Nothing of the host's file system is reachable.
    run --separate-stderr wbrun --rm busybox sh -c "ls -d '$WB_SOURCE_DIR' '$ROOT' 2>&1"
    assert_status 1
    assert_equal "$output" "ls: $WB_SOURCE_DIR: No such file or directory
ls: $ROOT: No such file or directory"
  done
}

@test "/etc/hosts is writable; a --rm container's copy is in memory, a kept container's survives a restart" {
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    run --separate-stderr wbrun --rm busybox sh -c 'echo 10.0.0.1 db >>/etc/hosts && tail -n1 /etc/hosts && grep " /etc/hosts " /proc/mounts | cut -d" " -f3'
    assert_status 0
    assert_equal "$output" $'10.0.0.1 db\ntmpfs'
    rt_assert_clean "--rm /etc/hosts ($DRIVER)"
    run --separate-stderr wbrun --name keep-$DRIVER busybox sh -c 'echo 10.0.0.2 cache >>/etc/hosts; grep -c cache /etc/hosts'
    assert_status 0
    assert_equal "$output" 1
    run --separate-stderr wbx start -a keep-$DRIVER
    assert_status 0
    assert_equal "$output" 2
    run --separate-stderr wbx rm keep-$DRIVER
    assert_status 0
    rt_assert_clean "kept /etc/hosts ($DRIVER)"
  done
}

# Each file or directory created on the state root's file system costs a
# lot on some disks (an ext4 inode, and a discard when it goes).  A --rm
# container's state and name are in the runroot, a tmpfs (<root>/run); on
# disk it makes only its storage directory <root>/rw/<id> (the driver makes
# upper/ and work/ in it, by fd).
@test "run --rm creates only its storage directory on the state root's disk" {
  command -v strace >/dev/null || skip "strace is not installed"
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    wbrun --rm busybox true # the first run makes the root's directories
    [[ "$(stat -f -c %T "$ROOT/run")" == tmpfs ]] || fail "$ROOT/run is not a tmpfs"
    local trace=$BATS_TEST_TMPDIR/strace.$DRIVER
    # LeakSanitizer (the ASan build) cannot run under ptrace.
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
      run --separate-stderr strace -f -o "$trace" -e trace=openat,mkdir,mkdirat,symlink,symlinkat,rename,renameat2 \
      "$WB_BIN" --config "$RT_CONF" --root "$ROOT" --plugin-dir "$WB_PLUGIN_DIR" \
      --storage-driver "$DRIVER" --cgroup-driver "$RT_CGDRIVER" \
      run --rm --cgroup-parent "$CGPARENT" busybox true
    assert_status 0
    local created in_run
    created=$(grep -E 'O_CREAT|mkdir\(|symlink\(' "$trace" | grep -v EEXIST | grep -F "\"$ROOT/" |
      grep -vF "\"$ROOT/mnt/" | # the container's in-memory /etc files
      sed -E 's/^[0-9]+ +//; s/, 0[0-7]+\) += .*//' || true)
    in_run=$(grep -F "\"$ROOT/run/" <<<"$created" || true)
    created=$(grep -vF "\"$ROOT/run/" <<<"$created" || true)
    [[ $(grep -c . <<<"$created") -eq 1 ]] || fail "run --rm created on disk, by path, other than its storage directory:" "$created"
    grep -qE "^mkdir\(\"$ROOT/rw/[0-9a-f]{64}\"\$" <<<"$created" || fail "no storage directory in $ROOT/rw:" "$created"
    grep -qE '/run/containers/[0-9a-f]{64}/state\.json' <<<"$in_run" || fail "no state.json in the runroot:" "$in_run"
    grep -qE '/run/names/' <<<"$in_run" || fail "no name in the runroot:" "$in_run"
    # (The other rename, of the state directory to .trash-<id>, is its
    # removal, in the runroot.)
    [[ $(grep -cE '^[0-9]+ +rename(at2)?\(.*/state\.json"' "$trace") -le 1 ]] ||
      fail "state.json was replaced more than once:" "$(grep -E '^[0-9]+ +rename(at2)?\(' "$trace")"
    rt_assert_clean "--rm file count ($DRIVER)"
  done
}

@test "a mount made inside the container does not reach the host" {
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    local marker=wbtestmnt$RANDOM
    wbrun_bg --rm --cap-add SYS_ADMIN busybox sh -c "mkdir -p /mnt && mount -t tmpfs $marker /mnt && grep -c ' /mnt ' /proc/mounts && echo ready && sleep 2"
    wait_bg_output ready
    if grep -q "$marker" /proc/self/mountinfo; then
      fail "the container's tmpfs $marker is visible on the host:" "$(grep "$marker" /proc/self/mountinfo)"
    fi
    wait_bg
    assert_equal "$BG_STATUS" 0
    assert_equal "$(cat "$BATS_TEST_TMPDIR/bg.out")" $'1\nready'
    rt_assert_clean "mount ($DRIVER)"
  done
}

# ---- stdio ---------------------------------------------------------------------------

@test "stdio: -i passes stdin; without -i stdin is empty; stdout and stderr stay separate" {
  local out=$BATS_TEST_TMPDIR/out err=$BATS_TEST_TMPDIR/err
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    run --separate-stderr wbrun --rm -i busybox cat <<<"hi"
    assert_status 0
    assert_equal "$output" "hi"
    run bash -c 'echo hi | "$@"' _ wbrun --rm -i busybox cat
    assert_status 0
    assert_equal "$output" "hi"
    run --separate-stderr wbrun --rm busybox cat <<<"hi"
    assert_status 0
    assert_equal "$output" ""
    run --separate-stderr wbrun --rm busybox readlink /proc/self/fd/0
    assert_status 0
    assert_equal "$output" "/dev/null"

    wbrun --rm busybox sh -c 'echo to-out; echo to-err >&2; echo out2' >"$out" 2>"$err"
    assert_equal "$(cat "$out")" $'to-out\nout2'
    assert_equal "$(cat "$err")" "to-err"
  done
}

@test "stdio: pipelines and large or binary data pass through unchanged" {
  local data=$BATS_TEST_TMPDIR/data
  head -c 3000000 /dev/urandom >"$data"
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    [[ "$(wbrun --rm busybox seq 100000 | wc -l)" -eq 100000 ]] || fail "seq | wc -l lost lines"
    [[ "$(seq 50000 | wbrun --rm -i busybox wc -l)" -eq 50000 ]] || fail "seq | run wc -l lost lines"
    wbrun --rm -i busybox cat <"$data" | cmp - "$data" || fail "binary data changed through run -i cat"
    run bash -c 'printf "b\na\nc\n" | "$@" | "$@"' _ wbrun --rm -i busybox sort
    assert_equal "$output" $'a\nb\nc'
  done
}

# ---- signals and exit codes ---------------------------------------------------------

@test "SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 reach the container's process" {
  local sig code
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    code=41
    for sig in TERM INT HUP QUIT USR1 USR2; do
      code=$((code + 1))
      wbrun_bg --rm busybox sh -c "trap 'exit $code' $sig; echo ready; while :; do sleep 0.1; done"
      wait_bg_output ready
      kill -"$sig" "$BG_PID"
      wait_bg
      [[ "$BG_STATUS" -eq "$code" ]] || fail "SIG$sig: expected exit $code, got $BG_STATUS" "$(cat "$BATS_TEST_TMPDIR/bg.err")"
      rt_assert_clean "SIG$sig ($DRIVER)"
    done
  done
}

@test "killed by signal N: exit 128+N (SIGKILL from the host, whalebox kill)" {
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    wbrun_bg --name victim busybox sh -c 'echo ready; exec sleep 1000'
    wait_bg_output ready
    local id pid
    id=$(only_container_id)
    pid=$(container_state "$id" .State.Pid)
    [[ "$pid" =~ ^[0-9]+$ && "$pid" -gt 1 ]] || fail "no host pid in state.json: $pid"
    grep -q sleep "/proc/$pid/cmdline" || fail "pid $pid is not the container's sleep"
    kill -KILL "$pid"
    wait_bg
    assert_equal "$BG_STATUS" 137
    assert_equal "$(container_state "$id" .State.ExitCode)" 137
    wbx rm victim >/dev/null

    wbrun_bg --rm --name victim2 busybox sh -c 'echo ready; exec sleep 1000'
    wait_bg_output ready
    run --separate-stderr wbx kill victim2
    assert_status 0
    wait_bg
    assert_equal "$BG_STATUS" 137
    rt_assert_clean "kill ($DRIVER)"
  done
}

@test "while it runs: state.json says running with its pid, in a cgroup below --cgroup-parent" {
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    wbrun_bg --rm --name alive busybox sh -c 'echo ready; exec sleep 1000'
    wait_bg_output ready
    local id pid
    id=$(only_container_id)
    assert_equal "$(container_state "$id" .State.Status)" "running"
    pid=$(container_state "$id" .State.Pid)
    [[ -r "/proc/$pid/cmdline" ]] && grep -q sleep "/proc/$pid/cmdline" || fail "state pid $pid is not the container's process"
    if [[ "$RT_CGDRIVER" == v1 || "$RT_CGDRIVER" == v2 ]]; then
      grep -q "/$CGPARENT/" "/proc/$pid/cgroup" ||
        fail "pid $pid is not below $CGPARENT:" "$(cat "/proc/$pid/cgroup")"
      [[ -n "$(cgroups_under_parent)" ]] || fail "no container cgroup below $CGPARENT"
    fi
    # Our mount namespace does not hold the container's mounts.
    [[ "$(readlink "/proc/$pid/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ]] || fail "same mount namespace"
    wbx kill alive >/dev/null
    wait_bg
    assert_equal "$BG_STATUS" 137
    rt_assert_clean "after kill ($DRIVER)"
  done
}

@test "the container's process starts with default signal dispositions" {
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    # Background jobs of a script ignore SIGINT and SIGQUIT; the container
    # must not inherit that.
    wbrun_bg --rm busybox grep -E "^Sig(Ign|Blk)" /proc/self/status
    wait_bg
    assert_equal "$BG_STATUS" 0
    assert_equal "$(cat "$BATS_TEST_TMPDIR/bg.out")" $'SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000'
  done
}

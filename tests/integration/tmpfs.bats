#!/usr/bin/env bats
# tmpfs.bats - `run --tmpfs PATH[:OPTIONS]`, `--mount type=tmpfs` and
# `--mount type=volume` (issue 13, part 5): mounted in the container's own
# mount namespace on a target resolved inside its root (a symlink in the
# image cannot send it out), nosuid and nodev always, with --read-only and
# under a user namespace, kept in state.json for `start`, shown by
# `inspect`; every bad spec is 125 with one line and leaves nothing.  Each
# case runs on both storage drivers.

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

# The line of /proc/mounts for mount point $1 as the container sees it,
# printed by the command it runs.
MOUNT_LINE='grep " $0 " /proc/mounts'

@test "--tmpfs with docker's options: a tmpfs, nosuid and nodev always, noexec unless exec" {
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    run --separate-stderr wbrun --rm --tmpfs /run:rw,size=64k,mode=1777 busybox \
      sh -c "$MOUNT_LINE; stat -c %a /run; echo hi >/run/f && cat /run/f" /run
    assert_status 0
    [[ "${lines[0]}" =~ ^tmpfs\ /run\ tmpfs\ rw,nosuid,nodev,noexec,.*size=64k ]] ||
      fail "not the tmpfs asked for:" "$output"
    assert_equal "${lines[1]}" "1777"
    assert_equal "${lines[2]}" "hi"
    # size= is a limit; exec lifts noexec; ro; uid=, gid=; nosuid and
    # nodev cannot be lifted (dev and suid are refused, below).
    run --separate-stderr wbrun --rm --tmpfs /small:size=8k busybox \
      sh -c 'head -c 65536 /dev/zero >/small/f; echo rc=$?'
    assert_equal "${lines[-1]}" "rc=1"
    run --separate-stderr wbrun --rm --tmpfs /x:exec busybox \
      sh -c 'cp /bin/busybox /x/echo && /x/echo ran-from-tmpfs'
    assert_status 0
    assert_equal "$output" "ran-from-tmpfs"
    run --separate-stderr wbrun --rm --tmpfs /x busybox \
      sh -c 'cp /bin/busybox /x/echo && /x/echo ran; echo rc=$?'
    assert_equal "${lines[-1]}" "rc=126"
    run --separate-stderr wbrun --rm --tmpfs /ro:ro --tmpfs /own:uid=1000,gid=1000,mode=700 \
      busybox sh -c 'touch /ro/f 2>/dev/null || echo read-only; stat -c "%u:%g %a" /own'
    assert_status 0
    assert_equal "$output" $'read-only\n1000:1000 700'
    rt_assert_clean "--tmpfs ($DRIVER)"
  done
}

@test "--mount type=tmpfs with tmpfs-size, tmpfs-mode and readonly" {
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    run --separate-stderr wbrun --rm --mount type=tmpfs,destination=/app,tmpfs-size=1m,tmpfs-mode=1770 \
      --mount type=tmpfs,dst=/r,readonly busybox \
      sh -c "$MOUNT_LINE; stat -c %a /app; touch /r/f 2>/dev/null || echo read-only" /app
    assert_status 0
    [[ "${lines[0]}" =~ ^tmpfs\ /app\ tmpfs\ rw,nosuid,nodev,noexec,.*size=1024k ]] ||
      fail "not the tmpfs asked for:" "$output"
    assert_equal "${lines[1]}" "1770"
    assert_equal "${lines[2]}" "read-only"
    rt_assert_clean "--mount type=tmpfs ($DRIVER)"
  done
}

@test "tmpfs mounts with --read-only (targets missing from the image) and under a user namespace" {
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    run --separate-stderr wbrun --rm --read-only --tmpfs /not/in/image:size=1m --tmpfs /tmp \
      busybox sh -c 'touch /not/in/image/f /tmp/f && echo writable; touch /etc/f 2>/dev/null || echo root-read-only'
    assert_status 0
    assert_equal "$output" $'writable\nroot-read-only'
    run --separate-stderr wbrun --rm --uidmap 0:100000:65536 --tmpfs /run:uid=1000,mode=750 \
      --mount type=tmpfs,target=/data busybox \
      sh -c 'stat -c "%u %a" /run /data; touch /data/f && stat -c %u /data/f'
    assert_status 0
    assert_equal "$output" $'1000 750\n0 1777\n0'
    run --separate-stderr wbrun --rm --uidmap 0:100000:65536 --read-only --tmpfs /new busybox \
      sh -c 'touch /new/f && echo ok'
    assert_status 0
    assert_equal "$output" "ok"
    rt_assert_clean "tmpfs --read-only/userns ($DRIVER)"
  done
}

@test "a tmpfs and a volume nest in either order (a parent is mounted first)" {
  local h=$BATS_TEST_TMPDIR/host
  mkdir -p "$h"
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    run --separate-stderr wbrun --rm --tmpfs /data/tmp -v "$h:/data" busybox \
      sh -c 'grep -c " /data/tmp tmpfs " /proc/mounts; touch /data/tmp/in-tmpfs /data/on-host'
    assert_status 0
    assert_equal "$output" "1"
    [[ -e "$h/on-host" && ! -e "$h/tmp/in-tmpfs" ]] || fail "not nested as asked:" "$(ls -R "$h")"
    run --separate-stderr wbrun --rm -v "$h:/t/h" --tmpfs /t busybox \
      sh -c 'grep -c " /t tmpfs " /proc/mounts; ls /t/h'
    assert_status 0
    assert_equal "${lines[0]}" "1"
    assert_contains "$output" "on-host"
    rm -f "$h/on-host"
  done
}

@test "a tmpfs target cannot leave the root through a symlink in the image" {
  local host=$BATS_TEST_TMPDIR/hostdir up=/tmp/wb-escape-$BATS_ROOT_PID-$RANDOM
  local gone=$BATS_TEST_TMPDIR/only-on-host
  mkdir -p "$host/existing" "$gone"
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    # Symlinks to a host path (which the image has too), climbing out with
    # .., to / itself, and to a path only the host has.
    wbrun --name "mk-$DRIVER" busybox sh -c \
      "mkdir -p '$host/existing' /x && ln -s '$host' /abs && ln -s '../../../../../../../..$host' /rel && ln -s / /x/up && ln -s '$gone' /dangling" >/dev/null ||
      fail "making the image failed"
    wbx commit "mk-$DRIVER" "evil-$DRIVER" >/dev/null || fail "commit failed"
    wbx rm -f "mk-$DRIVER" >/dev/null
    run --separate-stderr wbrun --rm --tmpfs /abs/new --tmpfs /abs/existing \
      --mount type=tmpfs,target=/rel/new2 --tmpfs "/x/up$up" "evil-$DRIVER" \
      sh -c "grep ' tmpfs ' /proc/mounts | cut -d' ' -f2; readlink /abs"
    assert_status 0
    # Inside the root: the symlinks resolve as if / were the container's.
    assert_contains "$output" "$host/new"$'\n'
    assert_contains "$output" "$host/existing"$'\n'
    assert_contains "$output" "$host/new2"$'\n'
    assert_contains "$output" "$up"$'\n'
    # A target through a symlink to a path the root lacks is refused.
    run --separate-stderr wbrun --rm --tmpfs /dangling/sub "evil-$DRIVER" true
    assert_error_line 125 "/dangling"
    # Nothing was created or mounted on the host's side.
    [[ ! -e "$host/new" && ! -e "$host/new2" && ! -e "$up" && ! -e "$gone/sub" ]] ||
      fail "a tmpfs target was created outside the root:" "$(ls -la "$host" "$gone")"
    [[ -z "$(mounts_under "$BATS_TEST_TMPDIR")" ]] ||
      fail "mounted on the host:" "$(mounts_under "$BATS_TEST_TMPDIR")"
    rt_assert_clean "symlink ($DRIVER)"
  done
}

@test "tmpfs mounts are kept for start, fresh each time, and shown by inspect" {
  local id out
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    id=$(wbrun -d --tmpfs /run:size=8k --mount type=tmpfs,target=/m,readonly \
      --mount type=volume,source=vol-$DRIVER,target=/v --mount type=volume,target=/anon \
      -v "$BATS_TEST_TMPDIR:/host:ro" busybox \
      sh -c "$MOUNT_LINE; ls /run; touch /run/was-here; echo left >/v/f" /run) ||
      fail "run -d failed"
    wbx wait "$id" >/dev/null
    run --separate-stderr wbx start "$id"
    assert_status 0
    wbx wait "$id" >/dev/null
    run --separate-stderr wbx logs "$id"
    assert_status 0
    [[ $(grep -c '^tmpfs /run tmpfs .*size=8k' <<<"$output") -eq 2 ]] ||
      fail "the second start had no tmpfs on /run:" "$output"
    assert_not_contains "$output" "was-here"
    out=$(wbx inspect -f '{{json .Mounts}}' "$id")
    assert_equal "$(jq -c '[.[] | select(.Type == "tmpfs") | [.Destination, .RW]]' <<<"$out")" \
      '[["/run",true],["/m",false]]'
    assert_equal "$(jq -c '[.[] | select(.Type == "volume") | [.Destination, .Name != null, .Driver, .RW]]' <<<"$out")" \
      '[["/v",true,"local",true],["/anon",true,"local",true]]'
    assert_equal "$(jq -r '.[] | select(.Destination == "/v") | .Name' <<<"$out")" "vol-$DRIVER"
    assert_equal "$(jq -c '[.[] | select(.Type == "bind") | [.Source, .Destination, .RW]]' <<<"$out")" \
      "[[\"$BATS_TEST_TMPDIR\",\"/host\",false]]"
    assert_equal "$(wbx inspect -f '{{json .HostConfig.Tmpfs}}' "$id" | jq -cS .)" '{"/m":"ro","/run":"size=8k"}'
    # The named volume outlives the container; the anonymous one goes with rm -v.
    wbx rm -v "$id" >/dev/null
    assert_equal "$(wbx volume ls -q)" "vol-$DRIVER"
    run --separate-stderr wbrun --rm --mount "type=volume,src=vol-$DRIVER,dst=/v,readonly,volume-nocopy" \
      busybox sh -c 'cat /v/f; touch /v/g 2>/dev/null || echo read-only'
    assert_status 0
    assert_equal "$output" $'left\nread-only'
    wbx volume rm "vol-$DRIVER" >/dev/null
    rt_assert_clean "start/inspect ($DRIVER)"
  done
}

@test "bad tmpfs and mount specs: 125, one line naming the problem, nothing left" {
  local spec msg
  for DRIVER in "${RT_DRIVERS[@]}"; do
    echo "driver: $DRIVER"
    while IFS='|' read -r msg spec; do
      # shellcheck disable=SC2086
      run --separate-stderr wbrun --name bad -v /anon-data $spec busybox true
      assert_error_line 125 "$msg"
      assert_equal "$output" ""
      rt_assert_clean "$spec ($DRIVER)"
      assert_equal "$(wbx volume ls -q)" ""
    done <<'LIST'
the container path must be absolute|--tmpfs run
the container path must be absolute|--tmpfs /
the container path must be absolute|--tmpfs /a/../b
the container path must be absolute|--tmpfs //./
nosuid and nodev|--tmpfs /run:suid
nosuid and nodev|--tmpfs /run:rw,dev
tmpfs option "size=1x": expected a size|--tmpfs /run:size=1x
tmpfs option "mode=999": expected an octal mode|--tmpfs /run:mode=999
tmpfs option "uid=root": expected a numeric user id|--tmpfs /run:uid=root
tmpfs option "bogus": unknown option|--tmpfs /run:bogus
tmpfs option "tmpcopyup": unknown option|--tmpfs /run:tmpcopyup
duplicate mount point: /anon-data|--tmpfs /anon-data/
duplicate mount point: /x|--tmpfs /x --mount type=volume,target=//x
a tmpfs has no source|--mount type=tmpfs,source=foo,target=/x
target is required|--mount type=tmpfs
tmpfs-size: a size such as|--mount type=tmpfs,target=/x,tmpfs-size=lots
expected an octal mode|--mount type=tmpfs,target=/x,tmpfs-mode=9
type must be bind, volume or tmpfs|--mount type=nfs,target=/x
the source of type=volume is a volume name|--mount type=volume,source=/etc,target=/x
only the "local" volume driver exists|--mount type=volume,target=/x,volume-driver=nfs
volume-nocopy=false is not supported|--mount type=volume,target=/x,volume-nocopy=false
unsupported field "volume-opt"|--mount type=volume,target=/x,volume-opt=o=x
tmpfs-size and tmpfs-mode are for type=tmpfs|--mount type=bind,source=/tmp,target=/x,tmpfs-size=1
field "readonly" is true or false|--mount type=tmpfs,target=/x,readonly=maybe
the source of type=bind is an absolute host path|--mount type=bind,source=rel,target=/x
LIST
  done
}

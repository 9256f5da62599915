# setup.sh - preparing the peers for bench/run.sh (sourced, not run).
#
# Every function reads the globals run.sh sets (work, wb, wb_root, ...) and
# records what it started in $work/state.env, so cleanup.sh can undo it even
# after a crash, by pid.

say() { printf 'bench: %s\n' "$*" >&2; }
die() {
  printf 'bench: error: %s\n' "$*" >&2
  exit 1
}

# Remembers a value for cleanup (KEY=VALUE lines, sourced back by cleanup).
record() { printf '%s=%q\n' "$1" "$2" >>"$work/state.env"; }

bench_packages=(crun runc podman docker.io hyperfine gnuplot-nox jq busybox-static)

install_peers() {
  local missing=() p
  for p in "${bench_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  say "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2 ||
    die "apt-get install ${missing[*]} failed"
}

build_whalebox() {
  if [[ ! -f $build/build.ninja ]]; then
    say "configuring $build (release)"
    meson setup "$build" "$src" --buildtype=release >"$work/meson.log" 2>&1 ||
      { tail -20 "$work/meson.log" >&2; die "meson setup $build failed (see above)"; }
  fi
  say "building $build"
  ninja -C "$build" >"$work/ninja.log" 2>&1 ||
    { grep -m 20 -E 'error|FAILED' "$work/ninja.log" >&2; die "ninja -C $build failed; use --build-dir DIR to benchmark an existing build"; }
}

# A busybox root filesystem tarball: the project's script when it exists,
# else a minimal tree around a static /bin/busybox.
make_busybox_tar() {
  local out=$1
  if [[ -x $src/scripts/make-busybox-image.sh ]]; then
    "$src/scripts/make-busybox-image.sh" "$out" 2>>"$work/setup.log" && return 0
    say "scripts/make-busybox-image.sh failed; building the rootfs from /bin/busybox"
  fi
  local bb stage applet
  bb=$(readlink -f /bin/busybox)
  [[ -x $bb ]] || die "no /bin/busybox to build the image from"
  ldd "$bb" >/dev/null 2>&1 && die "$bb is dynamically linked; install busybox-static"
  stage=$work/bb-stage
  rm -rf "$stage"
  mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,etc,dev,proc,sys,tmp,root,var/tmp,run}
  chmod 1777 "$stage/tmp" "$stage/var/tmp"
  cp "$bb" "$stage/bin/busybox"
  "$bb" --list-full | while read -r applet; do
    [[ -z $applet || $applet == bin/busybox ]] && continue
    ln -sfn /bin/busybox "$stage/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$stage/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$stage/etc/group"
  : >"$stage/etc/hosts"
  : >"$stage/etc/hostname"
  : >"$stage/etc/resolv.conf"
  tar -cf "$out" --numeric-owner --owner=0 --group=0 -C "$stage" .
  rm -rf "$stage"
}

# The OCI bundle used by crun and runc: the same rootfs, `crun spec`'s
# defaults (pid, net, ipc, uts, mount namespaces; read-only root) with no
# terminal and /bin/true as the process.
make_bundle() {
  local bundle=$1 tarball=$2 specgen
  mkdir -p "$bundle/rootfs"
  tar -xf "$tarball" -C "$bundle/rootfs"
  if command -v crun >/dev/null; then specgen=crun; else specgen=runc; fi
  (cd "$bundle" && rm -f config.json && "$specgen" spec) || die "$specgen spec failed"
  jq '.process.terminal = false | .process.args = ["/bin/true"] | .root.readonly = true
      | .hostname = "bench"' "$bundle/config.json" >"$bundle/config.json.new"
  mv "$bundle/config.json.new" "$bundle/config.json"
  jq -e '[.linux.namespaces[].type] | index("network")' "$bundle/config.json" >/dev/null ||
    die "the generated OCI spec has no network namespace"
}

# crun 1.8 refuses the hybrid layout (v1 controllers plus a cgroup2 mount at
# /sys/fs/cgroup/unified): a private mount namespace in which that mount is
# replaced by an empty tmpfs (without the tmpfs crun would write into the
# host's /sys/fs/cgroup tmpfs underneath).  podman's crun runs there too.
# The holder is a sleeping bash renamed wb-bench-nsholder, killed by pid.
start_ns_holder() {
  if [[ $(stat -f -c %T /sys/fs/cgroup 2>/dev/null) != tmpfs ]] ||
    [[ $(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null) != cgroup2fs ]]; then
    say "cgroups are not hybrid here: crun and podman run in the host's mount namespace"
    ns_pid=
    return 0
  fi
  local ready=$work/ns.ready i
  rm -f "$ready"
  unshare -m --propagation private bash -c '
    umount /sys/fs/cgroup/unified &&
      mount -t tmpfs -o size=16m,mode=0755 wb-bench-cg /sys/fs/cgroup/unified &&
      : >"$1" && exec -a wb-bench-nsholder sleep infinity' wb-bench-ns "$ready" \
    </dev/null >/dev/null 2>>"$work/setup.log" &
  ns_pid=$!
  record ns_pid "$ns_pid"
  for ((i = 0; i < 100; i++)); do
    [[ -e $ready ]] && return 0
    kill -0 "$ns_pid" 2>/dev/null || break
    sleep 0.05
  done
  die "could not prepare the private mount namespace for crun (see $work/setup.log)"
}

# Runs a command in the crun/podman mount namespace.
in_ns() {
  if [[ -n ${ns_pid:-} ]]; then nsenter -t "$ns_pid" -m -- "$@"; else "$@"; fi
}

# A dockerd of our own (own socket, data and exec roots, no iptables, no
# bridge, its containers' cgroups under wb-bench-docker) in the background; stopped by pid in cleanup.
start_dockerd() {
  local i
  mkdir -p "$docker_data" "$docker_exec"
  dockerd --iptables=false --ip6tables=false --bridge=none --cgroup-parent "$cg_parent-docker" \
    --data-root "$docker_data" --exec-root "$docker_exec" \
    --pidfile "$docker_exec.pid" -H "unix://$docker_sock" \
    </dev/null >"$work/dockerd.log" 2>&1 &
  dockerd_pid=$!
  record dockerd_pid "$dockerd_pid"
  for ((i = 0; i < 300; i++)); do
    if [[ -S $docker_sock ]] && "${docker[@]}" info >/dev/null 2>&1; then
      return 0
    fi
    kill -0 "$dockerd_pid" 2>/dev/null || break
    sleep 0.1
  done
  tail -5 "$work/dockerd.log" >&2
  return 1
}

# An image tree of about $2 bytes in $3 tarballs $1-0.tar ... (the same
# files plus one naming the round, so that every round imports a new layer
# rather than one the store already holds); prints the file count.
make_import_tarballs() {
  local out=$1 bytes=$2 count=$3 tree=$work/import-tree files r
  rm -rf "$tree"
  files=$("$python" "$here/lib/bench.py" tree "$tree" "$bytes")
  for ((r = 0; r < count; r++)); do
    echo "$r" >"$work/bench-round"
    tar -cf "$out-$r.tar" -C "$work" bench-round -C "$tree" .
  done
  rm -rf "$tree" "$work/bench-round"
  echo "$((files + 1))"
}

# A base image: the busybox tree plus $2 bytes of data, imported as $3.
make_commit_base() {
  local bytes=$1 image=$2 dir=$work/commit-base tar=$work/commit-base.tar
  rm -rf "$dir"
  mkdir -p "$dir"
  tar -xf "$busybox_tar" -C "$dir"
  "$python" "$here/lib/bench.py" tree "$dir/data" "$bytes" >/dev/null
  tar -cf "$tar" -C "$dir" .
  rm -rf "$dir"
  "${wb[@]}" import "$tar" "$image" >/dev/null || die "whalebox import of the $image base failed"
  rm -f "$tar"
}

# cleanup.sh - undoing everything bench/run.sh created (sourced, not run).
#
# Safe to run after a crash at any point and more than once: it works from
# what is on disk ($work/state.env, the dedicated state roots) and only
# touches containers, processes and cgroups the benchmark made: whalebox's
# dedicated root, crun/runc containers named wb-bench-*, the containers of
# podman's and docker's dedicated stores, and processes by recorded pid after
# checking their command line.

# pid_is PID PATTERN: the process exists and its command line matches.
pid_is() {
  [[ -n $1 && -r /proc/$1/cmdline ]] || return 1
  tr '\0' ' ' </proc/"$1"/cmdline | grep -q -- "$2"
}

# Waits up to $2 tenths of a second for pid $1 to end.
wait_gone() {
  local i
  for ((i = 0; i < $2; i++)); do
    kill -0 "$1" 2>/dev/null || return 0
    sleep 0.1
  done
  return 1
}

cleanup_whalebox() {
  [[ -d $wb_root/containers ]] || return 0
  local ids
  ids=$(ls "$wb_root/containers" 2>/dev/null) || true
  if [[ -n $ids && -x ${wb[0]} ]]; then
    say "cleanup: removing $(wc -w <<<"$ids") whalebox containers"
    # shellcheck disable=SC2086
    "${wb[@]}" rm -f $ids >/dev/null 2>&1 || true
  fi
}

cleanup_oci() {
  local rt=$1 ids id
  command -v "$rt" >/dev/null || return 0
  if [[ $rt == crun ]]; then
    ids=$(in_ns crun list -q 2>/dev/null | grep '^wb-bench-') || true
  else
    ids=$(runc list -q 2>/dev/null | grep '^wb-bench-') || true
  fi
  [[ -z $ids ]] && return 0
  say "cleanup: deleting $(wc -w <<<"$ids") $rt containers"
  for id in $ids; do
    if [[ $rt == crun ]]; then in_ns crun delete -f "$id"; else runc delete -f "$id"; fi
  done >/dev/null 2>&1
}

cleanup_podman() {
  command -v podman >/dev/null && [[ -d $podman_store ]] || return 0
  local ids
  ids=$(in_ns "${podman[@]}" ps -aq 2>/dev/null) || true
  if [[ -n $ids ]]; then
    say "cleanup: removing $(wc -w <<<"$ids") podman containers"
    # shellcheck disable=SC2086
    in_ns "${podman[@]}" rm -f -t 0 $ids >/dev/null 2>&1 || true
  fi
}

cleanup_docker() {
  local pid=${dockerd_pid:-} ids cpid
  pid_is "$pid" "$docker_sock" || return 0
  ids=$("${docker[@]}" ps -aq 2>/dev/null) || true
  if [[ -n $ids ]]; then
    say "cleanup: removing $(wc -w <<<"$ids") docker containers"
    # shellcheck disable=SC2086
    "${docker[@]}" rm -f $ids >/dev/null 2>&1 || true
  fi
  # dockerd stops the containerd it started; note its pid to make sure.
  cpid=$(cat "$docker_exec/containerd/containerd.pid" 2>/dev/null) || true
  say "cleanup: stopping dockerd (pid $pid)"
  kill -TERM "$pid" 2>/dev/null
  wait_gone "$pid" 300 || { say "cleanup: dockerd did not stop, killing it"; kill -KILL "$pid"; }
  if pid_is "$cpid" "$docker_exec/containerd"; then
    kill -TERM "$cpid" 2>/dev/null
    wait_gone "$cpid" 100 || kill -KILL "$cpid" 2>/dev/null
  fi
}

cleanup_cgroups() {
  local d
  # Ours: wb-bench (whalebox), wb-bench-podman, wb-bench-docker and the
  # wb-bench-* ids of crun and runc containers.
  for d in /sys/fs/cgroup/*/"$cg_parent"* /sys/fs/cgroup/"$cg_parent"*; do
    [[ -d $d ]] || continue
    # rmdir only ever removes empty cgroups: anything still in use stays.
    find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
    [[ -d $d ]] && say "cleanup: cgroup $d is still in use"
  done
  return 0
}

cleanup_mounts() {
  # Mounts our containers left under the work dir (after a crash).
  local m
  awk -v w="$work/" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
    while read -r m; do
      say "cleanup: unmounting $m"
      umount -l "$m" 2>/dev/null
    done
}

cleanup_all() {
  set +e
  trap - EXIT INT TERM
  [[ -f $work/state.env ]] && source "$work/state.env"
  cleanup_whalebox
  cleanup_oci crun
  cleanup_oci runc
  cleanup_podman
  cleanup_docker
  if pid_is "${ns_pid:-}" wb-bench-nsholder; then
    kill -TERM "$ns_pid"
    wait_gone "$ns_pid" 50
  fi
  ns_pid=
  cleanup_cgroups
  cleanup_mounts
  # Whalebox's runroot: <root>/run points into /dev/shm.
  local home
  home=$(readlink "$work/root/run" 2>/dev/null)
  [[ $home == /dev/shm/whalebox-* ]] && rm -rf -- "$home"
  if [[ -d $work ]]; then
    rm -rf --one-file-system "$work" || say "cleanup: could not remove all of $work"
  fi
}

#!/bin/bash
# bench/run.sh - Whalebox side by side with crun, runc, podman and docker.
#
# Usage: bench/run.sh [--quick] [--only LIST] [--peers LIST] [--build-dir DIR]
#                     [--rounds N] [--out DIR] [--no-install]
#
#   --quick          fewer rounds and containers, no 1000-container ps, peers
#                    that are not installed are skipped (nothing installed)
#   --only LIST      comma-separated measures: startup, detach, ps, memory,
#                    exec, import, commit (default: all)
#   --peers LIST     comma-separated peers to compare with: crun, runc, podman,
#                    docker (default: all; the floor is always measured).
#                    Fewer peers isolate what one of them does to the others
#   --build-dir DIR  benchmark this existing build (DIR/core/whalebox and
#                    DIR/plugins) instead of building build-bench (release)
#   --rounds N       rounds of the start-up measure (default 20, quick 5)
#   --out DIR        where RESULTS.md, results.json and startup.png go
#                    (default: bench/ for a full run, else /var/tmp/wb-bench-out)
#   --no-install     do not apt-get install missing peers
#
# Needs root. Everything it creates (containers, images, cgroups, mounts,
# dockerd) is removed at exit, even on failure; podman's and docker's image
# stores (/var/lib/wb-bench-podman, /var/lib/wb-bench-docker) stay as caches.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/.." && pwd)
# shellcheck source=lib/setup.sh
source "$here/lib/setup.sh"
# shellcheck source=lib/cleanup.sh
source "$here/lib/cleanup.sh"

usage() {
  sed -n '4,21p' "$0" | sed 's/^# \{0,1\}//'
  exit "${1:-0}"
}

quick=0
build_given=0
only=startup,detach,ps,memory,exec,import,commit
peers=crun,runc,podman,docker
build=
rounds=
out=
install=1
while [[ $# -gt 0 ]]; do
  case $1 in
  -h | --help) usage 0 ;;
  --quick) quick=1 install=0; shift ;;
  --only) only=${2:?--only needs a list}; shift 2 ;;
  --only=*) only=${1#*=}; shift ;;
  --peers) peers=${2?--peers needs a list}; shift 2 ;;
  --peers=*) peers=${1#*=}; shift ;;
  --build-dir) build=${2:?--build-dir needs a directory} build_given=1; shift 2 ;;
  --rounds) rounds=${2:?--rounds needs a number}; shift 2 ;;
  --out) out=${2:?--out needs a directory}; shift 2 ;;
  --no-install) install=0; shift ;;
  *) echo "bench: unknown option $1" >&2; usage 2 ;;
  esac
done
for m in ${only//,/ }; do
  case $m in
  startup | detach | ps | memory | exec | import | commit) ;;
  *) die "unknown measure '$m' in --only" ;;
  esac
done
for p in ${peers//,/ }; do
  case $p in
  crun | runc | podman | docker) ;;
  *) die "unknown peer '$p' in --peers" ;;
  esac
done
[[ -z $rounds || $rounds =~ ^[1-9][0-9]*$ ]] || die "--rounds needs a positive number"
[[ $(id -u) -eq 0 ]] || die "needs root (containers, cgroups, mounts)"
wants() { [[ ,$only, == *,$1,* ]]; }

full=0
[[ $quick -eq 0 && $only == startup,detach,ps,memory,exec,import,commit &&
  $peers == crun,runc,podman,docker ]] && full=1
if [[ -z $out ]]; then
  if [[ $full -eq 1 ]]; then out=$here; else out=/var/tmp/wb-bench-out; fi
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)

# One benchmark at a time on this machine.
exec 9>/var/tmp/wb-bench.lock
flock -n 9 || die "another bench/run.sh is running (/var/tmp/wb-bench.lock)"

work=/var/tmp/wb-bench
wb_root=$work/root
cg_parent=wb-bench
podman_store=/var/lib/wb-bench-podman
podman=(podman --root "$podman_store/storage" --runroot /run/wb-bench-podman/storage
  --tmpdir /run/wb-bench-podman/libpod)
docker_data=/var/lib/wb-bench-docker
docker_exec=/run/wb-bench-docker
docker_sock=/run/wb-bench-docker.sock
docker=(/usr/bin/docker -H "unix://$docker_sock")
ns_pid=
dockerd_pid=
python=$(command -v /usr/bin/python3 python3 | head -1)
[[ -n $python ]] || die "needs python3"
if [[ -n $build ]]; then
  build=$(cd "$build" && pwd) || die "no build dir $build"
else
  build=$src/build-bench
fi
wb_bin=$build/core/whalebox
wb=("$wb_bin" --config "$work/whalebox.conf" --root "$wb_root" --plugin-dir "$build/plugins")

# Leftovers of an interrupted run first, then ours at exit.
if [[ -d $work ]]; then
  say "cleaning up the leftovers of a previous run in $work"
  cleanup_all
fi
mkdir -p "$work"
: >"$work/state.env"
trap cleanup_all EXIT
trap 'exit 130' INT TERM

started=$(date +%s)

# -- peers and Whalebox ---------------------------------------------------------
[[ $install -eq 1 ]] && install_peers
command -v jq >/dev/null || die "needs jq"
[[ $build_given -eq 1 ]] || build_whalebox
[[ -x $wb_bin ]] || die "no whalebox binary at $wb_bin"

declare -A peer
for p in crun runc podman; do
  if command -v "$p" >/dev/null; then peer[$p]=true; else peer[$p]=false; fi
done
peer[docker]=false
[[ -x /usr/bin/docker ]] && command -v dockerd >/dev/null && peer[docker]=true
for p in crun runc podman docker; do
  [[ ,$peers, == *,$p,* ]] || peer[$p]=false
done
if [[ $quick -eq 0 ]]; then
  for p in ${peers//,/ }; do
    [[ ${peer[$p]} == true ]] || die "$p is not installed (run without --no-install, or use --quick)"
  done
fi
# Peers only the selected measures need.
wants startup || { peer[runc]=false; }
wants startup || wants ps || { peer[crun]=false; }
if ! wants startup && ! wants detach && ! wants ps && ! wants memory && ! wants exec; then
  peer[podman]=false peer[docker]=false
fi

# -- the one busybox root filesystem --------------------------------------------
busybox_tar=$work/busybox.tar
say "preparing the busybox root filesystem"
make_busybox_tar "$busybox_tar"
make_bundle "$work/bundle" "$busybox_tar"
rootfs=$work/bundle/rootfs

cat >"$work/whalebox.conf" <<EOF
root = "$wb_root";
plugin_dir = "$build/plugins";
storage: { driver = "overlay"; };
cgroup: { driver = "auto"; parent = "$cg_parent"; };
log: { driver = "file"; };
EOF
"${wb[@]}" import "$busybox_tar" busybox >/dev/null || die "whalebox import failed"
has_commit=false
"${wb[@]}" commit --help >/dev/null 2>&1 && has_commit=true

if [[ ${peer[crun]} == true || ${peer[podman]} == true ]]; then
  start_ns_holder
fi
if [[ ${peer[podman]} == true ]]; then
  say "importing the image into podman ($podman_store)"
  if ! in_ns "${podman[@]}" import "$busybox_tar" wb-bench-busybox >/dev/null 2>>"$work/setup.log"; then
    [[ $quick -eq 1 ]] || die "podman import failed (see $work/setup.log)"
    say "podman import failed: skipping podman"
    peer[podman]=false
  fi
fi
if [[ ${peer[docker]} == true ]]; then
  say "starting dockerd ($docker_sock)"
  if start_dockerd; then
    "${docker[@]}" import "$busybox_tar" wb-bench-busybox >/dev/null || die "docker import failed"
  elif [[ $quick -eq 1 ]]; then
    say "dockerd did not start: skipping docker"
    peer[docker]=false
  else
    die "dockerd did not start (see $work/dockerd.log)"
  fi
fi

if [[ $quick -eq 1 ]]; then
  r_startup=${rounds:-5} r_other=5 r_import=2 r_commit=2 n_detach=20 n_big=0 warmup=1
else
  r_startup=${rounds:-20} r_other=20 r_import=5 r_commit=10 n_detach=100 n_big=1000 warmup=2
fi

import_bytes=$((200 * 1024 * 1024))
[[ $quick -eq 1 ]] && import_bytes=$((50 * 1024 * 1024))
import_files=0
if wants import; then
  say "writing $((r_import + 1)) import tarballs of $((import_bytes >> 20)) MB"
  import_files=$(make_import_tarballs "$work/import" "$import_bytes" $((r_import + 1)))
fi
commit_small=$((8 * 1024 * 1024))
commit_big=$((498 * 1024 * 1024))
if wants commit && [[ $has_commit == true ]]; then
  say "importing the 10 MB and 500 MB commit bases"
  make_commit_base "$commit_small" wb-bench-base-10mb
  make_commit_base "$commit_big" wb-bench-base-500mb
fi

only_json=$(printf '%s\n' ${only//,/ } | jq -R . | jq -s .)
jq -n \
  --arg work "$work" --arg wb_root "$wb_root" --arg cg "$cg_parent" \
  --argjson wb "$(printf '%s\n' "${wb[@]}" | jq -R . | jq -s .)" \
  --argjson podman "$(printf '%s\n' "${podman[@]}" | jq -R . | jq -s .)" \
  --argjson docker "$(printf '%s\n' "${docker[@]}" | jq -R . | jq -s .)" \
  --arg crun "$(command -v crun || true)" --arg runc "$(command -v runc || true)" \
  --arg bundle "$work/bundle" --arg rootfs "$rootfs" \
  --arg unshare "$(command -v unshare)" --arg chroot "$(command -v chroot)" \
  --arg tar "$(command -v tar)" --arg ns "${ns_pid:-}" \
  --argjson peers "{\"crun\":${peer[crun]},\"runc\":${peer[runc]},\"podman\":${peer[podman]},\"docker\":${peer[docker]}}" \
  --argjson has_commit "$has_commit" --argjson only "$only_json" \
  --argjson rs "$r_startup" --argjson ro "$r_other" --argjson ri "$r_import" --argjson rc "$r_commit" \
  --argjson warm "$warmup" --argjson nd "$n_detach" --argjson nb "$n_big" \
  --arg itar "$work/import" --argjson ifiles "$import_files" \
  --argjson cs "$commit_small" --argjson cb "$commit_big" --argjson bbsize "$(stat -c %s "$busybox_tar")" \
  '{workdir: $work, only: $only, peers: $peers, ns_pid: (if $ns == "" then null else ($ns | tonumber) end),
    whalebox: {argv: $wb, root: $wb_root, cgroup_parent: $cg, image: "busybox", has_commit: $has_commit},
    podman: {argv: $podman, image: "wb-bench-busybox", cgroup_parent: ("/" + $cg + "-podman")},
    docker: {argv: $docker, image: "wb-bench-busybox"},
    crun: {bin: $crun, state: "/run/crun"}, runc: {bin: $runc, state: "/run/runc"},
    bundle: $bundle, rootfs: $rootfs, unshare: $unshare, chroot: $chroot, tar: $tar,
    rounds: {startup: $rs, exec: $ro, ps: $ro, import: $ri, commit: $rc, warmup: $warm},
    counts: {detach: $nd, ps_big: $nb},
    import: {tarball_prefix: $itar, files: $ifiles},
    commit: {bases: {"10 MB": "wb-bench-base-10mb", "500 MB": "wb-bench-base-500mb"},
             base_bytes: {"10 MB": ($cs + $bbsize), "500 MB": ($cb + $bbsize)}}}' \
  >"$work/config.json"

# -- measure, report, chart --------------------------------------------------------
say "setup took $(($(date +%s) - started)) s; measuring ($only)"
bench_rc=0
"$python" "$here/lib/bench.py" run "$work/config.json" "$work/results.json" || bench_rc=$?
[[ -s $work/results.json ]] || die "the measures wrote no results"

versions=$work/versions.json
{
  echo "{"
  printf '"whalebox": %s,\n' "$("${wb[@]}" version 2>/dev/null | head -1 | jq -R .)"
  printf '"crun": %s,\n' "$(crun --version 2>/dev/null | head -1 | jq -R .)"
  printf '"runc": %s,\n' "$(runc --version 2>/dev/null | head -1 | jq -R .)"
  printf '"podman": %s,\n' "$(podman --version 2>/dev/null | head -1 | jq -R .)"
  printf '"docker": %s,\n' "$( (dockerd --version 2>/dev/null || true) | head -1 | jq -R .)"
  printf '"GNU tar": %s\n' "$(tar --version | head -1 | jq -R .)"
  echo "}"
} >"$versions"

"$python" "$here/lib/report.py" --results "$work/results.json" --config "$work/config.json" \
  --versions "$versions" --src "$src" --build "$build" --quick "$quick" \
  --elapsed "$(($(date +%s) - started))" --out "$out"
if command -v gnuplot >/dev/null && [[ -s $out/startup.dat ]]; then
  gnuplot -e "datafile='$out/startup.dat'; outfile='$out/startup.png'" "$here/plot.gp" ||
    say "gnuplot failed"
  rm -f "$out/startup.dat"
fi
say "done in $(($(date +%s) - started)) s: $out/RESULTS.md"
exit "$bench_rc"

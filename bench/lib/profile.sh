#!/bin/bash
# profile.sh - where the time of `whalebox run --rm busybox /bin/true` goes.
#
# Usage: bench/lib/profile.sh [--build-dir DIR] [--runs N] [--tmpfs]
#
# --tmpfs puts the state root on a tmpfs of its own: what a run costs when
# the container's directories and files are not created on the (here
# journal-less, discard-mounted) ext4.
#
# Uses its own state root (/var/tmp/wb-bench-profile) and cgroup parent
# (wb-bench-profile), both removed at exit. Prints:
#   1. perf stat over N runs: wall time, CPU time, context switches;
#   2. off-CPU time per cause (kernel stack at each switch-out, lib/offcpu.py);
#   3. on-CPU time in the main kernel and user paths (perf record -g);
#   4. the cost of starting the whalebox binary itself;
#   5. syscall counts of one run (strace -c -f) and the files, directories and
#      symlinks it creates on the state root's file system.
# Needs root and perf; build-bench (release) by default.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$src/build-bench
runs=30
tmpfs=0
while [[ $# -gt 0 ]]; do
  case $1 in
  --build-dir) build=$(cd "${2:?}" && pwd); shift 2 ;;
  --runs) runs=${2:?}; shift 2 ;;
  --tmpfs) tmpfs=1; shift ;;
  -h | --help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "profile: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ $(id -u) -eq 0 ]] || { echo "profile: needs root" >&2; exit 1; }
command -v perf >/dev/null || { echo "profile: needs perf (apt-get install linux-perf)" >&2; exit 1; }
[[ -x $build/core/whalebox ]] || { echo "profile: no $build/core/whalebox (run bench/run.sh or ninja -C $build)" >&2; exit 1; }

exec 9>/var/tmp/wb-bench.lock
flock -n 9 || { echo "profile: bench/run.sh is running" >&2; exit 1; }

dir=/var/tmp/wb-bench-profile
cg=wb-bench-profile
wb=("$build/core/whalebox" --root "$dir/root" --plugin-dir "$build/plugins")
run=("${wb[@]}" run --rm --cgroup-parent "$cg" busybox /bin/true)

cleanup() {
  set +e
  local ids d
  ids=$(ls "$dir/root/containers" 2>/dev/null)
  # shellcheck disable=SC2086
  [[ -n $ids ]] && "${wb[@]}" rm -f $ids >/dev/null 2>&1
  for d in /sys/fs/cgroup/*/"$cg" /sys/fs/cgroup/"$cg"; do
    [[ -d $d ]] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  awk -v w="$dir/" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
    while read -r m; do umount -l "$m"; done
  # The runroot: <root>/run points into /dev/shm.
  local home
  home=$(readlink "$dir/root/run" 2>/dev/null)
  [[ $home == /dev/shm/whalebox-* ]] && rm -rf -- "$home"
  mountpoint -q "$dir" && umount "$dir"
  rm -rf --one-file-system "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cleanup
mkdir -p "$dir"
[[ $tmpfs -eq 1 ]] && mount -t tmpfs -o size=512m,mode=0700 wb-bench-profile "$dir"

if [[ -x $src/scripts/make-busybox-image.sh ]]; then
  "$src/scripts/make-busybox-image.sh" "$dir/busybox.tar" 2>/dev/null
else
  echo "profile: needs scripts/make-busybox-image.sh" >&2
  exit 1
fi
"${wb[@]}" import "$dir/busybox.tar" busybox >/dev/null
for _ in 1 2 3; do "${run[@]}"; done

loop="echo \$\$ >$dir/loop.pid; for i in \$(seq $runs); do $(printf '%q ' "${run[@]}"); done"

echo "== whalebox run --rm busybox /bin/true: $runs runs, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), state root on $(df --output=fstype "$dir" | tail -1 | tr -d ' ')"
echo
echo "-- 1. perf stat (CPU time includes the container's processes)"
perf stat -r "$runs" -e task-clock,context-switches,cpu-migrations,page-faults "${run[@]}" 2>&1 |
  grep -E 'task-clock|context|migrations|faults|elapsed' | sed 's/^ */   /'
echo
echo "-- 2. off-CPU time per cause (both whalebox processes and the container's; they overlap)"
perf record -q -a -g -e sched:sched_switch -e sched:sched_process_fork -e sched:sched_process_exit \
  -o "$dir/sw.data" -- sh -c "$loop" 2>/dev/null
perf script -i "$dir/sw.data" 2>/dev/null | "$here/offcpu.py" --comm whalebox --comm true --runs "$runs" \
  --root-pid-file "$dir/loop.pid"
echo
echo "-- 3. on-CPU: ms per run in the main paths (inclusive; sampled at 10 kHz)"
perf record -q -F 10000 -g -o "$dir/cpu.data" -- sh -c "$loop" 2>/dev/null
perf report -i "$dir/cpu.data" --comm whalebox,true --children -g none --sort sym --stdio 2>/dev/null |
  awk -v runs="$runs" -v total="$(perf report -i "$dir/cpu.data" --comm whalebox,true --stdio -g none --sort comm 2>/dev/null | awk '/Event count/ {print $NF}')" '
    /%/ && $0 ~ /(_dl_start_user|_dl_relocate_object|_dl_lookup_symbol_x|__ext4_new_inode|ovl_fill_super|ovl_create_real|__x64_sys_mkdir|__x64_sys_mkdirat|do_rmdir|do_unlinkat|__x64_sys_rename|__do_sys_clone3|copy_net_ns|create_new_namespaces|__x64_sys_mount|__x64_sys_umount|__x64_sys_openat2|do_seccomp|cgroup_mkdir|cgroup_rmdir|cgroup_attach_task|__x64_sys_execve|exc_page_fault|do_exit|ksys_write|__x64_sys_pivot_root|__x64_sys_fsync|ext4_sync_file)$/ {
      pct = $1; sub("%", "", pct)
      printf "   %6.2f ms  %5s  %s\n", pct / 100 * total / 1e6 / runs, $1, $NF
    }' | sort -rn | head -25
echo
echo "-- 4. process start-up alone: \`whalebox --version\` vs /bin/true (dynamic loading of $(ldd "$build/core/whalebox" | wc -l) libraries)"
for cmd in "$build/core/whalebox --version" "/bin/true"; do
  # shellcheck disable=SC2086
  printf '   %-28s %s\n' "${cmd##*/}" "$(perf stat -r 100 -e task-clock $cmd 2>&1 >/dev/null |
    awk '/task-clock/ {c=$1} /elapsed/ {printf "%.2f ms CPU, %.2f ms wall", c, $1 * 1000}')"
done
echo
echo "-- 5. one run under strace -f: syscalls and what it creates on the state root's file system"
strace -f -c -o "$dir/strace-c.txt" "${run[@]}"
head -25 "$dir/strace-c.txt" | sed 's/^/   /'
strace -f -o "$dir/strace.txt" -e trace=openat,mkdir,mkdirat,symlink,symlinkat,rename,renameat2,unlink,unlinkat,rmdir,fsync,fdatasync "${run[@]}"
creates='O_CREAT|mkdir(at)?\(|symlink(at)?\(|O_TMPFILE'
printf '   %s files/directories/symlinks created by path under the state root (%s), %s more relative to a directory fd\n' \
  "$(grep -E "$creates" "$dir/strace.txt" | grep -v EEXIST | grep -c "\"$dir/root")" \
  "$(df --output=fstype "$dir/root" | tail -1 | tr -d ' ')" \
  "$(grep -E "$creates" "$dir/strace.txt" | grep -v EEXIST | grep -vc '"/')"
printf '   %s renames, %s fsync/fdatasync, %s unlinks/rmdirs\n' \
  "$(grep -c 'rename' "$dir/strace.txt")" "$(grep -cE 'f(data)?sync\(' "$dir/strace.txt")" \
  "$(grep -E 'unlink|rmdir' "$dir/strace.txt" | grep -v ENOENT | grep -vc /sys/fs/cgroup)"

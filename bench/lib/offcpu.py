#!/usr/bin/env python3
"""offcpu.py - where a command's processes wait, from `perf script` of sched_switch.

Input: `perf record -a -g -e sched:sched_switch -e sched:sched_process_fork
-e sched:sched_process_exit -- CMD` turned into text by `perf script`.
Only CMD's own process tree counts (its root pid read from --root-pid-file,
followed through the fork and exit events: this machine runs other people's whalebox processes at the same
time).  For every task of that tree whose comm is in --comm, each switch-out
starts an off-CPU interval that ends when the task is switched in again; the
interval is charged to a cause taken from the kernel stack at the switch-out
(first matching pattern below), or to "preempted (run queue)" when the task
was still runnable.  Prints the total per cause, per run (--runs).
"""

import argparse
import collections
import re
import sys

# (pattern in the switch-out stack, cause) - the first that matches wins.
CAUSES = [
    ("cgroup_procs_write", "cgroup v1: cgroup.procs write waits for an RCU grace period"),
    ("cgroup_attach", "cgroup attach"),
    ("namespace_unlock", "umount/namespace_unlock: RCU grace period"),
    ("mntput", "mount release"),
    ("blkdev_issue_discard", "ext4 file deletion: synchronous discard (fs mounted -o discard)"),
    ("ext4_sync|jbd2|fsync|file_write_and_wait", "fsync / journal"),
    ("submit_bio_wait|io_schedule|folio_wait", "block I/O"),
    ("synchronize_rcu", "other RCU grace period"),
    ("wait_for_completion", "other completion wait"),
    ("put_net|cleanup_net|copy_net_ns|setup_net", "network namespace"),
    ("do_wait|kernel_wait4|wait_consider_task", "waiting for a child (wait4/waitid)"),
    ("unix_dgram_recvmsg|unix_stream_read|sock_recvmsg", "waiting on a socket (sync with the other process)"),
    ("pipe_read|pipe_write", "waiting on a pipe"),
    ("do_sys_poll|do_epoll_wait|do_select", "poll/epoll"),
    ("futex", "futex"),
    ("exit_to_user_mode|irqentry_exit|__cond_resched|preempt_schedule", "preempted (run queue)"),
]

SW = re.compile(r"^\s*(\S.*?)\s+(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+sched:(sched_switch|sched_process_fork|sched_process_exit):\s+(.*)$")
KV = re.compile(r"(\w+)=(\S+)")


def classify(state, stack):
    text = " ".join(stack)
    if state.startswith("R"):
        return "preempted (run queue)"
    for pat, cause in CAUSES:
        if re.search(pat, text):
            return cause
    top = [s for s in stack if not re.match(r"(__)?schedule|schedule_", s)]
    return "other: " + (top[0] if top else "?")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--comm", action="append", default=[])
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--root-pid-file", required=True,
                    help="holds the pid of the workload (e.g. sh -c 'echo $$ >F; ...')")
    ap.add_argument("--top", type=int, default=14)
    args = ap.parse_args()
    comms = set(args.comm)
    with open(args.root_pid_file) as f:
        root = int(f.read().split()[0])

    events = []  # [kind, time, fields, stack]
    cur = None
    for line in sys.stdin:
        m = SW.match(line)
        if m:
            cur = [m.group(5), float(m.group(4)), dict(KV.findall(m.group(6))), []]
            events.append(cur)
            continue
        if cur is not None:
            parts = line.split()
            if len(parts) >= 2 and re.match(r"^[0-9a-f]+$", parts[0]):
                cur[3].append(parts[1].split("+")[0])

    tree = {root}  # pids of CMD's process tree, alive now
    out = {}  # pid -> (t, cause)
    total = collections.Counter()
    count = collections.Counter()
    for kind, t, kv, stack in events:
        if kind == "sched_process_fork":
            parent, child = int(kv.get("pid", -1)), int(kv.get("child_pid", -1))
            if parent in tree:
                tree.add(child)
            continue
        if kind == "sched_process_exit":
            tree.discard(int(kv.get("pid", -1)))
            continue
        ppid, npid = int(kv.get("prev_pid", -1)), int(kv.get("next_pid", -1))
        if npid in out:
            t0, cause = out.pop(npid)
            total[cause] += t - t0
            count[cause] += 1
        pstate = kv.get("prev_state", "")
        if ppid in tree and kv.get("prev_comm", "") in comms:
            if not pstate.startswith(("X", "Z")) and pstate != "I":
                out[ppid] = (t, classify(pstate, stack))

    runs = max(args.runs, 1)
    grand = sum(total.values())
    print(f"off-CPU time of {', '.join(sorted(comms))} per run: {grand / runs * 1e3:.2f} ms")
    for cause, secs in total.most_common(args.top):
        print(f"  {secs / runs * 1e3:7.2f} ms  {count[cause] / runs:6.1f}x  {cause}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""bench.py - the measures of bench/run.sh.

Reads the JSON description of the prepared peers written by run.sh (paths,
commands, which peers are available), runs the measures interleaved
(A B C A B C ...) and writes every raw sample to a JSON file that
report.py turns into RESULTS.md.

Timing: each command is started with posix_spawn (vfork-style, so the
spawn itself costs the same small amount for every tool) and timed from
just before the spawn to the return of waitpid.  crun and podman run in a
private mount namespace (the hybrid-cgroup quirk of these machines): this
process enters it with setns() before the spawn and leaves it after the
wait, so the namespace switch is never inside a timed interval.
"""

import argparse
import ctypes
import json
import os
import random
import shutil
import sys
import time

CLONE_NEWNS = 0x00020000
_libc = ctypes.CDLL(None, use_errno=True)


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


class CommandFailed(Exception):
    pass


class Result:
    def __init__(self, seconds, rc, out, err):
        self.seconds = seconds
        self.rc = rc
        self.out = out
        self.err = err


class Spawner:
    """Runs commands with stdin from /dev/null and stdout/stderr in files."""

    def __init__(self, workdir, ns_pid):
        self.out = open(os.path.join(workdir, "cmd.stdout"), "w+b")
        self.err = open(os.path.join(workdir, "cmd.stderr"), "w+b")
        self.null = os.open("/dev/null", os.O_RDONLY | os.O_CLOEXEC)
        self.cwd = os.getcwd()
        self.host_ns = os.open("/proc/self/ns/mnt", os.O_RDONLY | os.O_CLOEXEC)
        self.priv_ns = None
        if ns_pid:
            self.priv_ns = os.open(f"/proc/{ns_pid}/ns/mnt", os.O_RDONLY | os.O_CLOEXEC)
        self.paths = {}
        self.env = dict(os.environ)
        self.env.setdefault("LC_ALL", "C")

    def which(self, name):
        # Resolved once, outside the timed interval.
        path = self.paths.get(name)
        if path is None:
            path = shutil.which(name) if "/" not in name else name
            if path is None:
                raise CommandFailed(f"{name}: command not found")
            self.paths[name] = path
        return path

    def _setns(self, fd):
        if _libc.setns(fd, CLONE_NEWNS) != 0:
            e = ctypes.get_errno()
            raise OSError(e, f"setns: {os.strerror(e)}")
        # setns to a mount namespace resets the working directory.
        os.chdir(self.cwd)

    def run(self, argv, ns=False, check=True, env=None):
        for f in (self.out, self.err):
            f.seek(0)
            f.truncate()
        fa = [
            (os.POSIX_SPAWN_DUP2, self.null, 0),
            (os.POSIX_SPAWN_DUP2, self.out.fileno(), 1),
            (os.POSIX_SPAWN_DUP2, self.err.fileno(), 2),
        ]
        path = self.which(argv[0])
        entered = False
        if ns and self.priv_ns is not None:
            self._setns(self.priv_ns)
            entered = True
        try:
            t0 = time.perf_counter_ns()
            pid = os.posix_spawn(path, argv, env or self.env, file_actions=fa)
            _, status = os.waitpid(pid, 0)
            t1 = time.perf_counter_ns()
        finally:
            if entered:
                self._setns(self.host_ns)
        rc = os.waitstatus_to_exitcode(status)
        self.out.seek(0)
        self.err.seek(0)
        res = Result((t1 - t0) / 1e9, rc, self.out.read().decode(errors="replace"),
                     self.err.read().decode(errors="replace"))
        if check and rc != 0:
            raise CommandFailed(f"{' '.join(argv)}: exit {rc}: {res.err.strip()[-400:]}")
        return res


class Bench:
    def __init__(self, cfg, spawner):
        self.cfg = cfg
        self.sp = spawner
        self.peers = cfg["peers"]  # name -> bool (available)
        self.results = {"measures": {}, "notes": []}
        self.wb = cfg["whalebox"]["argv"]
        self.cgparent = cfg["whalebox"]["cgroup_parent"]
        self.seq = 0

    # -- helpers ------------------------------------------------------------

    def have(self, peer):
        return self.peers.get(peer, False)

    def uid(self, prefix):
        self.seq += 1
        return f"wb-bench-{prefix}-{os.getpid()}-{self.seq}"

    def note(self, msg):
        log(msg)
        self.results["notes"].append(msg)

    def podman(self, *args):
        return self.cfg["podman"]["argv"] + list(args)

    def docker(self, *args):
        return self.cfg["docker"]["argv"] + list(args)

    def interleave(self, rounds, warmup, tools, measure):
        """Runs every tool once per round, rotating the order; returns samples and failures.

        tools: list of (name, fn) where fn(round) -> seconds.  A tool that
        fails is dropped from the rest of the measure with its error kept.
        """
        samples = {name: [] for name, _ in tools}
        failures = {}
        active = list(tools)
        for r in range(warmup + rounds):
            # Rotate the order every round so that each tool follows each
            # other tool equally often: what one tool leaves behind (an RCU
            # grace period in flight, dirty pages, discards) is shared evenly.
            k = r % len(active) if active else 0
            for name, fn in active[k:] + active[:k]:
                try:
                    s = fn(r)
                except CommandFailed as e:
                    failures[name] = str(e)
                    self.note(f"{measure}: {name} failed, dropped: {e}")
                    active.remove((name, fn))
                    continue
                if r >= warmup:
                    samples[name].append(s)
            if r >= warmup and ((r - warmup) % 5 == 4 or r == warmup + rounds - 1):
                log(f"{measure}: round {r + 1 - warmup}/{rounds} done")
        return samples, failures

    # -- (1) start-to-exit of true -----------------------------------------

    def startup_tools(self):
        c = self.cfg
        tools = []
        tools.append(("whalebox", lambda r: self.sp.run(
            self.wb + ["run", "--rm", "--cgroup-parent", self.cgparent,
                       c["whalebox"]["image"], "/bin/true"]).seconds))
        if self.have("crun"):
            tools.append(("crun", lambda r: self._oci_run("crun", True)))
        if self.have("runc"):
            tools.append(("runc", lambda r: self._oci_run("runc", False)))
        if self.have("podman"):
            tools.append(("podman", lambda r: self.sp.run(
                self.podman("run", "--rm", "--network", "none",
                            "--cgroup-parent", c["podman"]["cgroup_parent"],
                            "--ulimit", "nofile=20000:20000",
                            "--ulimit", "nproc=32768:32768",
                            c["podman"]["image"], "/bin/true"), ns=True).seconds))
        if self.have("docker"):
            tools.append(("docker", lambda r: self.sp.run(
                self.docker("run", "--rm", "--network", "none",
                            c["docker"]["image"], "/bin/true")).seconds))
        tools.append(("floor", lambda r: self.sp.run(
            [c["unshare"], "--fork", "--pid", "--mount", "--uts", "--ipc", "--net",
             c["chroot"], c["rootfs"], "/bin/true"]).seconds))
        return tools

    def _oci_run(self, rt, ns):
        """`crun|runc run` with a fresh id: start to exit, container deleted."""
        cid = self.uid(rt)
        bin_ = self.cfg[rt]["bin"]
        try:
            res = self.sp.run([bin_, "run", "--bundle", self.cfg["bundle"], cid], ns=ns)
        finally:
            # `run` without --detach deletes the container itself; make sure.
            if os.path.exists(os.path.join(self.cfg[rt]["state"], cid)):
                self.sp.run([bin_, "delete", "--force", cid], ns=ns, check=False)
        return res.seconds

    def measure_startup(self):
        rounds = self.cfg["rounds"]["startup"]
        samples, failures = self.interleave(rounds, self.cfg["rounds"]["warmup"],
                                            self.startup_tools(), "startup")
        self.results["measures"]["startup"] = {
            "rounds": rounds, "samples": samples, "failures": failures,
            "command": "run --rm IMAGE /bin/true (start to exit, cleaned up)"}

    # -- (2)(3)(4) detached containers ---------------------------------------

    def _wb_run_d(self):
        res = self.sp.run(self.wb + ["run", "-d", "--cgroup-parent", self.cgparent,
                                     self.cfg["whalebox"]["image"], "sleep", "3600"])
        return res.seconds, res.out.strip()

    def _podman_run_d(self):
        res = self.sp.run(self.podman("run", "-d", "--network", "none",
                                      "--cgroup-parent", self.cfg["podman"]["cgroup_parent"],
                                      "--ulimit", "nofile=20000:20000",
                                      "--ulimit", "nproc=32768:32768",
                                      self.cfg["podman"]["image"], "sleep", "3600"), ns=True)
        return res.seconds, res.out.strip().splitlines()[-1]

    def _docker_run_d(self):
        res = self.sp.run(self.docker("run", "-d", "--network", "none",
                                      self.cfg["docker"]["image"], "sleep", "3600"))
        return res.seconds, res.out.strip().splitlines()[-1]

    def measure_detached(self, want):
        n = self.cfg["counts"]["detach"]
        starters = [("whalebox", self._wb_run_d)]
        if self.have("podman"):
            starters.append(("podman", self._podman_run_d))
        if self.have("docker"):
            starters.append(("docker", self._docker_run_d))
        ids = {name: [] for name, _ in starters}
        crun_ids = []
        try:
            self._detached_phase(want, n, starters, ids, crun_ids)
        finally:
            self.remove_detached(ids, timed=False)
            self.crun_delete(crun_ids)

    def _detached_phase(self, want, n, starters, ids, crun_ids):
        times = {name: [] for name, _ in starters}
        failures = {}
        active = list(starters)
        log(f"detach: {n} x run -d, interleaved, for {', '.join(ids)}")
        for i in range(n):
            for name, fn in list(active):
                try:
                    s, cid = fn()
                except CommandFailed as e:
                    failures[name] = str(e)
                    self.note(f"run -d: {name} failed, dropped: {e}")
                    active.remove((name, fn))
                    continue
                times[name].append(s)
                ids[name].append(cid)
            if (i + 1) % 25 == 0:
                log(f"detach: {i + 1}/{n}")
        self.results["measures"]["run_d"] = {
            "count": n, "samples": times, "failures": failures}

        if "memory" in want:
            self.measure_memory(ids)
        if "exec" in want:
            self.measure_exec(ids)
        if "ps" in want:
            crun_ids[:] = self.crun_create(n, crun_ids)
            self.measure_ps(str(n), ids, crun_ids, peers=True)
        self.remove_detached(ids, timed=True)
        big = self.cfg["counts"]["ps_big"]
        if "ps" not in want or big <= 0:
            return
        ids["whalebox"] = wb_ids = []
        log(f"ps: starting {big} whalebox containers and creating {big} crun containers")
        t = []
        for i in range(big):
            s, cid = self._wb_run_d()
            t.append(s)
            wb_ids.append(cid)
            if (i + 1) % 250 == 0:
                log(f"ps: {i + 1}/{big} whalebox containers")
        self.results["measures"]["run_d_big"] = {"count": big, "samples": {"whalebox": t}}
        crun_ids[:] = self.crun_create(big, crun_ids)
        self.measure_ps(str(big), {"whalebox": wb_ids}, crun_ids, peers=False)
        self.remove_detached({"whalebox": wb_ids}, timed=True, key=str(big))

    def crun_create(self, n, have):
        """Creates created-but-not-started crun containers up to n in total."""
        if not self.have("crun"):
            return have
        bin_ = self.cfg["crun"]["bin"]
        ids = list(have)
        while len(ids) < n:
            cid = self.uid("crunlist")
            self.sp.run([bin_, "create", "--bundle", self.cfg["bundle"], cid], ns=True)
            ids.append(cid)
        return ids

    def crun_delete(self, ids):
        for cid in ids:
            self.sp.run([self.cfg["crun"]["bin"], "delete", "--force", cid], ns=True, check=False)
        ids.clear()

    def measure_memory(self, ids):
        """Monitor memory of every idle container, all of them alive at once."""
        out = {}
        for name, cids in ids.items():
            if not cids:
                continue
            try:
                pids = self.monitor_pids(name, cids)
            except (CommandFailed, OSError, ValueError, KeyError) as e:
                self.note(f"memory: cannot find {name}'s monitors: {e}")
                continue
            vals = {"pss_kb": [], "private_kb": [], "rss_kb": []}
            for pid in pids:
                m = smaps_rollup(pid)
                if m is None:
                    continue
                vals["pss_kb"].append(m["Pss"])
                vals["private_kb"].append(m["Private_Clean"] + m["Private_Dirty"])
                vals["rss_kb"].append(m["Rss"])
            vals["process"] = process_name(pids[0]) if pids else "?"
            vals["containers"] = len(cids)
            out[name] = vals
        self.results["measures"]["memory"] = out

    def monitor_pids(self, name, cids):
        if name == "whalebox":
            pids = []
            for cid in cids:
                path = os.path.join(self.cfg["whalebox"]["root"], "containers", cid, "state.json")
                with open(path) as f:
                    pids.append(int(json.load(f)["State"]["MonitorPid"]))
            return pids
        if name == "podman":
            res = self.sp.run(self.podman("inspect", "--format", "{{.State.ConmonPid}}", *cids),
                              ns=True)
            return [int(x) for x in res.out.split()]
        if name == "docker":
            res = self.sp.run(self.docker("inspect", "--format", "{{.State.Pid}}", *cids))
            # The shim is the parent of the container's first process.
            return [ppid(int(x)) for x in res.out.split()]
        raise KeyError(name)

    def measure_exec(self, ids):
        tools = []
        if ids.get("whalebox"):
            cid = ids["whalebox"][0]
            tools.append(("whalebox", lambda r: self.sp.run(self.wb + ["exec", cid, "true"]).seconds))
        if ids.get("podman"):
            pid_ = ids["podman"][0]
            tools.append(("podman", lambda r: self.sp.run(self.podman("exec", pid_, "true"),
                                                          ns=True).seconds))
        if ids.get("docker"):
            did = ids["docker"][0]
            tools.append(("docker", lambda r: self.sp.run(self.docker("exec", did, "true")).seconds))
        rounds = self.cfg["rounds"]["exec"]
        samples, failures = self.interleave(rounds, self.cfg["rounds"]["warmup"], tools, "exec")
        self.results["measures"]["exec"] = {"rounds": rounds, "samples": samples,
                                            "failures": failures}

    def measure_ps(self, key, ids, crun_ids, peers):
        tools = []
        n_wb = len(ids.get("whalebox", []))

        def wb_ps(r):
            res = self.sp.run(self.wb + ["ps", "-a"])
            lines = len(res.out.strip().splitlines()) - 1
            if lines != n_wb:
                raise CommandFailed(f"whalebox ps -a listed {lines} containers, expected {n_wb}")
            return res.seconds
        tools.append(("whalebox", wb_ps))
        if crun_ids:
            bin_ = self.cfg["crun"]["bin"]
            tools.append(("crun list", lambda r: self.sp.run([bin_, "list"], ns=True).seconds))
        if peers and ids.get("podman"):
            tools.append(("podman", lambda r: self.sp.run(self.podman("ps", "-a"), ns=True).seconds))
        if peers and ids.get("docker"):
            tools.append(("docker", lambda r: self.sp.run(self.docker("ps", "-a")).seconds))
        rounds = self.cfg["rounds"]["ps"]
        samples, failures = self.interleave(rounds, self.cfg["rounds"]["warmup"], tools,
                                            f"ps({key})")
        self.results["measures"].setdefault("ps", {})[key] = {
            "rounds": rounds, "samples": samples, "failures": failures,
            "containers": {"whalebox": n_wb, "crun list": len(crun_ids),
                           "podman": len(ids.get("podman", [])) if peers else 0,
                           "docker": len(ids.get("docker", [])) if peers else 0}}

    def remove_detached(self, ids, timed, key=None):
        """Removes every container in one command per tool (timed)."""
        key = key or str(self.cfg["counts"]["detach"])
        out = {}
        for name, cids in ids.items():
            if not cids:
                continue
            if name == "whalebox":
                argv, ns = self.wb + ["rm", "-f"] + cids, False
            elif name == "podman":
                argv, ns = self.podman("rm", "-f", "-t", "0", *cids), True
            else:
                argv, ns = self.docker("rm", "-f", *cids), False
            res = self.sp.run(argv, ns=ns, check=False)
            if res.rc != 0:
                self.note(f"rm: {name} exit {res.rc}: {res.err.strip()[-300:]}")
            else:
                out[name] = {"seconds": res.seconds, "containers": len(cids)}
            cids.clear()
        if timed:
            self.results["measures"].setdefault("rm", {})[key] = out

    # -- (5) import ------------------------------------------------------------

    def measure_import(self):
        c = self.cfg
        prefix = c["import"]["tarball_prefix"]
        rounds = c["rounds"]["import"]
        size = os.path.getsize(f"{prefix}-0.tar")
        tags, dests = [], []
        # On this ext4 (no journal) creating an inode costs up to a
        # millisecond, scanning the parent's block group for an inode not
        # freed recently; tar extracts next to whalebox's layers (inside its
        # state root) so both allocate from the same groups.  Nothing is
        # deleted before the last round.
        def wb_import(r):
            tag = f"wb-bench-import:r{r}"
            res = self.sp.run(self.wb + ["import", f"{prefix}-{r}.tar", tag])
            tags.append(tag)
            return res.seconds

        def tar_extract(r):
            dest = os.path.join(c["whalebox"]["root"], f"bench-tar-dest-{r}")
            os.mkdir(dest)
            dests.append(dest)
            return self.sp.run([c["tar"], "-xf", f"{prefix}-{r}.tar", "-C", dest]).seconds

        try:
            samples, failures = self.interleave(rounds, 1, [("whalebox", wb_import),
                                                             ("GNU tar", tar_extract)], "import")
        finally:
            for tag in tags:
                self.sp.run(self.wb + ["rmi", tag], check=False)
            for dest in dests:
                shutil.rmtree(dest, ignore_errors=True)
        self.results["measures"]["import"] = {
            "rounds": rounds, "bytes": size, "files": c["import"]["files"],
            "samples": samples, "failures": failures}

    # -- (6) commit ------------------------------------------------------------

    def measure_commit(self):
        c = self.cfg
        if not c["whalebox"].get("has_commit"):
            self.results["measures"]["commit"] = {
                "available": False, "reason": "`whalebox commit --help` fails in this build"}
            return
        bases = c["commit"]["bases"]  # label -> image
        def make(label):
            image = bases[label]

            def fn(r):
                name = self.uid("commit")
                tag = f"{name}:latest"
                self.sp.run(self.wb + ["run", "--name", name, "--cgroup-parent", self.cgparent,
                                       image, "sh", "-c", "echo changed > /etc/bench-change"])
                try:
                    return self.sp.run(self.wb + ["commit", name, tag]).seconds
                finally:
                    self.sp.run(self.wb + ["rm", "-f", name], check=False)
                    self.sp.run(self.wb + ["rmi", tag], check=False)
            return fn
        rounds = c["rounds"]["commit"]
        samples, failures = self.interleave(rounds, 1, [(lab, make(lab)) for lab in bases],
                                            "commit")
        self.results["measures"]["commit"] = {
            "available": True, "rounds": rounds, "samples": samples, "failures": failures,
            "base_bytes": c["commit"]["base_bytes"]}


def smaps_rollup(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            vals = {}
            for line in f:
                parts = line.split()
                if len(parts) >= 3 and parts[-1] == "kB":
                    vals[parts[0].rstrip(":")] = int(parts[1])
            return vals
    except OSError:
        return None


def ppid(pid):
    with open(f"/proc/{pid}/stat") as f:
        data = f.read()
    return int(data[data.rindex(")") + 2:].split()[1])


def process_name(pid):
    # The executable's name: comm is cut at 15 characters.
    try:
        return os.path.basename(os.readlink(f"/proc/{pid}/exe"))
    except OSError:
        return "?"


def make_import_tree(root, total_bytes, seed=8):
    """A tree shaped like an image: many small files and some big ones."""
    rng = random.Random(seed)
    files = 0
    written = 0
    small_budget = total_bytes // 10
    d = 0
    while written < total_bytes:
        dirpath = os.path.join(root, f"d{d // 50:03d}", f"s{d % 50:02d}")
        os.makedirs(dirpath, exist_ok=True)
        d += 1
        for i in range(40):
            if written < small_budget:
                size = rng.randint(100, 8192)
            else:
                size = rng.randint(64 << 10, 1 << 20)
            size = min(size, total_bytes - written) or 1
            with open(os.path.join(dirpath, f"f{i:02d}"), "wb") as f:
                f.write(rng.randbytes(size))
            files += 1
            written += size
            if written >= total_bytes:
                break
    return files


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("tree", help="write the import test tree")
    t.add_argument("dir")
    t.add_argument("bytes", type=int)
    r = sub.add_parser("run", help="run the measures")
    r.add_argument("config")
    r.add_argument("out")
    args = ap.parse_args()

    if args.cmd == "tree":
        os.makedirs(args.dir, exist_ok=True)
        print(make_import_tree(args.dir, args.bytes))
        return 0

    with open(args.config) as f:
        cfg = json.load(f)
    sp = Spawner(cfg["workdir"], cfg.get("ns_pid"))
    b = Bench(cfg, sp)
    want = set(cfg["only"])
    started = time.time()
    status = 0
    steps = [("startup", b.measure_startup)]
    if want & {"detach", "ps", "memory", "exec"}:
        steps.append(("detach", lambda: b.measure_detached(want)))
    steps += [("import", b.measure_import), ("commit", b.measure_commit)]
    try:
        for name, fn in steps:
            if name != "detach" and name not in want:
                continue
            try:
                fn()
            except (CommandFailed, OSError) as e:
                # One broken measure must not lose the others.
                b.note(f"{name}: aborted: {e}")
                status = 1
    finally:
        b.results["elapsed_s"] = time.time() - started
        with open(args.out, "w") as f:
            json.dump(b.results, f, indent=1)
    return status


if __name__ == "__main__":
    sys.exit(main())

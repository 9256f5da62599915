#!/usr/bin/env python3
"""report.py - RESULTS.md, results.json and the start-up chart data from bench.py's samples."""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess


def med(xs):
    return statistics.median(xs) if xs else None


def ms(x):
    if x is None:
        return "–"
    if x >= 100e-3:
        return f"{x * 1e3:.0f}"
    if x >= 10e-3:
        return f"{x * 1e3:.1f}"
    return f"{x * 1e3:.2f}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "–"
    r = a / b
    return f"{r:.3f}×" if r < 0.1 else f"{r:.2f}×"


def verdict(ok):
    if ok is None:
        return "n/a"
    return "yes" if ok else "**no**"


def machine(src):
    info = {"nproc": os.cpu_count(), "kernel": platform.release()}
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    info["memory"] = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    info["os"] = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    cg = "unknown"
    try:
        unified = os.path.isdir("/sys/fs/cgroup/unified") and os.path.ismount("/sys/fs/cgroup/unified")
        cg = "hybrid (v1 controllers, cgroup2 at /sys/fs/cgroup/unified)" if unified else (
            "cgroup v2" if os.path.exists("/sys/fs/cgroup/cgroup.controllers") else "cgroup v1")
    except OSError:
        pass
    info["cgroups"] = cg

    def git(*args):
        try:
            return subprocess.run(["git", "-C", src] + list(args), capture_output=True,
                                  text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            return ""
    info["commit"] = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "core", "include", "plugins", "meson.build")
    info["dirty"] = bool(dirty)
    return info


class Report:
    def __init__(self, res, cfg, versions, minfo, args):
        self.res = res
        self.m = res["measures"]
        self.cfg = cfg
        self.versions = versions
        self.minfo = minfo
        self.args = args
        self.lines = []
        self.targets = []

    def w(self, s=""):
        self.lines.append(s)

    def table(self, header, rows):
        self.w("| " + " | ".join(header) + " |")
        self.w("|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|")
        for r in rows:
            self.w("| " + " | ".join(str(c) for c in r) + " |")
        self.w()

    def failures(self, d):
        for name, err in (d.get("failures") or {}).items():
            self.w(f"- {name} failed and was dropped: `{err.strip()[:300]}`")
        if d.get("failures"):
            self.w()

    def target(self, what, measured, ok):
        self.targets.append((what, measured, verdict(ok)))

    # -- sections ------------------------------------------------------------

    def startup(self, outdir):
        d = self.m.get("startup")
        if not d:
            return
        s = d["samples"]
        meds = {k: med(v) for k, v in s.items() if v}
        peers = {k: v for k, v in meds.items() if k not in ("whalebox", "floor")}
        best = min(peers, key=peers.get) if peers else None
        wbm, floor = meds.get("whalebox"), meds.get("floor")
        self.w("## 1. Start to exit of `true`, cleaned up")
        self.w()
        self.w(f"{d['rounds']} interleaved rounds after {self.cfg['rounds']['warmup']} warm-up rounds; "
               "times in ms. Commands: `whalebox run --rm --cgroup-parent wb-bench busybox /bin/true`, "
               "`crun run` / `runc run` of the OCI bundle (fresh id each time, deleted), "
               "`podman run --rm --network none --ulimit nofile=20000:20000 --ulimit nproc=32768:32768`, "
               "`docker run --rm --network none`, and the floor "
               "`unshare --fork --pid --mount --uts --ipc --net chroot ROOTFS /bin/true`.")
        self.w()
        self.w("![start-up medians with min–max bars](startup.png)")
        self.w()
        rows = []
        for k, v in s.items():
            if not v:
                continue
            rows.append([k, ms(meds[k]), ms(min(v)), ms(max(v)), ratio(meds[k], floor),
                         ratio(wbm, meds[k])])
        self.table(["tool", "median", "min", "max", "× floor", "whalebox ÷ tool"], rows)
        if best:
            self.w(f"Best peer: **{best}** ({ms(peers[best])} ms); whalebox is "
                   f"{ratio(wbm, peers[best])} of it and {ratio(wbm, floor)} of the floor.")
            self.w()
        self.failures(d)
        c = meds.get("crun")
        self.target("`run --rm true` ≤ 1.0× crun", ratio(wbm, c),
                    None if wbm is None or c is None else wbm <= c)
        p = meds.get("podman")
        self.target("`run --rm true` ≤ 0.05× podman", ratio(wbm, p),
                    None if wbm is None or p is None else wbm <= 0.05 * p)
        self.target("`run --rm true` ≤ 2.5× floor", ratio(wbm, floor),
                    None if wbm is None or floor is None else wbm <= 2.5 * floor)
        with open(os.path.join(outdir, "startup.dat"), "w") as f:
            f.write("# tool median_ms min_ms max_ms\n")
            for k, v in s.items():
                if v:
                    f.write(f'"{k}" {meds[k] * 1e3:.3f} {min(v) * 1e3:.3f} {max(v) * 1e3:.3f}\n')

    def detach(self):
        d = self.m.get("run_d")
        if not d:
            return
        s = d["samples"]
        self.w(f"## 2. Detached containers: {d['count']} × `run -d` of an idle `sleep 3600`")
        self.w()
        self.w("Starts interleaved one by one (whalebox, podman, docker, whalebox, ...); "
               "throughput = containers ÷ the sum of their start times.")
        self.w()
        tput = {k: len(v) / sum(v) for k, v in s.items() if v}
        rows = []
        for k, v in s.items():
            if not v:
                continue
            rows.append([k, len(v), f"{sum(v):.2f}", f"{tput[k]:.1f}", ms(med(v)), ms(min(v)),
                         ms(max(v)), ratio(tput.get("whalebox"), tput[k])])
        big = self.m.get("run_d_big")
        if big and big["samples"].get("whalebox"):
            v = big["samples"]["whalebox"]
            rows.append([f"whalebox (to {big['count']})", len(v), f"{sum(v):.2f}",
                         f"{len(v) / sum(v):.1f}", ms(med(v)), ms(min(v)), ms(max(v)), ""])
        self.table(["tool", "started", "total s", "containers/s", "median ms", "min ms",
                    "max ms", "whalebox throughput ÷ tool"], rows)
        self.failures(d)
        w, p = tput.get("whalebox"), tput.get("podman")
        self.target(f"{d['count']} × `run -d` ≥ 10× podman's throughput", ratio(w, p),
                    None if w is None or p is None else w >= 10 * p)

    def ps(self):
        d = self.m.get("ps")
        if not d:
            return
        self.w("## 2b. Listing: `ps -a`")
        self.w()
        self.w("`whalebox ps -a`, `crun list` (with as many created crun containers), "
               "`podman ps -a`, `docker ps -a`; times in ms.")
        self.w()
        for key in sorted(d, key=int):
            e = d[key]
            s = e["samples"]
            wbm = med(s.get("whalebox"))
            rows = [[k, e["containers"].get(k, ""), ms(med(v)), ms(min(v)), ms(max(v)),
                     ratio(wbm, med(v))] for k, v in s.items() if v]
            self.w(f"With {key} containers ({e['rounds']} rounds):")
            self.w()
            self.table(["tool", "containers", "median", "min", "max", "whalebox ÷ tool"], rows)
            self.failures(e)
        e = d.get(str(self.cfg["counts"]["detach"]))
        if e:
            w, c = med(e["samples"].get("whalebox")), med(e["samples"].get("crun list"))
            self.target(f"`ps` with {self.cfg['counts']['detach']} containers ≤ `crun list`",
                        ratio(w, c), None if w is None or c is None else w <= c)
        rm = self.m.get("rm")
        if rm:
            self.w("Removal of all the detached containers, one command per tool "
                   "(`whalebox rm -f`, `podman rm -f -t 0`, `docker rm -f`):")
            self.w()
            rows = []
            for key in sorted(rm, key=int):
                for k, v in rm[key].items():
                    rows.append([k, v["containers"], f"{v['seconds']:.2f}",
                                 ms(v["seconds"] / v["containers"])])
            self.table(["tool", "containers", "total s", "ms per container"], rows)

    def memory(self):
        d = self.m.get("memory")
        if not d:
            return
        self.w("## 3. Memory per idle detached container")
        self.w()
        self.w("The monitor of every idle container, all of them alive at once, from "
               "`/proc/PID/smaps_rollup` (kB, median over the containers [min–max]): whalebox's "
               "monitor (`State.MonitorPid`), podman's conmon, docker's containerd-shim.")
        self.w()
        wb = d.get("whalebox", {})
        rows = []
        for k, v in d.items():
            if not v.get("pss_kb"):
                continue
            p, pr, r = v["pss_kb"], v["private_kb"], v["rss_kb"]
            rows.append([k, v.get("process", "?"), len(p),
                         f"{med(p):.0f} [{min(p)}–{max(p)}]",
                         f"{med(pr):.0f} [{min(pr)}–{max(pr)}]", f"{med(r):.0f}",
                         ratio(med(wb.get("pss_kb")), med(p))])
        self.table(["tool", "process", "containers", "PSS kB", "private kB", "RSS kB",
                    "whalebox PSS ÷ tool"], rows)
        w, c = med(wb.get("pss_kb")), med(d.get("podman", {}).get("pss_kb"))
        self.target("monitor PSS ≤ ½ conmon's", ratio(w, c),
                    None if w is None or c is None else w <= c / 2)

    def exec_(self):
        d = self.m.get("exec")
        if not d:
            return
        s = d["samples"]
        wbm = med(s.get("whalebox"))
        self.w("## 4. `exec true` in a running container")
        self.w()
        self.w(f"{d['rounds']} interleaved rounds; times in ms.")
        self.w()
        rows = [[k, ms(med(v)), ms(min(v)), ms(max(v)), ratio(wbm, med(v))]
                for k, v in s.items() if v]
        self.table(["tool", "median", "min", "max", "whalebox ÷ tool"], rows)
        self.failures(d)

    def import_(self):
        d = self.m.get("import")
        if not d:
            return
        s = d["samples"]
        mb = d["bytes"] / 1e6
        self.w("## 5. Import of a big tarball")
        self.w()
        self.w(f"A plain tarball of {mb:.0f} MB ({d['files']} files, random content) imported with "
               "`whalebox import` and extracted by GNU tar (`tar -xf T -C EMPTYDIR`) on the same "
               f"file system; warm page cache, {d['rounds']} interleaved rounds after one warm-up, "
               "each round a tarball of its own (the same files plus one naming the round, so "
               "whalebox never finds the layer already stored); tar extracts into a directory of "
               "whalebox's state root, next to its layers, and nothing is deleted before the last "
               "round. On this ext4 (no journal) creating an inode costs up to a millisecond, "
               "scanning the block group for one not freed recently: both tools pay it per file.")
        self.w()
        tarm = med(s.get("GNU tar"))
        rows = [[k, f"{med(v):.2f}", f"{min(v):.2f}", f"{max(v):.2f}", f"{mb / med(v):.0f}",
                 ratio(tarm, med(v))] for k, v in s.items() if v]
        self.table(["tool", "median s", "min s", "max s", "MB/s", "speed ÷ GNU tar"], rows)
        self.failures(d)
        w = med(s.get("whalebox"))
        self.target("import ≥ 0.8× GNU tar's speed", ratio(tarm, w),
                    None if w is None or tarm is None else tarm / w >= 0.8)

    def commit(self):
        d = self.m.get("commit")
        if not d:
            return
        self.w("## 6. Commit of a one-file change")
        self.w()
        if not d.get("available"):
            self.w(f"Not available: {d.get('reason')}.")
            self.w()
            self.target("commit over 500 MB ≤ 1.2× over 10 MB", "not available", None)
            return
        s = d["samples"]
        self.w("`whalebox commit` of a container that wrote one file, over a 10 MB and a 500 MB "
               f"base image; {d['rounds']} interleaved rounds; times in ms.")
        self.w()
        small = med(s.get("10 MB"))
        rows = [[k, ms(med(v)), ms(min(v)), ms(max(v)), ratio(med(v), small)]
                for k, v in s.items() if v]
        self.table(["base", "median", "min", "max", "÷ 10 MB case"], rows)
        self.failures(d)
        big = med(s.get("500 MB"))
        self.target("commit over 500 MB ≤ 1.2× over 10 MB", ratio(big, small),
                    None if big is None or small is None else big <= 1.2 * small)

    def build(self, outdir):
        body_start = len(self.lines)
        self.startup(outdir)
        self.detach()
        self.ps()
        self.memory()
        self.exec_()
        self.import_()
        self.commit()
        body = self.lines[body_start:]
        self.lines = self.lines[:body_start]

        mi = self.minfo
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        self.w("# Whalebox benchmark results")
        self.w()
        self.w(f"Generated by `bench/run.sh` on {now} in {self.args.elapsed} s"
               + (" — **quick run** (fewer rounds; not for comparison)" if self.args.quick == "1"
                  else "") + ". Issue 8 describes the measures and targets; "
               "[README](README.md) says how to run it.")
        self.w()
        commit = mi["commit"] + (" plus uncommitted changes in the working tree" if mi["dirty"] else "")
        peers = ", ".join(f"{k} ({v})" for k, v in self.versions.items() if v and k != "whalebox")
        self.w(f"- Machine: {mi.get('cpu', '?')}, {mi['nproc']} CPUs, {mi.get('memory', '?')}, "
               f"kernel {mi['kernel']}, {mi.get('os', '?')}, cgroups {mi['cgroups']}")
        self.w(f"- Whalebox: commit {commit}, {self.versions.get('whalebox') or '?'}, "
               f"build `{os.path.relpath(self.args.build, self.args.src)}` "
               f"({self.buildtype()}), storage overlay, cgroup driver auto")
        self.w(f"- Peers: {peers}")
        self.w("- Method: every command is spawned with posix_spawn and timed to its waitpid; "
               "tools alternate within each round, the order rotated every round (A B C, B C A, C A B, ...); "
               "medians with min and max. "
               "crun and podman run in a private mount namespace where the cgroup2 mount is "
               "replaced by an empty tmpfs (crun 1.8 refuses the hybrid layout); the namespace is "
               "entered before the clock starts.")
        self.w()
        self.w("## Targets")
        self.w()
        self.table(["target (issue 8)", "measured", "holds"], self.targets)
        self.lines += body
        notes = self.res.get("notes") or []
        if notes:
            self.w("## Notes")
            self.w()
            for n in notes:
                self.w(f"- {n.strip()[:400]}")
            self.w()
        # The hand-kept log of optimisations (the issue asks for before and
        # after numbers here too).
        log = os.path.join(self.args.src, "bench", "OPTIMISATIONS.md")
        if os.path.exists(log):
            with open(log) as f:
                text = f.read().strip().split("\n")
            self.w("## " + text[0].lstrip("# ").strip())
            self.lines += text[1:]
            self.w()
        self.w("Raw samples (seconds): [results.json](results.json).")
        return "\n".join(self.lines) + "\n"

    def buildtype(self):
        try:
            with open(os.path.join(self.args.build, "meson-info", "intro-buildoptions.json")) as f:
                for o in json.load(f):
                    if o["name"] == "buildtype":
                        return o["value"]
        except (OSError, ValueError, KeyError):
            pass
        return "buildtype ?"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--versions", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--build", required=True)
    ap.add_argument("--quick", default="0")
    ap.add_argument("--elapsed", default="?")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    with open(args.results) as f:
        res = json.load(f)
    with open(args.config) as f:
        cfg = json.load(f)
    with open(args.versions) as f:
        versions = json.load(f)
    minfo = machine(args.src)
    rep = Report(res, cfg, versions, minfo, args)
    text = rep.build(args.out)
    with open(os.path.join(args.out, "RESULTS.md"), "w") as f:
        f.write(text)
    res["machine"] = minfo
    res["versions"] = versions
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(res, f, indent=1)
        f.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

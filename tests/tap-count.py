#!/usr/bin/env python3
"""tap-count.py - count the tests of a test run for tests/run.sh.

    tap-count.py meson LABEL MODE TESTLOG RC [EXPECTED...]
        every test program of a `meson test` run, from its testlog.json;
        RC is meson's exit status, EXPECTED the test names the run must
        have results for
    tap-count.py tap LABEL MODE RC < OUTPUT
        the TAP output of one program that exited with RC

MODE is the cgroup mode of the host the tests ran on (unified, hybrid or
legacy).  Each TAP "ok" is a pass, "not ok" a failure; the tests a plan
announced but never printed failed (a crash or a timeout); a program that
failed without a "not ok" is one failure, and so is a meson run that
failed without one.  A skip ("ok ... # skip WHY") did not run and fails
too, unless skip_allowed says a fresh machine may show it.

Output: "PASSED FAILED SKIPPED", then one line per failure ("F text") and
per allowed skip ("S text").
"""
import json
import re
import sys


def skip_allowed(reason, mode):
    """The one rule for skips.  A fresh Debian 12 machine set up by
    scripts/install-deps.sh has every package and feature the tests need,
    so the only skips it may show are of tests that do not apply to its
    cgroup mode.  They say so in one form, "cgroup mode MODE: why"
    (helpers/common.bash skip_cgroup_mode, tests/unit/test_cgroup.c
    mode_reason), with MODE the mode of the host the test ran on.  Any
    other skip (a missing package, a feature guard...) is a failure."""
    m = re.match(r"cgroup mode (unified|hybrid|legacy): \S", reason)
    return bool(m) and m.group(1) == mode


SKIP = re.compile(r"ok\b\s*\d*\s*-?\s*(.*?)\s*#\s*skip\b:?\s*(.*)$", re.I)


class Counts:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.lines = []

    def fail(self, text, n=1):
        self.failed += n
        self.lines.append("F " + text)

    def program(self, label, name, out, ok, why_not_ok, mode):
        """The TAP output `out` of one program; `ok`: it exited well."""
        who = ("%s %s" % (label, name)).strip()
        seen = failed = 0
        plan = None
        for line in out.splitlines():
            m = re.match(r"1\.\.(\d+)", line)
            if m and plan is None:
                plan = int(m.group(1))
            if re.match(r"ok\b", line):
                seen += 1
                sk = SKIP.match(line)
                if not sk:
                    self.passed += 1
                elif skip_allowed(sk.group(2), mode):
                    self.skipped += 1
                    self.lines.append("S %s: %s: %s" % (who, sk.group(1), sk.group(2)))
                else:
                    failed += 1
                    self.fail("%s: skipped for a reason a fresh machine must not have: %s"
                              % (who, line))
            elif re.match(r"not ok\b", line):
                seen += 1
                failed += 1
                self.fail("%s: %s" % (who, line))
        if plan is not None and seen < plan:
            failed += plan - seen
            self.fail("%s: %d of %d tests did not run (crash or timeout?)"
                      % (who, plan - seen, plan), plan - seen)
        if not ok and failed == 0:
            self.fail("%s: %s" % (who, why_not_ok))
        elif ok and seen == 0:
            self.passed += 1  # a program without TAP output that passed


def main(argv):
    kind, label, mode = argv[1], argv[2], argv[3]
    c = Counts()
    if kind == "meson":
        log, rc, expected = argv[4], int(argv[5]), argv[6:]
        names = set()
        with open(log) as f:
            for raw in f:
                t = json.loads(raw)
                # "whalebox:unit / unit-cgroup" (newer meson), or the name
                name = t["name"].split(" / ")[-1]
                names.add(name)
                # A whole program meson reports skipped (exit 77) gives no
                # reason: it fails like any other skip.
                c.program(label, name, t.get("stdout") or "",
                          t["result"] in ("OK", "EXPECTEDFAIL"),
                          "%s (exit %s)" % (t["result"], t.get("returncode")), mode)
        for name in expected:
            if name not in names:
                c.fail("%s %s: no result (not registered with meson?)" % (label, name))
        if rc != 0 and c.failed == 0:
            c.fail("%s: meson test exited %d without a failed test in its log" % (label, rc))
    elif kind == "tap":
        rc = int(argv[4])
        c.program(label, "", sys.stdin.read(), rc == 0, "exited %d" % rc, mode)
    else:
        sys.exit("usage: tap-count.py meson|tap ...")
    print(c.passed, c.failed, c.skipped)
    for line in c.lines:
        print(line)


if __name__ == "__main__":
    main(sys.argv)

#!/usr/bin/env python3
"""mkfile.py - write the test "drivers" that are not drivers at all.

usage: mkfile.py MODE OUTPUT [INPUT]
  empty      a zero-byte file
  elfjunk    the ELF magic followed by pseudo-random bytes
  elfheader  a 64-bit ELF header whose program headers point past the end
  truncate   the first 2048 bytes of INPUT (a real driver cut short)
  copy       INPUT as it is (a text file named like a driver)

The loader must reject every one of them with a message, never crash.
"""
import random
import struct
import sys


def main():
    mode, out = sys.argv[1], sys.argv[2]
    if mode == "empty":
        data = b""
    elif mode == "elfjunk":
        rng = random.Random(20260101)  # fixed seed: the same junk every build
        data = b"\x7fELF" + bytes(rng.randrange(256) for _ in range(4092))
    elif mode == "elfheader":
        ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
        # e_type ET_DYN, x86-64, version 1, entry 0, phoff far away,
        # shoff 0, flags 0, ehsize 64, phentsize 56, phnum 0xffff.
        header = struct.pack("<HHIQQQIHHHHHH", 3, 62, 1, 0, 1 << 40, 0, 0, 64,
                             56, 0xFFFF, 64, 0, 0)
        data = ident + header
    elif mode == "truncate":
        with open(sys.argv[3], "rb") as f:
            data = f.read(2048)
    elif mode == "copy":
        with open(sys.argv[3], "rb") as f:
            data = f.read()
    else:
        sys.exit("mkfile.py: unknown mode " + mode)
    with open(out, "wb") as f:
        f.write(data)


main()

"""Apply resource limits to this process, optionally join cgroups, then exec a command.

Run as a script (`python -I -S limit_exec.py --data BYTES ... -- cmd args`) so it needs
nothing but the standard library; it is the first link of every sandboxed kernel launch.
"""

import argparse
import os
import resource
import sys


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=int, default=0, help="RLIMIT_DATA in bytes")
    parser.add_argument("--nproc", type=int, default=0, help="RLIMIT_NPROC (effective for non-root)")
    parser.add_argument("--fsize", type=int, default=0, help="RLIMIT_FSIZE in bytes")
    parser.add_argument("--nofile", type=int, default=0)
    parser.add_argument("--cgroup", action="append", default=[], help="cgroup dir to join")
    parser.add_argument("cmd", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    cmd = args.cmd[1:] if args.cmd and args.cmd[0] == "--" else args.cmd
    for cg in args.cgroup:
        with open(os.path.join(cg, "cgroup.procs"), "w") as fh:
            fh.write(str(os.getpid()))
    limits = [
        (resource.RLIMIT_DATA, args.data),
        (resource.RLIMIT_NPROC, args.nproc),
        (resource.RLIMIT_FSIZE, args.fsize),
        (resource.RLIMIT_NOFILE, args.nofile),
        (resource.RLIMIT_CORE, -1),
    ]
    for which, value in limits:
        if value == -1:
            resource.setrlimit(which, (0, 0))
        elif value > 0:
            soft, hard = resource.getrlimit(which)
            cap = value if hard == resource.RLIM_INFINITY else min(value, hard)
            resource.setrlimit(which, (cap, cap))
    os.execvp(cmd[0], cmd)


if __name__ == "__main__":
    main(sys.argv[1:])

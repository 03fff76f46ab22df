"""Apply resource limits to this process, optionally join cgroups, drop root, then exec a command.

Run as a script (`python -I -S limit_exec.py --data BYTES ... -- cmd args`) so it needs
nothing but the standard library; it is the first link of every sandboxed kernel launch.

When started as root with `--user UID:GID`, it becomes that unprivileged user before the
exec, so the sandbox (bubblewrap maps its user to the caller's uid) is unprivileged outside
too: an escape is a `nobody` process, not root. Paths the sandboxed process needs but that
user cannot reach (the runtime under /root, the grader's 0700 workspace folder) are made
reachable in a private mount namespace of this process only: each blocking folder is covered
with an empty tmpfs and just the needed paths are bind-mounted back in; the rest of the
folder (e.g. the rest of /root) stays invisible. For a bubblewrap command the paths are the
sources of its bind options; for any other command (only with `--drop-direct`; without it
the command keeps the caller's user), the `--expose` paths.
"""

import argparse
import ctypes
import os
import resource
import sys

CLONE_NEWNS = 0x00020000
MS_NOSUID, MS_NODEV, MS_BIND, MS_REC, MS_SLAVE = 0x2, 0x4, 0x1000, 0x4000, 0x80000
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38
# bubblewrap options and their argument counts (those whose sources must be reachable are BINDS).
BINDS = {"--bind", "--ro-bind", "--bind-try", "--ro-bind-try", "--dev-bind", "--dev-bind-try"}
ARITY = {"--unshare-all": 0, "--share-net": 0, "--unshare-user": 0, "--unshare-user-try": 0, "--unshare-ipc": 0,
         "--unshare-pid": 0, "--unshare-net": 0, "--unshare-uts": 0, "--unshare-cgroup": 0,
         "--unshare-cgroup-try": 0, "--disable-userns": 0, "--assert-userns-disabled": 0, "--clearenv": 0,
         "--new-session": 0, "--die-with-parent": 0, "--as-pid-1": 0,
         "--uid": 1, "--gid": 1, "--hostname": 1, "--chdir": 1, "--unsetenv": 1, "--lock-file": 1, "--sync-fd": 1,
         "--remount-ro": 1, "--proc": 1, "--dev": 1, "--tmpfs": 1, "--mqueue": 1, "--dir": 1, "--perms": 1,
         "--size": 1, "--seccomp": 1, "--add-seccomp-fd": 1, "--block-fd": 1, "--userns-block-fd": 1,
         "--info-fd": 1, "--json-status-fd": 1, "--cap-add": 1, "--cap-drop": 1, "--exec-label": 1,
         "--file-label": 1, "--userns": 1, "--userns2": 1, "--pidns": 1, "--args": 1,
         "--setenv": 2, "--symlink": 2, "--chmod": 2, "--file": 2, "--bind-data": 2, "--ro-bind-data": 2,
         "--bind-fd": 2, "--ro-bind-fd": 2, **{b: 2 for b in BINDS}}


def bwrap_sources(cmd: list[str]) -> list[str]:
    """Host paths a bubblewrap command line binds (empty for any other command)."""
    if not cmd or os.path.basename(cmd[0]) != "bwrap":
        return []
    sources, i = [], 1
    while i < len(cmd):
        opt = cmd[i]
        if opt not in ARITY:  # the sandboxed command starts here
            break
        if opt in BINDS and i + 1 < len(cmd):
            sources.append(cmd[i + 1])
        i += 1 + ARITY[opt]
    return sources


def _can_search(path: str, uid: int, gid: int) -> bool:
    st = os.stat(path)
    if st.st_uid == uid:
        return bool(st.st_mode & 0o100)
    if st.st_gid == gid:
        return bool(st.st_mode & 0o010)
    return bool(st.st_mode & 0o001)


def _blocker(path: str, uid: int, gid: int) -> str | None:
    """The outermost folder above path that uid:gid cannot search, if any."""
    parts = os.path.abspath(path).split("/")[1:-1]
    current = ""
    for part in parts:
        current += "/" + part
        try:
            if not _can_search(current, uid, gid):
                return current
        except OSError:
            return None
    return None


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
    return libc


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def expose(paths: list[str], uid: int, gid: int) -> None:
    """Make each existing path reachable for uid:gid, in a private mount namespace (as root)."""
    libc, private = _libc(), False
    for _ in range(8):  # a needed path may sit below another blocking folder inside a bound one
        # a path reached through a symlink (e.g. a cache whose runtimes/ links into /root) needs its
        # real location reachable too: the unprivileged user follows the link before binding
        wanted = sorted({q for p in paths if os.path.lexists(p) for q in (os.path.abspath(p), os.path.realpath(p))})
        blocked: dict[str, list[str]] = {}
        for p in wanted:
            b = _blocker(p, uid, gid)
            if b is not None:
                blocked.setdefault(b, []).append(p)
        outer = {b: ps for b, ps in blocked.items() if not any(b.startswith(o + "/") for o in blocked)}
        for b, ps in blocked.items():
            if b not in outer:
                outer[next(o for o in outer if b.startswith(o + "/"))] += ps
        if not outer:
            return
        if not private:
            _check(libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
            # slave, not private: a mount the grader makes later in a shared folder (the fork
            # server's lane) still appears here; nothing made here goes back
            _check(libc.mount(b"none", b"/", None, MS_REC | MS_SLAVE, None), "make / a slave")
            private = True
        for folder, needed in outer.items():
            needed = sorted(set(needed), key=lambda p: (p.count("/"), p))
            keep = [p for p in needed if not any(p.startswith(q + "/") for q in needed if q != p)]
            fds = {p: os.open(p, os.O_PATH | os.O_CLOEXEC) for p in keep}  # before the folder is covered
            try:
                _check(libc.mount(b"kubig-expose", folder.encode(), b"tmpfs", MS_NOSUID | MS_NODEV,
                                  b"mode=0755,size=1m,nr_inodes=4096"), f"cover {folder}")
                for p, fd in fds.items():
                    parent = os.path.dirname(p)
                    os.makedirs(parent, mode=0o755, exist_ok=True)
                    if os.path.isdir(f"/proc/self/fd/{fd}"):
                        os.makedirs(p, mode=0o755, exist_ok=True)
                    else:
                        open(p, "a").close()
                    _check(libc.mount(f"/proc/self/fd/{fd}".encode(), p.encode(), None, MS_BIND | MS_REC, None),
                           f"bind {p}")
            finally:
                for fd in fds.values():
                    os.close(fd)


def drop_to(uid: int, gid: int) -> None:
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    if os.getuid() != uid or os.geteuid() != uid:
        raise SystemExit("limit_exec: could not drop privileges")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=int, default=0, help="RLIMIT_DATA in bytes")
    parser.add_argument("--nproc", type=int, default=0, help="RLIMIT_NPROC (effective for non-root)")
    parser.add_argument("--fsize", type=int, default=0, help="RLIMIT_FSIZE in bytes")
    parser.add_argument("--nofile", type=int, default=0)
    parser.add_argument("--cgroup", action="append", default=[], help="cgroup dir to join")
    parser.add_argument("--user", default="", help="UID:GID to become when started as root")
    parser.add_argument("--expose", action="append", default=[],
                        help="path the command needs (with --user, for a command other than bwrap)")
    parser.add_argument("--drop-direct", action="store_true",
                        help="with --user: become that user for a command other than bwrap too")
    parser.add_argument("cmd", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    cmd = args.cmd[1:] if args.cmd and args.cmd[0] == "--" else args.cmd
    for cg in args.cgroup:
        with open(os.path.join(cg, "cgroup.procs"), "w") as fh:
            fh.write(str(os.getpid()))
    user = None
    if args.user and os.geteuid() == 0:
        sources = bwrap_sources(cmd)
        if sources or args.drop_direct:
            uid, gid = (int(x) for x in args.user.split(":"))
            expose(sources + args.expose, uid, gid)
            user = (uid, gid)
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
    if user is not None:
        drop_to(*user)
        libc = _libc()
        libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)  # no setuid program brings root back
        libc.prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0)  # (cleared by the uid change, so set after it)
        if os.getppid() == 1:
            raise SystemExit("limit_exec: the grader is gone")
    os.execvp(cmd[0], cmd)


if __name__ == "__main__":
    main(sys.argv[1:])

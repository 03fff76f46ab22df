"""The fork server: one sandbox that imports the pack's modules once and forks every kernel.

Run in a bubblewrap sandbox (the same one a kernel gets, without a submission folder) as
``python -c SOURCE CONFIG_JSON``; CONFIG names the control socket (a SOCK_SEQPACKET end the
grader passed down), the modules to import and zygote.py's source. In order:

1. it makes itself non-dumpable, imports the pack's modules and ipykernel once, checks that it
   can build a kernel's namespaces (a throw-away child tries), and says ``ready`` (or why not);
2. for each job (a JSON message with the job socket and the probe pipe ends as SCM_RIGHTS),
   it forks. The child keeps only the job's fds and enters new user, mount, pid, network, IPC
   and UTS namespaces, and forks again: the grandchild is pid 1 of its own pid namespace.
   Before any student code exists it
   - tells the grader it is there (the grader reads its pid from the socket's credentials,
     puts it in the kernel's cgroups, and answers ``go``);
   - replaces /tmp (where every job's folder lies), /dev/shm and /proc with its own, binds back
     only its own work folder (as /sandbox/work) and kernel-socket folder (and what the
     server has mounted read-only under /tmp), brings up its loopback, and drops every
     capability (so it can never unmount them to look underneath: sibling kernels' folders,
     processes, sockets, abstract sockets and SysV IPC are out of its reach);
   - forks the kernel (pid 2; pid 1 stays to reap orphans and ends with the kernel), which
     forks the walled-off probe process (zygote.py), says ``ok`` and becomes the ipykernel.
The server never runs student code and never reads what a kernel writes.
"""

import ctypes
import fcntl
import json
import os
import re
import signal
import socket
import struct
import sys

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 0x1, 0x2, 0x4, 0x8, 0x20
MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_REC, MS_PRIVATE, MS_RELATIME = 0x400, 0x800, 0x1000, 0x4000, 0x40000, 0x200000
PR_SET_DUMPABLE, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 4, 24, 38, 47, 4
CAPABILITY_VERSION_3 = 0x20080522
SIOCSIFFLAGS, IFF_UP, IFF_LOOPBACK, IFF_RUNNING = 0x8914, 0x1, 0x8, 0x40
MAX_JOB_BYTES = 1 << 20
WORK = "/sandbox/work"


def _lib():
    lib = ctypes.CDLL(None, use_errno=True)
    lib.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
    return lib


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(lib, source, target: str, fstype, flags: int, data: str = "") -> None:
    enc = (lambda s: s.encode() if s is not None else None)
    _check(lib.mount(enc(source), target.encode(), enc(fstype), flags, data.encode() or None), f"mount {target}")


def enter_namespaces(lib) -> None:
    """New user (same uid/gid), mount, pid (for the next fork), network, IPC and UTS namespaces."""
    uid, gid = os.getuid(), os.getgid()
    flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS
    _check(lib.unshare(flags), "unshare")
    lib.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)  # else /proc/self is root's and the maps unwritable;
    # the kernel is made non-dumpable again before any student code
    for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
        with open(f"/proc/self/{name}", "w") as fh:
            fh.write(text)


def loopback_up() -> None:
    """Bring up the new network namespace's loopback, as bubblewrap does for its own."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH", b"lo", IFF_UP | IFF_LOOPBACK | IFF_RUNNING))


def _mounts_under(folder: str, skip: str) -> list:
    """Mount points below folder (outermost first; none inside skip), from /proc/self/mountinfo."""
    points = []
    with open("/proc/self/mountinfo") as fh:
        for line in fh:
            point = re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), line.split()[4])
            if point.startswith(folder + "/") and point != skip and not point.startswith(skip + "/"):
                points.append(point)
    points.sort(key=lambda p: (p.count("/"), p))
    return [p for p in points if not any(p.startswith(q + "/") for q in points if q != p)]


def own_filesystem(lib, work: str, comm: str, lane: str, tmp_mb: int) -> None:
    """Replace /tmp, /dev/shm and /proc with the kernel's own; of the server's /tmp keep only
    what is mounted there read-only (the runtime or data when they live under /tmp, the font
    cache) and, of the lane where every job's folder lies, only this job's comm folder; bind
    this job's work folder at /sandbox/work."""
    _mount(lib, None, "/", None, MS_REC | MS_PRIVATE)
    keep = {p: os.open(p, os.O_PATH | os.O_CLOEXEC) for p in _mounts_under("/tmp", lane)}
    keep[comm] = os.open(comm, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    work_fd = os.open(work, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        size = f"size={int(tmp_mb)}m," if tmp_mb else ""
        _mount(lib, "kubig-tmp", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"{size}mode=1777")
        for folder in ("/tmp/home", "/tmp/mpl"):
            os.makedirs(folder, 0o700, exist_ok=True)
        for point, fd in keep.items():
            if os.path.isdir(f"/proc/self/fd/{fd}"):
                os.makedirs(point, 0o755, exist_ok=True)
            else:
                os.makedirs(os.path.dirname(point), 0o755, exist_ok=True)
                open(point, "a").close()
            _mount(lib, f"/proc/self/fd/{fd}", point, None, MS_BIND | MS_REC)
            if point != comm:  # read-only as it was (its other flags kept: they are locked)
                flags = os.statvfs(point).f_flag
                kept = flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME | MS_NODIRATIME)
                kept |= MS_RELATIME if flags & os.ST_RELATIME else 0
                _mount(lib, None, point, None, MS_REMOUNT | MS_BIND | MS_RDONLY | kept)
        _mount(lib, f"/proc/self/fd/{work_fd}", WORK, None, MS_BIND)
    finally:
        for fd in (*keep.values(), work_fd):
            os.close(fd)
    _mount(lib, "kubig-shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, f"{size}mode=1777")
    _mount(lib, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)


def drop_capabilities(lib) -> None:
    """No capability left (effective, permitted, inheritable, ambient, bounding), no new ones."""
    for cap in range(64):
        if lib.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            break  # past the last capability this kernel knows
    lib.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = struct.pack("=Ii", CAPABILITY_VERSION_3, 0)
    _check(lib.capset(header, bytes(24)), "capset")
    _check(lib.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    with open("/proc/self/status") as fh:
        if any(line.startswith("CapEff:") and int(line.split()[1], 16) for line in fh):
            raise OSError("capabilities are still effective")


def _close_all_but(keep) -> None:
    keep = sorted({0, 1, 2, *keep})
    start = 0
    for fd in keep:
        if fd > start:
            os.closerange(start, fd)
        start = fd + 1
    os.closerange(start, 1 << 16)


def self_test(lane: str) -> str:
    """'' when a kernel's namespaces, mounts and dropped capabilities can be built here, else why not."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read)
            lib = _lib()
            enter_namespaces(lib)
            if os.fork() == 0:
                try:
                    os.makedirs("/tmp/kubig-self-test", exist_ok=True)
                    own_filesystem(lib, "/tmp/kubig-self-test", "/tmp/kubig-self-test", lane, 1)
                    drop_capabilities(lib)
                    os._exit(0)
                except BaseException as exc:  # noqa: BLE001
                    os.write(write, f"{type(exc).__name__}: {exc}".encode()[:500])
                    os._exit(1)
            _, status = os.waitpid(-1, 0)
            os._exit(os.waitstatus_to_exitcode(status))
        except BaseException as exc:  # noqa: BLE001
            os.write(write, f"{type(exc).__name__}: {exc}".encode()[:500])
            os._exit(1)
    os.close(write)
    _, status = os.waitpid(pid, 0)
    said = os.read(read, 1000).decode(errors="replace")
    os.close(read)
    code = os.waitstatus_to_exitcode(status)
    return "" if code == 0 else (said or f"exit status {code}")


def kernel_child(job: dict, fds: list, zygote: dict, config: dict) -> None:
    """The forked child: enter the namespaces, fork pid 1 of the new one, which isolates itself,
    forks the kernel and stays as its init (never returns)."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    sock = socket.socket(fileno=fds[0])
    try:
        _close_all_but(fds)
        lib = _lib()
        enter_namespaces(lib)
        if os.fork() != 0:
            os._exit(0)  # the next process is pid 1 of the new pid namespace
        sock.send(b"pid")  # the grader reads our pid from the credentials and fills the cgroups
        if sock.recv(16) != b"go":
            os._exit(1)
        own_filesystem(lib, job["work"], job["comm"], config["lane"], int(job.get("tmp_mb") or 0))
        loopback_up()
        drop_capabilities(lib)
        zygote["non_dumpable"]()
        kernel = os.fork()
    except BaseException as exc:  # noqa: BLE001
        _fail(sock, exc)
    if kernel == 0:
        start_kernel(job, fds, sock, zygote)
    sock.close()
    for fd in fds[1:]:
        os.close(fd)
    init(kernel)


def start_kernel(job: dict, fds: list, sock: socket.socket, zygote: dict) -> None:
    """The kernel (pid 2; pid 1 would make ipykernel's interrupt, a signal to its own process
    group, a signal to every process of the namespace, the probe process included)."""
    try:
        os.setsid()
        os.chdir(WORK)
        probe = job.get("probe")
        if probe:
            zygote["start_probe"]({**probe, "probe_out": fds[1], "probe_in": fds[2]})
        sock.send(b"ok")
        sock.close()
    except BaseException as exc:  # noqa: BLE001
        _fail(sock, exc)
    try:
        zygote["become_kernel"](list(job["kernel_args"]))
    finally:
        os._exit(0)


def init(kernel: int) -> None:
    """pid 1 of the kernel's namespace: pass termination signals on to the kernel, reap every
    orphan, and end (ending the namespace) when the kernel does."""
    def forward(signum, _frame) -> None:
        try:
            os.kill(kernel, signum)
        except OSError:
            pass

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, forward)
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            os._exit(0)
        except InterruptedError:
            continue
        if pid == kernel:
            os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def _fail(sock: socket.socket, exc: BaseException) -> None:
    try:
        sock.send(f"error {type(exc).__name__}: {exc}".encode()[:1000])
    finally:
        os._exit(1)


def main() -> None:
    config = json.loads(sys.argv[1])
    control = socket.socket(fileno=int(config["control"]))
    zygote = {"__name__": "kubig_zygote"}
    exec(compile(config["zygote_source"], "zygote.py", "exec"), zygote)  # noqa: S102 - the grader's own code
    zygote["non_dumpable"]()
    sys.dont_write_bytecode = True
    zygote["preload"]([*config.get("preload", ()), "ipykernel.kernelapp"])
    problem = self_test(config["lane"])
    control.send(json.dumps({"ready": not problem, "problem": problem}).encode())
    if problem:
        return
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel itself
    while True:
        message, fds, _, _ = socket.recv_fds(control, MAX_JOB_BYTES, 4)
        if not message:
            return  # the grader is gone
        try:
            job = json.loads(message)
        except ValueError:
            for fd in fds:
                os.close(fd)
            continue
        if os.fork() == 0:
            control.close()
            kernel_child(job, fds, zygote, config)
        for fd in fds:
            os.close(fd)


if __name__ == "__main__":
    main()

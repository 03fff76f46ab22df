"""The main process of a kernel's sandbox: import once, fork the probe process, become the kernel.

Run with the student runtime's Python as ``python -c SOURCE CONFIG_JSON -f CONNECTION_FILE``
(the same sys.path as ``python -m ipykernel_launcher``). In order:

1. it makes itself non-dumpable (inherited by both children: no ptrace, no /proc/<pid>/mem
   between them) and imports the pack's modules (torch, d2l…) once;
2. when CONFIG names a probe channel, it forks the probe process from that clean state, before
   any notebook code exists anywhere. The child walls itself off with Landlock (reads only the
   runtime, /usr, /etc, /proc, /sys and the data; writes nothing but /dev/null-like devices;
   no TCP, no abstract unix sockets, no signals outside itself), so nothing the notebook later
   writes (its folder, /tmp, /dev/shm, its kernel sockets) reaches the probes. It then serves
   probe_host.py's protocol on the two pipe ends the grader passed down. When the wall cannot
   be built (a kernel without Landlock ABI 6), it says ``unwalled`` and exits: the grader then
   starts a separate probe sandbox, as before;
3. it closes its own copies of the probe pipes and becomes the ipykernel, as the launcher would.

Saving: the probe process no longer imports torch and d2l a second time (seconds of CPU per
submission) and shares those pages with the kernel.
"""

import ctypes
import json
import os
import struct
import sys

LANDLOCK_CREATE_RULESET, LANDLOCK_ADD_RULE, LANDLOCK_RESTRICT_SELF = 444, 445, 446
FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
FS_TRUNCATE = 1 << 14
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1
READ_ONLY_TREES = ("/usr", "/lib", "/lib64", "/bin", "/sbin", "/etc", "/proc", "/sys", "/tmp/mpl")
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")


def _libc():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def non_dumpable() -> None:
    _libc().prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4


def wall_off(trees: list) -> bool:
    """Landlock: from now on this process (and its forks) may read only `trees` (+ the system's
    read-only trees), write only the null-like devices, use no TCP, reach no abstract unix
    socket or process outside itself. False (nothing restricted) when the kernel cannot."""
    libc = _libc()
    abi = libc.syscall(LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    if abi < 6:
        return False
    handled_fs = (1 << 13) - 1 | 1 << 13 | FS_TRUNCATE | 1 << 15  # ABI 1-5: every filesystem right
    attr = struct.pack("=QQQ", handled_fs, NET_BIND_TCP | NET_CONNECT_TCP, SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL)
    ruleset = libc.syscall(LANDLOCK_CREATE_RULESET, attr, ctypes.c_size_t(len(attr)), ctypes.c_uint32(0))
    if ruleset < 0:
        return False
    try:
        rules = [(p, FS_EXECUTE | FS_READ_FILE | FS_READ_DIR) for p in (*READ_ONLY_TREES, *trees)]
        rules += [(p, FS_READ_FILE | FS_WRITE_FILE | FS_TRUNCATE) for p in DEVICES]
        for path, access in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                if not os.path.isdir(f"/proc/self/fd/{fd}"):
                    access &= FS_EXECUTE | FS_READ_FILE | FS_WRITE_FILE | FS_TRUNCATE  # file rights only
                rule = struct.pack("=Qi", access, fd)
                if libc.syscall(LANDLOCK_ADD_RULE, ruleset, ctypes.c_int(1), rule, ctypes.c_uint32(0)) < 0:
                    return False
            finally:
                os.close(fd)
        if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS, required to restrict oneself
            return False
        return libc.syscall(LANDLOCK_RESTRICT_SELF, ruleset, ctypes.c_uint32(0)) == 0
    finally:
        os.close(ruleset)


def _frame(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def probe_child(config: dict) -> None:
    """The forked probe process (never returns)."""
    out, job_in = int(config["probe_out"]), int(config["probe_in"])
    try:
        os.setpgid(0, 0)
        os.dup2(job_in, 0)
        os.close(job_in)
        while sys.path and sys.path[0] in ("", os.getcwd()):  # the kernel's folder: never imported from
            del sys.path[0]
        if not wall_off(list(config.get("read_trees", ()))):
            os.write(out, _frame(b"unwalled"))
            os._exit(0)
        host = {"__name__": "kubig_probe_host"}
        exec(compile(config["probe_source"], "probe_host.py", "exec"), host)  # noqa: S102 - the grader's own code
    except BaseException:  # noqa: BLE001
        os._exit(1)
    host["serve_or_report"](out, list(config.get("preload", ())))


def preload(names) -> None:
    """Import the pack's modules (an import error is left for the notebook to meet itself)."""
    import importlib

    for name in names:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001
            pass


def start_probe(config: dict) -> None:
    """Fork the walled-off probe process when CONFIG names a probe channel; close our ends."""
    if config.get("probe_out") is None:
        return
    if os.fork() == 0:
        probe_child(config)
    os.close(int(config["probe_out"]))
    os.close(int(config["probe_in"]))


def become_kernel(kernel_args: list) -> None:
    """Become the ipykernel, as ``python -m ipykernel_launcher KERNEL_ARGS`` would."""
    if sys.path and sys.path[0] == "":  # as ipykernel_launcher does
        del sys.path[0]
    sys.argv = ["ipykernel_launcher", *kernel_args]
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()


def main() -> None:
    config = json.loads(sys.argv[1])
    kernel_args = sys.argv[2:]
    non_dumpable()
    sys.dont_write_bytecode = True
    preload(config.get("preload", ()))
    start_probe(config)
    become_kernel(kernel_args)


if __name__ == "__main__":
    main()

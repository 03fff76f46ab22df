"""Notebook code that plants data everywhere a neighbouring process might look and serves it
on every local channel: files in its folder, /tmp and /dev/shm, a loopback TCP port and an
abstract unix socket (the isolation tests check that none of it reaches the other side)."""

from __future__ import annotations

import textwrap


def plant_and_serve(port: int, abstract: str, said: str) -> str:
    """A cell's source: write `said` to planted.txt in the three folders and serve it on
    127.0.0.1:port and on the abstract unix socket named `abstract`."""
    return textwrap.dedent(f"""\
        import os, socket, threading
        for path in ("planted.txt", "/tmp/planted.txt", "/dev/shm/planted.txt"):
            with open(path, "w") as fh:
                fh.write({said!r})
        def serve(sock):
            while True:
                conn, _ = sock.accept()
                conn.sendall({said.encode()!r})
                conn.close()
        tcp = socket.socket(); tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp.bind(("127.0.0.1", {port})); tcp.listen()
        unix = socket.socket(socket.AF_UNIX); unix.bind("\\0{abstract}"); unix.listen()
        for s in (tcp, unix):
            threading.Thread(target=serve, args=(s,), daemon=True).start()
        """)

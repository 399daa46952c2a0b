#!/usr/bin/env python3
"""Harness self-test: qemu.py's QMP client against a fake QEMU that sends an event before its
greeting, as QEMU 7.2 sometimes does when the guest starts (RESUME). Each command must get its
own reply. The client that took the first line for the greeting answered every command with
the reply of the one before: query-memory-devices returned device_add's {} and a DIMM just
added was "missing" (two CI failures, 2026-11). Exits 1, saying what went wrong, if it fails."""
import json
import os
import socket
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qemu import QMP  # noqa: E402


def fake_qemu(server):
    conn, _ = server.accept()
    rfile, wfile = conn.makefile("r"), conn.makefile("w")
    wfile.write(json.dumps({"timestamp": {"seconds": 0, "microseconds": 0}, "event": "RESUME"})
                + "\n")
    wfile.write(json.dumps({"QMP": {"version": {}, "capabilities": []}}) + "\n")
    wfile.flush()
    for line in rfile:
        req = json.loads(line)
        reply = {"return": {"echo": req["execute"]}}
        if "id" in req:
            reply["id"] = req["id"]
        wfile.write(json.dumps(reply) + "\n")
        wfile.flush()


def main():
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "qmp.sock")
        server = socket.socket(socket.AF_UNIX)
        server.bind(path)
        server.listen(1)
        threading.Thread(target=fake_qemu, args=(server,), daemon=True).start()
        qmp = QMP(path, os.path.join(tmp, "qmp.log"), deadline=float("inf"))
        for name in ("object-add", "device_add", "query-memory-devices"):
            got = qmp.command(name)
            if got != {"echo": name}:
                print(f"FAIL: {name} got the reply {got}, not its own")
                return 1
        if not any(e.get("event") == "RESUME" for e in qmp.events):
            print("FAIL: the event before the greeting was lost")
            return 1
    print("ok: an event before the QMP greeting; each command got its own reply")
    return 0


if __name__ == "__main__":
    sys.exit(main())

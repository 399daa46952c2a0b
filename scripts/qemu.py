#!/usr/bin/env python3
"""Boot a guest kernel under QEMU (virt, TCG), serve the guest's hot-plug requests through QMP,
and judge the run from the guest's KTAP and dmesg.

    qemu.py --kernel patched-4k --scenario qemu-test/scenarios/dimm.conf   # a test run
    qemu.py --kernel patched-4k --scenario qemu-test/scenarios/dimm.conf --shell

A scenario file holds key=value lines: boot (acpi|dt), tests (comma list of /tests programs),
mem (the -m value), mem_limit (the guest's mem=, dt only), timeout (seconds), append,
kernels (which kernels make check runs it on: baseline, patched or both, the default),
acpi_tables (comma list of .asl files, relative to the top directory: compiled with iasl and
put in front of the initrd for CONFIG_ACPI_TABLE_UPGRADE, acpi boot only), machine (more
-M properties, e.g. nvdimm=on), qemu_args (more QEMU arguments, split at spaces; {rundir} is
the run's directory, for backing files), arch (arm64, or x86_64 for a scenario that boots the
x86_64 kernels: q35 with SeaBIOS, where boot=acpi; make check runs it on those kernels only),
check (the page sizes, or kernels like patched-4k, make check runs it on; make check-full runs
it on every one), ram_share (on: the boot RAM and every DIMM as share=on memory, which the host
backs with small pages; QEMU's private RAM is madvised for transparent huge pages, and the
first write to each 2 MiB of it costs the host about 6 ms, which a bench's migration into
untouched hot-added memory would time).

The guest asks for DIMMs over the virtio-serial port "hp.ctl", one line per request:
    dimm-add ID SIZE   -> "ok addr=0x... size=0x... ost=0x..|none" (object-add + device_add
                                                        pc-dimm, then the guest's insertion _OST)
    dimm-del ID        -> "ok"                         (device_del, DEVICE_DELETED, object-del)
    vmem-size ID SIZE  -> "ok size=0x..."              (qom-set requested-size of virtio-mem ID,
                                                        then wait until its size is SIZE)
Errors come back as "err <what happened>".

Exit status: 0 if every test passed and dmesg is clean, 1 otherwise (with the cause printed),
2 on a usage error. Logs: serial.log, qmp.log, control.log and result.json in the run dir.
"""
import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("BUILD", os.path.join(TOP, "build"))
FIRMWARE = "/usr/share/qemu-efi-aarch64/QEMU_EFI.fd"

# Kernel reports that fail a run wherever they appear in the serial log.
BAD_DMESG = re.compile(
    r"WARNING:|kernel BUG at|BUG: |Internal error: Oops|Kernel panic|Unable to handle kernel"
    r"|unreferenced object|INFO: task .* blocked|possible recursive locking|circular locking")
RESULT = re.compile(r"^(?P<indent>\s*)(?P<not>not )?ok (?P<num>\d+) (?P<name>.*?)"
                    r"(?: # ?(?P<directive>\S*)\s*(?P<reason>.*))?$")
DMESG_START, DMESG_END = "# init: --- guest dmesg ---", "# init: --- end of guest dmesg ---"


def parse_size(text):
    """'512M' -> 536870912."""
    m = re.fullmatch(r"(\d+)([KMGT]?)", str(text).strip())
    if not m:
        raise ValueError(f"bad size '{text}'")
    return int(m.group(1)) << {"": 0, "K": 10, "M": 20, "G": 30, "T": 40}[m.group(2)]


def read_scenario(path):
    conf = {"boot": "acpi", "tests": "", "mem": "1G,slots=8,maxmem=8G", "timeout": "300",
            "append": "", "mem_limit": "", "acpi_tables": "", "kernels": "baseline patched",
            "machine": "", "qemu_args": "", "arch": "arm64", "check": "", "ram_share": "off"}
    with open(path) as f:
        for num, line in enumerate(f, 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            key, sep, value = line.partition("=")
            if not sep or key.strip() not in conf:
                sys.exit(f"{path}:{num}: expected one of {', '.join(conf)} as key=value")
            conf[key.strip()] = value.strip()
    return conf


def cpio_newc(entries):
    """An uncompressed newc cpio of (name, data or None for a directory) entries."""
    out = bytearray()
    for ino, (name, data) in enumerate(entries + [("TRAILER!!!", b"")], 1):
        mode = 0o40755 if data is None else 0o100644
        if name == "TRAILER!!!":
            ino, mode = 0, 0
        fields = [ino, mode, 0, 0, 1, 0, len(data or b""), 0, 0, 0, 0, len(name) + 1, 0]
        out += b"070701" + b"".join(b"%08X" % f for f in fields) + name.encode() + b"\0"
        out += b"\0" * (-len(out) % 4) + (data or b"")
        out += b"\0" * (-len(out) % 4)
    return bytes(out + b"\0" * (-len(out) % 512))


def acpi_tables_cpio(sources, rundir):
    """Compile the ASL @sources with iasl into @rundir; the cpio that the kernel's table upgrade
    reads: uncompressed, first in the initrd, tables in kernel/firmware/acpi/."""
    if not shutil.which("iasl"):
        sys.exit("acpi_tables: iasl is missing: run 'make deps' (package acpica-tools)")
    entries = [("kernel", None), ("kernel/firmware", None), ("kernel/firmware/acpi", None)]
    for src in sources:
        base = os.path.join(rundir, os.path.splitext(os.path.basename(src))[0])
        # The kernel truncates longer names (lib/earlycpio.c, MAX_CPIO_FILE_NAME) with a warning.
        if len(os.path.basename(base) + ".aml") > 16:
            sys.exit(f"acpi_tables: {src}: the name of its .aml must be 16 characters at most")
        res = subprocess.run(["iasl", "-p", base, os.path.join(TOP, src)],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        with open(base + ".iasl.log", "w") as f:
            f.write(res.stdout)
        if res.returncode != 0:
            sys.exit(f"acpi_tables: iasl failed on {src}:\n{res.stdout}")
        with open(base + ".aml", "rb") as f:
            entries.append((f"kernel/firmware/acpi/{os.path.basename(base)}.aml", f.read()))
    return cpio_newc(entries)


class QMP:
    """A QMP client: one command at a time, its reply matched by id; events are kept for
    wait_event()."""

    def __init__(self, path, transcript, deadline):
        self.log = open(transcript, "a", buffering=1)
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.connect(path)
                break
            except OSError:
                if time.time() > deadline:
                    raise TimeoutError(f"QMP socket {path} did not come up")
                time.sleep(0.05)
        # Separate reader and writer: one text file object would serialise them.
        self.rfile, self.wfile = self.sock.makefile("r"), self.sock.makefile("w")
        self.cond = threading.Condition()
        self.events, self.replies, self.next_id = [], [], 0
        # The greeting, which can come after an event (RESUME, as the guest starts): such an
        # event read as the greeting put the greeting among the replies, and every command
        # then got the reply of the one before (query-memory-devices an empty list).
        while True:
            msg = self._read()
            if msg is None:
                raise OSError(f"QMP socket {path} closed before its greeting")
            if "QMP" in msg:
                break
            self.events.append(msg)
        threading.Thread(target=self._reader, daemon=True).start()
        self.command("qmp_capabilities")

    def _read(self):
        line = self.rfile.readline()
        if not line:
            return None
        self.log.write(f"{time.time():.3f} <- {line.rstrip()}\n")
        return json.loads(line)

    def _reader(self):
        while True:
            try:
                msg = self._read()
            except (OSError, ValueError):
                msg = None
            with self.cond:
                if msg is None:
                    self.replies.append({"error": {"desc": "QMP connection closed"},
                                         "closed": True})
                    self.cond.notify_all()
                    return
                (self.events if "event" in msg else self.replies).append(msg)
                self.cond.notify_all()

    def command(self, name, timeout=30, **arguments):
        with self.cond:
            self.next_id += 1
            req = {"execute": name, "id": self.next_id,
                   **({"arguments": arguments} if arguments else {})}

            def mine():
                return next((r for r in self.replies
                             if r.get("id") == req["id"] or r.get("closed")), None)
            self.log.write(f"{time.time():.3f} -> {json.dumps(req)}\n")
            self.wfile.write(json.dumps(req) + "\n")
            self.wfile.flush()
            reply = self.cond.wait_for(mine, timeout)
            if not reply:
                raise TimeoutError(f"no QMP reply to {name} in {timeout} s")
            if not reply.get("closed"):
                self.replies.remove(reply)
        if "error" in reply:
            raise RuntimeError(f"{name}: {reply['error'].get('desc', reply['error'])}")
        return reply.get("return")

    def wait_event(self, pred, timeout):
        """Wait for the first event for which @pred is true, and take it; None on timeout."""
        def find():
            return next((e for e in self.events if pred(e)), None)
        with self.cond:
            found = self.cond.wait_for(find, timeout)
            if found:
                self.events.remove(found)
            return found


class Control:
    """Serves the guest's requests on the virtio-serial port."""

    DELETE_TIMEOUT = 60

    def __init__(self, path, qmp, transcript, deadline, share=False):
        self.qmp, self.log, self.share = qmp, open(transcript, "a", buffering=1), share
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.connect(path)
                break
            except OSError:
                if time.time() > deadline:
                    raise TimeoutError(f"control socket {path} did not come up")
                time.sleep(0.05)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        rfile, wfile = self.sock.makefile("r"), self.sock.makefile("w")
        for line in rfile:
            self.log.write(f"{time.time():.3f} guest: {line.rstrip()}\n")
            try:
                reply = self.handle(line.split())
            except (RuntimeError, TimeoutError, ValueError) as e:
                reply = f"err {e}"
            self.log.write(f"{time.time():.3f} host:  {reply}\n")
            wfile.write(reply + "\n")
            wfile.flush()

    def handle(self, words):
        if words == ["ping"]:
            return "ok"
        if len(words) == 3 and words[0] == "dimm-add":
            return self.dimm_add(words[1], parse_size(words[2]))
        if len(words) == 2 and words[0] == "dimm-del":
            return self.dimm_del(words[1])
        if len(words) == 3 and words[0] == "vmem-size":
            return self.vmem_size(words[1], parse_size(words[2]))
        raise ValueError(f"unknown request '{' '.join(words)}'")


    VMEM_TIMEOUT = 60
    VMEM_POLL = 0.002

    def vmem_size(self, dev, size):
        """Ask virtio-mem @dev for @size bytes; wait until the guest plugged or unplugged them."""
        path = f"/machine/peripheral/{dev}"
        self.qmp.command("qom-set", path=path, property="requested-size", value=size)
        deadline = time.time() + self.VMEM_TIMEOUT
        while True:
            now = self.qmp.command("qom-get", path=path, property="size")
            if now == size:
                return f"ok size={now:#x}"
            if time.time() > deadline:
                return f"err {dev} has size {now:#x}, not {size:#x}, after {self.VMEM_TIMEOUT} s"
            time.sleep(self.VMEM_POLL)

    INSERT_OST_TIMEOUT = 10

    def dimm_add(self, dimm, size):
        """device_add; the guest's ACPI hot-plug worker ends with an _OST (insertion, source 1):
        "ost=STATUS" once it did, "ost=none" if it did not within 10 s (a worker that failed
        early, or the guest has no ACPI)."""
        def ost(e):
            info = e.get("data", {}).get("info", {})
            return e["event"] == "ACPI_DEVICE_OST" and info.get("device") == dimm and \
                info.get("source") == 1

        with self.qmp.cond:
            self.qmp.events = [e for e in self.qmp.events if not ost(e)]
        self.qmp.command("object-add", **{"qom-type": "memory-backend-ram",
                                          "id": f"mem-{dimm}", "size": size,
                                          "share": self.share})
        self.qmp.command("device_add", driver="pc-dimm", id=dimm, memdev=f"mem-{dimm}")
        event = self.qmp.wait_event(ost, self.INSERT_OST_TIMEOUT)
        status = f"{event['data']['info']['status']:#x}" if event else "none"
        devices = self.qmp.command("query-memory-devices")
        for dev in devices:
            if dev["data"].get("id") == dimm:
                return f"ok addr={dev['data']['addr']:#x} size={dev['data']['size']:#x} " \
                    f"ost={status}"
        with self.qmp.cond:
            deleted = [e for e in self.qmp.events if e["event"] == "DEVICE_DELETED"]
        raise RuntimeError(f"{dimm} missing from query-memory-devices after device_add "
                           f"(insertion _OST {status}; devices "
                           f"{[d['data'].get('id') for d in devices]}; DEVICE_DELETED "
                           f"{[e.get('data', {}).get('device') for e in deleted]})")

    def dimm_del(self, dimm):
        """device_del, then DEVICE_DELETED (removed) or a failing eject _OST (refused)."""
        slot = next((d["data"]["slot"] for d in self.qmp.command("query-memory-devices")
                     if d["data"].get("id") == dimm), None)

        def ost(e):
            info = e.get("data", {}).get("info", {})
            return e["event"] == "ACPI_DEVICE_OST" and \
                (info.get("device") == dimm or info.get("slot") == str(slot))

        def done(e):
            if e["event"] == "DEVICE_DELETED":
                return e.get("data", {}).get("device") == dimm
            # 0x80 (eject): 0 done, 0x84 in progress; anything else is a refusal.
            return ost(e) and e["data"]["info"].get("source") == 3 and \
                e["data"]["info"].get("status") not in (0, 0x84)

        with self.qmp.cond:
            self.qmp.events = [e for e in self.qmp.events if not done(e) and not ost(e)]
        self.qmp.command("device_del", id=dimm)
        event = self.qmp.wait_event(done, self.DELETE_TIMEOUT)
        if event is None:
            return f"err no DEVICE_DELETED for {dimm} in {self.DELETE_TIMEOUT} s"
        if event["event"] == "ACPI_DEVICE_OST":
            status = event["data"]["info"]["status"]
            return f"err eject refused: ACPI _OST status {status:#x}" + \
                (" (device busy)" if status == 0x82 else "")
        self.qmp.command("object-del", id=f"mem-{dimm}")
        # DEVICE_DELETED comes at the guest's _EJ0; its eject then reads _STA and ends with _OST
        # (eject, status 0). A DIMM added before that lands in the slot the guest still reads.
        if not self.qmp.wait_event(lambda e: e["event"] == "ACPI_DEVICE_OST" and
                                   e["data"]["info"].get("slot") == str(slot) and
                                   e["data"]["info"].get("source") == 3 and
                                   e["data"]["info"].get("status") == 0, self.DELETE_TIMEOUT):
            return f"err no eject _OST for slot {slot} after DEVICE_DELETED"
        return "ok"


def qemu_command(conf, kernel, initrd, sockdir, rundir, interactive):
    x86 = conf["arch"] == "x86_64"
    append = ["console=ttyS0" if x86 else "console=ttyAMA0", "panic=-1", "loglevel=5"]
    machine = ",".join(["q35" if x86 else "virt"] + ([conf["machine"]] if conf["machine"] else []) +
                       (["memory-backend=ram0"] if conf["ram_share"] == "on" else []))
    cmd = ["qemu-system-x86_64" if x86 else "qemu-system-aarch64", "-M", machine,
           "-cpu", "max" if x86 else "max,pauth-impdef=on", "-smp", "2",
           "-nic", "none", "-no-reboot", "-display", "none",
           "-kernel", kernel, "-initrd", initrd,
           "-qmp", f"unix:{sockdir}/qmp.sock,server=on,wait=off",
           "-device", "virtio-serial-pci,id=vser",
           "-chardev", f"socket,id=ctl,path={sockdir}/ctl.sock,server=on,wait=off",
           "-device", "virtserialport,bus=vser.0,chardev=ctl,name=hp.ctl",
           "-serial", "mon:stdio" if interactive else "stdio"]
    if conf["boot"] == "acpi":
        # x86: SeaBIOS, QEMU's default, builds the ACPI tables; arm64 needs UEFI for them.
        cmd += ["-m", conf["mem"]] + ([] if x86 else ["-bios", FIRMWARE])
    elif conf["boot"] == "dt" and not x86:
        cmd += ["-m", conf["mem"]]
    else:
        sys.exit(f"boot={conf['boot']}: use acpi or dt (arm64), acpi (x86_64)")
    if conf["ram_share"] == "on":
        cmd += ["-object", f"memory-backend-ram,id=ram0,size={conf['mem'].split(',')[0]},share=on"]
    elif conf["ram_share"] != "off":
        sys.exit(f"ram_share={conf['ram_share']}: use on or off")
    if conf["mem_limit"]:
        append += [f"mem={conf['mem_limit']}", f"hp.ram={conf['mem'].split(',')[0]}"]
    cmd += [arg.replace("{rundir}", rundir) for arg in conf["qemu_args"].split()]
    append.append("hp.shell" if interactive else f"hp.run={conf['tests']}")
    if conf["append"]:
        append.append(conf["append"])
    return cmd + ["-append", " ".join(append)]


def judge(serial_text, timed_out, returncode):
    """The tests and the problems found in a run's serial log."""
    tests, cases, notes, problems, plan = [], [], [], [], None
    in_dmesg = False
    for line in serial_text.splitlines():
        line = line.replace("\r", "")
        if line.startswith(DMESG_START):
            in_dmesg = True
        elif line.startswith(DMESG_END):
            in_dmesg = False
        bad = BAD_DMESG.search(line)
        if bad and not line.lstrip().startswith("#"):
            problems.append(f"dmesg: {line.strip()[:200]}")
        if in_dmesg:
            continue
        if plan is None and re.fullmatch(r"1\.\.(\d+)", line):
            plan = int(line[3:])
        m = RESULT.match(line)
        if m and m["indent"]:
            cases.append({"name": m["name"], "ok": not m["not"], "notes": notes,
                          "skip": m["directive"] == "SKIP", "reason": m["reason"] or ""})
            notes = []
        elif m:
            tests.append({"name": m["name"], "ok": not m["not"], "cases": cases,
                          "skip": m["directive"] == "SKIP"})
            cases = []
        elif line.startswith("    ") and line.lstrip().startswith("# "):
            notes.append(line.strip()[2:])
            if notes[-1].startswith("FAIL"):
                problems.append(f"guest: {notes[-1]}")
    for t in tests:
        # A runner such as run_kselftest.sh exits 0 although a test it ran failed.
        failed = [c["name"] for c in t["cases"] if not c["ok"]]
        if not t["ok"] or failed:
            problems.append(f"guest test failed: {t['name']}"
                            + (f" ({', '.join(failed)})" if failed else ""))
    if timed_out:
        problems.append("timeout: the guest did not power off in time")
    elif returncode != 0:
        problems.append(f"QEMU exited with status {returncode}")
    if plan is None:
        problems.append("no KTAP plan from the guest: did /init start? (see serial.log)")
    elif len(tests) != plan:
        problems.append(f"the guest reported {len(tests)} of {plan} tests: it stopped early")
    return tests, problems


def show(line, state):
    """Progress for people: the guest's KTAP and notes, and kernel reports that fail a run."""
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|[\x00-\x08\x0b-\x1f]", "", line).rstrip()
    if text.startswith(DMESG_START):
        state["dmesg"] = True
    if state.get("dmesg"):
        state["dmesg"] = not text.startswith(DMESG_END)
        return
    stripped = text.strip()
    if BAD_DMESG.search(text) and not stripped.startswith("#"):
        print(f"  guest kernel: {stripped}", flush=True)
    elif RESULT.match(text) or stripped.startswith("# "):
        print(f"  {text}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kernel", required=True,
                    help="kernel name under build/out (e.g. patched-4k) or an Image path")
    ap.add_argument("--scenario", required=True, help="scenario file")
    ap.add_argument("--initrd", help="the guest initramfs (default: initramfs.cpio.gz in "
                    "$GUEST_DIR, or build/guest, or build/guest-x86_64 for arch=x86_64)")
    ap.add_argument("--rundir", help="where logs go (default build/runs/KERNEL/SCENARIO)")
    ap.add_argument("--shell", action="store_true", help="interactive guest shell")
    ap.add_argument("--quiet", action="store_true", help="no progress lines")
    args = ap.parse_args()

    conf = read_scenario(args.scenario)
    if conf["arch"] not in ("arm64", "x86_64"):
        sys.exit(f"{args.scenario}: arch={conf['arch']}: use arm64 or x86_64")
    if not args.initrd:
        guest = "guest-x86_64" if conf["arch"] == "x86_64" else "guest"
        args.initrd = os.path.join(os.environ.get("GUEST_DIR", os.path.join(BUILD, guest)),
                                   "initramfs.cpio.gz")
    if conf["acpi_tables"] and conf["boot"] != "acpi":
        sys.exit(f"{args.scenario}: acpi_tables needs boot=acpi")
    scen = os.path.splitext(os.path.basename(args.scenario))[0]
    kernel = args.kernel
    if os.path.sep not in kernel:
        kernel = os.path.join(BUILD, "out", args.kernel, "arch", *(
            ("x86", "boot", "bzImage") if conf["arch"] == "x86_64" else ("arm64", "boot", "Image")))
    for path, hint in ((kernel, "make kernels"), (args.initrd, "make guest")):
        if not os.path.exists(path):
            print(f"ERROR: {path} is missing: run '{hint}' first", file=sys.stderr)
            return 2
    label = args.kernel if os.path.sep not in args.kernel else "custom"
    rundir = args.rundir or os.path.join(BUILD, "runs", label, "shell" if args.shell else scen)
    shutil.rmtree(rundir, ignore_errors=True)
    os.makedirs(rundir)
    # The kernel's test modules come as a second archive, appended to the shared initramfs;
    # ACPI tables as an uncompressed archive before it.
    modules = os.path.join(os.path.dirname(kernel), "..", "..", "..", "modules.cpio.gz")
    initrd = args.initrd
    tables = [t.strip() for t in conf["acpi_tables"].split(",") if t.strip()]
    if os.path.exists(modules) or tables:
        initrd = os.path.join(rundir, "initrd.cpio.gz")
        with open(initrd, "wb") as out:
            if tables:
                out.write(acpi_tables_cpio(tables, rundir))
            for part in [args.initrd] + ([modules] if os.path.exists(modules) else []):
                with open(part, "rb") as f:
                    shutil.copyfileobj(f, out)
    sockdir = tempfile.mkdtemp(prefix="hp-qemu-")
    cmd = qemu_command(conf, kernel, initrd, sockdir, rundir, args.shell)
    with open(os.path.join(rundir, "command"), "w") as f:
        f.write(" ".join(cmd) + "\n")

    timeout = int(conf["timeout"])
    start = time.time()
    if args.shell:
        print(f"QMP socket: {sockdir}/qmp.sock  (e.g. socat - UNIX-CONNECT:{sockdir}/qmp.sock)\n"
              "QEMU monitor: Ctrl-a c; quit: Ctrl-a x; logs: " + rundir, flush=True)
        proc = subprocess.Popen(cmd)
        qmp = QMP(f"{sockdir}/qmp.sock", os.path.join(rundir, "qmp.log"), start + 30)
        Control(f"{sockdir}/ctl.sock", qmp, os.path.join(rundir, "control.log"), start + 30,
                conf["ram_share"] == "on")
        proc.wait()
        shutil.rmtree(sockdir, ignore_errors=True)
        return proc.returncode

    serial = open(os.path.join(rundir, "serial.log"), "w")
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, errors="replace")
    try:
        qmp = QMP(f"{sockdir}/qmp.sock", os.path.join(rundir, "qmp.log"), start + 30)
        Control(f"{sockdir}/ctl.sock", qmp, os.path.join(rundir, "control.log"), start + 30,
                conf["ram_share"] == "on")
    except (TimeoutError, OSError) as e:
        print(f"ERROR: {e}", file=sys.stderr)

    timed_out = threading.Event()
    timer = threading.Timer(timeout, lambda: (timed_out.set(), proc.kill()))
    timer.start()
    state = {}
    for line in proc.stdout:
        serial.write(line)
        serial.flush()
        if not args.quiet:
            show(line, state)
    proc.wait()
    timer.cancel()
    serial.close()
    shutil.rmtree(sockdir, ignore_errors=True)

    with open(os.path.join(rundir, "serial.log")) as f:
        tests, problems = judge(f.read(), timed_out.is_set(), proc.returncode)
    result = {"kernel": label, "scenario": scen, "seconds": round(time.time() - start, 1),
              "passed": not problems, "tests": tests, "problems": problems}
    with open(os.path.join(rundir, "result.json"), "w") as f:
        json.dump(result, f, indent=1)
    verdict = "PASS" if result["passed"] else "FAIL"
    print(f"{verdict} {label} {scen} in {result['seconds']} s (logs: {os.path.relpath(rundir)})")
    for p in problems[:10]:
        print(f"  {p}")
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())

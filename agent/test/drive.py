#!/usr/bin/env python3
"""Behaviour tests of the static isol8-agent as PID 1 of a container with isol8's hardening.

Speaks the protocol of docs/agent-protocol.md over `docker run -i` stdin/stdout. Every container is
named isol8-agent-test-<hex>, labelled io.isol8.test=agent and removed at the end.

Usage: drive.py --agent PATH [--image isol8:bash] [--require-docker[=true|false]] [-k NAME_SUBSTRING]
Without Docker (or without the image) the tests are skipped (exit 0), unless --require-docker.
"""
import argparse
import hashlib
import io
import os
import queue
import secrets
import statistics
import struct
import subprocess
import sys
import tarfile
import threading
import time

RUN, STDIN, STDIN_END, SIGNAL, KILL_ALL, STATS, PUT, PUT_END, GET, OUTPUTS, RESIZE = range(0x01, 0x0C)
HELLO, STARTED, STDOUT, STDERR, EXIT, ERROR, STATS_REPLY, DONE, ACK, DATA = range(0x80, 0x8A)
NAMES = {HELLO: "hello", STARTED: "started", STDOUT: "stdout", STDERR: "stderr", EXIT: "exit", ERROR: "error",
         STATS_REPLY: "stats", DONE: "done", ACK: "ack", DATA: "data"}
ENV = ["PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/sandbox", "LANG=C.UTF-8"]
CREDIT = 256 * 1024
HARDENING = ["--user", "1000:1000", "--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--read-only",
             "--tmpfs", "/sandbox:rw,exec,nosuid,nodev,size=64m,uid=1000,gid=1000,mode=0755",
             "--tmpfs", "/tmp:rw,noexec,nosuid,nodev,size=64m,uid=1000,gid=1000,mode=1777",
             "--pids-limit", "64", "--network", "none", "--log-driver", "none",
             "--ulimit", "nofile=1024:1024", "--ulimit", "core=0", "--ipc", "private", "--hostname", "sandbox"]

ARGS = None
CONTAINERS = []


def frame(ftype, rid, payload=b""):
    return struct.pack(">IBI", 5 + len(payload), ftype, rid) + payload


def string(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack(">I", len(b)) + b


def strings(items):
    return struct.pack(">I", len(items)) + b"".join(string(s) for s in items)


def run_payload(argv, env=None, cwd="/sandbox", deadline_ms=0, stdin_mode=0, remove_after=None, size=None):
    p = struct.pack(">IB", deadline_ms, stdin_mode) + string(cwd) + strings(argv) + strings(ENV if env is None else env)
    if size is not None:
        return p + string(remove_after or "") + struct.pack(">HH", *size)
    return p if remove_after is None else p + string(remove_after)


def tar_of(files, fmt=tarfile.PAX_FORMAT):
    """A tar archive like the server's staging archive: regular files, 0644, owner 0."""
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w", format=fmt) as t:
        for path, content in files.items():
            info = tarfile.TarInfo(path.lstrip("/"))
            info.size = len(content)
            info.mode = 0o644
            info.mtime = time.time()
            t.addfile(info, io.BytesIO(content))
    return b.getvalue()


class Exit:
    def __init__(self, payload, at):
        self.code, self.signal, self.flags, self.cpu_us, self.peak_kb, self.wall_us = struct.unpack(">iBBQQQ", payload)
        self.at = at

    @property
    def timed_out(self):
        return bool(self.flags & 1)

    @property
    def oom(self):
        return bool(self.flags & 2)

    def __repr__(self):
        return f"Exit(code={self.code}, signal={self.signal}, flags={self.flags}, cpu_us={self.cpu_us}, " \
               f"peak_kb={self.peak_kb}, wall_us={self.wall_us})"


class Result:
    def __init__(self):
        self.started = None
        self.out = bytearray()
        self.err = bytearray()
        self.exit = None
        self.errors = []
        self.acks = 0
        self.order = []


class Agent:
    """One container running the agent; frames are read by a thread into a queue."""

    def __init__(self, extra=(), paced=False):
        self.name = "isol8-agent-test-" + secrets.token_hex(6)
        CONTAINERS.append(self.name)
        cmd = ["docker", "run", "--rm", "-i", "--name", self.name, "--label", "io.isol8.test=agent", *HARDENING,
               *extra, "-v", f"{ARGS.agent}:/isol8-agent:ro", "--entrypoint", "/isol8-agent", ARGS.image]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     bufsize=0)
        self.frames = queue.Queue()
        self.reading = threading.Event()
        self.reading.set()
        self.eof_at = None
        threading.Thread(target=self._read, daemon=True).start()
        self.pending = []
        self.next_id = 1
        kind, rid, payload, _ = self.next(timeout=30)
        assert kind == HELLO and rid == 0, f"first frame is {NAMES.get(kind, kind)}"
        self.version, self.cgroup = struct.unpack(">IB", payload[:5])
        self.agent_version = payload[9:9 + struct.unpack(">I", payload[5:9])[0]].decode()

    def _read_exact(self, n):
        b = bytearray()
        while len(b) < n:
            chunk = self.proc.stdout.read(n - len(b))
            if not chunk:
                return None
            b += chunk
        return bytes(b)

    def _read(self):
        while True:
            self.reading.wait()
            head = self._read_exact(9)
            if head is None:
                break
            length, kind, rid = struct.unpack(">IBI", head)
            payload = self._read_exact(length - 5)
            if payload is None:
                break
            self.frames.put((kind, rid, payload, time.monotonic()))
        self.eof_at = time.monotonic()
        self.frames.put((None, None, None, self.eof_at))

    def send(self, kind, rid, payload=b""):
        self.proc.stdin.write(frame(kind, rid, payload))
        self.proc.stdin.flush()

    def new_id(self):
        self.next_id += 1
        return self.next_id

    def next(self, timeout=10, want=None):
        """The next frame (matching want(kind, rid) when given), keeping the others for later."""
        for i, f in enumerate(self.pending):
            if want is None or want(f[0], f[1]):
                return self.pending.pop(i)
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError("no frame within %.1f s" % timeout)
            try:
                f = self.frames.get(timeout=left)
            except queue.Empty:
                raise AssertionError("no frame within %.1f s" % timeout)
            if f[0] is None:
                self.frames.put(f)
                raise AssertionError("channel closed")
            if want is None or want(f[0], f[1]):
                return f
            self.pending.append(f)

    def start(self, argv, **kw):
        rid = kw.pop("rid", None) or self.new_id()
        self.send(RUN, rid, run_payload(argv, **kw))
        return rid

    def collect(self, rid, timeout=20):
        res = Result()
        while res.exit is None:
            kind, _, payload, at = self.next(timeout, lambda k, r: r == rid)
            res.order.append(kind)
            if kind == STARTED:
                res.started = struct.unpack(">I", payload)[0]
            elif kind == STDOUT:
                res.out += payload
            elif kind == STDERR:
                res.err += payload
            elif kind == ACK:
                res.acks += struct.unpack(">I", payload)[0]
            elif kind == ERROR:
                res.errors.append(payload[4:].decode())
                return res
            elif kind == EXIT:
                res.exit = Exit(payload, at)
        return res

    def run(self, argv, **kw):
        timeout = kw.pop("timeout", 20)
        return self.collect(self.start(argv, **kw), timeout)

    def sh(self, script, **kw):
        return self.run(["sh", "-c", script], **kw)

    def stats(self):
        rid = self.new_id()
        self.send(STATS, rid)
        _, _, payload, _ = self.next(10, lambda k, r: r == rid and k == STATS_REPLY)
        return dict(zip(["memory", "memory_peak", "oom_kills", "cpu_ns", "net_rx", "net_tx"],
                        struct.unpack(">6Q", payload)))

    def put(self, archive, chunk=65536):
        """Sends a tar stream; returns None (done) or the error message."""
        rid = self.new_id()
        for i in range(0, len(archive), chunk):
            self.send(PUT, rid, archive[i:i + chunk])
        self.send(PUT_END, rid)
        kind, _, payload, _ = self.next(10, lambda k, r: r == rid)
        assert kind in (DONE, ERROR), NAMES.get(kind, kind)
        return None if kind == DONE else payload[4:].decode()

    def transfer(self, kind, payload):
        """Sends get or outputs; returns (data bytes, None) or (None, error message)."""
        rid = self.new_id()
        self.send(kind, rid, payload)
        data = bytearray()
        while True:
            k, _, p, _ = self.next(20, lambda kk, r: r == rid)
            if k == DATA:
                assert p, "empty data frame"
                data += p
            elif k == DONE:
                return bytes(data), None
            elif k == ERROR:
                assert not data, "error after data"
                return None, p[4:].decode()
            else:
                raise AssertionError(f"unexpected {NAMES.get(k, k)}")

    def get(self, path, max_bytes=1 << 20):
        return self.transfer(GET, struct.pack(">Q", max_bytes) + string(path))

    def outputs(self, paths, max_total=1 << 20):
        data, err = self.transfer(OUTPUTS, struct.pack(">Q", max_total) + strings(paths))
        assert err is None, err
        files, off = [], 0
        while off < len(data):
            n = struct.unpack(">I", data[off:off + 4])[0]
            path = data[off + 4:off + 4 + n].decode()
            size = struct.unpack(">Q", data[off + 4 + n:off + 12 + n])[0]
            off += 12 + n
            files.append((path, data[off:off + size]))
            off += size
        assert off == len(data), "records do not add up"
        return files

    def processes(self):
        r = self.run(["ps", "-e", "-o", "pid=,stat=,comm="])
        assert r.exit and r.exit.code == 0, r.err
        return [line.split(None, 2) for line in r.out.decode().splitlines()]

    def close(self, wait=10):
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            return self.proc.wait(wait)
        except subprocess.TimeoutExpired:
            return None
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            remove(self.name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def remove(name):
    subprocess.run(["docker", "rm", "-f", name], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if name in CONTAINERS:
        CONTAINERS.remove(name)


def only_agent_left(a):
    procs = a.processes()
    names = sorted(p[2] for p in procs)
    assert names == ["isol8-agent", "ps"], f"processes left: {procs}"


# ---- tests ----------------------------------------------------------------------------------------

def test_hello(a):
    assert a.version == 2, a.version
    assert a.cgroup in (1, 2), a.cgroup
    assert a.agent_version


def test_echo(a):
    r = a.run(["echo", "hi"])
    assert r.started and r.started > 1, r.started
    assert bytes(r.out) == b"hi\n", r.out
    assert r.exit.code == 0 and r.exit.signal == 0 and r.exit.flags == 0, r.exit
    assert r.order[0] == STARTED and r.order[-1] == EXIT, r.order


def test_run_is_own_session_with_only_fds_0_to_2(a):
    r = a.sh('echo "$$ $(ps -o sid=,pgid= -p $$)"; ls /proc/self/fd; id -u')
    lines = r.out.decode().split("\n")
    pid, sid, pgid = lines[0].split()
    assert pid == sid == pgid == str(r.started), lines
    # /proc/self/fd of ls shows 0, 1, 2 and its own directory fd (3)
    assert lines[1:5] == ["0", "1", "2", "3"], lines
    assert lines[5] == "1000", lines


def test_env_cwd_and_path_lookup(a):
    r = a.run(["sh", "-c", 'echo "$FOO $(pwd)"'], env=["PATH=/bin", "FOO=bar"], cwd="/tmp")
    assert bytes(r.out) == b"bar /tmp\n", (r.out, r.err)
    r = a.run(["env"], env=["A=1"])
    assert bytes(r.out) == b"A=1\n", r.out


def test_exec_failures(a):
    r = a.run(["no-such-program"])
    assert r.exit.code == 127, r.exit
    assert b"isol8-agent: execve no-such-program:" in r.err, r.err
    r = a.run(["/etc/passwd"])
    assert r.exit.code == 126, r.exit
    r = a.run(["true"], cwd="/no/such/dir")
    assert r.exit.code == 127 and b"chdir /no/such/dir" in r.err, (r.exit, r.err)


def test_exit_codes_and_signals(a):
    assert a.sh("exit 3").exit.code == 3
    r = a.sh("kill -TERM $$")
    assert r.exit.code == 143 and r.exit.signal == 15, r.exit
    r = a.sh("kill -KILL $$")
    assert r.exit.code == 137 and r.exit.signal == 9, r.exit


def test_run_gets_default_signal_dispositions(a):
    # the agent ignores SIGPIPE, SIGTERM, ...; a program must not inherit that
    r = a.run(["bash", "-c", "yes | head -c 1 >/dev/null; echo ${PIPESTATUS[0]}; trap -p"])
    assert bytes(r.out) == b"141\n", (r.out, r.err)
    rid = a.start(["sleep", "30"])
    a.next(10, lambda k, rr: rr == rid and k == STARTED)
    a.send(SIGNAL, rid, bytes([15]))
    assert a.collect(rid).exit.signal == 15


def test_stdout_and_stderr_kept_apart(a):
    r = a.sh("echo out; echo err >&2; echo out2")
    assert bytes(r.out) == b"out\nout2\n" and bytes(r.err) == b"err\n", (r.out, r.err)


def test_stdin_streaming_with_credits(a):
    data = os.urandom(3 * 1024 * 1024 + 12345)
    rid = a.start(["sha256sum"], stdin_mode=1)
    sent = acked = 0
    res = Result()
    while sent < len(data):
        while sent - acked > CREDIT - 65536:
            try:
                kind, _, payload, _ = a.next(10, lambda k, r: r == rid)
            except AssertionError as e:
                raise AssertionError(f"{e}: sent {sent}, acked {acked}") from None
            if kind == ACK:
                acked += struct.unpack(">I", payload)[0]
            elif kind == STARTED:
                res.started = True
            else:
                raise AssertionError(f"unexpected {NAMES.get(kind)}")
        chunk = data[sent:sent + 65536]
        a.send(STDIN, rid, chunk)
        sent += len(chunk)
    a.send(STDIN_END, rid)
    r = a.collect(rid)
    acked += r.acks
    assert acked == len(data), (acked, len(data))
    assert r.out.decode().split()[0] == hashlib.sha256(data).hexdigest(), r.out
    assert r.exit.code == 0


def test_stdin_end_closes_stdin(a):
    rid = a.start(["cat"], stdin_mode=1)
    a.send(STDIN, rid, b"hello ")
    a.send(STDIN, rid, b"world")
    a.send(STDIN_END, rid)
    r = a.collect(rid)
    assert bytes(r.out) == b"hello world" and r.exit.code == 0 and r.acks == 11, (r.out, r.acks)


def test_stdin_end_after_everything_was_acked(a):
    # the ring is empty when stdin-end arrives: nothing else would wake the agent up
    rid = a.start(["cat"], stdin_mode=1)
    a.send(STDIN, rid, b"abc")
    acked = 0
    while acked < 3:
        kind, _, payload, _ = a.next(5, lambda k, r: r == rid and k == ACK)
        acked += struct.unpack(">I", payload)[0]
    _, _, echoed, _ = a.next(5, lambda k, r: r == rid and k == STDOUT)
    time.sleep(0.1)                     # the agent has nothing left to do
    a.send(STDIN_END, rid)
    r = a.collect(rid, timeout=2)
    assert r.exit.code == 0 and echoed + r.out == b"abc", (r.exit, echoed, r.out)


def test_stdin_mode_none_reads_dev_null(a):
    r = a.run(["cat"])
    assert r.exit.code == 0 and bytes(r.out) == b""


def test_stdin_dropped_after_program_closes_it_is_acked(a):
    rid = a.start(["sh", "-c", "exec 0<&-; sleep 0.3; echo done"], stdin_mode=1)
    time.sleep(0.1)
    a.send(STDIN, rid, b"x" * 1000)
    r = a.collect(rid)
    assert bytes(r.out) == b"done\n" and r.acks == 1000, (r.out, r.acks)


def test_signal_reaches_the_process_group(a):
    rid = a.start(["sh", "-c", "sleep 30 & sleep 30"])
    a.next(10, lambda k, r: r == rid and k == STARTED)
    time.sleep(0.2)
    t0 = time.monotonic()
    a.send(SIGNAL, rid, bytes([15]))
    r = a.collect(rid)
    assert r.exit.signal == 15 and r.exit.code == 143, r.exit
    assert r.exit.at - t0 < 0.09, "exit waited for a survivor holding the pipes"
    only_agent_left(a)


def test_terminal_run_has_a_controlling_terminal_of_the_given_size(a):
    r = a.sh("[ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo tty; stty size; ps -o tty= -p $$ | grep -q pts && echo ctty;"
             " echo err >&2", stdin_mode=2, size=(100, 30))
    assert r.exit.code == 0, (r.exit, r.out, r.err)
    assert bytes(r.out) == b"tty\r\n30 100\r\nctty\r\nerr\r\n" and bytes(r.err) == b"", (r.out, r.err)


def test_terminal_resize_reaches_the_program(a):
    rid = a.start(["sh", "-c", "stty size; read x; stty size"], stdin_mode=2, size=(80, 24))
    out = b""
    while b"24 80" not in out:
        _, _, payload, _ = a.next(10, lambda k, r: r == rid and k == STDOUT)
        out += payload
    a.send(RESIZE, rid, struct.pack(">HH", 132, 50))
    a.send(STDIN, rid, b"\r")
    r = a.collect(rid)
    assert r.exit.code == 0 and b"50 132" in bytes(r.out), (r.exit, out, r.out)


def test_terminal_eof_character_ends_cat_and_ctrl_c_interrupts(a):
    rid = a.start(["cat"], stdin_mode=2, size=(80, 24))
    a.send(STDIN, rid, b"hi\r\x04")
    r = a.collect(rid)
    assert r.exit.code == 0 and bytes(r.out) == b"hi\r\nhi\r\n", (r.exit, r.out)
    rid = a.start(["sleep", "30"], stdin_mode=2, size=(80, 24))
    a.next(10, lambda k, r: r == rid and k == STARTED)
    time.sleep(0.1)
    a.send(STDIN, rid, b"\x03")
    r = a.collect(rid)
    assert r.exit.signal == 2 and r.exit.code == 130, r.exit


def test_bad_terminal_sizes_and_resizes(a):
    r = a.run(["true"], stdin_mode=2, size=(0, 24))
    assert r.errors and "terminal size" in r.errors[0], r.errors
    rid = a.start(["sleep", "0.2"])
    a.send(RESIZE, rid, struct.pack(">HH", 100, 30))          # no terminal: ignored
    r = a.collect(rid)
    assert r.exit.code == 0 and not r.errors, (r.exit, r.errors)


def test_signal_not_allowed_is_an_error(a):
    rid = a.start(["sleep", "0.2"])
    a.send(SIGNAL, rid, bytes([19]))  # SIGSTOP
    kind, _, payload, _ = a.next(10, lambda k, r: r == rid and k == ERROR)
    assert b"not allowed" in payload
    assert a.collect(rid).exit.code == 0


def test_deadline_kills_fork_tree_and_daemons(a):
    script = ("sleep 100 & (sleep 100 &) ; setsid sh -c 'sleep 100 & sleep 100' & "
              "setsid sh -c 'exec >/dev/null 2>&1 </dev/null; sleep 100' & "
              "for i in 1 2 3; do sh -c 'sleep 100' & done; echo up; sleep 100")
    t0 = time.monotonic()
    r = a.sh(script, deadline_ms=500)
    late_ms = (r.exit.at - t0) * 1000 - 500
    inside_ms = r.exit.wall_us / 1000 - 500
    assert bytes(r.out) == b"up\n", r.out
    assert r.exit.timed_out and r.exit.code == 137 and r.exit.signal == 9, r.exit
    # the 100 ms budget is asserted on the median in test_deadline_latency_repeated; a single run on a
    # shared, loaded machine gets more room here
    assert inside_ms <= 250, f"exit sent {inside_ms:.1f} ms after the deadline"
    only_agent_left(a)
    MEASURED["fork tree + daemons: exit after deadline, driver / agent (ms)"] = (round(late_ms, 1),
                                                                                 round(inside_ms, 1))


def test_deadline_latency_repeated(a):
    lates, inside = [], []
    for _ in range(10):
        t0 = time.monotonic()
        r = a.sh("sleep 100 & setsid sleep 100 & sleep 100", deadline_ms=200)
        assert r.exit.timed_out
        lates.append((r.exit.at - t0) * 1000 - 200)
        inside.append(r.exit.wall_us / 1000 - 200)
    MEASURED["exit after deadline, 10 runs, at the driver (ms): median/max"] = (
        round(statistics.median(lates), 1), round(max(lates), 1))
    MEASURED["exit after deadline, 10 runs, inside the agent (ms): median/max"] = (
        round(statistics.median(inside), 1), round(max(inside), 1))
    # the median exit leaves the agent, and reaches the driver through the docker CLI, within 100 ms
    # of the deadline; single runs on a loaded shared machine may take longer (scheduling of the dying
    # processes), so the maximum is reported, not asserted
    assert statistics.median(inside) <= 100, inside
    assert statistics.median(lates) <= 100, lates


def test_kill_all(a):
    r = a.sh("setsid sleep 100 & sleep 100 & echo ok")
    assert r.exit.code == 0
    live = a.start(["sh", "-c", "sleep 100"])
    a.next(10, lambda k, rr: rr == live and k == STARTED)
    kid = a.new_id()
    a.send(KILL_ALL, kid)
    res = a.collect(live)
    assert res.exit.code == 137 and not res.exit.timed_out, res.exit
    a.next(10, lambda k, rr: rr == kid and k == DONE)
    only_agent_left(a)


def test_stats(a):
    s = a.stats()
    assert s["memory"] > 0 and s["memory_peak"] >= s["memory"], s
    assert s["cpu_ns"] > 0 and s["oom_kills"] == 0, s
    assert s["net_rx"] == 0 and s["net_tx"] == 0, s


def test_limits_answered_with_error(a):
    ids = [a.start(["sleep", "1"]) for _ in range(4)]
    fifth = a.start(["true"])
    r = a.collect(fifth)
    assert r.errors and "live runs" in r.errors[0], r.errors
    dup = a.start(["true"], rid=ids[0])
    kind, rid, payload, _ = a.next(10, lambda k, rr: rr == dup and k == ERROR)
    assert b"in use" in payload
    for rid in ids:
        assert a.collect(rid).exit.code == 0
    r = a.run(["x"] * 257)
    assert r.errors and "argv" in r.errors[0], r.errors
    r = a.run([])
    assert r.errors, r
    a.send(STDIN, 999999, b"late")   # for a run that is gone: ignored
    a.send(SIGNAL, 999999, bytes([15]))
    assert bytes(a.run(["echo", "still"]).out) == b"still\n"


def test_round_trip_of_true(a):
    times = []
    for _ in range(50):
        t0 = time.monotonic()
        r = a.run(["true"])
        assert r.exit.code == 0
        times.append((r.exit.at - t0) * 1000)
    MEASURED["run of `true`, round trip (ms): median/p90"] = (round(statistics.median(times), 2),
                                                               round(sorted(times)[44], 2))


def test_program_cannot_kill_or_stop_the_agent(a):
    r = a.sh("kill -9 -1; kill -STOP 1; kill -9 1; kill -TERM 1; kill -INT 1; kill -HUP 1; echo alive")
    # kill -9 -1 from the program also kills... nothing it cannot: PID 1 is exempt, the shell itself too
    assert b"alive" in r.out, (r.out, r.err)
    assert bytes(a.run(["echo", "channel"]).out) == b"channel\n"
    state = a.run(["sh", "-c", "grep State /proc/1/status"]).out
    assert b"S (sleeping)" in state or b"R (running)" in state, state


def test_program_cannot_reach_the_channel(a):
    r = a.sh("ls /proc/1/fd")
    assert r.exit.code != 0 and b"Permission denied" in r.err, (r.exit, r.err)
    r = a.sh("echo x > /proc/1/fd/1")
    assert r.exit.code != 0, r.exit
    r = a.sh("cat /proc/1/environ")
    assert r.exit.code != 0, r.exit


def test_orphans_are_reaped(a):
    r = a.sh("(sh -c 'sleep 0.2' &) ; (setsid sh -c 'sleep 0.2 &' &); echo x")
    assert r.exit.code == 0
    time.sleep(0.6)
    procs = a.processes()
    assert not [p for p in procs if p[1].startswith("Z")], procs
    only_agent_left(a)


def test_output_flood_in_order_with_bounded_memory(a):
    n = 6_000_000
    expected = hashlib.sha256(("\n".join(map(str, range(1, n + 1))) + "\n").encode()).hexdigest()
    rid = a.start(["seq", "1", str(n)])
    h = hashlib.sha256()
    size = 0
    paused = False
    t0 = time.monotonic()
    while True:
        kind, _, payload, _ = a.next(60, lambda k, r: r == rid)
        if kind == STDOUT:
            h.update(payload)
            size += len(payload)
            if not paused and size > 4_000_000:   # stop reading: the agent must stop reading the pipe
                paused = True
                a.reading.clear()
                time.sleep(1.0)
                a.reading.set()
        elif kind == EXIT:
            ex = Exit(payload, 0)
            break
    secs = time.monotonic() - t0
    assert ex.code == 0, ex
    assert h.hexdigest() == expected, "output out of order or incomplete"
    status = a.run(["grep", "-E", "VmHWM|VmRSS", "/proc/1/status"]).out.decode()
    hwm_kb = int(status.split("VmHWM:")[1].split()[0])
    assert hwm_kb < 4096, status
    MEASURED["50 MB flood"] = f"{size / 1e6:.1f} MB in {secs:.2f} s; agent VmHWM {hwm_kb} kB"


def test_oom_flag():
    with Agent(extra=["--memory", "64m", "--memory-swap", "64m"]) as a:
        r = a.sh("head -c 200m /dev/zero | tail")
        assert r.exit.code == 137 and r.exit.oom, r.exit
        assert a.stats()["oom_kills"] >= 1
        r = a.run(["echo", "after"])
        assert bytes(r.out) == b"after\n" and not r.exit.oom, r.exit


def test_agent_exits_when_stdin_closes():
    a = Agent()
    r = a.sh("sleep 100 & echo bg")
    assert r.exit.code == 0
    a.start(["sleep", "100"])
    t0 = time.monotonic()
    code = a.close(wait=10)
    assert code is not None, "the container did not stop"
    took = time.monotonic() - t0
    assert took < 5, took


def test_garbage_frame_drops_the_channel():
    a = Agent()
    a.start(["sleep", "100"])
    a.proc.stdin.write(b"\xff\xff\xff\xffgarbage")
    a.proc.stdin.flush()
    code = a.proc.wait(10)
    err = a.proc.stderr.read()
    a.close()
    assert code == 1, code
    assert b"malformed frame" in err, err


def test_unknown_type_drops_the_channel():
    a = Agent()
    a.send(0x7f, 1, b"")
    code = a.proc.wait(10)
    a.close()
    assert code == 1, code


def test_put_writes_files_with_parents_and_replaces(a):
    long_name = "/sandbox/" + "d" * 120 + "/" + "f" * 120 + ".txt"
    files = {"/sandbox/in/a.txt": b"alpha", "/tmp/.isol8/stdin": b"", long_name: b"L" * 70000,
             "/sandbox/big.bin": os.urandom(300_000)}
    assert a.put(tar_of(files), chunk=7001) is None
    for path, content in files.items():
        data, err = a.get(path)
        assert err is None and data == content, (path, err, len(data or b""))
    r = a.sh("stat -c '%a %u' /sandbox/in/a.txt /sandbox/in")
    assert r.out.decode().split("\n")[:2] == ["644 1000", "755 1000"], r.out
    assert a.put(tar_of({"/sandbox/in/a.txt": b"b"}, fmt=tarfile.USTAR_FORMAT)) is None
    assert a.get("/sandbox/in/a.txt") == (b"b", None)
    a.sh("rm -rf /sandbox/in /sandbox/big.bin /sandbox/ddd* /tmp/.isol8")


def test_put_failures_are_errors_and_the_channel_stays(a):
    a.sh("mkdir -p /sandbox/adir")
    err = a.put(tar_of({"/sandbox/adir": b"x"}))
    assert err == "/sandbox/adir: Is a directory", err
    err = a.put(tar_of({"/etc/x": b"x"}))
    assert err == "/etc/x: Read-only file system", err
    err = a.put(tar_of({"/sandbox/../etc/y": b"x"}))
    assert err.startswith("unsafe path in archive"), err
    archive = tar_of({"/sandbox/t.txt": b"z" * 2000})
    err = a.put(archive[:1600])
    assert err == "truncated archive", err
    err = a.put(b"\x01" * 512 + b"\0" * 1024)
    assert err == "bad tar header", err
    assert a.put(tar_of({"/sandbox/ok.txt": b"ok"})) is None
    assert a.get("/sandbox/ok.txt") == (b"ok", None)
    a.sh("rm -rf /sandbox/adir /sandbox/ok.txt /sandbox/t.txt")


def test_put_into_a_full_tmpfs_says_no_space_and_leaves_no_partial_file(a):
    r = a.sh("head -c 62914560 /dev/zero > /sandbox/fill; df -k /sandbox | tail -1")
    err = a.put(tar_of({"/sandbox/more.bin": b"m" * (8 << 20)}))
    assert err == "/sandbox/more.bin: No space left on device", (err, r.out)
    assert a.get("/sandbox/more.bin") == (None, "not found")
    a.sh("rm -f /sandbox/fill")


def test_get_answers(a):
    a.sh("printf 12345 > /sandbox/five; mkdir -p /sandbox/dir; mkfifo /sandbox/fifo; : > /sandbox/empty")
    assert a.get("/sandbox/five") == (b"12345", None)
    assert a.get("/sandbox/five", max_bytes=4) == (None, "too large")
    assert a.get("/sandbox/empty") == (b"", None)
    assert a.get("/sandbox/nope") == (None, "not found")
    assert a.get("/sandbox/dir") == (None, "not a regular file")
    assert a.get("/sandbox/fifo") == (None, "not a regular file")
    assert a.get("/proc/1/environ") == (None, "not found")
    assert a.get("relative") == (None, "a path is not absolute")
    a.sh("rm -rf /sandbox/five /sandbox/dir /sandbox/fifo /sandbox/empty")


def test_outputs_in_order_within_the_budget(a):
    a.sh("printf aaa > /sandbox/a; printf bbbbb > /sandbox/b; printf cc > /sandbox/c; mkdir -p /sandbox/d")
    got = a.outputs(["/sandbox/b", "/sandbox/missing", "/sandbox/d", "/sandbox/a", "/sandbox/c"], max_total=8)
    assert got == [("/sandbox/b", b"bbbbb"), ("/sandbox/a", b"aaa")], got
    assert a.outputs([]) == []
    a.sh("head -c 3000000 /dev/urandom > /sandbox/big")
    big = a.outputs(["/sandbox/big", "/sandbox/c"], max_total=4 << 20)
    assert [p for p, _ in big] == ["/sandbox/big", "/sandbox/c"] and len(big[0][1]) == 3000000, [p for p, _ in big]
    data, _ = a.get("/sandbox/big", max_bytes=4 << 20)
    assert data == big[0][1]
    a.sh("rm -rf /sandbox/a /sandbox/b /sandbox/c /sandbox/d /sandbox/big")


def test_run_creates_its_cwd_and_removes_a_file_after(a):
    assert a.put(tar_of({"/sandbox/w/x/.isol8_main.sh": b"echo $PWD; cat .isol8_main.sh | wc -c"})) is None
    r = a.run(["bash", "/sandbox/w/x/.isol8_main.sh"], cwd="/sandbox/w/x", remove_after="/sandbox/w/x/.isol8_main.sh")
    assert bytes(r.out) == b"/sandbox/w/x\n37\n", (r.out, r.err)
    assert a.get("/sandbox/w/x/.isol8_main.sh") == (None, "not found")
    r = a.run(["pwd"], cwd="/sandbox/new/deep")
    assert bytes(r.out) == b"/sandbox/new/deep\n", (r.out, r.err)
    a.sh("rm -rf /sandbox/w /sandbox/new")


def test_put_frame_for_another_id_during_a_put_drops_the_channel():
    a = Agent()
    a.send(PUT, 5, tar_of({"/sandbox/a": b"a"})[:100])
    a.send(PUT, 6, b"x")
    code = a.proc.wait(10)
    a.close()
    assert code == 1, code


MEASURED = {}
SHARED = [test_hello, test_echo, test_run_is_own_session_with_only_fds_0_to_2, test_env_cwd_and_path_lookup,
          test_exec_failures, test_exit_codes_and_signals, test_run_gets_default_signal_dispositions,
          test_stdout_and_stderr_kept_apart,
          test_stdin_streaming_with_credits, test_stdin_end_closes_stdin,
          test_stdin_end_after_everything_was_acked, test_stdin_mode_none_reads_dev_null,
          test_stdin_dropped_after_program_closes_it_is_acked, test_signal_reaches_the_process_group,
          test_signal_not_allowed_is_an_error, test_terminal_run_has_a_controlling_terminal_of_the_given_size,
          test_terminal_resize_reaches_the_program, test_terminal_eof_character_ends_cat_and_ctrl_c_interrupts,
          test_bad_terminal_sizes_and_resizes, test_deadline_kills_fork_tree_and_daemons,
          test_deadline_latency_repeated, test_kill_all, test_stats, test_limits_answered_with_error,
          test_round_trip_of_true, test_program_cannot_kill_or_stop_the_agent,
          test_program_cannot_reach_the_channel, test_orphans_are_reaped,
          test_output_flood_in_order_with_bounded_memory, test_put_writes_files_with_parents_and_replaces,
          test_put_failures_are_errors_and_the_channel_stays,
          test_put_into_a_full_tmpfs_says_no_space_and_leaves_no_partial_file, test_get_answers,
          test_outputs_in_order_within_the_budget, test_run_creates_its_cwd_and_removes_a_file_after]
OWN = [test_put_frame_for_another_id_during_a_put_drops_the_channel, test_oom_flag, test_agent_exits_when_stdin_closes, test_garbage_frame_drops_the_channel,
       test_unknown_type_drops_the_channel]


def docker_ready(image):
    try:
        if subprocess.run(["docker", "info"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          timeout=30).returncode != 0:
            return "Docker does not answer"
        if subprocess.run(["docker", "image", "inspect", image], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, timeout=30).returncode != 0:
            return f"image {image} is missing (docker/build-offline.sh)"
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"Docker does not answer ({e})"
    return None


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--agent", required=True)
    p.add_argument("--image", default="isol8:bash")
    p.add_argument("--require-docker", nargs="?", const="true", default="false",
                   help="true: fail instead of skipping when Docker or the image is missing")
    p.add_argument("-k", default="")
    ARGS = p.parse_args()
    ARGS.agent = os.path.abspath(ARGS.agent)
    ARGS.require_docker = ARGS.require_docker.strip().lower() == "true"
    problem = docker_ready(ARGS.image)
    if problem:
        print(f"drive.py: {problem}; " + ("failing (--require-docker)" if ARGS.require_docker else "skipped"))
        return 1 if ARGS.require_docker else 0
    failed = []
    passed = 0

    def one(test, *args):
        nonlocal passed
        if ARGS.k not in test.__name__:
            return
        t0 = time.monotonic()
        try:
            test(*args)
            passed += 1
            print(f"PASS {test.__name__} ({time.monotonic() - t0:.2f} s)", flush=True)
        except Exception as e:  # noqa: BLE001 - report every failure and go on
            failed.append(test.__name__)
            print(f"FAIL {test.__name__}: {type(e).__name__}: {e}", flush=True)

    try:
        if any(ARGS.k in t.__name__ for t in SHARED):
            with Agent() as a:
                for t in SHARED:
                    one(t, a)
        for t in OWN:
            one(t)
    finally:
        for name in list(CONTAINERS):
            remove(name)
    for k, v in MEASURED.items():
        print(f"measured: {k}: {v}")
    print(f"drive.py: {passed} passed, {len(failed)} failed" + (f": {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""DNS over TCP (RFC 7766) against `robur serve dns` on 127.0.0.1: several queries in one
segment, a query split across segments, answers in query order, the idle timeout, a stalled
partial message and the per-worker connection limit.

Runs with Debian's /usr/bin/python3, which has python3-dnspython."""

import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

import dns.exception
import dns.message
import dns.query
import dns.rcode

ZONE = """$ORIGIN example.com.
$TTL 3600
@   IN SOA ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300
@   IN NS  ns1.example.com.
ns1 IN A   192.0.2.1
www IN A   192.0.2.10
"""
IDLE_TIMEOUT_S = 1
MAX_CONNECTIONS = 256  # per worker thread, the server's default


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_repository(root):
    os.makedirs(os.path.join(root, "zones"))
    with open(os.path.join(root, "zones", "example.com.zone"), "w") as zone:
        zone.write(ZONE)
    git = ["git", "-C", root, "-c", "user.name=Test", "-c", "user.email=test@example.com"]
    subprocess.run(["git", "init", "-q", "-b", "main", root], check=True)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-qm", "Add example.com"], check=True)


def wait_ready(port, server):
    """Polls with UDP queries until the server answers, for at most 10 s."""
    query = dns.message.make_query("example.com.", "SOA")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited with status {server.returncode}")
        try:
            dns.query.udp(query, "127.0.0.1", port=port, timeout=0.2)
            return
        except (dns.exception.Timeout, OSError):
            time.sleep(0.05)
    raise RuntimeError("server did not answer within 10 s")


def frame(message):
    wire = message.to_wire()
    return struct.pack("!H", len(wire)) + wire


def read_exactly(sock, count):
    data = b""
    while len(data) < count:
        chunk = sock.recv(count - len(data))
        if not chunk:
            raise ConnectionError(f"connection closed after {len(data)} of {count} octets")
        data += chunk
    return data


def read_response(sock):
    (length,) = struct.unpack("!H", read_exactly(sock, 2))
    return dns.message.from_wire(read_exactly(sock, length))


def connect(port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def closed_by_server(sock, within_s):
    """True when the server closes the connection within the given seconds."""
    sock.settimeout(within_s)
    try:
        return sock.recv(1) == b""
    except socket.timeout:
        return False
    except ConnectionResetError:
        return True


def check_pipelined_in_one_segment(port):
    names = [f"{label}.example.com." for label in ("www", "ns1", "missing", "www")] * 25
    queries = [dns.message.make_query(name, "A") for name in names]
    with connect(port) as sock:
        sock.sendall(b"".join(frame(query) for query in queries))
        responses = [read_response(sock) for _ in queries]
    for query, response in zip(queries, responses):
        assert response.id == query.id, f"response {response.id} answers out of order"
        assert response.question[0].name == query.question[0].name
    assert responses[0].answer[0][0].address == "192.0.2.10"
    assert responses[2].rcode() == dns.rcode.NXDOMAIN
    return f"{len(queries)} queries in one segment answered in order"


def check_split_query(port):
    wire = frame(dns.message.make_query("www.example.com.", "A"))
    with connect(port) as sock:
        # The length prefix itself is split, then the message body.
        for piece in (wire[:1], wire[1:7], wire[7:]):
            sock.sendall(piece)
            time.sleep(0.05)
        response = read_response(sock)
    assert response.answer[0][0].address == "192.0.2.10"
    return "query split across three segments"


def check_idle_timeout(port):
    with connect(port) as sock:
        sock.sendall(frame(dns.message.make_query("www.example.com.", "A")))
        read_response(sock)
        started = time.monotonic()
        assert closed_by_server(sock, IDLE_TIMEOUT_S + 3), "idle connection stayed open"
        elapsed = time.monotonic() - started
    assert elapsed >= IDLE_TIMEOUT_S - 0.2, f"closed after {elapsed:.2f} s, before the timeout"
    return f"idle connection closed after {elapsed:.1f} s"


def check_stalled_message(port):
    wire = frame(dns.message.make_query("www.example.com.", "A"))
    with connect(port) as sock:
        sock.sendall(wire[:5])
        assert closed_by_server(sock, IDLE_TIMEOUT_S + 3), "stalled connection stayed open"
    return "connection with a partial message closed after the timeout"


def check_connection_limit(port):
    idle = [connect(port) for _ in range(MAX_CONNECTIONS)]
    try:
        # One worker accepts in order, so an answer on the last connection means that the
        # server has accepted every one of them.
        idle[-1].sendall(frame(dns.message.make_query("www.example.com.", "A")))
        read_response(idle[-1])
        with connect(port) as extra:
            extra.sendall(frame(dns.message.make_query("www.example.com.", "A")))
            response = read_response(extra)
        assert response.answer[0][0].address == "192.0.2.10"
        assert closed_by_server(idle[0], 2), "the connection idle the longest was not closed"
    finally:
        for sock in idle:
            sock.close()
    return f"connection {MAX_CONNECTIONS + 1} closes the one idle the longest"


def main():
    robur = os.environ.get("ROBUR")
    if not robur:
        print("set ROBUR to the robur binary")
        return 1
    if shutil.which("git") is None:
        print("git not found, skipping")
        return 77

    work = tempfile.mkdtemp()
    port = free_port()
    log_path = os.path.join(work, "server.log")
    server = None
    try:
        make_repository(os.path.join(work, "repo"))
        with open(log_path, "w") as log:
            server = subprocess.Popen(
                [robur, "serve", "dns", "--repo", os.path.join(work, "repo"),
                 "--listen", f"127.0.0.1:{port}", "--threads", "1",
                 "--tcp-idle-timeout", str(IDLE_TIMEOUT_S)],
                stdout=log, stderr=subprocess.STDOUT)
        wait_ready(port, server)

        failures = 0
        for check in (check_pipelined_in_one_segment, check_split_query, check_idle_timeout,
                      check_stalled_message, check_connection_limit):
            try:
                print(f"ok: {check(port)}")
            except (AssertionError, OSError) as error:
                print(f"FAIL: {check.__name__}: {error}")
                failures += 1

        server.send_signal(signal.SIGTERM)
        status = server.wait(timeout=10)
        if status != 0:
            print(f"FAIL: exit status {status} after SIGTERM")
            failures += 1
        if failures:
            with open(log_path) as log:
                print("server log:\n" + log.read())
            return 1
        print("all checks passed")
        return 0
    finally:
        if server is not None and server.poll() is None:
            server.kill()
            server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Check `robur notify` against a scripted secondary and against knotd.

A UDP secondary of this test, on a free port of 127.0.0.1, parses each NOTIFY with dnspython
(verifying TSIG when it has a keyring) and answers as its current mode says: NOERROR, REFUSED,
silence, or silence for the first datagram only. The checks cover the message robur sends,
retries, the timeout message, REFUSED, signed exchanges with the right and a wrong secret, an
unknown --key, --json and --changed. Then knotd, a secondary of a primary on 127.0.0.1 with an
ACL that allows NOTIFY from there, must answer robur's NOTIFY with NOERROR, unsigned and signed.

Environment: ROBUR (robur binary). Exits 77 when dnspython is missing; the Knot part is skipped
with a message when knotd is missing.
"""

import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

try:
    import dns.flags
    import dns.message
    import dns.name
    import dns.opcode
    import dns.rcode
    import dns.rdatatype
    import dns.tsig
    import dns.tsigkeyring
except ImportError:
    print("dnspython not found for /usr/bin/python3, skipping")
    sys.exit(77)

import dns_peers  # noqa: E402  (needs the path above)

ROBUR = os.environ.get("ROBUR", "robur")
KEY_NAME = "notifier._notify.example.com."
SERIAL = 2026010101
failures = []
passed = 0


def check(condition, message):
    global passed
    if condition:
        passed += 1
    else:
        failures.append(message)
        print(f"FAIL: {message}", file=sys.stderr)


class ScriptedSecondary:
    """A UDP secondary on 127.0.0.1 (or ::1) that records NOTIFYs and answers as `mode` says.

    Modes: "noerror", "refused", "silent", "drop-first" (silent for the first datagram) and
    "unsigned-answer". With a keyring, requests are verified and answers signed with the
    request's key, except in "unsigned-answer"; a request that fails verification gets BADSIG.
    """

    def __init__(self, address="127.0.0.1"):
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.bind((address, 0))
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.mode = "noerror"
        self.keyring = None
        self.received = []  # parsed requests, or the exception text for unparsable ones
        self.running = True
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def reset(self, mode, keyring=None):
        self.mode = mode
        self.keyring = keyring
        self.received = []

    def serve(self):
        while self.running:
            try:
                data, peer = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            self.handle(data, peer)

    def handle(self, data, peer):
        index = len(self.received)
        try:
            request = dns.message.from_wire(data, keyring=self.keyring)
        except dns.tsig.BadSignature as error:
            self.received.append(f"bad signature: {error}")
            self.sock.sendto(badsig_answer(data), peer)
            return
        except Exception as error:  # record what went wrong for the checks
            self.received.append(f"unparsable: {error!r}")
            return
        self.received.append(request)
        if self.mode == "silent" or (self.mode == "drop-first" and index == 0):
            return
        response = dns.message.make_response(request)
        response.flags |= dns.flags.AA
        if self.mode == "refused":
            response.set_rcode(dns.rcode.REFUSED)
        if self.mode == "unsigned-answer":
            response.keyring = None
            response.tsig = None
        self.sock.sendto(response.to_wire(), peer)

    def stop(self):
        self.running = False
        self.thread.join()
        self.sock.close()


def badsig_answer(request):
    """NOTAUTH with an unsigned BADSIG TSIG record (RFC 8945 section 5.3.2) for a request of
    robur's, whose question name is uncompressed."""
    end = 12
    while request[end] != 0:
        end += request[end] + 1
    end += 1 + 4
    flags = 0x8000 | (dns.opcode.NOTIFY << 11) | 0x0400 | dns.rcode.NOTAUTH
    header = struct.pack("!HHHHHH", struct.unpack("!H", request[:2])[0], flags, 1, 0, 0, 1)
    rdata = (dns.name.from_text("hmac-sha256.").to_wire()
             + struct.pack("!HIH", 0, int(time.time()), 300)
             + struct.pack("!HHHH", 0, struct.unpack("!H", request[:2])[0], 16, 0))
    record = (dns.name.from_text(KEY_NAME).to_wire() + struct.pack("!HHIH", 250, 255, 0, len(rdata))
              + rdata)
    return header + request[12:end] + record


def robur(repo, *args):
    return subprocess.run([ROBUR, "--repo", repo, *args], capture_output=True, text=True,
                          check=False, timeout=120)


def git(repo, *args):
    dns_peers.git(repo, *args)


def make_repository(workdir):
    """A repository from `robur init` with a notify key in keys/example.com._keys."""
    repo = os.path.join(workdir, "repo")
    result = subprocess.run([ROBUR, "init", repo], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"robur init failed: {result.stderr}")
    key = subprocess.run([ROBUR, "--json", "key", "tsig", "new", KEY_NAME], capture_output=True,
                         text=True, check=True)
    fields = json.loads(key.stdout)
    with open(os.path.join(repo, "keys", "example.com._keys"), "w") as out:
        out.write(fields["dnskey"] + "\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Add a notify key")
    return repo, fields["secret"]


def check_plain(repo, secondary):
    server = f"127.0.0.1:{secondary.port}"

    secondary.reset("noerror")
    result = robur(repo, "notify", "example.com", "--server", server)
    check(result.returncode == 0, f"NOERROR: exit {result.returncode}: {result.stderr}")
    check(result.stdout == f"example.com: NOTIFY answered by {server} (NOERROR) after 1 attempt\n",
          f"NOERROR: output {result.stdout!r}")
    check(len(secondary.received) == 1, f"NOERROR: {len(secondary.received)} datagrams")
    if secondary.received and isinstance(secondary.received[0], dns.message.Message):
        request = secondary.received[0]
        check(request.opcode() == dns.opcode.NOTIFY, "request opcode is not NOTIFY")
        check(request.flags & dns.flags.AA, "request has no AA flag")
        check(not request.flags & dns.flags.QR, "request has QR set")
        question = request.question[0]
        check(question.name.to_text() == "example.com." and
              question.rdtype == dns.rdatatype.SOA, f"question {question}")
        answer = request.answer[0] if request.answer else None
        check(answer is not None and answer.rdtype == dns.rdatatype.SOA and
              answer[0].serial == SERIAL, f"answer section {request.answer}")

    secondary.reset("drop-first")
    result = robur(repo, "notify", "example.com.", "--server", server, "--timeout", "200")
    check(result.returncode == 0, f"retry: exit {result.returncode}: {result.stderr}")
    check("after 2 attempts" in result.stdout, f"retry: output {result.stdout!r}")

    secondary.reset("silent")
    result = robur(repo, "notify", "example.com", "--server", server, "--timeout", "100",
                   "--attempts", "3")
    check(result.returncode == 1, f"timeout: exit {result.returncode}")
    check(f"no answer from {server} after 3 attempts" in result.stderr,
          f"timeout: stderr {result.stderr!r}")
    check(len(secondary.received) == 3, f"timeout: {len(secondary.received)} datagrams")

    secondary.reset("refused")
    result = robur(repo, "notify", "example.com", "--server", server)
    check(result.returncode == 1, f"REFUSED: exit {result.returncode}")
    check(f"{server} answered the NOTIFY with REFUSED after 1 attempt" in result.stderr,
          f"REFUSED: stderr {result.stderr!r}")
    check(len(secondary.received) == 1, f"REFUSED was retried: {len(secondary.received)}")

    secondary.reset("noerror")
    result = robur(repo, "notify", "nowhere.example", "--server", server)
    check(result.returncode == 0, f"zone without file: exit {result.returncode}")
    if secondary.received and isinstance(secondary.received[0], dns.message.Message):
        check(not secondary.received[0].answer, "zone without file: NOTIFY carries a SOA")


def check_ipv6(repo):
    try:
        secondary = ScriptedSecondary("::1")
    except OSError as error:
        print(f"no IPv6 loopback ({error}), skipping the IPv6 check")
        return
    try:
        result = robur(repo, "notify", "example.com", "--server", f"[::1]:{secondary.port}")
        check(result.returncode == 0 and f"answered by [::1]:{secondary.port}" in result.stdout,
              f"IPv6: exit {result.returncode}: {result.stdout!r} {result.stderr!r}")
    finally:
        secondary.stop()


def check_signed(repo, secondary, secret):
    server = f"127.0.0.1:{secondary.port}"
    keyring = dns.tsigkeyring.from_text({KEY_NAME: ("hmac-sha256", secret)})

    secondary.reset("noerror", keyring)
    result = robur(repo, "notify", "example.com", "--server", server, "--key",
                   "NOTIFIER._notify.example.com")
    check(result.returncode == 0, f"signed: exit {result.returncode}: {result.stderr}")
    if secondary.received and isinstance(secondary.received[0], dns.message.Message):
        check(secondary.received[0].had_tsig, "signed: request has no TSIG")
        check(secondary.received[0].keyname.to_text() == KEY_NAME,
              f"signed: key {secondary.received[0].keyname}")
    else:
        check(False, f"signed: secondary got {secondary.received}")

    wrong = dns.tsigkeyring.from_text({KEY_NAME: ("hmac-sha256", "AAAAAAAAAAAAAAAAAAAAAA==")})
    secondary.reset("noerror", wrong)
    result = robur(repo, "notify", "example.com", "--server", server, "--key", KEY_NAME)
    check(result.returncode == 1, f"wrong secret: exit {result.returncode}")
    check("BADSIG" in result.stderr, f"wrong secret: stderr {result.stderr!r}")

    # The secondary answers unsigned: robur must not accept that answer.
    secondary.reset("unsigned-answer", keyring)
    result = robur(repo, "notify", "example.com", "--server", server, "--key", KEY_NAME,
                   "--timeout", "100", "--attempts", "2")
    check(result.returncode == 1, f"unsigned answer: exit {result.returncode}")
    check("answer not signed" in result.stderr, f"unsigned answer: stderr {result.stderr!r}")

    result = robur(repo, "notify", "example.com", "--server", server, "--key",
                   "missing._notify.example.com")
    check(result.returncode == 2, f"unknown key: exit {result.returncode}")
    check("key missing._notify.example.com. not found" in result.stderr,
          f"unknown key: stderr {result.stderr!r}")


def check_json_and_changed(repo, secondary):
    server = f"127.0.0.1:{secondary.port}"
    secondary.reset("noerror")
    result = robur(repo, "--json", "notify", "example.com", "--server", server)
    check(result.returncode == 0, f"--json: exit {result.returncode}")
    try:
        objects = json.loads(result.stdout)
        check(objects[0]["zone"] == "example.com" and objects[0]["rcode"] == "NOERROR" and
              objects[0]["serial"] == SERIAL and objects[0]["attempts"] == 1,
              f"--json: {objects}")
    except (ValueError, IndexError, KeyError) as error:
        check(False, f"--json output {result.stdout!r}: {error}")

    # A second zone that the next commit leaves alone, and a change to example.com.
    with open(os.path.join(repo, "zones", "example.org.zone"), "w") as out:
        out.write("$ORIGIN example.org.\n@ 3600 IN SOA ns1 hostmaster 1 7200 3600 1209600 300\n"
                  "@ IN NS ns1.example.com.\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Add example.org")
    zone_path = os.path.join(repo, "zones", "example.com.zone")
    with open(zone_path) as source:
        text = source.read().replace(str(SERIAL), str(SERIAL + 1))
    with open(zone_path, "w") as out:
        out.write(text + "extra IN A 192.0.2.99\n")
    git(repo, "commit", "-q", "-am", "Change example.com")

    secondary.reset("noerror")
    result = robur(repo, "notify", "--changed", "HEAD~1..HEAD", "--server", server)
    check(result.returncode == 0, f"--changed: exit {result.returncode}: {result.stderr}")
    check(result.stdout.startswith("example.com: NOTIFY answered") and
          "example.org" not in result.stdout, f"--changed: output {result.stdout!r}")
    served = [r for r in secondary.received if isinstance(r, dns.message.Message)]
    check(len(served) == 1 and served[0].answer and served[0].answer[0][0].serial == SERIAL + 1,
          f"--changed: NOTIFYs {secondary.received}")

    secondary.reset("noerror")
    result = robur(repo, "notify", "--changed", "HEAD", "--server", server)
    check(result.returncode == 0 and "example.org: NOTIFY answered" in result.stdout and
          "example.com: NOTIFY answered" in result.stdout,
          f"--changed with one commit: {result.stdout!r} {result.stderr!r}")

    result = robur(repo, "notify", "--changed", "HEAD..HEAD", "--server", server)
    check(result.returncode == 0 and result.stdout == "no zone changed in HEAD..HEAD\n",
          f"--changed without changes: {result.stdout!r}")

    # A change in a file that example.org includes is a change of example.org alone.
    os.makedirs(os.path.join(repo, "zones", "parts"), exist_ok=True)
    with open(os.path.join(repo, "zones", "parts", "hosts.inc"), "w") as out:
        out.write("www IN A 192.0.2.80\n")
    with open(os.path.join(repo, "zones", "example.org.zone"), "a") as out:
        out.write("$INCLUDE parts/hosts.inc\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Include hosts into example.org")
    with open(os.path.join(repo, "zones", "parts", "hosts.inc"), "a") as out:
        out.write("mail IN A 192.0.2.81\n")
    git(repo, "commit", "-q", "-am", "Add a host to the included file")
    result = robur(repo, "notify", "--changed", "HEAD~1..HEAD", "--server", server)
    check(result.returncode == 0 and result.stdout.startswith("example.org: NOTIFY answered") and
          "example.com" not in result.stdout,
          f"--changed through $INCLUDE: {result.stdout!r} {result.stderr!r}")


def write_knot_secondary(workdir, port, primary_port, secret):
    """knot.conf for a secondary of example.com whose primary is 127.0.0.1@primary_port."""
    zone_file = os.path.join(workdir, "example.com.zone")
    subprocess.run([ROBUR, "--repo", os.path.join(workdir, "repo"), "zone", "export",
                    "example.com", "-o", zone_file], check=True)
    config = os.path.join(workdir, "knot.conf")
    with open(config, "w") as out:
        out.write(f"""server:
    rundir: {workdir}
    listen: 127.0.0.1@{port}
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: {workdir}/knotdb
log:
  - target: stderr
    any: info
key:
  - id: {KEY_NAME.rstrip('.')}
    algorithm: hmac-sha256
    secret: {secret}
remote:
  - id: primary
    address: 127.0.0.1@{primary_port}
acl:
  - id: notify_from_primary
    address: 127.0.0.1
    action: notify
  - id: signed_notify_from_primary
    address: 127.0.0.1
    key: {KEY_NAME.rstrip('.')}
    action: notify
template:
  - id: default
    storage: {workdir}
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
  - domain: example.com
    file: {zone_file}
    master: primary
    acl: [notify_from_primary, signed_notify_from_primary]
""")
    return config


def check_knot(workdir, repo, secret):
    if shutil.which("knotd") is None:
        print("knotd not found, skipping the Knot part")
        return
    port = dns_peers.free_port()
    primary_port = dns_peers.free_port()
    config = write_knot_secondary(workdir, port, primary_port, secret)
    knot = dns_peers.ServerProcess("knotd", ["knotd", "-c", config],
                                   os.path.join(workdir, "knotd.log"), port, cwd=workdir)
    try:
        knot.wait_until_answering("example.com.")
        server = f"127.0.0.1:{port}"
        result = robur(repo, "notify", "example.com", "--server", server)
        check(result.returncode == 0, f"knotd: exit {result.returncode}: {result.stderr}"
              f"\n{knot.log_tail()}")
        check("(NOERROR)" in result.stdout, f"knotd: output {result.stdout!r}")

        result = robur(repo, "notify", "example.com", "--server", server, "--key", KEY_NAME)
        check(result.returncode == 0, f"knotd signed: exit {result.returncode}: {result.stderr}"
              f"\n{knot.log_tail()}")

        result = robur(repo, "notify", "example.org", "--server", server)
        check(result.returncode == 1 and "NOTAUTH" in result.stderr,
              f"knotd, zone it does not serve: {result.returncode} {result.stderr!r}")
    finally:
        knot.stop()
    with open(os.path.join(workdir, "knotd.log"), errors="replace") as log:
        text = log.read()
    check(text.count("[example.com.] notify, incoming, remote 127.0.0.1") == 2,
          f"knotd did not log two NOTIFYs for example.com:\n{text[-2000:]}")


def main():
    workdir = tempfile.mkdtemp(prefix="robur-notify-")
    secondary = ScriptedSecondary()
    try:
        repo, secret = make_repository(workdir)
        check_plain(repo, secondary)
        check_ipv6(repo)
        check_signed(repo, secondary, secret)
        check_json_and_changed(repo, secondary)
        check_knot(workdir, repo, secret)
    finally:
        secondary.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"{passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

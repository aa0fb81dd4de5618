"""A robur primary served from a bare Git repository, for the primary_* integration tests.

DataRepository makes the bare repository with `robur init --bare` and `robur hooks install` and
a clone in which the test edits files, commits and pushes as a user would. start_primary() runs
`robur serve dns` on that bare repository in the foreground, as a child of the test.
"""

import json
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import time

import dns.exception
import dns.message
import dns.rcode
import dns.tsig

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dns_peers import LOOPBACK, ServerProcess  # noqa: E402
from secondaries import TsigKey  # noqa: E402

ZONE = "example.com"
ZONE_FILE = "zones/example.com.zone"
# The serial field of the zone that `robur init` writes: "2026010101 ; serial, as YYYYMMDDnn".
SERIAL_PATTERN = re.compile(r"\b(\d+)(\s*;\s*serial\b)")
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "robur test",
    "GIT_AUTHOR_EMAIL": "test@robur.invalid",
    "GIT_COMMITTER_NAME": "robur test",
    "GIT_COMMITTER_EMAIL": "test@robur.invalid",
}


class Checks:
    """Counts passed and failed checks and prints each failure as it happens."""

    def __init__(self):
        self.passed = 0
        self.failures = []

    def check(self, condition, message):
        """Record condition as one check; message states what was expected and what was seen."""
        if condition:
            self.passed += 1
        else:
            self.failures.append(message)
            print(f"FAIL: {message}", file=sys.stderr, flush=True)
        return bool(condition)

    def exit_code(self):
        """Print the closing 'N passed, N failed' line and return the exit code for it."""
        print(f"{self.passed} passed, {len(self.failures)} failed", flush=True)
        return 1 if self.failures else 0


def robur_binary():
    """Return the robur binary named by $ROBUR, or exit with a message when it is not set.

    A relative path is made absolute in $ROBUR too, because the hooks that git runs in the bare
    repository read $ROBUR from another working folder.
    """
    binary = os.environ.get("ROBUR")
    if not binary:
        print("ROBUR must name the robur binary", file=sys.stderr)
        sys.exit(2)
    if os.sep in binary:
        binary = os.path.abspath(binary)
        os.environ["ROBUR"] = binary
    return binary


def run(argv, cwd=None, check=True, env=None, timeout=60):
    """Run argv with the test's Git identity; return the CompletedProcess (text output)."""
    full_env = dict(os.environ, **GIT_IDENTITY, **(env or {}))
    result = subprocess.run(argv, cwd=cwd, env=full_env, capture_output=True, text=True,
                            check=False, timeout=timeout)
    if check and result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(argv)} exited with status {result.returncode}:\n"
            f"{result.stdout}{result.stderr}"
        )
    return result


def new_tsig_key(robur, name, algorithm="hmac-sha256"):
    """Make a key with `robur key tsig new`; return (TsigKey, DNSKEY line for a _keys file)."""
    output = run([robur, "--json", "key", "tsig", "new", name, "--algorithm", algorithm]).stdout
    fields = json.loads(output)
    return TsigKey(fields["name"], fields["algorithm"], fields["secret"]), fields["dnskey"]


def format_config(sections):
    """Return robur.conf text for sections, a list of (header, [(key, value), ...]).

    header is "dns", "hooks" or 'zone "example.com"'.
    """
    lines = []
    for header, entries in sections:
        lines.append(f"[{header}]")
        lines += [f"\t{key} = {value}" for key, value in entries]
    return "\n".join(lines) + "\n"


def without_notify_addresses(zone_text):
    """Point the apex NS records of the `robur init` zone at names without addresses.

    robur sends NOTIFY to the addresses of the zone's NS targets (RFC 1996 section 3.6), and
    the template's ns2.example.com is 192.0.2.2 and 2001:db8::2. Tests send nothing beyond
    127.0.0.1, so their NS targets lie under the reserved .invalid domain (RFC 2606), which
    robur never resolves. The caller commits the change with its first commit.
    """
    text, count = re.subn(r"(\bIN\s+NS\s+)ns([12])\.example\.com\.", r"\1ns\2.example.invalid.",
                          zone_text)
    if count != 2:
        raise RuntimeError(f"expected 2 apex NS records in the robur init zone, found {count}")
    return text


class DataRepository:
    """A bare robur repository (root/server.git) with robur's hooks, and a clone (root/work)."""

    def __init__(self, robur, root, branch="main", hooks=True):
        self.robur = robur
        self.branch = branch
        self.bare = os.path.join(root, "server.git")
        self.clone = os.path.join(root, "work")
        run([robur, "init", "--bare", self.bare])
        if hooks:
            self.install_hooks()
        run(["git", "clone", "-q", self.bare, self.clone])
        self.write(ZONE_FILE, without_notify_addresses(self.read(ZONE_FILE)))

    def install_hooks(self):
        """Install robur's hooks into the bare repository."""
        run([self.robur, "hooks", "install", self.bare])

    def path(self, relative):
        return os.path.join(self.clone, relative)

    def read(self, relative):
        with open(self.path(relative), encoding="utf-8") as source:
            return source.read()

    def write(self, relative, text):
        os.makedirs(os.path.dirname(self.path(relative)), exist_ok=True)
        with open(self.path(relative), "w", encoding="utf-8") as out:
            out.write(text)

    def git(self, *args, check=True):
        return run(["git", "-C", self.clone, *args], check=check)

    def bare_git(self, *args, check=True):
        return run(["git", "--git-dir", self.bare, *args], check=check)

    def commit(self, message):
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)

    def push(self):
        """Push the branch to the bare repository; return the CompletedProcess (not checked)."""
        return self.git("push", "-q", "origin", self.branch, check=False)

    def head(self):
        """Return the commit id of the branch in the bare repository."""
        return self.bare_git("rev-parse", self.branch).stdout.strip()

    def serial(self, relative=ZONE_FILE):
        """Return the serial of the zone file in the clone."""
        return int(SERIAL_PATTERN.search(self.read(relative)).group(1))

    def raise_serial(self, relative=ZONE_FILE):
        """Raise the serial of the zone file in the clone by one; return the new serial."""
        text = self.read(relative)
        serial = int(SERIAL_PATTERN.search(text).group(1)) + 1
        self.write(relative, SERIAL_PATTERN.sub(lambda m: f"{serial}{m.group(2)}", text, count=1))
        return serial

    def append(self, relative, line):
        self.write(relative, self.read(relative) + line.rstrip("\n") + "\n")

    def change_zone(self, lines, message):
        """Append lines to the zone, raise its serial, commit and push; return (serial, push).

        push is the CompletedProcess of `git push`, which the caller checks.
        """
        for line in lines:
            self.append(ZONE_FILE, line)
        serial = self.raise_serial()
        self.commit(message)
        return serial, self.push()

    def show(self, relative, ref=None):
        """Return the text of relative at ref (default: the branch) in the bare repository."""
        return self.bare_git("show", f"{ref or self.branch}:{relative}").stdout


def start_primary(robur, repository, port, workdir, verbose=True):
    """Start `robur serve dns` for the bare repository on 127.0.0.1:port.

    With verbose, robur logs at debug level, so a failing test shows each request in its log.
    """
    argv = [robur, "--repo", repository.bare]
    if verbose:
        argv.append("-v")
    argv += ["serve", "dns", "--listen", f"{LOOPBACK}:{port}"]
    return ServerProcess("robur", argv, os.path.join(workdir, "robur.log"), port, cwd=workdir)


def commit_count(repository):
    """Return the number of commits on the branch of the bare repository."""
    return int(repository.bare_git("rev-list", "--count", repository.branch).stdout)


def nsupdate(port, script_lines, key=None, timeout=30):
    """Run nsupdate against robur on 127.0.0.1:port; return the CompletedProcess.

    script_lines are nsupdate commands after the server line. With key (a TsigKey), nsupdate
    signs with `-y algorithm:name:secret`.
    """
    argv = [shutil.which("nsupdate") or "nsupdate"]
    if key is not None:
        argv += ["-y", f"{key.algorithm}:{key.name}:{key.secret}"]
    script = "\n".join([f"server {LOOPBACK} {port}", *script_lines]) + "\n"
    return subprocess.run(argv, input=script, capture_output=True, text=True, check=False,
                          timeout=timeout)


def send_update(port, message, key=None, tcp=True, timeout=5.0, clock_offset=0):
    """Send the UPDATE message (already signed, or not) to robur; return (rcode, tsig_error).

    rcode is the response code as text, from the header. tsig_error is "NOERROR" when the
    response carries a valid TSIG, "unsigned" when it has none, or the TSIG error that the
    server returned ("BADKEY", "BADSIG", "BADTIME"), which dnspython reports by raising.
    key is the TsigKey to check the response with. A signed message is signed with the clock
    moved by clock_offset seconds, to make a signature that is too old or from the future.
    """
    if clock_offset:
        from unittest import mock

        with mock.patch("time.time", return_value=time.time() + clock_offset):
            wire = message.to_wire()
    else:
        wire = message.to_wire()
    if tcp:
        with socket.create_connection((LOOPBACK, port), timeout=timeout) as stream:
            stream.sendall(struct.pack("!H", len(wire)) + wire)
            response = _read_tcp_message(stream)
    else:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as datagram:
            datagram.settimeout(timeout)
            datagram.sendto(wire, (LOOPBACK, port))
            response, _ = datagram.recvfrom(65535)

    # The header's 4-bit rcode: the response has no OPT record, so this is the whole rcode.
    rcode = dns.rcode.to_text(dns.rcode.Rcode(response[3] & 0x0F))
    keyring = key.keyring() if key is not None else None
    errors = {dns.tsig.PeerBadKey: "BADKEY", dns.tsig.PeerBadSignature: "BADSIG",
              dns.tsig.PeerBadTime: "BADTIME", dns.tsig.PeerBadTruncation: "BADTRUNC"}
    try:
        parsed = dns.message.from_wire(response, keyring=keyring, request_mac=message.mac)
    except tuple(errors) as error:
        return rcode, errors[type(error)]
    except dns.message.UnknownTSIGKey:
        return rcode, "signed with an unknown key"
    except dns.exception.DNSException as error:
        return rcode, f"invalid response TSIG: {error!r}"
    return rcode, "NOERROR" if parsed.had_tsig else "unsigned"


def _read_tcp_message(stream):
    def read_exactly(size):
        data = b""
        while len(data) < size:
            chunk = stream.recv(size - len(data))
            if not chunk:
                raise ConnectionError("connection closed before a whole response arrived")
            data += chunk
        return data

    length = int.from_bytes(read_exactly(2), "big")
    return read_exactly(length)


def foreign_notify_targets(log_path):
    """Return the NOTIFY targets in robur's log that are not on the loopback address.

    The test setups name only 127.0.0.1 targets, so any other target means a NOTIFY left the
    machine. This reads robur's "notify ... target=ADDRESS:PORT" log lines.
    """
    try:
        with open(log_path, errors="replace") as log:
            text = log.read()
    except OSError:
        return []
    targets = set(re.findall(r"\bnotify\b[^\n]*?\btarget=(\S+)", text))
    return sorted(target for target in targets
                  if not target.startswith(("127.", "[::1]")))

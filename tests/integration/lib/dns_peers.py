"""Start NSD, Knot and robur on 127.0.0.1 for integration tests.

Every server runs in the foreground as a child of the test, from a configuration written into a
temporary folder, on a port that was free when it was picked. Readiness is polled with SOA
queries, and nothing waits for a fixed time instead.
"""

import os
import shutil
import socket
import subprocess
import time

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

LOOPBACK = "127.0.0.1"


class ServerError(Exception):
    """A server failed to start, exited early or never responded."""


def free_port():
    """Return a port that is free for both UDP and TCP on the loopback address right now."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind((LOOPBACK, 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind((LOOPBACK, port))
                except OSError:
                    continue
                return port
    raise ServerError("no port free for both UDP and TCP on 127.0.0.1 after 50 attempts")


class ServerProcess:
    """A server child process with its output in a log file. stop() ends and reaps it."""

    def __init__(self, name, argv, log_path, port, cwd=None):
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self.port = port
        with open(log_path, "wb") as log:
            self.process = subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=cwd
            )

    def log_tail(self, lines=20):
        """Return the last lines of the server's output, for error messages."""
        try:
            with open(self.log_path, "r", errors="replace") as log:
                return "".join(log.readlines()[-lines:])
        except OSError as error:
            return f"(log {self.log_path} unreadable: {error})"

    def raise_if_exited(self):
        """Raise ServerError with the end of the log when the server process has exited."""
        if self.process.poll() is not None:
            raise ServerError(
                f"{self.name} exited with status {self.process.returncode};"
                f" log {self.log_path}:\n{self.log_tail()}"
            )

    def stop(self):
        """Stop the server with SIGTERM, then SIGKILL after 5 seconds."""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def wait_until_answering(self, zone, timeout=20.0):
        """Poll with SOA queries for zone until the server returns an authoritative answer.

        Raises ServerError when the process exits or the timeout (seconds) passes first.
        """
        deadline = time.monotonic() + timeout
        last_state = "no response"
        while time.monotonic() < deadline:
            self.raise_if_exited()
            query = dns.message.make_query(zone, dns.rdatatype.SOA)
            try:
                response = dns.query.udp(query, LOOPBACK, port=self.port, timeout=0.2)
            except dns.exception.Timeout:
                last_state = "no response (timed out)"
                continue
            except OSError as error:
                # Nothing listens yet, which the kernel reports at once: pause before the next poll.
                last_state = f"no response ({error.strerror or type(error).__name__})"
                time.sleep(0.05)
                continue
            if response.rcode() == dns.rcode.NOERROR and response.flags & dns.flags.AA:
                return
            last_state = f"rcode {dns.rcode.to_text(response.rcode())}"
            # The socket is bound but the zone is still loading, so pause before the next poll.
            time.sleep(0.05)
        raise ServerError(
            f"{self.name} on port {self.port} did not answer SOA {zone} within {timeout:.0f} s"
            f" (last: {last_state}); log {self.log_path}:\n{self.log_tail()}"
        )


def write_nsd_config(workdir, zones, port, threads=1):
    """Write nsd.conf for zones, a list of (origin, zone file relative to workdir).

    NSD changes into workdir (its zonesdir), so relative $INCLUDE paths resolve from there.
    """
    lines = [
        "server:",
        f"    ip-address: {LOOPBACK}@{port}",
        f"    port: {port}",
        f'    zonesdir: "{workdir}"',
        f'    pidfile: "{workdir}/nsd.pid"',
        '    database: ""',
        '    username: ""',
        '    chroot: ""',
        f'    xfrdfile: "{workdir}/xfrd.state"',
        f'    zonelistfile: "{workdir}/zone.list"',
        f'    xfrdir: "{workdir}"',
        f"    server-count: {threads}",
        "    reuseport: yes",
        "    verbosity: 1",
        # Response rate limiting (on in Debian's build) would drop or truncate responses to
        # the many queries from 127.0.0.1.
        "    rrl-ratelimit: 0",
        "    rrl-whitelist-ratelimit: 0",
        "remote-control:",
        "    control-enable: no",
    ]
    for origin, path in zones:
        lines += [
            "zone:",
            f'    name: "{origin}"',
            f'    zonefile: "{path}"',
            f"    provide-xfr: {LOOPBACK} NOKEY",
        ]
    config = os.path.join(workdir, "nsd.conf")
    with open(config, "w") as out:
        out.write("\n".join(lines) + "\n")
    return config


def start_nsd(workdir, zones, port, threads=1):
    """Start NSD in the foreground for zones (see write_nsd_config) on 127.0.0.1:port."""
    config = write_nsd_config(workdir, zones, port, threads)
    argv = ["nsd", "-d", "-c", config]
    return ServerProcess("nsd", argv, os.path.join(workdir, "nsd.log"), port, cwd=workdir)


def write_knot_config(workdir, zones, port, threads=1):
    """Write knot.conf for zones, a list of (origin, absolute zone file path)."""
    lines = [
        "server:",
        f"    rundir: {workdir}",
        f"    listen: {LOOPBACK}@{port}",
        f"    udp-workers: {threads}",
        f"    tcp-workers: {threads}",
        "    background-workers: 1",
        "database:",
        f"    storage: {workdir}/db",
        "log:",
        "  - target: stderr",
        "    any: info",
        "acl:",
        "  - id: local_transfer",
        f"    address: {LOOPBACK}",
        "    action: transfer",
        "template:",
        "  - id: default",
        f"    storage: {workdir}",
        "    zonefile-sync: -1",
        "    zonefile-load: whole",
        "    journal-content: none",
        "    acl: local_transfer",
        "zone:",
    ]
    for origin, path in zones:
        lines += [f'  - domain: "{origin}"', f"    file: {path}"]
    config = os.path.join(workdir, "knot.conf")
    with open(config, "w") as out:
        out.write("\n".join(lines) + "\n")
    return config


def start_knot(workdir, zones, port, threads=1):
    """Start knotd in the foreground for zones (see write_knot_config) on 127.0.0.1:port."""
    config = write_knot_config(workdir, zones, port, threads)
    argv = ["knotd", "-c", config]
    return ServerProcess("knotd", argv, os.path.join(workdir, "knotd.log"), port, cwd=workdir)


def start_robur(binary, repo, port, workdir):
    """Start `robur serve dns` for the Git repository repo on 127.0.0.1:port."""
    argv = [binary, "--repo", repo, "serve", "dns", "--listen", f"{LOOPBACK}:{port}"]
    return ServerProcess("robur", argv, os.path.join(workdir, "robur.log"), port, cwd=workdir)


def zone_file_name(origin):
    """Return the file name robur expects under zones/: the zone name without the final dot.

    The root zone has an empty name, so it is stored as "root.zone".
    """
    name = origin.rstrip(".")
    return f"{name or 'root'}.zone"


def git(repo, *args):
    """Run git in repo with a fixed identity, so commits do not depend on the user's config."""
    subprocess.run(
        ["git", "-C", repo, "-c", "user.name=robur test", "-c", "user.email=test@robur.invalid",
         *args],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def make_zone_repository(repo, zones, extra_trees=()):
    """Create a Git repository with one commit holding zones/<zone>.zone for each zone.

    zones is a list of (origin, source file). Each folder in extra_trees (files that zones
    $INCLUDE) is copied under zones/, because robur resolves a relative $INCLUDE path from the
    folder of the including file.
    """
    zones_dir = os.path.join(repo, "zones")
    os.makedirs(zones_dir)
    for origin, source in zones:
        shutil.copyfile(source, os.path.join(zones_dir, zone_file_name(origin)))
    for tree in extra_trees:
        name = os.path.basename(tree.rstrip("/"))
        shutil.copytree(tree, os.path.join(zones_dir, name), dirs_exist_ok=True)

    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Add test zones")

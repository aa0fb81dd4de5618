"""Run BIND 9 (named) and Knot (knotd) as secondaries of a primary on 127.0.0.1.

Each secondary runs in the foreground as a child of the test, from a configuration written into
its own temporary folder (zone files, pid file, control channel, log), on a free loopback port.
It transfers its zones from the primary at 127.0.0.1:PORT, prefers IXFR, accepts NOTIFY from
127.0.0.1 (unsigned, or signed with the optional TSIG key) and sends no NOTIFY of its own, so no
packet leaves the loopback address.

Run this file to check the harness without robur: it starts knotd as a primary and both
secondaries against it, then checks AXFR after start, NOTIFY after a change and IXFR:

    /usr/bin/python3 tests/integration/lib/secondaries.py
"""

import atexit
import base64
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from dns_peers import LOOPBACK, ServerError, ServerProcess, free_port  # noqa: E402

# Seconds a secondary may take to bind its port and answer for its zones after a start.
START_TIMEOUT = 20.0


class TsigKey:
    """A TSIG key: owner name (with or without the final dot), algorithm such as hmac-sha256,
    and base64 secret."""

    def __init__(self, name, algorithm, secret):
        self.name = name.rstrip(".") + "."
        self.algorithm = algorithm
        self.secret = secret

    @classmethod
    def generate(cls, name, algorithm="hmac-sha256", size=32):
        """Make a key with a random secret of size octets."""
        return cls(name, algorithm, base64.b64encode(secrets.token_bytes(size)).decode())

    def keyring(self):
        """Return the key as a dnspython keyring, for signing queries with it."""
        import dns.tsigkeyring

        return dns.tsigkeyring.from_text({self.name: (self.algorithm, self.secret)})


def missing_tools(*tools):
    """Return the names of the programs in tools that are not on PATH (or in /usr/sbin)."""
    search = os.environ.get("PATH", "") + os.pathsep + "/usr/sbin" + os.pathsep + "/sbin"
    return [tool for tool in tools if shutil.which(tool, path=search) is None]


def tool_path(tool):
    """Return the full path of tool, looking in /usr/sbin too, which a user's PATH may lack."""
    search = os.environ.get("PATH", "") + os.pathsep + "/usr/sbin" + os.pathsep + "/sbin"
    return shutil.which(tool, path=search) or tool


def query_serial(port, zone, keyring=None, timeout=0.5):
    """Return the SOA serial that the server on 127.0.0.1:port serves for zone, or None.

    None means no authoritative answer: no response, a timeout or an error rcode.
    """
    query = dns.message.make_query(zone, dns.rdatatype.SOA)
    query.flags &= ~dns.flags.RD
    if keyring is not None:
        query.use_tsig(keyring)
    try:
        response = dns.query.udp(query, LOOPBACK, port=port, timeout=timeout)
    except (dns.exception.DNSException, OSError):
        return None
    if response.rcode() != dns.rcode.NOERROR or not response.flags & dns.flags.AA:
        return None
    for rrset in response.answer:
        if rrset.rdtype == dns.rdatatype.SOA:
            return rrset[0].serial
    return None


class Secondary:
    """A running secondary: its ServerProcess, port, folder and zones.

    Subclasses write the configuration and know the peer's log phrases for transfers.
    """

    kind = "secondary"

    def __init__(self, workdir, primary_port, zones, key=None):
        self.workdir = workdir
        self.primary_port = primary_port
        self.zones = [zone.rstrip(".") + "." for zone in zones]
        self.key = key
        self.port = free_port()
        self.process = None

    @property
    def log_path(self):
        return os.path.join(self.workdir, f"{self.kind}.log")

    def start(self):
        """Start the peer. Returns at once; wait_until_running() waits for the port."""
        argv = self.write_config()
        self.process = ServerProcess(self.kind, argv, self.log_path, self.port, cwd=self.workdir)
        # Callers stop secondaries in a finally block. This also covers an exit from elsewhere,
        # such as sys.exit() in a helper.
        atexit.register(self.stop)
        return self

    def stop(self):
        if self.process is not None:
            self.process.stop()

    def log_text(self):
        """Return the whole log of the peer."""
        try:
            with open(self.log_path, "r", errors="replace") as log:
                return log.read()
        except OSError:
            return ""

    def log_tail(self, lines=30):
        return self.process.log_tail(lines) if self.process else "(not started)"

    def serial(self, zone):
        """Return the serial the secondary serves for zone, or None when it serves none."""
        return query_serial(self.port, zone)

    def wait_until_running(self, timeout=START_TIMEOUT):
        """Wait until the peer answers on its port (any rcode: a zone may not be loaded yet)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.process.raise_if_exited()
            query = dns.message.make_query(self.zones[0], dns.rdatatype.SOA)
            try:
                dns.query.udp(query, LOOPBACK, port=self.port, timeout=0.2)
                return
            except dns.exception.Timeout:
                continue
            except OSError:
                # Nothing listens yet, which the kernel reports at once: pause before the next poll.
                time.sleep(0.05)
        raise ServerError(
            f"{self.kind} on port {self.port} did not answer within {timeout:.0f} s;"
            f" log {self.log_path}:\n{self.log_tail()}"
        )

    def wait_for_serial(self, zone, serial, timeout=10.0):
        """Poll until the secondary serves serial for zone; return the seconds that took.

        Raises ServerError, with the end of the peer's log, when the peer exits or serves another
        serial when the timeout (seconds) passes.
        """
        start = time.monotonic()
        deadline = start + timeout
        seen = None
        while True:
            self.process.raise_if_exited()
            seen = self.serial(zone)
            if seen == serial:
                return time.monotonic() - start
            if time.monotonic() >= deadline:
                break
            time.sleep(0.02)
        raise ServerError(
            f"{self.kind} on port {self.port} serves serial {seen} for {zone}, not {serial},"
            f" after {timeout:.1f} s; log {self.log_path}:\n{self.log_tail()}"
        )

    def transfers(self, zone):
        """Return the incoming transfers of zone the log shows, oldest first, as a list of
        (kind, serial) with kind "AXFR" or "IXFR" and serial the resulting serial or None."""
        raise NotImplementedError

    def ixfr_count(self, zone):
        return sum(1 for kind, _ in self.transfers(zone) if kind == "IXFR")


class BindSecondary(Secondary):
    """BIND 9 named, run with -f (foreground) and logging to stderr."""

    kind = "named"

    def write_config(self):
        control_port = free_port()
        control_secret = base64.b64encode(secrets.token_bytes(32)).decode()
        key_clause = ""
        key_ref = ""
        if self.key is not None:
            key_clause = (
                f'key "{self.key.name}" {{ algorithm {self.key.algorithm};'
                f' secret "{self.key.secret}"; }};\n'
            )
            key_ref = f' key "{self.key.name}"'
        # The rndc key and controls clause give this named its own control channel, so that it
        # never falls back to /etc/bind/rndc.key and port 953.
        rndc_conf = os.path.join(self.workdir, "rndc.conf")
        with open(rndc_conf, "w") as out:
            out.write(
                f'key "rndc" {{ algorithm hmac-sha256; secret "{control_secret}"; }};\n'
                f'options {{ default-key "rndc"; default-server {LOOPBACK};'
                f" default-port {control_port}; }};\n"
            )
        self.rndc_conf = rndc_conf
        lines = [
            key_clause,
            f'key "rndc" {{ algorithm hmac-sha256; secret "{control_secret}"; }};',
            f'controls {{ inet {LOOPBACK} port {control_port} allow {{ {LOOPBACK}; }}'
            ' keys { "rndc"; }; };',
            "options {",
            f'    directory "{self.workdir}";',
            f'    pid-file "{self.workdir}/named.pid";',
            f'    session-keyfile "{self.workdir}/session.key";',
            f'    managed-keys-directory "{self.workdir}";',
            f"    listen-on port {self.port} {{ {LOOPBACK}; }};",
            "    listen-on-v6 { none; };",
            "    recursion no;",
            "    dnssec-validation no;",
            # A secondary notifies the NS hosts of its zone by default: never send there.
            "    notify no;",
            "    request-ixfr yes;",
            f"    allow-notify {{ {LOOPBACK}; }};",
            f"    transfer-source {LOOPBACK};",
            f"    notify-source {LOOPBACK};",
            # The default minimum of 300 s between refreshes would not matter with NOTIFY, but
            # short timers keep a lost NOTIFY from stalling a test for minutes.
            "    min-refresh-time 1;",
            "    min-retry-time 1;",
            "};",
            # At debug level 3 the xfer-in category names the kind of each transfer's response
            # ("got incremental response" for IXFR). Everything else stays at info.
            "logging {",
            "    channel xfer_debug { stderr; severity debug 3; print-time yes;"
            " print-category yes; print-severity yes; };",
            "    channel main { stderr; severity info; print-time yes; print-category yes;"
            " print-severity yes; };",
            "    category xfer-in { xfer_debug; };",
            "    category default { main; };",
            "};",
        ]
        for zone in self.zones:
            lines += [
                f'zone "{zone}" {{',
                "    type secondary;",
                f'    file "{zone_file_stem(zone)}.db";',
                f"    primaries {{ {LOOPBACK} port {self.primary_port}{key_ref}; }};",
                "};",
            ]
        config = os.path.join(self.workdir, "named.conf")
        with open(config, "w") as out:
            out.write("\n".join(lines) + "\n")
        return [tool_path("named"), "-f", "-c", config]

    def rndc(self, *args):
        """Run rndc against this named's own control channel; return the CompletedProcess."""
        return subprocess.run(
            [tool_path("rndc"), "-c", self.rndc_conf, *args],
            capture_output=True, text=True, check=False, timeout=10,
        )

    def transfers(self, zone):
        zone = zone.rstrip(".")
        found = []
        # 9.18 logs, in the xfer-in category at debug level 3, "transfer of 'example.com/IN'
        # from 127.0.0.1#5300: got incremental response" (or "got nonincremental response")
        # and then, at info, "... Transfer completed: 1 messages, 6 records, ... (serial 3)".
        kind = None
        for line in self.log_text().splitlines():
            if f"'{zone}/IN'" not in line and f" {zone}/IN" not in line:
                continue
            if "got incremental response" in line:
                kind = "IXFR"
            elif "got nonincremental response" in line:
                kind = "AXFR"
            completed = re.search(r"Transfer completed: .*\(serial (\d+)\)", line)
            if completed:
                found.append((kind or "AXFR", int(completed.group(1))))
                kind = None
        return found


class KnotSecondary(Secondary):
    """Knot DNS knotd, logging to stderr at info level, which names the type of each transfer."""

    kind = "knotd"

    def write_config(self):
        # The journal, which stores the changes of each IXFR, lives in the database folder.
        os.makedirs(os.path.join(self.workdir, "db"), exist_ok=True)
        lines = [
            "server:",
            f"    rundir: {self.workdir}",
            f"    pidfile: {self.workdir}/knot.pid",
            f"    listen: {LOOPBACK}@{self.port}",
            "    udp-workers: 1",
            "    tcp-workers: 1",
            "    background-workers: 1",
            "control:",
            f"    listen: {self.workdir}/knot.sock",
            "database:",
            f"    storage: {self.workdir}/db",
            "log:",
            "  - target: stderr",
            "    any: info",
        ]
        notify_acls = ["notify_unsigned"]
        if self.key is not None:
            lines += [
                "key:",
                f"  - id: {self.key.name}",
                f"    algorithm: {self.key.algorithm}",
                f"    secret: {self.key.secret}",
            ]
        lines += ["remote:", "  - id: primary", f"    address: {LOOPBACK}@{self.primary_port}"]
        if self.key is not None:
            lines.append(f"    key: {self.key.name}")
        # An ACL rule without a key matches unsigned messages only, so a signed NOTIFY needs
        # its own rule.
        lines += [
            "acl:",
            "  - id: notify_unsigned",
            f"    address: {LOOPBACK}",
            "    action: notify",
        ]
        if self.key is not None:
            notify_acls.append("notify_signed")
            lines += [
                "  - id: notify_signed",
                f"    address: {LOOPBACK}",
                f"    key: {self.key.name}",
                "    action: notify",
            ]
        lines += [
            "template:",
            "  - id: default",
            f"    storage: {self.workdir}",
            "    master: primary",
            f"    acl: [{', '.join(notify_acls)}]",
            "    zonefile-sync: -1",
            "    journal-content: changes",
            "zone:",
        ]
        for zone in self.zones:
            lines += [f'  - domain: "{zone}"', f"    file: {zone_file_stem(zone)}.zone"]
        config = os.path.join(self.workdir, "knot.conf")
        with open(config, "w") as out:
            out.write("\n".join(lines) + "\n")
        self.config = config
        return [tool_path("knotd"), "-c", config]

    def knotc(self, *args):
        """Run knotc against this knotd's control socket; return the CompletedProcess."""
        return subprocess.run(
            [tool_path("knotc"), "-c", self.config, *args],
            capture_output=True, text=True, check=False, timeout=10,
        )

    def transfers(self, zone):
        zone = zone.rstrip(".") + "."
        found = []
        # 3.2 logs "[example.com.] IXFR, incoming, remote 127.0.0.1@5300, finished, ..." for
        # each transfer, an AXFR after an IXFR that failed, and then "[example.com.] refresh,
        # remote 127.0.0.1@5300, zone updated, 0.00 seconds, serial 1 -> 2, ...".
        finished = re.compile(r"\[" + re.escape(zone) + r"\] (AXFR|IXFR), incoming, .*finished")
        updated = re.compile(r"\[" + re.escape(zone) + r"\] refresh, .*zone updated, .*serial"
                             r" (?:\S+ -> )?(\d+)")
        kind = None
        for line in self.log_text().splitlines():
            match = finished.search(line)
            if match:
                kind = match.group(1)
                continue
            match = updated.search(line)
            if match and kind is not None:
                found.append((kind, int(match.group(1))))
                kind = None
        return found


def zone_file_stem(zone):
    return zone.rstrip(".") or "root"


def start_secondaries(root, primary_port, zones, key=None, kinds=("named", "knotd")):
    """Start one secondary of each kind in its own folder below root and wait for their ports.

    Returns the started Secondary objects. When one fails to start, the ones already started
    are stopped before the error propagates.
    """
    classes = {"named": BindSecondary, "knotd": KnotSecondary}
    started = []
    try:
        for kind in kinds:
            workdir = os.path.join(root, kind)
            os.makedirs(workdir, exist_ok=True)
            started.append(classes[kind](workdir, primary_port, zones, key).start())
        for secondary in started:
            secondary.wait_until_running()
    except BaseException:
        for secondary in started:
            secondary.stop()
        raise
    return started


def stop_all(servers):
    """Stop every server in servers, also when stopping one of them raises."""
    for server in servers:
        try:
            server.stop()
        except Exception as error:  # report and go on, so that no child is left running
            print(f"stopping {getattr(server, 'kind', server)} failed: {error!r}", file=sys.stderr)


SELF_TEST_ZONE = """$ORIGIN example.com.
$TTL 300
@    IN SOA ns1 hostmaster {serial} 3600 600 86400 300
     IN NS  ns1
ns1  IN A   192.0.2.1
www  IN A   192.0.2.{host}
"""


def write_primary_zone(path, serial, host):
    with open(path, "w") as out:
        out.write(SELF_TEST_ZONE.format(serial=serial, host=host))


def start_knot_primary(workdir, zone_path, key, notify_ports):
    """Start knotd as primary of example.com, serving IXFR from its journal and sending NOTIFY
    (signed with key) to 127.0.0.1 at each port in notify_ports."""
    port = free_port()
    os.makedirs(os.path.join(workdir, "db"), exist_ok=True)
    lines = [
        "server:",
        f"    rundir: {workdir}",
        f"    listen: {LOOPBACK}@{port}",
        "control:",
        f"    listen: {workdir}/knot.sock",
        "database:",
        f"    storage: {workdir}/db",
        "log:",
        "  - target: stderr",
        "    any: info",
        "key:",
        f"  - id: {key.name}",
        f"    algorithm: {key.algorithm}",
        f"    secret: {key.secret}",
    ]
    if notify_ports:
        lines.append("remote:")
    for index, notify_port in enumerate(notify_ports):
        lines += [f"  - id: secondary{index}", f"    address: {LOOPBACK}@{notify_port}",
                  f"    key: {key.name}"]
    lines += [
        "acl:",
        "  - id: transfer",
        f"    address: {LOOPBACK}",
        f"    key: {key.name}",
        "    action: transfer",
        "zone:",
        '  - domain: "example.com."',
        f"    file: {zone_path}",
        f"    storage: {workdir}",
        "    zonefile-load: difference",
        "    journal-content: changes",
        "    zonefile-sync: -1",
        "    acl: transfer",
    ]
    if notify_ports:
        lines.append(f"    notify: [{', '.join(f'secondary{i}' for i in range(len(notify_ports)))}]")
    config = os.path.join(workdir, "knot.conf")
    with open(config, "w") as out:
        out.write("\n".join(lines) + "\n")
    return ServerProcess("knotd primary", [tool_path("knotd"), "-c", config],
                         os.path.join(workdir, "knotd.log"), port, cwd=workdir), config


def self_test():
    """Check the harness against knotd as primary: AXFR at start, then NOTIFY and IXFR."""
    missing = missing_tools("named", "knotd", "knotc", "rndc")
    if missing:
        print(f"{', '.join(missing)} not found, skipping")
        return 77
    key = TsigKey.generate("ns2._transfer.example.com")
    with tempfile.TemporaryDirectory(prefix="robur-secondaries-") as root:
        primary_dir = os.path.join(root, "primary")
        os.makedirs(primary_dir)
        zone_path = os.path.join(primary_dir, "example.com.zone")
        write_primary_zone(zone_path, 1, 10)

        # The secondaries' ports must be known before the primary starts, so they are created
        # first and started once the primary answers.
        named = BindSecondary(os.path.join(root, "named"), 0, ["example.com"], key)
        knot = KnotSecondary(os.path.join(root, "knotd"), 0, ["example.com"], key)
        primary, primary_config = start_knot_primary(primary_dir, zone_path, key,
                                                     [named.port, knot.port])
        servers = [primary, named, knot]
        try:
            primary.wait_until_answering("example.com.")
            for secondary in (named, knot):
                os.makedirs(secondary.workdir)
                secondary.primary_port = primary.port
                secondary.start()
            for secondary in (named, knot):
                secondary.wait_until_running()
                seconds = secondary.wait_for_serial("example.com", 1)
                print(f"{secondary.kind}: serial 1 after {seconds:.2f} s")

            for serial in (2, 3):
                write_primary_zone(zone_path, serial, 10 + serial)
                reload = subprocess.run(
                    [tool_path("knotc"), "-c", primary_config, "zone-reload", "example.com."],
                    capture_output=True, text=True, check=False)
                if reload.returncode != 0:
                    raise ServerError(f"knotc zone-reload failed: {reload.stdout}{reload.stderr}")
                for secondary in (named, knot):
                    seconds = secondary.wait_for_serial("example.com", serial, timeout=10)
                    print(f"{secondary.kind}: serial {serial} after {seconds:.2f} s"
                          f" (transfers: {secondary.transfers('example.com')})")

            failed = 0
            for secondary in (named, knot):
                transfers = secondary.transfers("example.com")
                if transfers[:1] != [("AXFR", 1)] or secondary.ixfr_count("example.com") < 2:
                    failed += 1
                    print(f"FAIL: {secondary.kind} transfers {transfers}, expected an AXFR of"
                          f" serial 1 and IXFR after; log:\n{secondary.log_tail(60)}")
            print(f"{2 - failed} passed, {failed} failed")
            return 1 if failed else 0
        finally:
            stop_all(servers)


if __name__ == "__main__":
    sys.exit(self_test())

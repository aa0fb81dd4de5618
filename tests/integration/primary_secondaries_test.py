#!/usr/bin/python3
"""A git push reaches BIND and Knot secondaries of robur by NOTIFY and IXFR.

The test makes a bare repository with robur's hooks, a clone, and a robur.conf that lists a
BIND 9 named and a Knot knotd secondary as also-notify targets, each with its own
`<label>._transfer.example.com` TSIG key. robur serves the bare repository; both secondaries
transfer example.com from it with their keys. Then:

  (a) a push of an invalid zone is rejected with a path:line message, leaves the branch where
      it was, and robur keeps serving the old serial;
  (b) after a valid push robur serves the new serial within 1 s;
  (c) both secondaries receive the NOTIFY and serve the new serial within 10 s;
  (d) a second change reaches both of them by IXFR, as their logs show;
  (e) AXFR signed with a transfer key works with kdig and dig, and unsigned AXFR is REFUSED
      because robur.conf allows no address.

Environment: ROBUR (robur binary); ROBUR_KEEP_TEST_DIR, when set, names a folder to copy the
test's repository and every server log into. Exits 77 when named, knotd, dig, kdig or
dnspython is missing.
"""

import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

try:
    import dns.message
    import dns.query
    import dns.rcode
    import dns.rdatatype
except ImportError:
    print("dnspython not found for /usr/bin/python3, skipping")
    sys.exit(77)

from dns_peers import LOOPBACK, ServerError, free_port  # noqa: E402
from robur_primary import (  # noqa: E402
    ZONE, ZONE_FILE, Checks, DataRepository, foreign_notify_targets, format_config,
    new_tsig_key, robur_binary, start_primary)
from secondaries import (  # noqa: E402
    BindSecondary, KnotSecondary, missing_tools, query_serial, stop_all, tool_path)

# Seconds from `git push` returning until robur serves the new serial.
PRIMARY_BOUND = 1.0
# Seconds from robur serving a serial until a secondary serves it.
SECONDARY_BOUND = 10.0


def wait_for_primary_serial(port, serial, timeout):
    """Poll robur until it serves serial for the zone; return the seconds taken, or None."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if query_serial(port, ZONE, timeout=0.2) == serial:
            return time.monotonic() - start
        time.sleep(0.01)
    return None


def address_of(name, server_port):
    """Return the A addresses of name at the server on 127.0.0.1:server_port, sorted."""
    query = dns.message.make_query(name, dns.rdatatype.A)
    try:
        response = dns.query.udp(query, LOOPBACK, port=server_port, timeout=1)
    except Exception:  # a timeout or socket error both mean "no answer" here
        return []
    return sorted(rdata.address for rrset in response.answer for rdata in rrset
                  if rrset.rdtype == dns.rdatatype.A)


def write_setup(repository, robur, robur_port, named, knot, keys):
    """Commit and push robur.conf and keys/example.com._keys for the two secondaries."""
    dnskeys = "\n".join(line for _, line in keys.values())
    repository.write("keys/example.com._keys", dnskeys + "\n")
    os.chmod(repository.path("keys/example.com._keys"), 0o600)
    repository.write("robur.conf", format_config([
        ("dns", [("listen", f"{LOOPBACK}:{robur_port}")]),
        (f'zone "{ZONE}"', [
            ("also-notify", f"{LOOPBACK}:{named.port} key {keys['named'][0].name}"),
            ("also-notify", f"{LOOPBACK}:{knot.port} key {keys['knot'][0].name}"),
        ]),
        ("hooks", [
            ("notify-server", f"{LOOPBACK}:{robur_port}"),
            ("notify-key", keys["hook"][0].name),
        ]),
    ]))
    repository.raise_serial()
    repository.commit("Serve example.com to a BIND and a Knot secondary")
    pushed = repository.push()
    if pushed.returncode != 0:
        raise RuntimeError(f"first push rejected:\n{pushed.stderr}")


def check_invalid_push(checks, repository, port, serial):
    """(a) An invalid zone is rejected with path:line, and nothing moves."""
    before = repository.head()
    text = repository.read(ZONE_FILE)
    repository.write(ZONE_FILE, text.replace("192.0.2.25", "192.0.2.300", 1))
    repository.raise_serial()
    repository.commit("Break the address of mail")
    pushed = repository.push()
    checks.check(pushed.returncode != 0, "(a) push of an invalid zone was accepted")
    checks.check(re.search(r"zones/example\.com\.zone:\d+:( \d+:)? error: .*192\.0\.2\.300",
                           pushed.stderr),
                 f"(a) rejection has no path:line message for 192.0.2.300:\n{pushed.stderr}")
    checks.check(repository.head() == before, "(a) the bare branch moved after a rejected push")
    repository.git("reset", "-q", "--hard", f"origin/{repository.branch}")
    served = query_serial(port, ZONE)
    checks.check(served == serial, f"(a) robur serves serial {served}, expected {serial}")


def push_change(checks, repository, port, secondaries, label, lines):
    """(b) and (c): push lines as a change, time robur and each secondary; return the serial."""
    serial, pushed = repository.change_zone(lines, f"Add {label}")
    pushed_at = time.monotonic()
    if not checks.check(pushed.returncode == 0, f"{label}: push rejected:\n{pushed.stderr}"):
        return None
    seconds = wait_for_primary_serial(port, serial, timeout=5.0)
    checks.check(seconds is not None and seconds <= PRIMARY_BOUND,
                 f"(b) {label}: robur served serial {serial} after {seconds} s,"
                 f" bound {PRIMARY_BOUND} s")
    if seconds is not None:
        print(f"{label}: robur serves serial {serial} {seconds:.3f} s after git push returned")

    for secondary in secondaries:
        try:
            secondary.wait_for_serial(ZONE, serial, timeout=SECONDARY_BOUND)
        except ServerError as error:
            checks.check(False, f"(c) {label}: {error}")
            continue
        elapsed = time.monotonic() - pushed_at
        checks.check(True, f"(c) {label}: {secondary.kind} serves serial {serial}")
        print(f"{label}: {secondary.kind} serves serial {serial} {elapsed:.3f} s after"
              " git push returned")
    return serial


def check_transfer_kinds(checks, secondaries, serial):
    """(d) The change to serial reached each secondary by IXFR."""
    for secondary in secondaries:
        transfers = secondary.transfers(ZONE)
        print(f"{secondary.kind} transfers (kind, serial): {transfers}")
        checks.check(("IXFR", serial) in transfers,
                     f"(d) {secondary.kind} did not receive serial {serial} by IXFR:"
                     f" {transfers}\n{secondary.log_tail(40)}")


def check_axfr(checks, port, key, serial):
    """(e) Signed AXFR with kdig and dig; unsigned AXFR is REFUSED."""
    tsig = f"{key.algorithm}:{key.name}:{key.secret}"
    common = [f"@{LOOPBACK}", "-p", str(port), "AXFR", ZONE]
    for tool, argv in (("kdig", [tool_path("kdig"), *common, "-y", tsig]),
                       ("dig", [tool_path("dig"), *common, "-y", tsig])):
        result = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=20)
        soas = re.findall(rf"^{re.escape(ZONE)}\.\s+\d+\s+IN\s+SOA\s+\S+\s+\S+\s+(\d+)",
                          result.stdout, re.MULTILINE)
        checks.check(result.returncode == 0 and soas == [str(serial)] * 2,
                     f"(e) signed AXFR with {tool}: exit {result.returncode}, SOA serials {soas},"
                     f" expected two of {serial}:\n{result.stdout[-800:]}{result.stderr}")
        checks.check("failed" not in result.stdout.lower() and "tsig" not in result.stderr.lower(),
                     f"(e) {tool} reported a TSIG or transfer failure:\n{result.stdout[-400:]}"
                     f"{result.stderr}")

    query = dns.message.make_query(ZONE, dns.rdatatype.AXFR)
    response = dns.query.tcp(query, LOOPBACK, port=port, timeout=5)
    checks.check(response.rcode() == dns.rcode.REFUSED,
                 f"(e) unsigned AXFR: rcode {dns.rcode.to_text(response.rcode())}, expected"
                 " REFUSED")


def run_test(robur, root):
    checks = Checks()
    robur_port = free_port()
    keys = {
        "named": new_tsig_key(robur, "named._transfer.example.com"),
        "knot": new_tsig_key(robur, "knot._transfer.example.com", "hmac-sha512"),
        "hook": new_tsig_key(robur, "hook._notify.example.com"),
    }
    named = BindSecondary(os.path.join(root, "named"), robur_port, [ZONE], keys["named"][0])
    knot = KnotSecondary(os.path.join(root, "knotd"), robur_port, [ZONE], keys["knot"][0])
    secondaries = [named, knot]

    # The hooks come after the first push: its post-receive hook would send a NOTIFY to a
    # robur that is not running yet, and wait for it.
    repository = DataRepository(robur, os.path.join(root, "repo"), hooks=False)
    write_setup(repository, robur, robur_port, named, knot, keys)
    repository.install_hooks()
    serial = repository.serial()

    primary = start_primary(robur, repository, robur_port, root)
    servers = [primary, *secondaries]
    try:
        primary.wait_until_answering(f"{ZONE}.")
        checks.check(query_serial(robur_port, ZONE) == serial,
                     f"robur does not serve the pushed serial {serial}")
        for secondary in secondaries:
            os.makedirs(secondary.workdir)
            secondary.start()
        ready = []
        for secondary in secondaries:
            secondary.wait_until_running()
            try:
                secondary.wait_for_serial(ZONE, serial, timeout=SECONDARY_BOUND)
                ready.append(secondary)
            except ServerError as error:
                checks.check(False, f"first transfer: {error}")
        # A secondary without the zone cannot show NOTIFY and IXFR, but robur's own checks
        # still run.
        secondaries = ready

        check_invalid_push(checks, repository, robur_port, serial)

        first = push_change(checks, repository, robur_port, secondaries, "host1",
                            ["host1 IN A 192.0.2.101"])
        for secondary in secondaries:
            checks.check(address_of("host1.example.com", secondary.port)
                         == ["192.0.2.101"], f"(c) {secondary.kind} has no host1 A record")

        second = push_change(checks, repository, robur_port, secondaries, "host2",
                             ["host2 IN A 192.0.2.102", "host2 IN TXT \"second change\""])
        if first is not None and second is not None:
            check_transfer_kinds(checks, secondaries, second)
            check_axfr(checks, robur_port, keys["named"][0], second)
    except ServerError as error:
        checks.check(False, str(error))
    finally:
        stop_all(servers)
        foreign = foreign_notify_targets(primary.log_path)
        checks.check(not foreign, f"robur sent NOTIFY beyond 127.0.0.1: {foreign}")
        if checks.failures:
            print(f"robur log {primary.log_path}:\n{primary.log_tail(60)}", file=sys.stderr)
    return checks.exit_code()


def main():
    missing = missing_tools("named", "knotd", "dig", "kdig", "git")
    if missing:
        print(f"{', '.join(missing)} not found, skipping")
        return 77
    robur = robur_binary()
    keep = os.environ.get("ROBUR_KEEP_TEST_DIR")
    with tempfile.TemporaryDirectory(prefix="robur-primary-secondaries-") as root:
        status = run_test(robur, root)
        if keep:
            subprocess.run(["cp", "-a", root, keep], check=False)
        return status


if __name__ == "__main__":
    sys.exit(main())

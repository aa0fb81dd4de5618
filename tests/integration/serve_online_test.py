#!/usr/bin/python3
"""`robur serve dns` signs zones with `dnssec = online` itself, and delv validates its answers.

The bare repository holds example.com (NSEC, with a wildcard) and example.org (NSEC3), each with
a CSK made by `robur key dnssec new`, and robur.conf sets `dnssec = online` with a signature
validity of one hour and a refresh window of 3580 s, so that signatures come due within about
20 s. Against `robur serve dns` on a free loopback port, with a Knot secondary, the test checks:

  - answers to DO queries carry RRSIGs, and delv with the zone's own DNSKEY as trust anchor
    fully validates a positive answer, NXDOMAIN, NODATA and a wildcard answer, in both zones;
  - the AXFR of each zone passes ldns-verify-zone, when it is installed;
  - the secondary transfers the signed zone;
  - an `nsupdate -y` add is served signed as soon as nsupdate returns, while updates of RRSIG
    and apex DNSKEY records are refused, and so is any update of example.net, whose robur.conf
    section says `dnssec = offline`;
  - a pushed commit with a changed record is served signed, and a pushed second key joins the
    DNSKEY RRset;
  - without a commit, the server signs again before the signatures expire: the served serial
    rises, the SOA RRSIG expiration moves on, and the secondary follows by IXFR.

Environment: ROBUR (robur binary). Exits 77 when delv, dig, nsupdate, knotd or dnspython is
missing.
"""

import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

try:
    import dns.flags
    import dns.message
    import dns.query
    import dns.rdatatype
except ImportError:
    print("dnspython not found for /usr/bin/python3, skipping")
    sys.exit(77)

from dns_peers import LOOPBACK, ServerError, free_port  # noqa: E402
from robur_primary import (  # noqa: E402
    ZONE, ZONE_FILE, Checks, DataRepository, commit_count, format_config, new_tsig_key,
    nsupdate, robur_binary, run, start_primary)
from secondaries import KnotSecondary, missing_tools, query_serial, stop_all, tool_path  # noqa: E402

OFFLINE_ZONE = "example.net"
OFFLINE_ZONE_TEXT = """$ORIGIN example.net.
$TTL 3600
@     IN SOA ns1.example.invalid. hostmaster.example.net. 2026010101 7200 3600 1209600 3600
      IN NS  ns1.example.invalid.
www   IN A   192.0.2.90
"""
OTHER_ZONE = "example.org"
OTHER_ZONE_TEXT = """$ORIGIN example.org.
$TTL 3600
@     IN SOA ns1.example.invalid. hostmaster.example.org. 2026010101 7200 3600 1209600 3600
      IN NS  ns1.example.invalid.
      IN A   192.0.2.80
www   IN A   192.0.2.81
*.any IN TXT "wildcard of example.org"
"""
WILDCARD_LINE = '*.wild IN TXT "wildcard of example.com"'
# Seconds the server may take to sign again without a commit: the refresh window leaves the
# signatures 20 s at most before they come due.
RESIGN_BOUND = 30.0


def query(port, name, rdtype, dnssec=True):
    """Send one UDP query with the DO bit to robur; return the response."""
    message = dns.message.make_query(name, rdtype, want_dnssec=dnssec)
    message.flags &= ~dns.flags.RD
    return dns.query.udp(message, LOOPBACK, port=port, timeout=2)


def covered_types(response, section="answer"):
    """Return the types that the RRSIGs of a response section cover."""
    rrsets = response.answer if section == "answer" else response.authority
    return {rdata.type_covered for rrset in rrsets if rrset.rdtype == dns.rdatatype.RRSIG
            for rdata in rrset}


def soa_rrsig_expiration(port, zone):
    """Return the expiration of the SOA RRSIG that robur serves for zone, or None."""
    response = query(port, zone, "SOA")
    for rrset in response.answer:
        if rrset.rdtype == dns.rdatatype.RRSIG:
            return max(rdata.expiration for rdata in rrset)
    return None


def write_trust_anchor(port, zone, path):
    """Write a delv trust-anchors file with the zone's SEP keys as robur serves them."""
    response = query(port, zone, "DNSKEY")
    lines = []
    for rrset in response.answer:
        if rrset.rdtype != dns.rdatatype.DNSKEY:
            continue
        for rdata in rrset:
            if rdata.flags & 0x0001:
                key = rdata.to_text().split(None, 3)[3].replace(" ", "")
                lines.append(f'    {zone}. static-key {rdata.flags} {rdata.protocol} '
                             f'{rdata.algorithm} "{key}";')
    with open(path, "w") as out:
        out.write("trust-anchors {\n" + "\n".join(lines) + "\n};\n")
    return bool(lines)


def delv(port, anchor, zone, name, rdtype):
    """Run delv against robur with the zone as trust anchor root; return its output."""
    result = subprocess.run(
        [tool_path("delv"), f"@{LOOPBACK}", "-p", str(port), "-a", anchor, f"+root={zone}",
         name, rdtype],
        capture_output=True, text=True, check=False, timeout=20)
    return result.stdout + result.stderr


def check_validation(checks, port, root, zone, cases):
    """Check that delv fully validates each (name, type, expected outcome) of cases."""
    anchor = os.path.join(root, f"{zone}.anchor")
    if not checks.check(write_trust_anchor(port, zone, anchor),
                        f"{zone}: no DNSKEY with the SEP flag served"):
        return
    for name, rdtype, outcome in cases:
        output = delv(port, anchor, zone, name, rdtype)
        validated = ("; fully validated" in output if outcome == "positive"
                     else "; negative response, fully validated" in output)
        checks.check(validated, f"{zone}: delv {name} {rdtype} is not a validated {outcome}"
                     f" answer:\n{output}")
        if outcome in ("nxdomain", "nxrrset"):
            checks.check(f"ncache {outcome}" in output,
                         f"{zone}: delv {name} {rdtype} did not end in {outcome}:\n{output}")


def check_signed_answers(checks, port):
    """DO answers carry RRSIGs; negative answers carry signed NSEC or NSEC3 records."""
    response = query(port, f"www.{ZONE}", "A")
    checks.check(dns.rdatatype.CNAME in covered_types(response),
                 f"www.{ZONE} CNAME answer has no RRSIG:\n{response}")
    response = query(port, f"nothing.{ZONE}", "A")
    checks.check(dns.rdatatype.NSEC in covered_types(response, "authority"),
                 f"NXDOMAIN in {ZONE} has no signed NSEC:\n{response}")
    response = query(port, f"nothing.{OTHER_ZONE}", "A")
    checks.check(dns.rdatatype.NSEC3 in covered_types(response, "authority"),
                 f"NXDOMAIN in {OTHER_ZONE} has no signed NSEC3:\n{response}")
    response = query(port, OTHER_ZONE, "NSEC3PARAM")
    checks.check(any(rrset.rdtype == dns.rdatatype.NSEC3PARAM for rrset in response.answer),
                 f"{OTHER_ZONE} serves no NSEC3PARAM:\n{response}")


def check_axfr(checks, port, root, zone):
    """The AXFR of zone passes ldns-verify-zone, when it is installed."""
    if missing_tools("ldns-verify-zone"):
        print("ldns-verify-zone not found, AXFR check skipped")
        return
    transfer = subprocess.run(
        [tool_path("dig"), f"@{LOOPBACK}", "-p", str(port), "+noall", "+answer", zone, "AXFR"],
        capture_output=True, text=True, check=False, timeout=20)
    path = os.path.join(root, f"{zone}.axfr")
    with open(path, "w") as out:
        # The closing SOA of the transfer repeats the first one.
        lines = transfer.stdout.splitlines()
        out.write("\n".join(lines[:-1]) + "\n")
    verified = subprocess.run([tool_path("ldns-verify-zone"), path], capture_output=True,
                              text=True, check=False, timeout=60)
    checks.check(verified.returncode == 0,
                 f"{zone}: ldns-verify-zone rejects the AXFR:\n{verified.stdout}{verified.stderr}")


def wait_for(condition, timeout):
    """Poll condition until it returns a true value or timeout seconds pass; return the value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(0.1)


def check_updates(checks, port, key):
    """An UPDATE add is served signed on NOERROR; RRSIG and apex DNSKEY updates are refused."""
    result = nsupdate(port, [f"zone {ZONE}", f"update add dyn.{ZONE} 300 A 192.0.2.99", "send"],
                      key)
    checks.check(result.returncode == 0,
                 f"nsupdate add: exit {result.returncode}: {result.stdout}{result.stderr}")
    response = query(port, f"dyn.{ZONE}", "A")
    checks.check(dns.rdatatype.A in covered_types(response),
                 f"dyn.{ZONE} A not served signed right after NOERROR:\n{response}")

    refused = {
        "RRSIG": f"update add dyn.{ZONE} 300 RRSIG A 13 3 300 20300101000000 20200101000000 "
                 f"1 {ZONE}. AAAA",
        "DNSKEY": f"update add {ZONE} 300 DNSKEY 256 3 13 "
                  "fW9D5MsxBu0oPTz0t/QS8Ev29o+/MGJWqHRQwLKbrY8N/slfXBBvECaKAvCfpjNuj9ESdOUYlrkW"
                  "0hBldO8fZA==",
    }
    for label, command in refused.items():
        before = query_serial(port, ZONE)
        result = nsupdate(port, [f"zone {ZONE}", command, "send"], key)
        checks.check("REFUSED" in result.stdout + result.stderr,
                     f"nsupdate of {label}: not REFUSED: {result.stdout}{result.stderr}")
        after = query_serial(port, ZONE)
        checks.check(after is not None and before is not None and after - before <= 1,
                     f"nsupdate of {label}: serial moved from {before} to {after}")


def check_offline_update(checks, port, key):
    """An UPDATE of a zone with dnssec = offline is refused and changes nothing."""
    before = query_serial(port, OFFLINE_ZONE)
    result = nsupdate(port, [f"zone {OFFLINE_ZONE}",
                             f"update add dyn.{OFFLINE_ZONE} 300 A 192.0.2.98", "send"], key)
    checks.check("REFUSED" in result.stdout + result.stderr,
                 f"nsupdate of the offline zone: not REFUSED: {result.stdout}{result.stderr}")
    checks.check(query_serial(port, OFFLINE_ZONE) == before,
                 f"nsupdate of the offline zone: serial moved from {before}")


def check_pushes(checks, repository, robur, port):
    """A pushed record and a pushed second key are served signed."""
    # The UPDATE made a commit on the server's branch.
    repository.git("pull", "-q", "--rebase", "origin", repository.branch)
    repository.append(ZONE_FILE, "pushed IN A 192.0.2.77")
    repository.raise_serial()
    repository.commit("Add pushed")
    pushed = repository.push()
    checks.check(pushed.returncode == 0, f"push of a record rejected:\n{pushed.stderr}")
    served = wait_for(lambda: dns.rdatatype.A in covered_types(
        query(port, f"pushed.{ZONE}", "A")), 10)
    checks.check(served, f"pushed.{ZONE} A not served signed within 10 s")

    run([robur, "--repo", repository.clone, "key", "dnssec", "new", ZONE, "--zsk"])
    pushed = repository.push()
    checks.check(pushed.returncode == 0, f"push of a second key rejected:\n{pushed.stderr}")

    def dnskey_count():
        response = query(port, ZONE, "DNSKEY")
        return sum(len(rrset) for rrset in response.answer
                   if rrset.rdtype == dns.rdatatype.DNSKEY) == 2
    checks.check(wait_for(dnskey_count, 10), f"{ZONE} DNSKEY RRset has no second key after push")


def check_resign(checks, repository, port, knot):
    """Signatures are renewed without a commit; the secondary follows by IXFR."""
    commits = commit_count(repository)
    serial = query_serial(port, ZONE)
    expiration = soa_rrsig_expiration(port, ZONE)
    renewed = wait_for(lambda: (query_serial(port, ZONE) or 0) > serial, RESIGN_BOUND)
    checks.check(renewed, f"{ZONE}: served serial stayed {serial} for {RESIGN_BOUND} s")
    checks.check(commit_count(repository) == commits,
                 "signing again without a commit made a commit")
    later = soa_rrsig_expiration(port, ZONE)
    checks.check(later is not None and expiration is not None and later > expiration,
                 f"{ZONE}: SOA RRSIG expiration {expiration} did not move on ({later})")
    if knot is None:
        return
    followed = wait_for(lambda: (knot.serial(ZONE) or 0) > serial, 10)
    checks.check(followed, f"knotd did not follow the signing without a commit:\n"
                 f"{knot.log_tail()}")
    checks.check(knot.ixfr_count(ZONE) > 0,
                 f"knotd transferred no IXFR: {knot.transfers(ZONE)}\n{knot.log_tail()}")


def setup(robur, root, port, knot):
    """Make the repository with both zones, their keys and robur.conf; return (repo, key)."""
    update_key, dnskey = new_tsig_key(robur, "nsupdate._update.example.com")
    offline_key, offline_dnskey = new_tsig_key(robur, "nsupdate._update.example.net")
    repository = DataRepository(robur, os.path.join(root, "repo"), hooks=False)
    repository.append(ZONE_FILE, WILDCARD_LINE)
    repository.write(f"zones/{OTHER_ZONE}.zone", OTHER_ZONE_TEXT)
    repository.write("keys/example.com._keys", dnskey + "\n")
    os.chmod(repository.path("keys/example.com._keys"), 0o600)
    repository.write(f"zones/{OFFLINE_ZONE}.zone", OFFLINE_ZONE_TEXT)
    repository.write("keys/example.net._keys", offline_dnskey + "\n")
    os.chmod(repository.path("keys/example.net._keys"), 0o600)
    repository.write("robur.conf", format_config([
        ("dns", [("listen", f"{LOOPBACK}:{port}"), ("allow-transfer", LOOPBACK),
                 ("dnssec", "online"), ("signature-validity", "1h"),
                 ("signature-refresh", "3580s")]),
        (f'zone "{ZONE}"', [("also-notify", f"{LOOPBACK}:{knot.port}")]),
        (f'zone "{OTHER_ZONE}"', [("nsec3", "yes")]),
        (f'zone "{OFFLINE_ZONE}"', [("dnssec", "offline")]),
    ]))
    repository.raise_serial()
    repository.commit("Sign example.com and example.org online")
    for zone in (ZONE, OTHER_ZONE):
        run([robur, "--repo", repository.clone, "key", "dnssec", "new", zone, "--csk"])
    pushed = repository.push()
    if pushed.returncode != 0:
        raise RuntimeError(f"first push rejected:\n{pushed.stderr}")
    return repository, {ZONE: update_key, OFFLINE_ZONE: offline_key}


def run_test(robur, root):
    started = time.monotonic()
    checks = Checks()
    port = free_port()
    knot = KnotSecondary(os.path.join(root, "knotd"), port, [ZONE])
    repository, keys = setup(robur, root, port, knot)
    primary = start_primary(robur, repository, port, root)
    servers = [primary]
    try:
        primary.wait_until_answering(f"{ZONE}.")
        os.makedirs(knot.workdir)
        knot.start()
        servers.append(knot)
        check_signed_answers(checks, port)
        check_validation(checks, port, root, ZONE, [
            (f"www.{ZONE}", "A", "positive"),
            (f"nothing.{ZONE}", "A", "nxdomain"),
            (f"mail.{ZONE}", "TXT", "nxrrset"),
            (f"host.wild.{ZONE}", "TXT", "positive"),
        ])
        check_validation(checks, port, root, OTHER_ZONE, [
            (f"www.{OTHER_ZONE}", "A", "positive"),
            (f"nothing.{OTHER_ZONE}", "A", "nxdomain"),
            (f"www.{OTHER_ZONE}", "TXT", "nxrrset"),
            (f"host.any.{OTHER_ZONE}", "TXT", "positive"),
        ])
        for zone in (ZONE, OTHER_ZONE):
            check_axfr(checks, port, root, zone)

        knot.wait_until_running()
        transferred = wait_for(lambda: knot.serial(ZONE) is not None, 10)
        checks.check(transferred, f"knotd did not transfer {ZONE}:\n{knot.log_tail()}")
        checks.check(dns.rdatatype.A in covered_types(query(knot.port, ZONE, "A")),
                     f"knotd serves {ZONE} without RRSIGs")

        check_updates(checks, port, keys[ZONE])
        check_offline_update(checks, port, keys[OFFLINE_ZONE])
        check_pushes(checks, repository, robur, port)
        check_resign(checks, repository, port, knot if transferred else None)
    except ServerError as error:
        checks.check(False, str(error))
    finally:
        stop_all(servers)
    print(f"wall time {time.monotonic() - started:.1f} s")
    return checks.exit_code()


def main():
    missing = missing_tools("delv", "dig", "nsupdate", "knotd")
    if missing:
        print(f"{', '.join(missing)} not found, skipping")
        return 77
    robur = robur_binary()
    with tempfile.TemporaryDirectory(prefix="robur-online-") as root:
        return run_test(robur, root)


if __name__ == "__main__":
    sys.exit(main())

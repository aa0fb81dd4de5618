#!/usr/bin/python3
"""AXFR and IXFR from robur: content, IXFR from Git history, TSIG on every message, access.

The test pushes four versions of example.com, serials S1 to S4, and one of example.net. S4
adds 800 TXT records, so that a transfer needs several TCP messages and an IXFR to S4 does not
fit in UDP. It checks against `robur serve dns`:

  - a signed AXFR over TCP returns the committed zone, with a valid TSIG on every message;
  - IXFR from S1, S2 and S3 returns the differences between the commits, which applied to the
    older committed zone give the newest one (RFC 1995 section 4);
  - IXFR from the current serial returns the current SOA alone, and IXFR from a serial that no
    commit carried returns the whole zone (AXFR form);
  - IXFR over UDP returns the whole answer when it fits, else the current SOA alone
    (RFC 1995 section 2);
  - access: unsigned transfers are REFUSED unless robur.conf lists the address; a transfer or
    update key of the zone, or a key named by `allow-transfer = key NAME`, may transfer; a
    notify key and a key of another zone may not; an unknown key gets NOTAUTH with BADKEY and
    a wrong secret NOTAUTH with BADSIG (RFC 8945 section 5.2).

Environment: ROBUR (robur binary). Exits 77 when git or dnspython is missing.
"""

import os
import socket
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

try:
    import dns.exception
    import dns.message
    import dns.name
    import dns.rcode
    import dns.rdataclass
    import dns.rdatatype
    import dns.rrset
    import dns.tsig
    import dns.zone
except ImportError:
    print("dnspython not found for /usr/bin/python3, skipping")
    sys.exit(77)

from dns_peers import LOOPBACK, ServerError, free_port  # noqa: E402
from robur_primary import (  # noqa: E402
    ZONE, ZONE_FILE, Checks, DataRepository, foreign_notify_targets, format_config,
    new_tsig_key, robur_binary, start_primary)
from secondaries import TsigKey, missing_tools, query_serial  # noqa: E402

ORIGIN = dns.name.from_text(ZONE)
EXAMPLE_NET = """$ORIGIN example.net.
$TTL 3600
@    IN SOA ns1.example.net. hostmaster.example.net. 2026010101 7200 3600 1209600 3600
     IN NS  ns1.example.invalid.
ns1  IN A   192.0.2.1
"""
# About 90 KB of TXT data: more than one TCP message can carry (65,535 octets), so the
# transfer needs several messages and each needs its own TSIG (RFC 8945 section 5.3.1).
BULK_RECORDS = 800
# Connections that each carry four signed requests in check_connection_reuse.
REUSED_CONNECTIONS = 100


class TransferResult:
    """The messages of one transfer response: rcode of the first, records, and TSIG states."""

    def __init__(self):
        self.rcode = None
        self.records = []      # (name, ttl, rdata) in order, one per RR
        self.signed = []       # per message: True when it carried a TSIG that verified
        self.tsig_error = None  # the TSIG error dnspython raised for, e.g. "BADKEY"

    @property
    def soa_serials(self):
        return [rdata.serial for _, _, rdata in self.records
                if rdata.rdtype == dns.rdatatype.SOA]


def make_transfer_query(zone, rdtype, serial=None, key=None):
    zone = dns.name.from_text(zone)
    query = dns.message.make_query(zone, rdtype)
    if serial is not None:
        query.authority.append(dns.rrset.from_text(
            zone, 0, "IN", "SOA", f". . {serial} 0 0 0 0"))
    if key is not None:
        query.use_tsig(key.keyring(), keyname=key.name)
    return query


def transfer_complete(records, rdtype):
    """Return True when records end an AXFR or IXFR response (RFC 5936 section 2.2, RFC 1995
    section 4)."""
    soas = [index for index, (_, _, rdata) in enumerate(records)
            if rdata.rdtype == dns.rdatatype.SOA]
    if not soas or soas[0] != 0:
        return False
    current = records[0][2].serial
    incremental = (rdtype == dns.rdatatype.IXFR and len(records) > 1
                   and records[1][2].rdtype == dns.rdatatype.SOA)
    if not incremental:
        return len(soas) >= 2
    # Incremental: after the first SOA come pairs of (old SOA, deletions, new SOA, additions);
    # the current SOA in the place of an old SOA ends the response.
    expect_old = True
    for _, _, rdata in records[1:]:
        if rdata.rdtype != dns.rdatatype.SOA:
            continue
        if expect_old and rdata.serial == current:
            return True
        expect_old = not expect_old
    return False


def read_message(stream):
    header = b""
    while len(header) < 2:
        chunk = stream.recv(2 - len(header))
        if not chunk:
            raise ConnectionError("connection closed before the transfer ended")
        header += chunk
    (length,) = struct.unpack("!H", header)
    data = b""
    while len(data) < length:
        chunk = stream.recv(length - len(data))
        if not chunk:
            raise ConnectionError("connection closed inside a message")
        data += chunk
    return data


def parse_message(wire, query, key, tsig_ctx, result):
    """Parse one response message into result; return the TSIG context for the next one."""
    keyring = key.keyring() if key is not None else None
    errors = {dns.tsig.PeerBadKey: "BADKEY", dns.tsig.PeerBadSignature: "BADSIG",
              dns.tsig.PeerBadTime: "BADTIME"}
    try:
        message = dns.message.from_wire(
            wire, keyring=keyring, request_mac=query.mac if key is not None else b"",
            xfr=True, tsig_ctx=tsig_ctx, multi=True,
            one_rr_per_rrset=True)
    except tuple(errors) as error:
        result.rcode = dns.rcode.to_text(dns.rcode.Rcode(wire[3] & 0x0F))
        result.tsig_error = errors[type(error)]
        return None
    if result.rcode is None:
        result.rcode = dns.rcode.to_text(message.rcode())
    result.signed.append(message.had_tsig)
    for rrset in message.answer:
        for rdata in rrset:
            result.records.append((rrset.name, rrset.ttl, rdata))
    return message.tsig_ctx


def transfer_tcp(port, query, key=None, timeout=10.0):
    """Send an AXFR or IXFR query over TCP and read the whole response."""
    result = TransferResult()
    wire = query.to_wire()
    with socket.create_connection((LOOPBACK, port), timeout=timeout) as stream:
        stream.sendall(struct.pack("!H", len(wire)) + wire)
        tsig_ctx = None
        while True:
            tsig_ctx = parse_message(read_message(stream), query, key, tsig_ctx, result)
            if result.rcode != "NOERROR" or result.tsig_error:
                return result
            if transfer_complete(result.records, query.question[0].rdtype):
                return result
            if len(result.records) == 1 and len(result.signed) == 1:
                # A single SOA in the first message is a whole IXFR response (up to date).
                if query.question[0].rdtype == dns.rdatatype.IXFR:
                    return result


def transfer(port, zone, rdtype, serial=None, key=None, tcp=True):
    """Send an AXFR or IXFR (from serial) for zone, signed with key when given; return the
    TransferResult."""
    query = make_transfer_query(zone, rdtype, serial, key)
    if tcp:
        return transfer_tcp(port, query, key)
    return transfer_udp(port, query, key)


def transfer_udp(port, query, key=None, timeout=5.0):
    result = TransferResult()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as datagram:
        datagram.settimeout(timeout)
        datagram.sendto(query.to_wire(), (LOOPBACK, port))
        wire, _ = datagram.recvfrom(65535)
    parse_message(wire, query, key, None, result)
    return result


def zone_at(repository, commit):
    text = repository.show(ZONE_FILE, commit)
    return dns.zone.from_text(text, origin=ORIGIN, relativize=False, check_origin=True)


def zone_from_records(records):
    """Build a dnspython zone from AXFR records (the final SOA is a repeat)."""
    zone = dns.zone.Zone(ORIGIN, relativize=False)
    for name, ttl, rdata in records[:-1]:
        zone.find_rdataset(name, rdata.rdtype, create=True).add(rdata, ttl)
    return zone


def apply_ixfr(old_zone, records):
    """Apply the difference sequences of an incremental IXFR to a copy of old_zone.

    Each sequence is the old SOA, the deleted records, the new SOA and the added records
    (RFC 1995 section 4). records[0] and records[-1] are the current SOA.
    """
    zone = dns.zone.from_text(old_zone.to_text(relativize=False), origin=ORIGIN,
                              relativize=False)
    deleting = False
    for name, ttl, rdata in records[1:-1]:
        if rdata.rdtype == dns.rdatatype.SOA:
            deleting = not deleting
            # The old SOA leaves with the deletions and the new one comes with the additions.
            zone.delete_rdataset(name, dns.rdatatype.SOA)
            if not deleting:
                zone.find_rdataset(name, rdata.rdtype, create=True).add(rdata, ttl)
            continue
        if deleting:
            rdataset = zone.get_rdataset(name, rdata.rdtype)
            if rdataset is not None and rdata in rdataset:
                rdataset.discard(rdata)
                if not rdataset:
                    zone.delete_rdataset(name, rdata.rdtype)
        else:
            zone.find_rdataset(name, rdata.rdtype, create=True).add(rdata, ttl)
    return zone


def node_text(zone, name):
    """Return the records of name in zone as sorted text lines, TTLs included."""
    node = zone.get_node(name)
    if node is None:
        return []
    return sorted(line for rdataset in node.rdatasets
                  for line in rdataset.to_text(name).splitlines())


def zones_equal(left, right):
    """Compare two zones record by record, TTLs included (dnspython's == ignores TTLs)."""
    names = set(left.nodes) | set(right.nodes)
    return all(node_text(left, name) == node_text(right, name) for name in names)


def zone_differences(left, right):
    """Return the records of up to four names that differ between two zones, as text."""
    names = sorted(set(left.nodes) | set(right.nodes))
    differing = [name for name in names if node_text(left, name) != node_text(right, name)]
    lines = []
    for name in differing[:4]:
        lines.append(f"{name}: received {node_text(left, name)}, committed"
                     f" {node_text(right, name)}")
    return "\n".join(lines) or "none"


def push_small_versions(repository):
    """Push S2 (adds host1) and S3 (moves mail, drops the www CNAME); return their
    (serial, commit) pairs."""
    versions = []
    serial, pushed = repository.change_zone(
        ["host1 IN A 192.0.2.101", "host1 IN AAAA 2001:db8::101"], "Add host1")
    if pushed.returncode != 0:
        raise RuntimeError(f"push of serial {serial} rejected:\n{pushed.stderr}")
    versions.append((serial, repository.head()))

    text = repository.read(ZONE_FILE)
    text = text.replace("192.0.2.25", "192.0.2.26")
    text = text.replace("www             IN CNAME example.com.\n", "")
    repository.write(ZONE_FILE, text)
    serial = repository.raise_serial()
    repository.commit("Move mail and drop www")
    pushed = repository.push()
    if pushed.returncode != 0:
        raise RuntimeError(f"push of serial {serial} rejected:\n{pushed.stderr}")
    versions.append((serial, repository.head()))
    return versions


def push_bulk_version(repository):
    """Push S4, which adds BULK_RECORDS TXT records; return its (serial, commit)."""
    lines = [f'bulk{index} IN TXT "{index:04d} {"x" * 80}"' for index in range(BULK_RECORDS)]
    serial, pushed = repository.change_zone(lines, f"Add {BULK_RECORDS} TXT records")
    if pushed.returncode != 0:
        raise RuntimeError(f"push of serial {serial} rejected:\n{pushed.stderr}")
    return serial, repository.head()


def check_axfr(checks, repository, port, key, serial, commit):
    result = transfer(port, ZONE, "AXFR", key=key)
    if not checks.check(result.rcode == "NOERROR" and not result.tsig_error,
                        f"signed AXFR: rcode {result.rcode}, TSIG {result.tsig_error}"):
        return
    checks.check(all(result.signed), f"signed AXFR: messages without TSIG: {result.signed}")
    checks.check(len(result.signed) > 1,
                 f"AXFR of {BULK_RECORDS} TXT records came in {len(result.signed)} message(s);"
                 " expected several, so that TSIG on later messages is checked")
    checks.check(result.soa_serials == [serial, serial],
                 f"AXFR SOA serials {result.soa_serials}, expected two of {serial}")
    expected = zone_at(repository, commit)
    received = zone_from_records(result.records)
    checks.check(zones_equal(received, expected), "AXFR differs from the committed zone at:"
                 f" {zone_differences(received, expected)}")


def check_ixfr(checks, repository, port, key, versions):
    current, current_commit = versions[-1]
    newest = zone_at(repository, current_commit)
    for old, old_commit in versions[:-1]:
        label = f"IXFR from {old}"
        result = transfer(port, ZONE, "IXFR", old, key)
        if not checks.check(result.rcode == "NOERROR" and not result.tsig_error,
                            f"{label}: rcode {result.rcode}, TSIG {result.tsig_error}"):
            continue
        checks.check(all(result.signed), f"{label}: messages without TSIG: {result.signed}")
        serials = result.soa_serials
        checks.check(len(serials) >= 4 and serials[0] == current and serials[1] == old,
                     f"{label}: not incremental, SOA serials {serials[:6]}")
        applied = apply_ixfr(zone_at(repository, old_commit), result.records)
        checks.check(zones_equal(applied, newest), f"{label}: applying the differences does not give"
                     f" serial {current}; names differing: {zone_differences(applied, newest)}")

    result = transfer(port, ZONE, "IXFR", current, key)
    checks.check(result.rcode == "NOERROR" and result.soa_serials == [current]
                 and len(result.records) == 1,
                 f"IXFR from the current serial: rcode {result.rcode}, {len(result.records)}"
                 f" records, SOA serials {result.soa_serials}; expected the SOA alone")

    result = transfer(port, ZONE, "IXFR", 1, key)
    received = zone_from_records(result.records) if len(result.records) > 2 else None
    checks.check(result.rcode == "NOERROR" and received is not None
                 and zones_equal(received, newest),
                 f"IXFR from serial 1, which no commit carried: rcode {result.rcode},"
                 f" SOA serials {result.soa_serials[:4]}; expected the whole zone")


def check_udp_ixfr(checks, port, key, old, current, fits):
    """Over UDP, an IXFR that fits is answered whole, else with the current SOA alone."""
    label = f"UDP IXFR from {old} to {current}"
    result = transfer(port, ZONE, "IXFR", old, key, tcp=False)
    checks.check(result.signed == [True] and not result.tsig_error,
                 f"{label}: response TSIG {result.signed} {result.tsig_error}")
    serials = result.soa_serials
    if fits:
        checks.check(result.rcode == "NOERROR" and len(serials) >= 4 and serials[0] == current
                     and serials[-1] == current,
                     f"{label}: rcode {result.rcode}, SOA serials {serials}; expected the whole"
                     " incremental answer")
    else:
        checks.check(result.rcode == "NOERROR" and serials == [current]
                     and len(result.records) == 1,
                     f"{label} (too large for UDP): rcode {result.rcode}, SOA serials {serials},"
                     f" {len(result.records)} records; expected the current SOA alone")


def check_connection_reuse(checks, port, key, old, current):
    """Several signed requests on one TCP connection are all answered, in order.

    Knot 3.2 refreshes this way: a signed SOA query, then a signed IXFR on the same connection.
    A lost answer stalls its refresh until the retry timer (an hour for the test zone).
    """
    for connection in range(REUSED_CONNECTIONS):
        with socket.create_connection((LOOPBACK, port), timeout=3) as stream:
            for step, rdtype in enumerate(("SOA", "IXFR", "SOA", "IXFR"), start=1):
                query = make_transfer_query(ZONE, rdtype, old if rdtype == "IXFR" else None, key)
                wire = query.to_wire()
                stream.sendall(struct.pack("!H", len(wire)) + wire)
                result = TransferResult()
                try:
                    parse_message(read_message(stream), query, key, None, result)
                except (OSError, dns.exception.DNSException) as error:
                    checks.check(False, f"connection {connection}: request {step} ({rdtype}) of"
                                 f" signed SOA, IXFR, SOA, IXFR on one TCP connection: {error!r}")
                    return
                if result.rcode != "NOERROR" or result.soa_serials[:1] != [current]:
                    checks.check(False, f"connection {connection}: {rdtype} answered"
                                 f" {result.rcode} with SOA serials {result.soa_serials[:2]}")
                    return
    checks.check(True, "signed requests on reused TCP connections")


def check_access(checks, port, keys):
    def axfr(zone, key):
        return transfer(port, zone, "AXFR", key=key)

    unsigned = axfr(ZONE, None)
    checks.check(unsigned.rcode == "REFUSED",
                 f"unsigned AXFR of {ZONE}: rcode {unsigned.rcode}, expected REFUSED")
    unsigned_udp = transfer(port, ZONE, "IXFR", 1, tcp=False)
    checks.check(unsigned_udp.rcode == "REFUSED",
                 f"unsigned UDP IXFR of {ZONE}: rcode {unsigned_udp.rcode}, expected REFUSED")
    listed = axfr("example.net", None)
    checks.check(listed.rcode == "NOERROR" and len(listed.soa_serials) == 2,
                 f"unsigned AXFR of example.net, whose allow-transfer lists 127.0.0.1: rcode"
                 f" {listed.rcode}")

    for label in ("update", "explicit"):
        result = axfr(ZONE, keys[label])
        checks.check(result.rcode == "NOERROR" and all(result.signed)
                     and len(result.soa_serials) == 2,
                     f"AXFR with the {label} key {keys[label].name}: rcode {result.rcode},"
                     f" TSIG {result.tsig_error}")
    for label in ("notify", "other zone"):
        result = axfr(ZONE, keys[label])
        checks.check(result.rcode in ("REFUSED", "NOTAUTH"),
                     f"AXFR with the {label} key {keys[label].name}: rcode {result.rcode},"
                     " expected REFUSED or NOTAUTH")

    unknown = TsigKey.generate("nobody._transfer.example.com")
    result = axfr(ZONE, unknown)
    checks.check(result.rcode == "NOTAUTH" and result.tsig_error == "BADKEY",
                 f"AXFR with an unknown key: rcode {result.rcode}, TSIG {result.tsig_error};"
                 " expected NOTAUTH and BADKEY")
    wrong = TsigKey.generate(keys["transfer"].name)
    result = axfr(ZONE, wrong)
    checks.check(result.rcode == "NOTAUTH" and result.tsig_error == "BADSIG",
                 f"AXFR with a wrong secret: rcode {result.rcode}, TSIG {result.tsig_error};"
                 " expected NOTAUTH and BADSIG")


def setup(robur, root, port):
    generated = {
        "transfer": new_tsig_key(robur, "xfr._transfer.example.com"),
        "update": new_tsig_key(robur, "admin._update.example.com", "hmac-sha384"),
        "notify": new_tsig_key(robur, "hook._notify.example.com"),
        "explicit": new_tsig_key(robur, "backup-host.example.org", "hmac-sha1"),
        "other zone": new_tsig_key(robur, "xfr._transfer.example.net"),
    }
    repository = DataRepository(robur, os.path.join(root, "repo"))
    lines = [generated[label][1] for label in ("transfer", "update", "notify")]
    repository.write("keys/example.com._keys", "\n".join(lines) + "\n")
    # A key whose name grants nothing and lies outside the zone goes into the file of keys
    # that belong to no zone.
    repository.write("keys/_keys", generated["explicit"][1] + "\n")
    repository.write("keys/example.net._keys", generated["other zone"][1] + "\n")
    repository.write("zones/example.net.zone", EXAMPLE_NET)
    repository.write("robur.conf", format_config([
        ("dns", [("listen", f"{LOOPBACK}:{port}")]),
        (f'zone "{ZONE}"', [("allow-transfer", f"key {generated['explicit'][0].name}")]),
        ('zone "example.net"', [("allow-transfer", LOOPBACK)]),
    ]))
    repository.raise_serial()
    repository.commit("Add example.net and the transfer keys")
    pushed = repository.push()
    if pushed.returncode != 0:
        raise RuntimeError(f"first push rejected:\n{pushed.stderr}")
    return repository, {label: key for label, (key, _) in generated.items()}


def wait_for_serial(port, serial, primary):
    """Poll until robur serves serial; a push makes it reload."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        primary.raise_if_exited()
        if query_serial(port, ZONE) == serial:
            return
        time.sleep(0.02)
    raise ServerError(f"robur does not serve serial {serial} 5 s after the push")


def guarded(checks, check, *args):
    """Run one check function; a network error fails that check only, so the others still run."""
    try:
        check(checks, *args)
    except (OSError, dns.exception.DNSException) as error:
        checks.check(False, f"{check.__name__}: {type(error).__name__}: {error}")


def run_test(robur, root):
    checks = Checks()
    port = free_port()
    repository, keys = setup(robur, root, port)
    key = keys["transfer"]
    primary = start_primary(robur, repository, port, root)
    try:
        primary.wait_until_answering(f"{ZONE}.")
        versions = [(repository.serial(), repository.head())]
        versions += push_small_versions(repository)
        wait_for_serial(port, versions[-1][0], primary)
        guarded(checks, check_udp_ixfr, port, key, versions[0][0], versions[-1][0], True)
        guarded(checks, check_connection_reuse, port, key, versions[1][0], versions[2][0])

        versions.append(push_bulk_version(repository))
        wait_for_serial(port, versions[-1][0], primary)
        guarded(checks, check_udp_ixfr, port, key, versions[-2][0], versions[-1][0], False)
        guarded(checks, check_axfr, repository, port, key, *versions[-1])
        guarded(checks, check_ixfr, repository, port, key, versions)
        guarded(checks, check_access, port, keys)
        primary.raise_if_exited()
    except ServerError as error:
        checks.check(False, str(error))
    finally:
        primary.stop()
        foreign = foreign_notify_targets(primary.log_path)
        checks.check(not foreign, f"robur sent NOTIFY beyond 127.0.0.1: {foreign}")
        if checks.failures:
            print(f"robur log {primary.log_path}:\n{primary.log_tail(30)}", file=sys.stderr)
    return checks.exit_code()


def main():
    missing = missing_tools("git")
    if missing:
        print(f"{', '.join(missing)} not found, skipping")
        return 77
    robur = robur_binary()
    with tempfile.TemporaryDirectory(prefix="robur-primary-transfer-") as root:
        return run_test(robur, root)


if __name__ == "__main__":
    sys.exit(main())

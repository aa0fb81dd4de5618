#!/usr/bin/python3
"""Signed answers of `robur serve dns` checked by validators on 127.0.0.1.

A repository made with `robur init` gets DNSSEC keys from `robur key dnssec new` for five
zones: NSEC, NSEC3 and NSEC3 with opt-out, each with ECDSA P-256 (algorithm 13) and Ed25519
(algorithm 15). The zones are signed offline with `robur zone sign`, except one NSEC3 zone
that BIND's dnssec-signzone signs from robur's key files, so that the server is also checked
on a zone another signer made. The server then answers delv, which validates with the zone's own key as trust
anchor (+root=ZONE): positive, NXDOMAIN, NODATA, wildcard, wildcard NODATA, CNAME, empty
non-terminal, secure and insecure delegations. dig +bufsize=512 checks that an answer whose
proofs do not fit gets TC, and kdig must agree with dig on every answer.

Runs with Debian's /usr/bin/python3, which has python3-dnspython. All traffic stays on
127.0.0.1: every address in the zones is 127.0.0.1."""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from dns_peers import free_port  # noqa: E402

SKIP = 77

ZONE_TEMPLATE = """$ORIGIN {zone}
$TTL 3600
@           IN SOA   ns1.{zone} hostmaster.{zone} 1 7200 3600 1209600 300
@           IN NS    ns1.{zone}
ns1         IN A     127.0.0.1
www         IN A     127.0.0.1
www         IN AAAA  ::1
alias       IN CNAME www
*.wild      IN A     127.0.0.1
host.ent.wild IN A   127.0.0.1
*.cwild     IN CNAME www
secure      IN NS    ns.secure
ns.secure   IN A     127.0.0.1
nods        IN NS    ns.nods
ns.nods     IN A     127.0.0.1
big         IN TXT   "{filler}" "{filler}" "{filler}" "{filler}"
"""

# The two children of every zone: secure.<zone>, signed and with its DS in the parent, and
# nods.<zone>, unsigned. The server serves them too, because delv sends every query to the
# one server it is given.
CHILD_TEMPLATE = """$ORIGIN {child}
$TTL 3600
@           IN SOA   ns.{child} hostmaster.{child} 1 7200 3600 1209600 300
@           IN NS    ns.{child}
ns          IN A     127.0.0.1
host        IN A     127.0.0.1
"""

# (zone, algorithm, signer, signer options for the denial of existence)
ZONES = [
    ("nsec13.test.", "ecdsap256sha256", "robur", []),
    ("nsec3-13.test.", "ecdsap256sha256", "robur", ["--nsec3", "--salt", "ab12"]),
    ("optout13.test.", "ecdsap256sha256", "robur", ["--nsec3", "--opt-out"]),
    ("nsec15.test.", "ed25519", "robur", []),
    ("nsec3-15.test.", "ed25519", "bind", ["-3", "-", "-H", "0"]),
]

# (query name below the zone, type, what delv must print, rcode)
SECURE = "; fully validated"
NEGATIVE = "; negative response, fully validated"
UNSIGNED = "; unsigned answer"
CHECKS = [
    ("www", "A", SECURE, "NOERROR"),
    ("", "DNSKEY", SECURE, "NOERROR"),
    ("nothere", "A", NEGATIVE, "NXDOMAIN"),
    ("deep.www", "A", NEGATIVE, "NXDOMAIN"),
    ("www", "TXT", NEGATIVE, "NOERROR"),
    ("ent.wild", "A", NEGATIVE, "NOERROR"),
    ("x.wild", "A", SECURE, "NOERROR"),
    ("x.wild", "TXT", NEGATIVE, "NOERROR"),
    ("alias", "AAAA", SECURE, "NOERROR"),
    ("x.cwild", "A", SECURE, "NOERROR"),
    ("secure", "DS", SECURE, "NOERROR"),
    ("nods", "DS", NEGATIVE, "NOERROR"),
    ("host.secure", "A", SECURE, "NOERROR"),
    ("host.nods", "A", UNSIGNED, "NOERROR"),
]


def run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited with status {result.returncode}:\n"
                           f"{result.stdout}{result.stderr}")
    return result


def write_zone(repo, zone, text):
    with open(os.path.join(repo, "zones", zone.rstrip(".") + ".zone"), "w") as out:
        out.write(text)


def sign_with_bind(repo, zone, options, work):
    """Signs zones/<zone>.zone in place with dnssec-signzone and robur's key files, and
    commits it."""
    name = zone.rstrip(".")
    path = os.path.join(repo, "zones", name + ".zone")
    unsigned = os.path.join(work, name + ".zone")
    shutil.copyfile(path, unsigned)
    # -z: the key robur made is a CSK, which signs every RRset.
    run(["dnssec-signzone", "-K", os.path.join(repo, "keys", "dnssec", name), "-S", "-z",
         "-d", work, "-o", name, "-f", path] + options + [unsigned])
    run(["git", "-C", repo, "commit", "-qam", f"Sign {zone} with dnssec-signzone"])


def sign_zone(robur, repo, zone, signer, options, work):
    if signer == "bind":
        sign_with_bind(repo, zone, options, work)
    else:
        run([robur, "--repo", repo, "zone", "sign", zone.rstrip(".")] + options)


def make_repository(robur, repo, work):
    """Commits the unsigned zones and robur's keys for them, then signs each secure child,
    adds its DS to the parent and signs the parent, one commit per step."""
    run([robur, "init", repo])
    git = ["git", "-C", repo]
    run(git + ["config", "user.name", "Ada Admin"])
    run(git + ["config", "user.email", "ada@example.net"])
    run(["git", "config", "-f", os.path.join(repo, "robur.conf"), "dns.notify", "no"])
    for zone, _algorithm, _signer, _options in ZONES:
        write_zone(repo, zone, ZONE_TEMPLATE.format(zone=zone, filler="x" * 100))
        for child in (f"secure.{zone}", f"nods.{zone}"):
            write_zone(repo, child, CHILD_TEMPLATE.format(child=child))
    run(git + ["add", "-A"])
    run(git + ["commit", "-qm", "Add the test zones"])

    for zone, algorithm, signer, options in ZONES:
        child = f"secure.{zone}"
        for name in (zone, child):
            run([robur, "--repo", repo, "key", "dnssec", "new", name.rstrip("."),
                 "--algorithm", algorithm])
        sign_zone(robur, repo, child, signer, [], work)
        ds = run([robur, "--repo", repo, "zone", "ds", child.rstrip(".")]).stdout
        with open(os.path.join(repo, "zones", zone.rstrip(".") + ".zone"), "a") as out:
            for line in ds.splitlines():
                fields = line.split()
                if "DS" in fields:
                    out.write(f"secure IN DS {' '.join(fields[fields.index('DS') + 1:])}\n")
        run(git + ["commit", "-qam", f"Add the DS of {child}"])
        sign_zone(robur, repo, zone, signer, options, work)


def anchor_file(repo, zone, work):
    """A delv trust-anchors file holding the zone's DNSKEYs with the SEP bit."""
    name = zone.rstrip(".")
    folder = os.path.join(repo, "keys", "dnssec", name)
    lines = []
    for file_name in sorted(os.listdir(folder)):
        if not file_name.endswith(".key"):
            continue
        with open(os.path.join(folder, file_name)) as key_file:
            for line in key_file:
                fields = line.split()
                if line.startswith(";") or "DNSKEY" not in fields:
                    continue
                at = fields.index("DNSKEY")
                flags, protocol, algorithm = fields[at + 1:at + 4]
                key = "".join(fields[at + 4:])
                lines.append(f'    "{zone}" static-key {flags} {protocol} {algorithm} "{key}";')
    path = os.path.join(work, name + ".anchor")
    with open(path, "w") as out:
        out.write("trust-anchors {\n" + "\n".join(lines) + "\n};\n")
    return path


def wait_ready(port, server):
    """Polls with UDP queries until the server answers, for at most 10 s."""
    query = dns.message.make_query(ZONES[0][0], "SOA")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited with status {server.returncode}")
        try:
            response = dns.query.udp(query, "127.0.0.1", port=port, timeout=0.2)
            if response.rcode() == dns.rcode.NOERROR:
                return
        except (dns.exception.Timeout, OSError):
            pass
        time.sleep(0.05)
    raise RuntimeError("server did not answer within 10 s")


def delv(port, anchors, zone, qname, qtype):
    result = subprocess.run(
        ["delv", "@127.0.0.1", "-p", str(port), "-a", anchors, f"+root={zone}", qname, qtype],
        capture_output=True, text=True, timeout=30)
    return result.stdout + result.stderr


def check_delv(port, repo, work):
    failures = []
    for zone, _algorithm, _signer, _options in ZONES:
        anchors = anchor_file(repo, zone, work)
        for label, qtype, expected, _rcode in CHECKS:
            qname = f"{label}.{zone}" if label else zone
            output = delv(port, anchors, zone, qname, qtype)
            # In an opt-out zone the NSEC3 covering the next closer name of a wildcard
            # answer has the opt-out flag, so the name might be an unsigned delegation and
            # BIND's validator calls the answer insecure (RFC 5155 section 8.8). It must
            # still not be bogus.
            if zone.startswith("optout") and label.endswith("wild") and expected == SECURE:
                expected = SECURE if SECURE in output else "; unsigned answer"
            if expected not in output:
                failures.append(f"delv {qname} {qtype}: expected '{expected}', got:\n{output}")

    return failures


def dig_flags_and_rcode(tool, port, qname, qtype, extra):
    limits = ["+tries=1", "+time=2"] if tool == "dig" else ["+retry=0", "+timeout=2"]
    output = run([tool, "@127.0.0.1", "-p", str(port), "+dnssec", "+norecurse", "+ignore"]
                 + limits + extra + [qname, qtype]).stdout
    header = re.search(r"status: (\w+)", output)
    flags = re.search(r"[Ff]lags: ([a-z ]+);", output)
    return (header.group(1) if header else "?", set(flags.group(1).split()) if flags else set(),
            output)


def has_type(output, rrtype):
    """True when dig or kdig output lists a record of rrtype."""
    pattern = rf"^[^;\s]\S*\s+\d+\s+IN\s+{rrtype}\s"
    return re.search(pattern, output, re.MULTILINE) is not None


def check_truncation(port):
    """TC is set when a signed answer or a negative answer's proofs do not fit 512 octets."""
    failures = []
    zone = "nsec3-13.test."
    status, flags, output = dig_flags_and_rcode("dig", port, f"big.{zone}", "TXT",
                                                ["+bufsize=512"])
    if "tc" not in flags or has_type(output, "RRSIG") or has_type(output, "TXT"):
        failures.append(f"dig +bufsize=512 big TXT: expected TC and no records:\n{output}")
    status, flags, output = dig_flags_and_rcode("dig", port, f"big.{zone}", "TXT",
                                                ["+bufsize=512", "+nodnssec"])
    if "tc" in flags or not has_type(output, "TXT"):
        failures.append(f"dig +bufsize=512 +nodnssec big TXT: expected the TXT without TC:\n"
                        f"{output}")
    status, flags, output = dig_flags_and_rcode("dig", port, f"big.{zone}", "TXT",
                                                ["+bufsize=1232"])
    if "tc" in flags or not has_type(output, "RRSIG"):
        failures.append(f"dig +bufsize=1232 big TXT: expected the signed TXT:\n{output}")
    status, flags, output = dig_flags_and_rcode("dig", port, f"nothere.{zone}", "A",
                                                ["+bufsize=512"])
    if "tc" in flags or status != "NXDOMAIN" or not has_type(output, "NSEC3"):
        failures.append(f"dig +bufsize=512 nothere A: expected NXDOMAIN with NSEC3:\n{output}")
    status, flags, output = dig_flags_and_rcode("dig", port, f"nothere.nsec13.test.", "A",
                                                ["+bufsize=512"])
    if "tc" in flags or status != "NXDOMAIN" or not has_type(output, "NSEC"):
        failures.append(f"dig +bufsize=512 nothere A: expected NXDOMAIN with NSEC:\n{output}")
    return failures


def answer_records(response):
    """The answer and authority records as sorted text, for comparing dig with kdig."""
    records = []
    for section in (response.answer, response.authority):
        for rrset in section:
            for rdata in rrset:
                records.append(f"{rrset.name} {dns.rdatatype.to_text(rrset.rdtype)} {rdata}")
    return sorted(records)


def check_kdig_agrees(port):
    """kdig and dig decode the same answers; dnspython confirms the records match."""
    failures = []
    for zone, _algorithm, _signer, _options in ZONES:
        for label, qtype, expected, rcode in CHECKS:
            qname = f"{label}.{zone}" if label else zone
            dig_status, dig_flags, _ = dig_flags_and_rcode("dig", port, qname, qtype, [])
            kdig_status, kdig_flags, kdig_output = dig_flags_and_rcode("kdig", port, qname,
                                                                       qtype, [])
            if dig_status != rcode or kdig_status != rcode:
                failures.append(f"{qname} {qtype}: dig {dig_status}, kdig {kdig_status}, "
                                f"expected {rcode}")
            if "aa" not in dig_flags or "ad" in dig_flags or dig_flags != kdig_flags:
                failures.append(f"{qname} {qtype}: flags dig {dig_flags} kdig {kdig_flags}")
            if expected != UNSIGNED and "RRSIG" not in kdig_output:
                failures.append(f"{qname} {qtype}: kdig shows no RRSIG:\n{kdig_output}")
            query = dns.message.make_query(qname, qtype, want_dnssec=True)
            query.flags &= ~dns.flags.RD
            udp = dns.query.udp(query, "127.0.0.1", port=port, timeout=2)
            tcp = dns.query.tcp(query, "127.0.0.1", port=port, timeout=2)
            if answer_records(udp) != answer_records(tcp):
                failures.append(f"{qname} {qtype}: UDP and TCP answers differ")
    return failures


def main():
    robur = os.environ.get("ROBUR")
    if not robur:
        print("set ROBUR to the robur binary")
        return 1
    for tool in ("delv", "dig", "kdig", "dnssec-signzone", "git"):
        if shutil.which(tool) is None:
            print(f"{tool} not found, skipping (install bind9-dnsutils, bind9-utils and "
                  "knot-dnsutils)")
            return SKIP

    work = tempfile.mkdtemp(prefix="robur-serve-dnssec-")
    os.environ["HOME"] = work
    os.environ["GIT_CONFIG_NOSYSTEM"] = "1"
    server = None
    log_path = os.path.join(work, "server.log")
    try:
        repo = os.path.join(work, "repo")
        make_repository(robur, repo, work)
        # Another test may take the port between free_port() and the server's bind, so a
        # server that exits at start gets two more ports.
        for attempt in range(3):
            port = free_port()
            with open(log_path, "w") as log:
                server = subprocess.Popen(
                    [robur, "serve", "dns", "--repo", repo, "--listen", f"127.0.0.1:{port}",
                     "--threads", "1"], stdout=log, stderr=subprocess.STDOUT)
            try:
                wait_ready(port, server)
                break
            except RuntimeError:
                with open(log_path) as log:
                    print(f"server start {attempt + 1} failed, log:\n" + log.read())
                if server.poll() is None or attempt == 2:
                    raise

        failures = check_delv(port, repo, work)
        failures += check_truncation(port)
        failures += check_kdig_agrees(port)
        for failure in failures:
            print("FAIL: " + failure)
        if failures:
            with open(log_path) as log:
                print("server log:\n" + log.read())
            return 1
        print(f"{len(ZONES)} zones validated by delv; TC and kdig checks passed")
        return 0
    finally:
        if server is not None and server.poll() is None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

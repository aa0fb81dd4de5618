#!/usr/bin/python3
"""Signed queries and NOTIFY against `robur serve dns`.

A repository with a zone, a keys file and robur.conf is served on a free loopback port. The
test checks with dnspython that a signed query gets a signed answer that verifies; that an
unknown key, a wrong secret and a stale time get NOTAUTH with BADKEY, BADSIG and BADTIME; that
a NOTIFY signed with a key allowed to notify makes the server read its branch (its log names
the key), while an unsigned NOTIFY from an address that robur.conf does not
list is REFUSED; and that a NOTIFY for a zone the server does not serve gets NOTAUTH.

Environment: ROBUR (robur binary). Exits 77 when dnspython is missing.
"""

import os
import socket
import sys
import tempfile
import time
import unittest.mock

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))

try:
    import dns.message
    import dns.opcode
    import dns.query
    import dns.rcode
    import dns.rdatatype
    import dns.tsig
    import dns.tsigkeyring
    import dns.flags
except ImportError:
    print("dnspython not found for /usr/bin/python3, skipping")
    sys.exit(77)

from dns_peers import LOOPBACK, ServerProcess, free_port, git  # noqa: E402

ROBUR = os.environ.get("ROBUR", "robur")
SECRET = "Ap1XpewqCkG4lscHVws4uVVYDh9XJnYm2BSVBLH3Sbk="
NOTIFY_KEY = "secondary._notify.example.com."
UPDATE_KEY = "host._update.example.com."

ZONE = """$ORIGIN example.com.
$TTL 300
@   IN SOA ns1 hostmaster {serial} 3600 900 604800 300
    IN NS  ns1
ns1 IN A   192.0.2.1
www IN A   192.0.2.{serial}
"""

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print(f"FAIL: {message}")


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(text)


def keyring(name, secret=SECRET):
    return dns.tsigkeyring.from_text({name: ("hmac-sha256", secret)})


def ask(port, message, tcp=False):
    if tcp:
        return dns.query.tcp(message, LOOPBACK, port=port, timeout=3)
    return dns.query.udp(message, LOOPBACK, port=port, timeout=3)


def serial_of(port):
    response = ask(port, dns.message.make_query("example.com.", "SOA"))
    return response.answer[0][0].serial if response.answer else None


def tsig_failure(port, key_name, secret, fudge_offset=0):
    """Send a query signed with key_name and secret; return the answer's rcode and TSIG error."""
    query = dns.message.make_query("www.example.com.", "A")
    query.use_tsig(keyring(key_name, secret), keyname=key_name)
    # dnspython stamps the signing time when it renders the message.
    signed_at = time.time() + fudge_offset
    with unittest.mock.patch("time.time", return_value=signed_at):
        wire = query.to_wire()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(3)
        sock.sendto(wire, (LOOPBACK, port))
        data, _ = sock.recvfrom(65535)
    # dnspython reports the TSIG error of an answer as an exception.
    rcode = data[3] & 0x0F
    try:
        dns.message.from_wire(data, keyring=keyring(key_name, secret), request_mac=query.mac)
    except dns.tsig.PeerBadKey:
        return rcode, dns.rcode.BADKEY
    except dns.tsig.PeerBadSignature:
        return rcode, dns.rcode.BADSIG
    except dns.tsig.PeerBadTime:
        return rcode, dns.rcode.BADTIME
    return rcode, None


def notify(port, key_name=None):
    message = dns.message.make_query("example.com.", "SOA")
    message.set_opcode(dns.opcode.NOTIFY)
    message.flags |= dns.flags.AA
    if key_name:
        message.use_tsig(keyring(key_name), keyname=key_name)
    return ask(port, message)


def main():
    with tempfile.TemporaryDirectory(prefix="robur-tsig-") as workdir:
        repo = os.path.join(workdir, "repo")
        port = free_port()
        write(os.path.join(repo, "zones", "example.com.zone"), ZONE.format(serial=1))
        write(os.path.join(repo, "keys", "example.com._keys"),
              f"{NOTIFY_KEY} DNSKEY 0 3 163 {SECRET}\n{UPDATE_KEY} DNSKEY 0 3 163 {SECRET}\n")
        write(os.path.join(repo, "robur.conf"), "[dns]\n\tpoll-interval = 3600000\n")
        git(repo, "init", "-q", "-b", "main")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", "Add example.com")

        argv = [ROBUR, "--repo", repo, "serve", "dns", "--listen", f"{LOOPBACK}:{port}"]
        server = ServerProcess("robur", argv, os.path.join(workdir, "robur.log"), port)
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    if serial_of(port) == 1:
                        break
                except Exception:  # noqa: BLE001 - not listening yet
                    time.sleep(0.05)
            check(serial_of(port) == 1, "server did not start serving serial 1")

            # A signed query gets a signed answer; dnspython verifies it or raises.
            for tcp in (False, True):
                query = dns.message.make_query("www.example.com.", "A")
                query.use_tsig(keyring(UPDATE_KEY), keyname=UPDATE_KEY)
                answer = ask(port, query, tcp=tcp)
                check(answer.rcode() == dns.rcode.NOERROR and answer.had_tsig,
                      f"signed query over {'TCP' if tcp else 'UDP'} not answered signed")

            for key_name, secret, offset, expected in (
                ("unknown.example.com.", SECRET, 0, dns.rcode.BADKEY),
                (UPDATE_KEY, "AAAA" + SECRET[4:], 0, dns.rcode.BADSIG),
                (UPDATE_KEY, SECRET, -3600, dns.rcode.BADTIME),
            ):
                rcode, error = tsig_failure(port, key_name, secret, offset)
                check(rcode == dns.rcode.NOTAUTH and error == expected,
                      f"{key_name} offset {offset}: got rcode {rcode} TSIG error {error}, "
                      f"want NOTAUTH and {expected}")

            write(os.path.join(repo, "zones", "example.com.zone"), ZONE.format(serial=2))
            git(repo, "commit", "-q", "-a", "-m", "Raise serial")
            unsigned = notify(port)
            check(unsigned.rcode() == dns.rcode.REFUSED,
                  f"unsigned NOTIFY answered {dns.rcode.to_text(unsigned.rcode())}, want REFUSED")

            signed = notify(port, NOTIFY_KEY)
            check(signed.rcode() == dns.rcode.NOERROR and signed.had_tsig,
                  "signed NOTIFY not answered NOERROR with a signature")
            deadline = time.monotonic() + 2
            while time.monotonic() < deadline and serial_of(port) != 2:
                time.sleep(0.02)
            check(serial_of(port) == 2, "serial 2 not served after a signed NOTIFY")
            with open(server.log_path) as log:
                text = log.read()
            check("notify received" in text and f"key={NOTIFY_KEY}" in text,
                  "the server did not log the signed NOTIFY with its key")

            other = dns.message.make_query("example.org.", "SOA")
            other.set_opcode(dns.opcode.NOTIFY)
            check(ask(port, other).rcode() == dns.rcode.NOTAUTH,
                  "NOTIFY for a zone not served was not NOTAUTH")
        finally:
            server.stop()
            if failures:
                print(server.log_tail(40))

    if failures:
        print(f"{len(failures)} check(s) failed")
        return 1
    print("signed queries and NOTIFY behave as expected")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Check `robur key tsig new` against real peers.

For every algorithm, `dig -k` reads the BIND key clause that robur prints and sends a signed
query to a UDP listener on 127.0.0.1, which captures it without responding. dnspython then
verifies that query with the secret from the same clause. The Knot section must pass `knotc conf-check`, the DNSKEY line must carry
the algorithm numbers of the _keys convention (161 to 165), and hmac-md5 and short secrets must
be rejected with exit code 2.

Environment: ROBUR (robur binary). Exits 77 when dig or dnspython is missing.
"""

import base64
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile

try:
    import dns.message
    import dns.tsigkeyring
except ImportError:
    print("dnspython not found for /usr/bin/python3, skipping")
    sys.exit(77)

ROBUR = os.environ.get("ROBUR", "robur")
ALGORITHMS = {
    "hmac-sha1": (161, 20),
    "hmac-sha224": (162, 28),
    "hmac-sha256": (163, 32),
    "hmac-sha384": (164, 48),
    "hmac-sha512": (165, 64),
}
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print(f"FAIL: {message}", file=sys.stderr)


def robur(*args):
    return subprocess.run([ROBUR, *args], capture_output=True, text=True, check=False)


def capture_dig(key_file):
    """Send a dig -k query to a listener that never responds; return the captured packet."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(10)
    port = str(listener.getsockname()[1])
    process = subprocess.Popen(
        ["dig", "@127.0.0.1", "-p", port, "+tries=1", "+timeout=1", "-k", key_file,
         "example.com.", "SOA"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        packet, _ = listener.recvfrom(65535)
    finally:
        process.wait()
        listener.close()
    return packet


def check_json(algorithm, number, size):
    result = robur("--json", "key", "tsig", "new", "NS2._Transfer.Example.COM",
                   "--algorithm", algorithm.upper())
    check(result.returncode == 0, f"{algorithm}: --json exit {result.returncode}: {result.stderr}")
    fields = json.loads(result.stdout)
    check(fields["algorithm"] == algorithm, f"{algorithm}: JSON algorithm {fields['algorithm']}")
    check(len(base64.b64decode(fields["secret"])) == size,
          f"{algorithm}: default secret is not {size} octets")
    check(fields["dnskey"] == f"{fields['name']} DNSKEY 0 3 {number} {fields['secret']}",
          f"{algorithm}: DNSKEY line {fields['dnskey']!r}")


def check_dig(algorithm, folder):
    result = robur("key", "tsig", "new", "update-key._update.example.com.",
                   "--algorithm", algorithm, "--format", "bind")
    check(result.returncode == 0, f"{algorithm}: bind exit {result.returncode}")
    secret = re.search(r'secret "([^"]+)";', result.stdout).group(1)
    key_file = os.path.join(folder, f"{algorithm}.key")
    with open(key_file, "w", encoding="utf-8") as out:
        out.write(result.stdout)

    packet = capture_dig(key_file)
    keyring = dns.tsigkeyring.from_text({"update-key._update.example.com.": (algorithm, secret)})
    try:
        message = dns.message.from_wire(packet, keyring=keyring)
        check(message.had_tsig, f"{algorithm}: dig sent no TSIG record")
    except Exception as error:  # dnspython raises several exception types for bad signatures
        check(False, f"{algorithm}: dnspython rejected the dig -k query: {error!r}")


def check_knot(folder):
    if shutil.which("knotc") is None:
        print("knotc not found, skipping the knot.conf check")
        return
    result = robur("key", "tsig", "new", "xfr._transfer.example.com", "--format", "knot")
    config = os.path.join(folder, "knot.conf")
    with open(config, "w", encoding="utf-8") as out:
        out.write(result.stdout)
    checked = subprocess.run(["knotc", "-c", config, "conf-check"], capture_output=True,
                             text=True, check=False)
    check(checked.returncode == 0, f"knotc conf-check failed: {checked.stderr.strip()}")


def check_rejections():
    md5 = robur("key", "tsig", "new", "old._transfer.example.com", "--algorithm", "hmac-md5")
    check(md5.returncode == 2, f"hmac-md5: exit {md5.returncode}, expected 2")
    check("old._transfer.example.com." in md5.stderr and "hmac-md5" in md5.stderr,
          f"hmac-md5: message {md5.stderr!r} does not name the key and algorithm")
    short = robur("key", "tsig", "new", "x._notify.example.com", "--bytes", "8")
    check(short.returncode == 2, f"--bytes 8: exit {short.returncode}, expected 2")
    bad_name = robur("key", "tsig", "new", "a..example.com")
    check(bad_name.returncode == 2, f"invalid name: exit {bad_name.returncode}, expected 2")
    sized = robur("--json", "key", "tsig", "new", "x._notify.example.com", "--bytes", "20")
    check(len(base64.b64decode(json.loads(sized.stdout)["secret"])) == 20, "--bytes 20 ignored")


def main():
    if shutil.which("dig") is None:
        print("dig not found, skipping")
        return 77
    with tempfile.TemporaryDirectory() as folder:
        for algorithm, (number, size) in ALGORITHMS.items():
            check_json(algorithm, number, size)
            check_dig(algorithm, folder)
        check_knot(folder)
    check_rejections()
    if failures:
        print(f"{len(failures)} checks failed", file=sys.stderr)
        return 1
    print("key tsig: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

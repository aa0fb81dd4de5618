#!/usr/bin/python3
"""Write TSIG-signed queries from dnspython, dig and kdig into this folder.

Run once with /usr/bin/python3 (it has dnspython): `tests/data/tsig/generate.py`. dig and kdig
send their query to a UDP listener on 127.0.0.1 that this script starts on a free port and
that never responds, so their timeouts end them. tsig_test.cpp verifies every file with the keys
below, using the time signed of each message as the current time.
"""

import os
import socket
import subprocess
import sys

import dns.message
import dns.name
import dns.tsig
import dns.tsigkeyring

HERE = os.path.dirname(os.path.abspath(__file__))

# Secrets for tests only; the key names mix case to check case-insensitive matching.
KEYS = {
    "hmac-sha1": ("Sha1-Key.Example.", "c2hhMS1zZWNyZXQtZm9yLXRlc3Rz"),
    "hmac-sha224": ("sha224-key.example.", "c2hhMjI0LXNlY3JldC1mb3ItdGVzdHM="),
    "hmac-sha256": ("SHA256-KEY.example.", "c2hhMjU2LXNlY3JldC1mb3ItdGVzdHMtMDEyMzQ1Njc4OQ=="),
    "hmac-sha384": ("sha384-key.example.", "c2hhMzg0LXNlY3JldC1mb3ItdGVzdHM="),
    "hmac-sha512": ("sha512-key.example.", "c2hhNTEyLXNlY3JldC1mb3ItdGVzdHM="),
}


def write(name, wire):
    with open(os.path.join(HERE, name), "wb") as out:
        out.write(wire)
    print(f"wrote {name} ({len(wire)} octets)")


def dnspython_queries():
    for algorithm, (key_name, secret) in KEYS.items():
        keyring = dns.tsigkeyring.from_text({key_name: (algorithm, secret)})
        query = dns.message.make_query("www.example.com.", "A")
        query.use_tsig(keyring, keyname=dns.name.from_text(key_name),
                       algorithm=dns.name.from_text(algorithm))
        write(f"dnspython_{algorithm}.bin", query.to_wire())


def capture(command):
    """Run command (with PORT replaced) against a silent listener; return the first packet."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(5)
    port = str(listener.getsockname()[1])
    process = subprocess.Popen([part.replace("PORT", port) for part in command],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        packet, _ = listener.recvfrom(65535)
    finally:
        process.wait()
        listener.close()
    return packet


def tool_queries():
    for tool in ("dig", "kdig"):
        for algorithm in ("hmac-sha256", "hmac-sha512", "hmac-sha1"):
            key_name, secret = KEYS[algorithm]
            key = f"{algorithm}:{key_name}:{secret}"
            if tool == "dig":
                command = ["dig", "@127.0.0.1", "-p", "PORT", "+tries=1", "+timeout=1",
                           "-y", key, "example.com.", "SOA"]
            else:
                command = ["kdig", "@127.0.0.1", "-p", "PORT", "+retry=0", "+timeout=1",
                           "-y", key, "example.com.", "SOA"]
            write(f"{tool}_{algorithm}.bin", capture(command))


if __name__ == "__main__":
    dnspython_queries()
    tool_queries()
    sys.exit(0)

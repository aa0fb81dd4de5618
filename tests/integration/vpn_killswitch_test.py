#!/usr/bin/python3
"""Apply the ruleset of `robur vpn killswitch` in a network namespace and probe it.

The test makes a VPN whose client profile names two servers, 192.0.2.1 on UDP 1194 and
2001:db8::1 on TCP 1443, and writes the killswitch ruleset for a client with `--dev tun0`.
It creates two network namespaces of its own. In the client namespace `nft -f` applies the
ruleset. The peer namespace has the servers' addresses, another host (192.0.2.20,
2001:db8::20), an address beyond the gateway (198.51.100.7) and the far end of the stand-in
tunnel (10.8.0.1). Two veth pairs join them: the LAN link and "tun0". Every packet stays inside these namespaces, which are
deleted at the end even when a check fails.

The probes show that the VPN servers' address and port pass, loopback passes, the tunnel
passes while it is up, and everything else is dropped, IPv4 and IPv6, UDP and TCP, also when
the tunnel is down and its traffic would take the default route.

Environment: ROBUR (robur binary). Exits 77 without root, `ip netns` or nft.
"""

import os
import secrets
import shutil
import subprocess
import sys
import tempfile

ROBUR = os.environ.get("ROBUR", "robur")
PYTHON = "/usr/bin/python3"
LISTEN_SECONDS = "3"
failures = []

# Receives one UDP datagram or TCP connection on ADDRESS PORT within SECONDS; prints "ready"
# once bound, then "received" or "nothing".
LISTENER = r"""
import socket, sys
proto, address, port, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
family = socket.AF_INET6 if ":" in address else socket.AF_INET
kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
s = socket.socket(family, kind)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((address, port))
if proto == "tcp":
    s.listen(1)
s.settimeout(seconds)
print("ready", flush=True)
try:
    s.recvfrom(100) if proto == "udp" else s.accept()
    print("received")
except socket.timeout:
    print("nothing")
"""

# Sends one UDP datagram or opens one TCP connection to ADDRESS PORT; prints "sent" or the
# error, such as "error 1" (EPERM) when the output chain drops the packet.
SENDER = r"""
import socket, sys
proto, address, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
family = socket.AF_INET6 if ":" in address else socket.AF_INET
kind = socket.SOCK_DGRAM if proto == "udp" else socket.SOCK_STREAM
s = socket.socket(family, kind)
s.settimeout(3)
try:
    if proto == "udp":
        s.sendto(b"probe", (address, port))
    else:
        s.connect((address, port))
    print("sent")
except OSError as error:
    print(f"error {error.errno}")
"""


def check(condition, message):
    if not condition:
        failures.append(message)
        print(f"FAIL: {message}", file=sys.stderr)


def run(*args, namespace=None, check_result=True):
    command = ["ip", "netns", "exec", namespace, *args] if namespace else list(args)
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if check_result and result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {result.stderr.strip()}")
    return result


def probe(client, peer, proto, address, port, listen_in=None):
    """Send one packet from the client namespace; return True when the listener gets it.

    A dropped probe must show both: nothing received, and a failed send. The output chain
    makes sendto() fail with EPERM, and a TCP connect() times out.
    """
    listener = subprocess.Popen(
        ["ip", "netns", "exec", listen_in or peer, PYTHON, "-c", LISTENER, proto, address,
         str(port), LISTEN_SECONDS], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ready = listener.stdout.readline().strip()
    if ready != "ready":
        listener.kill()
        raise RuntimeError(f"listener on {address} {port} failed: {listener.stderr.read()}")
    sent = run(PYTHON, "-c", SENDER, proto, address, str(port), namespace=client).stdout.strip()
    output, _ = listener.communicate(timeout=30)
    received = output.strip() == "received"
    if received != (sent == "sent"):
        check(False, f"{proto} to {address} {port}: sender printed {sent!r} but the listener "
                     f"printed {output.strip()!r}")
    return received


def setup_namespaces(client, peer):
    run("ip", "netns", "add", client)
    run("ip", "netns", "add", peer)
    run("ip", "link", "add", "lan0", "netns", client, "type", "veth", "peer", "name", "lan1",
        "netns", peer)
    run("ip", "link", "add", "tun0", "netns", client, "type", "veth", "peer", "name", "tunend",
        "netns", peer)
    for args in (["addr", "add", "192.0.2.2/24", "dev", "lan0"],
                 ["addr", "add", "2001:db8::2/64", "dev", "lan0", "nodad"],
                 ["addr", "add", "10.8.0.2/24", "dev", "tun0"],
                 ["link", "set", "lo", "up"], ["link", "set", "lan0", "up"],
                 ["link", "set", "tun0", "up"],
                 ["route", "add", "default", "via", "192.0.2.1"],
                 ["-6", "route", "add", "default", "via", "2001:db8::1"]):
        run("ip", *args, namespace=client)
    for args in (["addr", "add", "192.0.2.1/24", "dev", "lan1"],
                 ["addr", "add", "192.0.2.20/24", "dev", "lan1"],
                 ["addr", "add", "2001:db8::1/64", "dev", "lan1", "nodad"],
                 ["addr", "add", "2001:db8::20/64", "dev", "lan1", "nodad"],
                 ["addr", "add", "10.8.0.1/24", "dev", "tunend"],
                 ["addr", "add", "198.51.100.7/32", "dev", "lo"],
                 ["link", "set", "lo", "up"], ["link", "set", "lan1", "up"],
                 ["link", "set", "tunend", "up"]):
        run("ip", *args, namespace=peer)


def make_ruleset(workdir):
    """Make a VPN whose profile names the two servers; return the killswitch ruleset file."""
    repo = os.path.join(workdir, "repo")
    for args in (["init", repo], ["vpn", "new", "office"],
                 ["vpn", "client", "add", "office", "alice"]):
        result = subprocess.run([ROBUR, "--repo", repo, *args], capture_output=True, text=True,
                                check=False)
        if result.returncode != 0:
            raise RuntimeError(f"robur {' '.join(args)} failed: {result.stderr}")
    client_conf = os.path.join(repo, "vpn", "office", "client.conf")
    with open(client_conf, encoding="utf-8") as file:
        lines = [line for line in file.read().splitlines() if not line.startswith("remote ")]
    lines += ["remote 192.0.2.1 1194 udp", "remote 2001:db8::1 1443 tcp-client"]
    with open(client_conf, "w", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")
    subprocess.run(["git", "-C", repo, "commit", "-q", "-am", "Name the test servers"],
                   check=True)

    ruleset = os.path.join(workdir, "killswitch.nft")
    result = subprocess.run([ROBUR, "--repo", repo, "vpn", "killswitch", "office", "alice",
                             "--dev", "tun0", "-o", ruleset], capture_output=True, text=True,
                            check=False)
    if result.returncode != 0:
        raise RuntimeError(f"robur vpn killswitch failed: {result.stderr}")

    missing = subprocess.run([ROBUR, "--repo", repo, "vpn", "killswitch", "office", "mallory"],
                             capture_output=True, text=True, check=False)
    check(missing.returncode == 1 and "mallory" in missing.stderr,
          "an unknown client is an error naming it")
    return ruleset


def check_probes(client, peer):
    check(probe(client, peer, "udp", "192.0.2.1", 1194), "UDP to the VPN server port passes")
    check(probe(client, peer, "tcp", "2001:db8::1", 1443), "TCP to the IPv6 VPN server passes")
    check(probe(client, peer, "udp", "127.0.0.1", 5353, listen_in=client), "loopback passes")
    check(probe(client, peer, "udp", "10.8.0.1", 5353), "traffic into the tunnel passes")
    check(not probe(client, peer, "udp", "192.0.2.1", 53), "UDP to another server port drops")
    check(not probe(client, peer, "udp", "192.0.2.20", 1194), "UDP to another host drops")
    check(not probe(client, peer, "tcp", "192.0.2.1", 1443), "TCP on the UDP server drops")
    check(not probe(client, peer, "tcp", "2001:db8::20", 1443), "TCP to another IPv6 host drops")
    check(not probe(client, peer, "udp", "198.51.100.7", 53), "UDP beyond the gateway drops")
    check(not probe(client, peer, "tcp", "198.51.100.7", 443), "TCP beyond the gateway drops")

    run("ip", "link", "set", "tun0", "down", namespace=client)
    check(not probe(client, peer, "udp", "10.8.0.1", 5353),
          "with the tunnel down its traffic does not leave by the default route")
    check(not probe(client, peer, "udp", "198.51.100.7", 53),
          "with the tunnel down other traffic still drops")
    check(probe(client, peer, "udp", "192.0.2.1", 1194),
          "with the tunnel down the VPN server stays reachable for reconnecting")


def main():
    if os.geteuid() != 0:
        print("not root: network namespaces and nft need root, skipping")
        return 77
    if shutil.which("nft") is None or shutil.which("ip") is None:
        print("nft or ip not found, skipping")
        return 77
    suffix = secrets.token_hex(3)
    client, peer = f"robur-ks-{suffix}", f"robur-ks-{suffix}-peer"
    probe_netns = subprocess.run(["ip", "netns", "add", client], capture_output=True, text=True,
                                 check=False)
    if probe_netns.returncode != 0:
        print(f"ip netns unavailable ({probe_netns.stderr.strip()}), skipping")
        return 77
    subprocess.run(["ip", "netns", "del", client], check=False)

    os.environ.update({"GIT_AUTHOR_NAME": "robur test", "GIT_AUTHOR_EMAIL": "test@robur.invalid",
                       "GIT_COMMITTER_NAME": "robur test",
                       "GIT_COMMITTER_EMAIL": "test@robur.invalid"})
    workdir = tempfile.mkdtemp(prefix="robur-killswitch-")
    try:
        ruleset = make_ruleset(workdir)
        setup_namespaces(client, peer)
        check(probe(client, peer, "udp", "192.0.2.20", 1194),
              "without the ruleset another host is reachable")
        applied = run("nft", "-f", ruleset, namespace=client, check_result=False)
        check(applied.returncode == 0, f"nft -f accepts the ruleset: {applied.stderr.strip()}")
        again = run("nft", "-f", ruleset, namespace=client, check_result=False)
        check(again.returncode == 0, "nft -f applies the ruleset a second time")
        if applied.returncode == 0:
            check_probes(client, peer)
            removed = run("nft", "delete", "table", "inet", "robur_killswitch_office",
                          namespace=client, check_result=False)
            check(removed.returncode == 0, "the printed command removes the table")
    finally:
        for namespace in (client, peer):
            subprocess.run(["ip", "netns", "del", namespace], capture_output=True, check=False)
        shutil.rmtree(workdir, ignore_errors=True)
    if failures:
        print(f"{len(failures)} check(s) failed", file=sys.stderr)
        return 1
    print("vpn killswitch: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())

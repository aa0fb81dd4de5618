#!/usr/bin/python3
"""Check robur's OpenVPN directive table against the installed openvpn binary.

For every entry of formats/openvpn/directives.cpp, openvpn reads a small config holding the
option with one parameter fewer than the minimum, the minimum, the maximum and one more than
the maximum, followed by an unknown option. When openvpn names the unknown option's line, it
matched the option; when it names the option's own line as "Unrecognized option or missing or
extra parameter(s)", it did not. The same configs check whether the option may be inline and
inside a <connection> block.

openvpn stops at the unknown option during option parsing, before it opens devices or sockets,
and runs in a fresh network namespace (unshare -n). Options whose parsing redirects output or
changes the working folder (daemon, syslog, log, log-append, inetd, cd, config, help, version)
are left out.

Environment: ROBUR_SOURCE_DIR. Exits 77 when openvpn or unshare is missing.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

SOURCE = os.environ.get("ROBUR_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", ".."))
TABLE = os.path.join(SOURCE, "formats", "openvpn", "directives.cpp")
UNPROBED = {"daemon", "syslog", "log", "log-append", "inetd", "cd", "config", "help", "version"}
# Options whose match depends on a parameter's value; only their minimum is probed.
VALUE_DEPENDENT = {"crl-verify", "server-bridge", "verify-x509-name"}
ENTRY = re.compile(r'\{"([a-z0-9-]+)", (\d+), (\d+), ([a-z_| 0]+)\}')


def skip(reason):
    print(f"{reason}, skipping")
    sys.exit(77)


def namespace_prefix():
    return ["unshare", "-n"] if os.geteuid() == 0 else ["unshare", "-r", "-n"]


class Prober:
    def __init__(self, workdir):
        self.workdir = workdir
        self.path = os.path.join(workdir, "p.conf")

    def run(self, text):
        with open(self.path, "w") as config:
            config.write(text)
        result = subprocess.run(namespace_prefix() + ["timeout", "10", "openvpn", "--config",
                                                      "p.conf"],
                                cwd=self.workdir, capture_output=True, text=True, timeout=30)
        return result.stdout + result.stderr

    def matches(self, name, count):
        output = self.run(f"dev null\n{name} {' '.join(['1'] * count)}\nfrobnicate-zzz\n")
        return not ("Unrecognized option" in output and f"p.conf:2: {name} " in output)

    def inline_allowed(self, name):
        output = self.run(f"dev null\n<{name}>\nx\n</{name}>\nfrobnicate-zzz\n")
        return "not expected to be inline" not in output

    def connection_allowed(self, name, count):
        output = self.run("dev null\n<connection>\nremote 192.0.2.1 1194\n"
                          f"{name} {' '.join(['1'] * count)}\n</connection>\nfrobnicate-zzz\n")
        return "cannot be used in this context" not in output


def check_entry(prober, name, minimum, maximum, flags, failures):
    counts = {minimum: True}
    if minimum > 0:
        counts[minimum - 1] = False
    if name not in VALUE_DEPENDENT:
        counts[maximum] = True
        if maximum < 15:
            counts[maximum + 1] = False
    for count, expected in sorted(counts.items()):
        if prober.matches(name, count) != expected:
            failures.append(f"{name}: openvpn {'rejects' if expected else 'accepts'} "
                            f"{count} parameter(s), the table says the opposite")

    if "instance_only" in flags:
        return
    # An inline block is one parameter, so only options that take one can show the permission.
    takes_one = minimum <= 1 <= maximum and name not in VALUE_DEPENDENT
    if takes_one and prober.inline_allowed(name) != ("inline_allowed" in flags):
        failures.append(f"{name}: inline permission differs from openvpn")
    if prober.connection_allowed(name, minimum) != ("connection_allowed" in flags):
        failures.append(f"{name}: <connection> permission differs from openvpn")


def main():
    if shutil.which("openvpn") is None or shutil.which("unshare") is None:
        skip("openvpn or unshare not found")
    if subprocess.run(namespace_prefix() + ["true"], capture_output=True).returncode != 0:
        skip("cannot create a network namespace here")
    with open(TABLE) as source:
        entries = ENTRY.findall(source.read())
    if len(entries) < 200:
        print(f"found only {len(entries)} table entries in {TABLE}")
        return 1

    failures = []
    with tempfile.TemporaryDirectory(prefix="robur-vpn-directives-") as workdir:
        prober = Prober(workdir)
        for name, minimum, maximum, flags in entries:
            if name not in UNPROBED:
                check_entry(prober, name, int(minimum), int(maximum), flags, failures)

    for failure in failures:
        print(f"FAIL {failure}")
    print(f"{len(entries)} options checked, {len(failures)} difference(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

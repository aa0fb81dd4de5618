#!/usr/bin/python3
"""Compare `robur vpn validate --file` with openvpn 2.6 on every config of the VPN corpus.

For each file in vpn/ok, vpn/bad and vpn/syntax, the real `openvpn --config FILE` runs in a
working folder that holds a copy of the referenced files (vpn/files for ok/ and bad/, the
syntax folder for syntax/), and robur validates the same copy. Both must accept, or both must
reject; when openvpn names a line of the config, robur's first error must name that line.

openvpn runs in fresh network and mount namespaces (unshare -n -m) with tmpfs over /var/log and
/run. Its only interface is a loopback that is down, so it cannot send a packet to any host, and
it cannot write logs on the host. A config openvpn still runs after a few seconds counts as accepted.

Environment: ROBUR (robur binary), ROBUR_CORPUS_DIR. Exits 77 when the corpus, openvpn or
unshare is missing.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile

ROBUR = os.environ.get("ROBUR", "robur")
CORPUS = os.environ.get("ROBUR_CORPUS_DIR", "")
VPN = os.path.join(CORPUS, "vpn")
RUN_SECONDS = 4

# Files where robur's verdict may differ from openvpn's: "folder/file" to the reason and a part
# of the robur error that must explain the difference, so that another error still fails.
CLEARTEXT = "cleartext tunnel"
CLEARTEXT_REASON = ("robur's checks reject a config without TLS or a static key; openvpn only "
                    "warns that the tunnel carries cleartext and runs it")
ALLOWED_DIFFERENCES = {
    "syntax/bom-crlf.conf": (CLEARTEXT_REASON, CLEARTEXT),
    "syntax/q2.conf": (CLEARTEXT_REASON, CLEARTEXT),
    "syntax/q3.conf": (CLEARTEXT_REASON, CLEARTEXT),
    "syntax/q4.conf": (CLEARTEXT_REASON, CLEARTEXT),
    "syntax/quoting.conf": (CLEARTEXT_REASON, CLEARTEXT),
}

LINE_PATTERN = re.compile(r"\b[Ii]n ([^\s:]+):(\d+)")


def skip(reason):
    print(f"{reason}, skipping")
    sys.exit(77)


def namespace_prefix():
    """Runs a command in new network and mount namespaces, as root or as a mapped user."""
    if os.geteuid() == 0:
        return ["unshare", "-n", "-m"]
    return ["unshare", "-r", "-n", "-m"]


def run_openvpn(workdir, config_name):
    """Returns (accepted, first error line naming the config or None, output)."""
    script = (
        "mount -t tmpfs none /var/log && mount -t tmpfs none /run && "
        f"timeout {RUN_SECONDS} openvpn --config {config_name}; rc=$?; "
        "cat /var/log/*.log 2>/dev/null; exit $rc"
    )
    result = subprocess.run(namespace_prefix() + ["sh", "-c", script], cwd=workdir,
                            capture_output=True, text=True, timeout=RUN_SECONDS + 20)
    output = result.stdout + result.stderr
    accepted = result.returncode == 124
    line = None
    for text_line in output.splitlines():
        if "error" not in text_line.lower() and "warning: bad backslash" not in text_line.lower():
            continue
        match = LINE_PATTERN.search(text_line)
        if match and match.group(1) == config_name:
            line = int(match.group(2))
            break
    return accepted, line, output


def run_robur(workdir, config_name):
    """Returns (accepted, first error line or None, output)."""
    result = subprocess.run([ROBUR, "vpn", "validate", "--file", config_name], cwd=workdir,
                            capture_output=True, text=True, timeout=60)
    line = None
    for text_line in result.stderr.splitlines():
        match = re.match(rf"{re.escape(config_name)}:(\d+)(?::\d+)?: error: ", text_line)
        if match:
            line = int(match.group(1))
            break
    if result.returncode not in (0, 1):
        raise RuntimeError(f"robur exited with {result.returncode}: {result.stderr}")
    return result.returncode == 0, line, result.stdout + result.stderr


def compare(folder, name, source_dir, failures):
    key = f"{folder}/{name}"
    with tempfile.TemporaryDirectory(prefix="robur-vpn-corpus-") as workdir:
        shutil.copytree(source_dir, workdir, dirs_exist_ok=True)
        shutil.copy(os.path.join(VPN, folder, name), os.path.join(workdir, name))
        openvpn_ok, openvpn_line, openvpn_output = run_openvpn(workdir, name)
        robur_ok, robur_line, robur_output = run_robur(workdir, name)

    agree = openvpn_ok == robur_ok
    if agree and not openvpn_ok and openvpn_line is not None:
        agree = robur_line == openvpn_line
    verdict = f"openvpn {'accepts' if openvpn_ok else 'rejects'}" + \
        (f" at line {openvpn_line}" if openvpn_line else "") + \
        f", robur {'accepts' if robur_ok else 'rejects'}" + \
        (f" at line {robur_line}" if robur_line else "")
    if agree:
        print(f"ok   {key}: {verdict}")
        return
    if key in ALLOWED_DIFFERENCES:
        reason, required = ALLOWED_DIFFERENCES[key]
        if required in robur_output:
            print(f"diff {key}: {verdict} (allowed: {reason})")
            return
    print(f"FAIL {key}: {verdict}")
    print("  openvpn: " + "\n  openvpn: ".join(openvpn_output.strip().splitlines()[-4:]))
    print("  robur:   " + "\n  robur:   ".join(robur_output.strip().splitlines()[:6]))
    failures.append(key)


def main():
    if not os.path.isdir(VPN):
        skip(f"corpus not found at {VPN}")
    if shutil.which("openvpn") is None or shutil.which("unshare") is None:
        skip("openvpn or unshare not found")
    probe = subprocess.run(namespace_prefix() + ["true"], capture_output=True)
    if probe.returncode != 0:
        skip("cannot create network and mount namespaces here")

    failures = []
    for folder in ("ok", "bad", "syntax"):
        source_dir = os.path.join(VPN, "syntax" if folder == "syntax" else "files")
        for name in sorted(os.listdir(os.path.join(VPN, folder))):
            if name.endswith((".conf", ".ovpn")):
                compare(folder, name, source_dir, failures)

    if failures:
        print(f"{len(failures)} config(s) where robur and openvpn disagree: "
              + ", ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Time robur's offline zone signing against ldns-signzone, dnssec-signzone and kzonesign.

The script generates one zone with bench/gen_zone.py: --names owner names with A, AAAA, MX,
TXT and CNAME RRsets, wildcards, and delegations with glue, half of them with DS. For each
algorithm it makes one KSK and one ZSK with dnssec-keygen and gives the same key files to
every signer:

  robur        `robur zone sign ZONE` in a scratch repository with the zone and keys committed,
               so the time includes reading the commit and committing the signed zone
  robur-core   bench's robur_sign_bench: parse_zone, sign_zone, format_zone and the file write,
               without Git (built with -DROBUR_BUILD_BENCH=ON)
  ldns         ldns-signzone, which signs on one thread and has no option for more
  bind         dnssec-signzone -n 2 -P (two signing threads; -P skips its own verification
               of the output, which the others do not do either)
  knot         kzonesign with policy.signing-threads 2 and zone.adjust-threads 2, the keys
               imported into its KASP database with `keymgr import-bind`

Every signer signs with NSEC and, unless --denial says otherwise, with NSEC3 (SHA-1, no salt,
0 iterations), with signatures valid for 30 days. Each is run --runs times and timed from
start to exit. The table shows the median and the minimum wall-clock seconds, the median CPU
seconds (user and system, all threads) and each peer's median divided by robur's, or by
robur-core's when robur has no `zone sign`. Each output is checked with ldns-verify-zone
once, outside the timing.

Usage: bench/sign_zone.py [--robur PATH] [--driver PATH] [--names N] [--runs N]
                          [--algorithms ecdsap256sha256,ed25519] [--denial nsec,nsec3]
                          [--signers robur,robur-core,ldns,bind,knot] [--keep] [--no-verify]
"""

import argparse
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ORIGIN = "bench.test."
ZONE = ORIGIN.rstrip(".")
VALIDITY_SECONDS = 30 * 86400
SIGNERS = ["robur", "robur-core", "ldns", "bind", "knot"]
PEERS = ["ldns", "bind", "knot"]
ALGORITHMS = {"ecdsap256sha256": "ECDSAP256SHA256", "ed25519": "ED25519"}


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    build = os.path.join(SOURCE_DIR, "build", "bench")
    parser.add_argument("--robur", default=os.environ.get("ROBUR") or
                        os.path.join(build, "cli", "robur"),
                        help="robur binary (default: $ROBUR, else build/bench/cli/robur)")
    parser.add_argument("--driver", default=os.path.join(build, "bench", "robur_sign_bench"),
                        help="robur_sign_bench binary (default: build/bench/bench/robur_sign_bench)")
    parser.add_argument("--names", type=int, default=100000,
                        help="owner names in the zone besides the apex (default: 100000)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per signer (default: 3)")
    parser.add_argument("--algorithms", default="ecdsap256sha256,ed25519",
                        help="comma-separated algorithms (default: ecdsap256sha256,ed25519)")
    parser.add_argument("--denial", default="nsec,nsec3",
                        help="comma-separated denial kinds, nsec and nsec3 (default: both)")
    parser.add_argument("--signers", default=",".join(SIGNERS),
                        help=f"comma-separated signers (default: {','.join(SIGNERS)})")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary folder with the zone, keys and outputs")
    parser.add_argument("--no-verify", action="store_true",
                        help="skip the ldns-verify-zone check of each output")
    return parser.parse_args()


def run(command, cwd=None):
    """Run command and raise with its output when it fails."""
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed with exit code {result.returncode}:\n"
                           f"{result.stdout}{result.stderr}")
    return result


def children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command, cwd):
    """Run command in cwd and return its wall-clock and CPU (user + system) seconds."""
    cpu_start = children_cpu_seconds()
    start = time.perf_counter()
    run(command, cwd=cwd)
    return time.perf_counter() - start, children_cpu_seconds() - cpu_start


def generate_zone(work, names):
    path = os.path.join(work, "unsigned.zone")
    run([sys.executable, os.path.join(SOURCE_DIR, "bench", "gen_zone.py"), "--origin", ORIGIN,
         "--names", str(names), "--ds-percent", "50", "--zone-file", path,
         "--query-file", os.devnull])
    return path


def make_keys(work, algorithm):
    """Make a KSK and a ZSK in work/keys-<algorithm> and return (folder, [KSK stem, ZSK stem])."""
    folder = os.path.join(work, f"keys-{algorithm}")
    os.makedirs(folder)
    stems = []
    for extra in (["-f", "KSK"], []):
        result = run(["dnssec-keygen", "-q", "-a", ALGORITHMS[algorithm], *extra, "-K", folder,
                      ZONE])
        stems.append(os.path.join(folder, result.stdout.strip()))
    return folder, stems


class Robur:
    """`robur zone sign` in a scratch repository reset to the unsigned commit before each run."""

    name = "robur"

    def __init__(self, binary, work, zone_path, key_folder, denial):
        self.binary = binary
        self.repo = os.path.join(work, f"repo-{os.path.basename(key_folder)}-{denial}")
        self.denial = denial
        run([binary, "init", self.repo])
        shutil.copy(zone_path, os.path.join(self.repo, "zones", f"{ZONE}.zone"))
        keys = os.path.join(self.repo, "keys", "dnssec", ZONE)
        shutil.copytree(key_folder, keys)
        run(["git", "add", "-A"], cwd=self.repo)
        run(["git", "commit", "-q", "-m", "Add the benchmark zone and its keys"], cwd=self.repo)
        self.unsigned = run(["git", "rev-parse", "HEAD"], cwd=self.repo).stdout.strip()

    def prepare(self):
        run(["git", "reset", "-q", "--hard", self.unsigned], cwd=self.repo)

    def command(self):
        command = [self.binary, "--repo", self.repo, "zone", "sign", ZONE]
        return command + (["--nsec3"] if self.denial == "nsec3" else [])

    def output(self):
        return os.path.join(self.repo, "zones", f"{ZONE}.zone")


class FileSigner:
    """A signer run as one fixed command that writes its output to self.out."""

    def prepare(self):
        pass

    def command(self):
        return self.arguments

    def output(self):
        return self.out


class RoburCore(FileSigner):
    name = "robur-core"

    def __init__(self, binary, work, zone_path, stems, denial):
        self.out = os.path.join(work, f"robur-core-{denial}.zone")
        self.arguments = [binary, "--zone", zone_path, "--origin", ORIGIN, "--output", self.out,
                          "--threads", "2"]
        for stem in stems:
            self.arguments += ["--key", stem]
        if denial == "nsec3":
            self.arguments.append("--nsec3")


class Ldns(FileSigner):
    name = "ldns"

    def __init__(self, work, zone_path, stems, denial):
        self.out = os.path.join(work, f"ldns-{denial}.zone")
        now = int(time.time())
        self.arguments = ["ldns-signzone", "-o", ORIGIN, "-f", self.out, "-i", str(now - 3600),
                          "-e", str(now + VALIDITY_SECONDS)]
        if denial == "nsec3":
            self.arguments += ["-n", "-t", "0"]  # no -s: ldns leaves the salt empty
        self.arguments += [zone_path, *stems]


class Bind(FileSigner):
    name = "bind"

    def __init__(self, work, zone_path, key_folder, denial):
        self.out = os.path.join(work, f"bind-{denial}.zone")
        self.arguments = ["dnssec-signzone", "-q", "-n", "2", "-P", "-S", "-K", key_folder,
                          "-o", ORIGIN, "-f", self.out, "-s", "now-3600",
                          "-e", f"now+{VALIDITY_SECONDS}"]
        if denial == "nsec3":
            self.arguments += ["-3", "-", "-H", "0"]
        self.arguments.append(zone_path)


KNOT_CONFIG = """\
server:
    rundir: "{folder}"
database:
    storage: "{folder}/db"
    kasp-db: "{folder}/kasp"
policy:
  - id: bench
    manual: on
    algorithm: {algorithm}
    signing-threads: 2
    rrsig-lifetime: 30d
    rrsig-refresh: 7d
    nsec3: {nsec3}
    nsec3-iterations: 0
    nsec3-salt-length: 0
zone:
  - domain: {origin}
    file: "{zone_path}"
    dnssec-signing: on
    dnssec-policy: bench
    adjust-threads: 2
    journal-content: none
    zonefile-load: whole
"""


class Knot:
    """kzonesign with its own configuration and KASP database in a folder of its own."""

    name = "knot"

    def __init__(self, work, zone_path, stems, algorithm, denial):
        self.folder = os.path.join(work, f"knot-{algorithm}-{denial}")
        self.zone_name = os.path.basename(zone_path)
        self.outdir = os.path.join(self.folder, "out")
        os.makedirs(self.outdir)
        self.config = os.path.join(self.folder, "knot.conf")
        with open(self.config, "w") as out:
            out.write(KNOT_CONFIG.format(folder=self.folder, algorithm=algorithm,
                                         nsec3="on" if denial == "nsec3" else "off",
                                         origin=ORIGIN, zone_path=zone_path))
        for stem in stems:
            run(["keymgr", "-c", self.config, ORIGIN, "import-bind", stem + ".private"])

    def prepare(self):
        pass

    def command(self):
        return ["kzonesign", "-c", self.config, "-o", self.outdir, ORIGIN]

    def output(self):
        # kzonesign names its output after the input file.
        return os.path.join(self.outdir, self.zone_name)


def robur_sign_available(binary):
    if not os.access(binary, os.X_OK):
        return False
    result = subprocess.run([binary, "zone", "--help"], capture_output=True, text=True)
    return any(line.split()[:1] == ["sign"] for line in result.stdout.splitlines())


def make_signers(args, work, zone_path, algorithm, denial, key_folder, stems):
    wanted = args.signers.split(",")
    signers = []
    if "robur" in wanted:
        if robur_sign_available(args.robur):
            signers.append(Robur(args.robur, work, zone_path, key_folder, denial))
        else:
            print(f"note: {args.robur} has no `zone sign` command, so robur is not timed",
                  file=sys.stderr)
    if "robur-core" in wanted:
        if os.access(args.driver, os.X_OK):
            signers.append(RoburCore(args.driver, work, zone_path, stems, denial))
        else:
            print(f"note: {args.driver} not found (configure with -DROBUR_BUILD_BENCH=ON), so "
                  "robur-core is not timed", file=sys.stderr)
    if "ldns" in wanted:
        signers.append(Ldns(work, zone_path, stems, denial))
    if "bind" in wanted:
        signers.append(Bind(work, zone_path, key_folder, denial))
    if "knot" in wanted:
        signers.append(Knot(work, zone_path, stems, algorithm, denial))
    return signers


def measure(signer, runs, work):
    """Run the signer runs times in work, where dnssec-signzone writes its dsset file."""
    walls = []
    cpus = []
    for _ in range(runs):
        signer.prepare()
        wall, cpu = timed(signer.command(), work)
        walls.append(wall)
        cpus.append(cpu)
    return walls, cpus


def verify(signer):
    """Return "ok" when ldns-verify-zone accepts the signer's output, else its first lines."""
    result = subprocess.run(["ldns-verify-zone", signer.output()], capture_output=True, text=True)
    if result.returncode == 0:
        return "ok"
    lines = (result.stdout + result.stderr).strip().splitlines()
    return "FAILED: " + " / ".join(lines[:3])


def print_table(rows):
    print()
    print("| algorithm | denial | signer | median s | min s | CPU s | median / robur | verify |")
    print("|---|---|---|---:|---:|---:|---:|---|")
    for row in rows:
        ratio = f"{row['ratio']:.2f}" if row.get("ratio") else ""
        print(f"| {row['algorithm']} | {row['denial']} | {row['signer']} | {row['median']:.2f} "
              f"| {row['min']:.2f} | {row['cpu']:.2f} | {ratio} | {row['verify']} |")


def add_ratios(rows):
    """Divide each peer's median by robur's, or by robur-core's when robur was not timed."""
    groups = {}
    for row in rows:
        groups.setdefault((row["algorithm"], row["denial"]), []).append(row)
    for group in groups.values():
        base = next((row for row in group if row["signer"] == "robur"), None) or \
            next((row for row in group if row["signer"] == "robur-core"), None)
        if base is None:
            continue
        for row in group:
            if row["signer"] in PEERS:
                row["ratio"] = row["median"] / base["median"]


def main():
    args = parse_arguments()
    # A plain kill then still removes the temporary folder.
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(128 + number))
    work = tempfile.mkdtemp(prefix="robur-sign-bench-")
    rows = []
    try:
        print(f"load average at start: {os.getloadavg()[0]:.1f}", file=sys.stderr)
        zone_path = generate_zone(work, args.names)
        print(f"zone: {zone_path}, {sum(1 for _ in open(zone_path))} lines", file=sys.stderr)
        for algorithm in args.algorithms.split(","):
            key_folder, stems = make_keys(work, algorithm)
            for denial in args.denial.split(","):
                signers = make_signers(args, work, zone_path, algorithm, denial, key_folder,
                                       stems)
                for signer in signers:
                    walls, cpus = measure(signer, args.runs, work)
                    status = "skipped" if args.no_verify else verify(signer)
                    row = {"algorithm": algorithm, "denial": denial, "signer": signer.name,
                           "median": statistics.median(walls), "min": min(walls),
                           "cpu": statistics.median(cpus), "verify": status}
                    print(f"{algorithm} {denial} {signer.name}: wall "
                          f"{' '.join(f'{t:.2f}' for t in walls)} s, CPU "
                          f"{' '.join(f'{t:.2f}' for t in cpus)} s, verify {status}",
                          file=sys.stderr)
                    rows.append(row)
        add_ratios(rows)
        print(f"load average at end: {os.getloadavg()[0]:.1f}", file=sys.stderr)
        print_table(rows)
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if any(row["verify"].startswith("FAILED") for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/python3
"""Compare robur's authoritative DNS answers with NSD's for the same zones.

The zones are a generated one that has every answer case (lib/feature_zone.py) and the accepted
zones of the shared corpus (dns/ok) when it is present. Both servers run on 127.0.0.1 with free
ports, and the queries come from a zone transfer of each zone from NSD (lib/query_plan.py). For
every query the rcode, header flags, question, EDNS presence and each section as a set of RRs
must match. The only exceptions are the differences listed with their reason in
KNOWN_DIFFERENCES and TTL_ADJUSTMENTS.

Every query goes over UDP without EDNS and with EDNS (payload 1232), and over TCP when either
server sets TC. `--dnssec` adds UDP with the DO bit, which CTest does not pass.

Environment: ROBUR (robur binary), ROBUR_CORPUS_DIR (shared corpus). `--subject knot` compares
Knot with NSD instead, to check the harness itself against a second mature server.
"""

import argparse
import collections
import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
# Importing the helper modules must not leave __pycache__ folders in the source tree.
sys.dont_write_bytecode = True

import dns.name  # noqa: E402
import dns.rdatatype  # noqa: E402

import answer_compare  # noqa: E402
import dns_peers  # noqa: E402
import feature_zone  # noqa: E402
import query_plan  # noqa: E402

MAX_DETAILED_FAILURES = 40

# Types of additional RRs that a server may add or leave out: addresses and, with the DO bit,
# their signatures.
ADDRESS_TYPES = ("A", "AAAA", "RRSIG(A)", "RRSIG(AAAA)")


@dataclasses.dataclass(frozen=True)
class KnownDifference:
    """A difference from NSD that is allowed, the servers it applies to and why it is allowed."""

    name: str
    subjects: tuple
    reason: str
    matches: object  # callable(query, transport, difference, reference, subject) -> bool


def _is_minimal_any(query, transport, difference, reference, subject):
    """Match a section difference of an ANY response made of complete RRsets at the name.

    RFC 8482 4.1 and 4.2 allow a subset of the RRsets or one synthesized HINFO RR, and NSD 4.6
    itself returns one RRset. "any_expansion" contains NSD's answer sections for queries of each
    type in the subject's answer section (see expand_any_reference).
    """
    if query.qtype != dns.rdatatype.ANY or difference.field not in answer_compare.SECTIONS:
        return False
    answer = subject["answer"]
    if not answer:
        return False
    if len(answer) == 1 and next(iter(answer))[3] == "HINFO":
        return True
    return answer == reference.get("any_expansion")


def _missing_only(difference):
    """Return the RRs the subject left out, or None when it also added RRs of its own."""
    if not isinstance(difference.reference, frozenset):
        return None
    if difference.subject - difference.reference:
        return None
    return difference.reference - difference.subject


def _omits_apex_ns_in_authority(query, transport, difference, reference, subject):
    """Match a positive answer whose authority section lacks only NSD's copy of the apex NS.

    With the DO bit, the RRSIG of that NS RRset goes with it.
    """
    if difference.field != "authority" or reference["rcode"] != "NOERROR":
        return False
    if not reference["answer"]:
        return False
    missing = _missing_only(difference)
    if not missing:
        return False
    return all(rr[0] == query.zone.lower() and rr[3] in ("NS", "RRSIG(NS)") for rr in missing)


def _differs_in_optional_additional(query, transport, difference, reference, subject):
    """Match an additional section that differs from NSD's only in optional address RRs.

    RFC 9471 requires a referral to carry the glue of the name servers inside the delegated
    zone (or set TC), and leaves other additional RRs to the server. Each RR the subject adds
    must be an A or AAAA RR, or its RRSIG, that NSD returns for its owner name
    ("additional_confirmed", see confirm_extra_additional). Each RR it leaves out must not be
    required glue.
    """
    if difference.field != "additional":
        return False
    missing = difference.reference - difference.subject
    extra = difference.subject - difference.reference
    confirmed = reference.get("additional_confirmed", frozenset())
    if not all(rr[3] in ADDRESS_TYPES and rr in confirmed for rr in extra):
        return False
    if "AA" in reference["flags"].split():
        return True
    cuts = [dns.name.from_text(rr[0]) for rr in reference["authority"] if rr[3] == "NS"]
    return not any(
        dns.name.from_text(rr[0]).is_subdomain(cut) for rr in missing for cut in cuts
    )


KNOWN_DIFFERENCES = [
    KnownDifference(
        name="any-minimal",
        subjects=("robur", "knot"),
        reason=(
            "RFC 8482 lets a server answer ANY with some of the RRsets at the name; NSD 4.6 and"
            " Knot 3.2 each pick their own"
        ),
        matches=_is_minimal_any,
    ),
    KnownDifference(
        name="apex-ns-in-authority",
        subjects=("robur", "knot"),
        reason=(
            "NSD 4.6 copies the apex NS RRset into the authority section of positive answers"
            " unless minimal-responses is set, and Knot 3.2 leaves it out"
        ),
        matches=_omits_apex_ns_in_authority,
    ),
    KnownDifference(
        name="optional-additional",
        subjects=("robur", "knot"),
        reason=(
            "NSD 4.6 adds the addresses of NS, MX and SRV targets that fit; RFC 9471 requires"
            " only the glue of name servers inside a delegated zone"
        ),
        matches=_differs_in_optional_additional,
    ),
    KnownDifference(
        name="knot-one-rrsig",
        subjects=("knot",),
        reason=(
            "Knot 3.2 answers a query for type RRSIG with one of the RRSIGs at the name, as it"
            " does for ANY; NSD 4.6 returns all of them, with TC set when they do not fit"
        ),
        matches=lambda query, transport, difference, reference, subject: (
            query.qtype == dns.rdatatype.RRSIG
            and (difference.field == "flags" or answer_compare.is_truncated(reference)
                 or _missing_only(difference) is not None)
        ),
    ),
    KnownDifference(
        name="knot-nsec-via-wildcard",
        subjects=("knot",),
        reason=(
            "for a query of type NSEC that a wildcard answers, with the DO bit, NSD 4.6 adds the"
            " NSEC proving that no closer name exists (RFC 4035 3.1.3.3) and Knot 3.2 does not"
        ),
        matches=lambda query, transport, difference, reference, subject: (
            query.qtype == dns.rdatatype.NSEC and transport.dnssec_ok
            and query.category == "below-wildcard" and difference.field == "authority"
        ),
    ),
    KnownDifference(
        name="knot-rejects-zone",
        subjects=("knot",),
        reason=(
            "Knot 3.2.6 does not load two zones NSD accepts: it does not know the SVCB key"
            " dohpath (RFC 9461), and it rejects an $INCLUDE file whose first line inherits"
            " the owner name"
        ),
        matches=lambda query, transport, difference, reference, subject: query.source in (
            "corpus/ok/bind-good-svcb.db",
            "corpus/ok/nsd-include-rel/example.com.zone",
        ),
    ),
]


@dataclasses.dataclass(frozen=True)
class TtlAdjustment:
    """A zone whose RRs get a different default TTL from the subject, and why that is allowed.

    Before the comparison, every RR with from_ttl in NSD's responses for queries planned from
    source gets to_ttl.
    """

    name: str
    subjects: tuple
    source: str
    from_ttl: int
    to_ttl: int
    reason: str


TTL_ADJUSTMENTS = [
    TtlAdjustment(
        name="default-ttl-from-soa-minimum",
        subjects=("robur",),
        source="corpus/ok/rfc1035-5.3-isi.edu.zone",
        from_ttl=3600,
        to_ttl=60,
        reason=(
            "the file has neither $TTL nor any TTL: NSD 4.6.1 gives its RRs 3600 s, robur the"
            " SOA MINIMUM (60 s here) as BIND 9 does"
        ),
    ),
]


@dataclasses.dataclass
class ZoneSource:
    """A zone file to serve: where it comes from, its origin and the folders it includes."""

    label: str
    origin: str
    path: str
    include_trees: tuple = ()


@dataclasses.dataclass
class Tally:
    """Counts of compared queries and of those with only allowed differences, and the failures.

    known counts the queries per allowed difference; one query can have several.
    """

    compared: int = 0
    known_queries: int = 0
    by_transport: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    known: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    failures: list = dataclasses.field(default_factory=list)


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subject", choices=("robur", "knot"), default="robur",
                        help="server compared with NSD (default: robur)")
    parser.add_argument("--robur", default=os.environ.get("ROBUR"),
                        help="robur binary (default: $ROBUR)")
    parser.add_argument("--corpus", default=os.environ.get("ROBUR_CORPUS_DIR"),
                        help="shared corpus folder (default: $ROBUR_CORPUS_DIR)")
    parser.add_argument("--zone", action="append", default=[],
                        help="compare only zones whose label contains this text (repeatable)")
    parser.add_argument("--dnssec", action="store_true",
                        help="also compare every query over UDP with the EDNS DO bit set")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary folder with configurations and logs")
    return parser.parse_args()


def collect_zones(corpus_dir, workdir):
    """Return the generated zone and, when the corpus exists, its accepted zones."""
    generated_dir = os.path.join(workdir, "generated")
    os.makedirs(generated_dir)
    generated = os.path.join(generated_dir, "features.test.zone")
    with open(generated, "w") as out:
        out.write(feature_zone.feature_zone_text())
    zones = [ZoneSource("generated/features.test", feature_zone.FEATURE_ORIGIN, generated)]

    origins = os.path.join(corpus_dir or "", "dns", "origins.txt")
    if not corpus_dir or not os.path.isfile(origins):
        print(f"corpus not found at {corpus_dir or '(ROBUR_CORPUS_DIR unset)'}, skipping its"
              " zones; comparing the generated zone only")
        return zones

    with open(origins) as listing:
        for line in listing:
            fields = line.split()
            if len(fields) != 2 or fields[0].startswith("#") or not fields[0].startswith("ok/"):
                continue
            path = os.path.join(corpus_dir, "dns", fields[0])
            zones.append(ZoneSource(f"corpus/{fields[0]}", fields[1], path,
                                    _include_trees(corpus_dir, fields[0])))
    return zones


def _include_trees(corpus_dir, relative_path):
    """Return the folders next to a zone file kept in its own folder: its $INCLUDE files."""
    folder = os.path.dirname(relative_path)
    if folder == "ok":
        return ()
    root = os.path.join(corpus_dir, "dns", folder)
    return tuple(
        os.path.join(root, entry)
        for entry in sorted(os.listdir(root))
        if os.path.isdir(os.path.join(root, entry))
    )


def nsd_rejection(zone):
    """Return NSD's reason for rejecting zone, or None when nsd-checkzone accepts it."""
    result = subprocess.run(
        ["nsd-checkzone", zone.origin, zone.path],
        cwd=os.path.dirname(zone.path),
        capture_output=True,
        text=True,
    )
    if result.returncode == 0:
        return None
    return (result.stdout + result.stderr).strip().replace("\n", "; ")


def group_into_rounds(zones):
    """Split zones into rounds in which every origin appears once, as one server needs.

    The generated zone and the root zone get rounds of their own. Otherwise NSD follows CNAME
    and DNAME targets of the generated zone into other zones it serves (RFC 1034 4.3.2 step
    3a), and the root zone would hold every name outside the other zones.
    """
    rounds = []
    shared = []
    for zone in zones:
        if zone.origin == "." or zone.label.startswith("generated/"):
            rounds.append([zone])
            continue
        key = zone.origin.lower()
        for round_zones in shared:
            if all(other.origin.lower() != key for other in round_zones):
                round_zones.append(zone)
                break
        else:
            shared.append([zone])
    return rounds + shared


def prepare_zone_folder(folder, zones):
    """Copy zones and their include trees into folder; return (origin, file name) pairs."""
    os.makedirs(folder)
    served = []
    for index, zone in enumerate(zones):
        name = f"zone-{index}.zone"
        shutil.copyfile(zone.path, os.path.join(folder, name))
        for tree in zone.include_trees:
            shutil.copytree(tree, os.path.join(folder, os.path.basename(tree)),
                            dirs_exist_ok=True)
        served.append((zone.origin, name))
    return served


def start_subject(args, round_dir, zones, zone_folder, served):
    """Start the server under test for one round and return its ServerProcess."""
    port = dns_peers.free_port()
    if args.subject == "knot":
        knot_dir = os.path.join(round_dir, "knot")
        os.makedirs(knot_dir)
        absolute = [(origin, os.path.join(zone_folder, name)) for origin, name in served]
        return dns_peers.start_knot(knot_dir, absolute, port)

    repo = os.path.join(round_dir, "repo")
    trees = sorted({tree for zone in zones for tree in zone.include_trees})
    dns_peers.make_zone_repository(repo, [(zone.origin, zone.path) for zone in zones], trees)
    return dns_peers.start_robur(args.robur, repo, port, round_dir)


def classify(args, query, transport, differences, reference, subject, tally, adjusted_by=None):
    """Count one compared query as equal, an allowed difference or a failure.

    adjusted_by names the TtlAdjustment applied to the reference, if it changed anything.
    """
    tally.compared += 1
    tally.by_transport[transport.name] += 1
    if not differences:
        if adjusted_by:
            tally.known[adjusted_by] += 1
            tally.known_queries += 1
        return

    allowed = [entry for entry in KNOWN_DIFFERENCES if args.subject in entry.subjects]
    unexplained = []
    explained_by = set()
    for difference in differences:
        entry = next(
            (entry for entry in allowed
             if entry.matches(query, transport, difference, reference, subject)),
            None,
        )
        if entry is None:
            unexplained.append(difference)
        else:
            explained_by.add(entry.name)

    if unexplained:
        tally.failures.append((query, transport, unexplained))
        return
    if adjusted_by:
        explained_by.add(adjusted_by)
    tally.known_queries += 1
    for name in explained_by:
        tally.known[name] += 1


def expand_any_reference(query, reference_port, transport, reference, subject, adjust):
    """Store in reference NSD's answers for each type in the subject's answer to an ANY query.

    adjust is applied to each of NSD's responses, as to the reference itself.
    """
    if query.qtype != dns.rdatatype.ANY or "answer" not in subject:
        return
    expansion = set()
    # With the DO bit an RRSIG comes with the RRset it covers, so RRSIG(MX) means a query for MX.
    covered = {rr[3].removeprefix("RRSIG(").removesuffix(")") for rr in subject["answer"]}
    for rdtype in sorted(covered):
        single = dataclasses.replace(query, qtype=dns.rdatatype.from_text(rdtype))
        response = adjust(answer_compare.summarize(
            answer_compare.send(single, reference_port, transport)))
        expansion |= response.get("answer", frozenset())
    reference["any_expansion"] = frozenset(expansion)


def confirm_extra_additional(reference_port, transport, reference, subject, adjust):
    """Store in reference the subject's extra additional RRs that NSD returns when asked.

    adjust is applied to each of NSD's responses, as to the reference itself.
    """
    if "additional" not in subject:
        return
    confirmed = set()
    extra = subject["additional"] - reference["additional"]
    # TCP, so the confirming response is never truncated, with the DO bit of the query.
    confirming = dataclasses.replace(answer_compare.TCP_EDNS, dnssec_ok=transport.dnssec_ok)
    for owner, rdtype in sorted({(rr[0], rr[3]) for rr in extra}):
        if rdtype not in ADDRESS_TYPES:
            continue
        qtype = dns.rdatatype.from_text(rdtype.removeprefix("RRSIG(").removesuffix(")"))
        single = query_plan.Query(owner, qtype, "confirm", "")
        response = adjust(answer_compare.summarize(
            answer_compare.send(single, reference_port, confirming)))
        confirmed |= response.get("answer", frozenset())
    reference["additional_confirmed"] = frozenset(confirmed)


def compare_pair(args, query, transport, ports, tally):
    """Send query over transport to both servers, compare, and return both summaries."""
    reference_port, subject_port = ports
    reference = answer_compare.summarize(answer_compare.send(query, reference_port, transport))
    subject = answer_compare.summarize(answer_compare.send(query, subject_port, transport))

    adjustment = next(
        (entry for entry in TTL_ADJUSTMENTS
         if args.subject in entry.subjects and query.source == entry.source),
        None,
    )

    def adjust(summary):
        if adjustment is None:
            return summary
        return answer_compare.replace_ttl(summary, adjustment.from_ttl, adjustment.to_ttl)

    adjusted = adjust(reference)
    adjusted_by = adjustment.name if adjusted != reference else None
    reference = adjusted

    differences = answer_compare.compare(reference, subject)
    if differences and "error" not in reference and "error" not in subject:
        expand_any_reference(query, reference_port, transport, reference, subject, adjust)
        confirm_extra_additional(reference_port, transport, reference, subject, adjust)
    classify(args, query, transport, differences, reference, subject, tally, adjusted_by)
    return reference, subject


def compare_query(args, query, reference_port, subject_port, tally):
    """Compare one query over UDP without and with EDNS, and over TCP when either truncates.

    With --dnssec, the query is also compared over UDP with the DO bit set.
    """
    ports = (reference_port, subject_port)
    transports = [answer_compare.UDP_PLAIN, answer_compare.UDP_EDNS]
    if args.dnssec:
        transports.append(answer_compare.UDP_EDNS_DO)

    truncated = False
    for transport in transports:
        reference, subject = compare_pair(args, query, transport, ports, tally)
        truncated = truncated or answer_compare.is_truncated(reference)
        truncated = truncated or answer_compare.is_truncated(subject)

    if truncated:
        compare_pair(args, query, answer_compare.TCP_EDNS, ports, tally)


def run_round(args, number, zones, workdir, tally):
    """Serve one round of zones from NSD and the subject and compare every planned query."""
    round_dir = os.path.join(workdir, f"round-{number}")
    nsd_dir = os.path.join(round_dir, "nsd")
    served = prepare_zone_folder(nsd_dir, zones)
    labels = ", ".join(zone.label for zone in zones)
    print(f"round {number}: {labels}")

    nsd = dns_peers.start_nsd(nsd_dir, served, dns_peers.free_port())
    subject = None
    try:
        subject = start_subject(args, round_dir, zones, nsd_dir, served)
        for zone in zones:
            nsd.wait_until_answering(zone.origin)
        # A subject that exited makes every query wait for its timeout, so stop at once.
        subject.raise_if_exited()
        for zone in zones:
            try:
                subject.wait_until_answering(zone.origin, timeout=10)
            except dns_peers.ServerError as error:
                # Keep going: every query of this zone then counts as a failure.
                first_line = str(error).splitlines()[0]
                print(f"  {args.subject} does not serve {zone.label}: {first_line}")

        for zone in zones:
            contents = query_plan.transfer_zone(dns_peers.LOOPBACK, nsd.port, zone.origin)
            plan = query_plan.build_plan(contents, zone.label)
            print(f"  {zone.label}: {len(contents.types_by_name)} names, {len(plan)} queries")
            for query in plan:
                subject.raise_if_exited()
                nsd.raise_if_exited()
                compare_query(args, query, nsd.port, subject.port, tally)
    finally:
        nsd.stop()
        if subject is not None:
            subject.stop()


def report(args, tally, skipped):
    """Print failures, allowed differences and the summary; return the exit status."""
    for query, transport, differences in tally.failures[:MAX_DETAILED_FAILURES]:
        print(f"FAIL {query.describe()} over {transport.name} in {query.source}")
        for difference in differences:
            print(difference.describe())
    hidden = len(tally.failures) - MAX_DETAILED_FAILURES
    if hidden > 0:
        print(f"... {hidden} more failures not shown")

    groups = collections.Counter(
        (query.category, difference.field)
        for query, _, differences in tally.failures
        for difference in differences
    )
    for (category, field), count in sorted(groups.items()):
        print(f"failures in {field} for {category} queries: {count}")

    by_name = {entry.name: entry for entry in KNOWN_DIFFERENCES + TTL_ADJUSTMENTS}
    for name, count in sorted(tally.known.items()):
        print(f"known difference {name} ({count} queries): {by_name[name].reason}")
    for zone, reason in skipped:
        print(f"skipped {zone.label}: NSD rejects it: {reason}")

    transports = ", ".join(f"{count} over {name}" for name, count in tally.by_transport.items())
    print(f"comparisons by transport: {transports}")
    print(f"{tally.compared} queries compared, {tally.known_queries} known differences,"
          f" {len(tally.failures)} failures ({args.subject} against NSD)")
    return 1 if tally.failures else 0


def main():
    args = parse_arguments()
    if args.subject == "robur" and not (args.robur and os.access(args.robur, os.X_OK)):
        print(f"robur binary not found or not executable: {args.robur!r}; set ROBUR or --robur")
        return 1

    workdir = tempfile.mkdtemp(prefix="robur-nsd-compare-")
    keep = args.keep
    try:
        zones = collect_zones(args.corpus, workdir)
        if args.zone:
            zones = [zone for zone in zones if any(text in zone.label for text in args.zone)]

        skipped = []
        accepted = []
        for zone in zones:
            reason = nsd_rejection(zone)
            if reason is None:
                accepted.append(zone)
            else:
                skipped.append((zone, reason))

        tally = Tally()
        for number, round_zones in enumerate(group_into_rounds(accepted), start=1):
            run_round(args, number, round_zones, workdir, tally)
        return report(args, tally, skipped)
    except dns_peers.ServerError as error:
        print(f"error: {error}")
        # The configurations and server logs are what explains the error, so keep them.
        keep = True
        return 1
    finally:
        if keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

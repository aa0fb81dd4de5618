#!/usr/bin/python3
"""Generate a benchmark zone and a dnsperf query file for it.

The zone has --names owner names (default 10,000) besides the apex, with A, AAAA, MX, TXT and
CNAME RRsets, wildcards and delegations with glue; --ds-percent of the delegations also get a
DS RRset, as a signed parent has for its secure children. The query file lists "name type" lines,
mostly existing name/type pairs and --nonexistent percent of names that do not exist. The same
--seed gives the same files.
"""

import argparse
import hashlib
import random


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--origin", default="bench.test.",
                        help="zone origin (default: bench.test.)")
    parser.add_argument("--names", type=int, default=10000,
                        help="owner names besides the apex (default: 10000)")
    parser.add_argument("--queries", type=int, default=100000,
                        help="lines in the query file (default: 100000)")
    parser.add_argument("--nonexistent", type=float, default=10.0,
                        help="percent of queries for names that do not exist (default: 10)")
    parser.add_argument("--ds-percent", type=float, default=0.0,
                        help="percent of delegations with a DS RRset (default: 0)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
    parser.add_argument("--zone-file", required=True, help="zone file to write")
    parser.add_argument("--query-file", required=True, help="dnsperf query file to write")
    return parser.parse_args()


def ipv6_address(index):
    """Return an address in 2001:db8::/32 for index, in two groups when index exceeds 16 bits."""
    if index <= 0xffff:
        return f"2001:db8::{index:x}"
    return f"2001:db8::{index >> 16:x}:{index & 0xffff:x}"


def ds_record(owner, index):
    """Return a DS record line for a delegation, with a SHA-256 digest made from its name."""
    digest = hashlib.sha256(owner.encode()).hexdigest().upper()
    return f"{owner} IN DS {index & 0xffff} 13 2 {digest}"


def build_zone(origin, count, rng, ds_percent=0.0):
    """Return (zone lines, list of (owner, type) pairs that queries may ask for)."""
    lines = [
        f"$ORIGIN {origin}",
        "$TTL 3600",
        "@ IN SOA ns1 hostmaster 2024010101 7200 1800 1209600 300",
        "@ IN NS ns1",
        "@ IN NS ns2",
        "@ IN MX 10 mail",
        "ns1 IN A 192.0.2.1",
        "ns2 IN A 192.0.2.2",
        "mail IN A 192.0.2.25",
    ]
    targets = [("@", "SOA"), ("@", "NS"), ("@", "MX"), ("ns1", "A"), ("mail", "A")]
    # CNAME and MX targets are picked among names that have an A RRset, so no chain loops.
    address_owners = ["mail"]

    for index in range(count):
        owner = f"host{index}"
        kind = rng.random()
        address = f"10.{index >> 16 & 255}.{index >> 8 & 255}.{index & 255}"
        if kind < 0.40:
            lines.append(f"{owner} IN A {address}")
            targets.append((owner, "A"))
            address_owners.append(owner)
        elif kind < 0.60:
            lines.append(f"{owner} IN A {address}")
            lines.append(f"{owner} IN AAAA {ipv6_address(index)}")
            targets += [(owner, "A"), (owner, "AAAA")]
            address_owners.append(owner)
        elif kind < 0.72:
            lines.append(f"{owner} IN MX 10 mail")
            lines.append(f"{owner} IN MX 20 {rng.choice(address_owners)}")
            targets.append((owner, "MX"))
        elif kind < 0.84:
            lines.append(f'{owner} IN TXT "v=spf1 ip4:{address} -all" "id={index}"')
            targets.append((owner, "TXT"))
        elif kind < 0.94:
            lines.append(f"{owner} IN CNAME {rng.choice(address_owners)}")
            targets.append((owner, "A"))
        elif kind < 0.97:
            lines.append(f"*.{owner} IN A {address}")
            lines.append(f"*.{owner} IN TXT \"wildcard {index}\"")
            targets += [(f"w{index}.{owner}", "A"), (f"x.y.{owner}", "TXT")]
        else:
            lines.append(f"{owner} IN NS ns.{owner}")
            lines.append(f"{owner} IN NS ns.outside.example.")
            lines.append(f"ns.{owner} IN A {address}")
            # Drawn only when requested, so that the default zone stays as it was.
            if ds_percent > 0 and rng.random() * 100 < ds_percent:
                lines.append(ds_record(owner, index))
            targets += [(f"www.{owner}", "A"), (owner, "NS")]
    return lines, targets


def build_queries(origin, targets, count, nonexistent_percent, rng):
    """Return count query lines; nonexistent_percent of them name owners absent from the zone."""
    queries = []
    for index in range(count):
        if rng.random() * 100 < nonexistent_percent:
            queries.append(f"nx{index}.{origin} A")
            continue
        owner, rdtype = rng.choice(targets)
        name = origin if owner == "@" else f"{owner}.{origin}"
        queries.append(f"{name} {rdtype}")
    return queries


def main():
    args = parse_arguments()
    rng = random.Random(args.seed)
    lines, targets = build_zone(args.origin, args.names, rng, args.ds_percent)
    queries = build_queries(args.origin, targets, args.queries, args.nonexistent, rng)
    with open(args.zone_file, "w") as out:
        out.write("\n".join(lines) + "\n")
    with open(args.query_file, "w") as out:
        out.write("\n".join(queries) + "\n")


if __name__ == "__main__":
    main()

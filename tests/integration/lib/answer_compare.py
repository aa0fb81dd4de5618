"""Send one query to two servers and list how their responses differ."""

import dataclasses

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype

from dns_peers import LOOPBACK

# The EDNS UDP payload size that the 2020 DNS flag day recommends.
EDNS_PAYLOAD = 1232

SECTIONS = ("answer", "authority", "additional")


@dataclasses.dataclass(frozen=True)
class Transport:
    """How a query is sent: over UDP or TCP, with or without an EDNS OPT record and its DO bit."""

    name: str
    tcp: bool
    edns: bool
    dnssec_ok: bool = False


UDP_PLAIN = Transport("udp", tcp=False, edns=False)
UDP_EDNS = Transport("udp+edns", tcp=False, edns=True)
TCP_EDNS = Transport("tcp+edns", tcp=True, edns=True)
UDP_EDNS_DO = Transport("udp+edns+do", tcp=False, edns=True, dnssec_ok=True)


@dataclasses.dataclass
class Difference:
    """One field whose value differs between the reference response and the tested one."""

    field: str
    reference: object
    subject: object

    def describe(self):
        if isinstance(self.reference, frozenset) and isinstance(self.subject, frozenset):
            missing = sorted(self.reference - self.subject)
            extra = sorted(self.subject - self.reference)
            lines = [f"  {self.field}:"]
            lines += [f"    missing  {format_rr(rr)}" for rr in missing]
            lines += [f"    extra    {format_rr(rr)}" for rr in extra]
            return "\n".join(lines)
        return f"  {self.field}: reference {self.reference!r}, subject {self.subject!r}"


def format_rr(rr):
    owner, ttl, rdclass, rdtype, rdata = rr
    return f"{owner} {ttl} {rdclass} {rdtype} {rdata}"


def send(query, port, transport, timeout=2.0):
    """Send query to 127.0.0.1:port and return the response, or a string saying what failed."""
    if transport.edns:
        request = dns.message.make_query(query.qname, query.qtype, use_edns=0,
                                         payload=EDNS_PAYLOAD, want_dnssec=transport.dnssec_ok)
    else:
        # use_edns=None would still add an OPT record because a payload size is known.
        request = dns.message.make_query(query.qname, query.qtype, use_edns=False)
    try:
        if transport.tcp:
            return dns.query.tcp(request, LOOPBACK, port=port, timeout=timeout)
        return dns.query.udp(request, LOOPBACK, port=port, timeout=timeout)
    except dns.exception.Timeout:
        return "no response (timed out)"
    except (dns.exception.DNSException, OSError, EOFError) as error:
        return f"invalid response ({type(error).__name__}: {error})"


def _canonical_rdata_text(rdata):
    """Return rdata as text with the domain names in it lower-cased (RFC 4034 6.2 types).

    Servers copy the letter case of the question into names they compress against it, so
    the same RR can come back as ns1.EXAMPLE. or ns1.example.; names compare case-insensitively
    (RFC 4343).
    """
    wire = rdata.to_digestable()
    canonical = dns.rdata.from_wire(rdata.rdclass, rdata.rdtype, wire, 0, len(wire))
    return canonical.to_text()


def _rr_tuples(section):
    rrs = set()
    for rrset in section:
        rdtype = dns.rdatatype.to_text(rrset.rdtype)
        if rrset.covers != dns.rdatatype.NONE:
            rdtype += f"({dns.rdatatype.to_text(rrset.covers)})"
        for rdata in rrset:
            rrs.add((
                rrset.name.to_text().lower(),
                rrset.ttl,
                dns.rdataclass.to_text(rrset.rdclass),
                rdtype,
                _canonical_rdata_text(rdata),
            ))
    return frozenset(rrs)


def summarize(response):
    """Return the compared fields of a response as a dict, or {"error": text} for a failure."""
    if isinstance(response, str):
        return {"error": response}
    return {
        "rcode": dns.rcode.to_text(response.rcode()),
        "flags": dns.flags.to_text(response.flags),
        # The question is echoed exactly, letter case included (RFC 1035 4.1.2, RFC 4343 4.1).
        "question": tuple(
            (rrset.name.to_text(), dns.rdatatype.to_text(rrset.rdtype))
            for rrset in response.question
        ),
        "edns": response.edns,
        "answer": _rr_tuples(response.answer),
        "authority": _rr_tuples(response.authority),
        "additional": _rr_tuples(response.additional),
    }


def replace_ttl(summary, from_ttl, to_ttl):
    """Return a copy of summary in which every RR with TTL from_ttl has TTL to_ttl."""
    if "error" in summary:
        return summary
    adjusted = dict(summary)
    for section in SECTIONS:
        adjusted[section] = frozenset(
            (rr[0], to_ttl if rr[1] == from_ttl else rr[1], *rr[2:]) for rr in summary[section]
        )
    return adjusted


def is_truncated(summary):
    return "TC" in summary.get("flags", "").split()


def compare(reference, subject):
    """Return the Differences between two summaries.

    When both responses are truncated, only the header and question are compared, because
    which RRs fit before the TC bit is set is the server's choice. A client repeats such a query
    over TCP (RFC 2181 9), and the caller compares the full content there.
    """
    if "error" in reference or "error" in subject:
        if reference.get("error") == subject.get("error"):
            return []
        return [Difference("response", reference.get("error", "ok"), subject.get("error", "ok"))]

    fields = ["rcode", "flags", "question", "edns"]
    if not (is_truncated(reference) and is_truncated(subject)):
        fields += SECTIONS
    return [
        Difference(field, reference[field], subject[field])
        for field in fields
        if reference[field] != subject[field]
    ]

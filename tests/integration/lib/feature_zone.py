"""A generated zone that contains every response case the comparison tests need."""

FEATURE_ORIGIN = "features.test."


def _long_txt_strings(count, length):
    """Return count distinct quoted TXT strings of length characters each."""
    return " ".join(f'"{index:02d}{"x" * (length - 2)}"' for index in range(count))


def feature_zone_text():
    """Return the master file of FEATURE_ORIGIN.

    The zone has wildcards (single label, next to explicit names, with CNAME) and empty
    non-terminals. Its delegations have in-bailiwick glue, out-of-zone NS names or a DS RRset.
    CNAME chains stay in the zone, leave it, dangle, loop, or end in a delegation or a wildcard.
    It has DNAME RRs, MX, SRV and NS targets that need additional records, and RRsets too long
    for a 512-octet UDP response.
    """
    many_a = "\n".join(f"many-a       300 IN A 192.0.2.{host}" for host in range(1, 41))
    many_aaaa = "\n".join(f"many-aaaa    300 IN AAAA 2001:db8:1::{host:x}" for host in range(1, 31))
    return f"""$ORIGIN {FEATURE_ORIGIN}
$TTL 3600
@            IN SOA ns1 hostmaster 2024010101 7200 1800 1209600 300
@            IN NS ns1
@            IN NS ns2
@            IN NS ns.outside.example.
@            IN MX 10 mail
@            IN MX 20 mail.outside.example.
@            IN TXT "v=spf1 -all"
@            IN A 192.0.2.1
@            IN AAAA 2001:db8::1
ns1          IN A 192.0.2.53
ns1          IN AAAA 2001:db8::53
ns2     7200 IN A 192.0.2.54
mail         IN A 192.0.2.25
mail         IN AAAA 2001:db8::25
www          IN A 192.0.2.80
www          IN AAAA 2001:db8::80
www          IN TXT "web" "server"
MixedCase    IN A 192.0.2.81
ptr          IN PTR www
info         IN HINFO "x86_64" "Linux"
caa          IN CAA 0 issue "ca.example.net"
sshfp        IN SSHFP 4 2 123456789abcdef67890123456789abcdef67890123456789abcdef123456789
_sip._tcp    IN SRV 0 5 5060 sip
_sip._tcp    IN SRV 1 5 5060 sip.outside.example.
sip          IN A 192.0.2.60

; Empty non-terminals: b.ent and ent exist only because a.b.ent does.
a.b.ent      IN A 192.0.2.90

; Wildcards: one at a leaf, one next to explicit names, one with a CNAME.
*.wild       IN A 192.0.2.100
*.wild       IN TXT "wildcard"
*.wild       IN MX 10 mail
host.wild    IN A 192.0.2.101
*.mixed      IN AAAA 2001:db8::100
sub.mixed    IN TXT "explicit"
*.cwild      IN CNAME www
*.deep.a.wild2 IN A 192.0.2.102

; Delegations: glue in bailiwick, name servers out of zone, in another branch of this zone,
; and a signed child with a DS RRset.
sub          IN NS ns.sub
sub          IN NS ns2.sub
sub          IN NS ns.outside.example.
ns.sub       IN A 192.0.2.200
ns.sub       IN AAAA 2001:db8::200
ns2.sub      IN A 192.0.2.201
ext-deleg    IN NS ns.outside.example.
ext-deleg    IN NS ns.elsewhere.example.
sib-deleg    IN NS ns1
sib-deleg    IN NS ns2
secure       IN NS ns.secure
secure       IN DS 12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
ns.secure    IN A 192.0.2.202

; CNAME chains.
c1           IN CNAME c2
c2           IN CNAME c3
c3           IN CNAME www
to-ext       IN CNAME www.outside.example.
dangling     IN CNAME nothing-here
to-deleg     IN CNAME host.sub
to-wild      IN CNAME anything.wild
to-apex      IN CNAME @
loop1        IN CNAME loop2
loop2        IN CNAME loop1

; DNAME: in zone, to another zone, and a CNAME into a DNAME subtree.
dn           IN DNAME target
target       IN A 192.0.2.110
x.target     IN A 192.0.2.111
x.target     IN TXT "below target"
dn-ext       IN DNAME outside.example.
via-dname    IN CNAME x.dn

; Long RRsets: each needs more than 512 octets, so UDP without EDNS sets TC.
big-txt      IN TXT {_long_txt_strings(10, 60)}
{many_a}
{many_aaaa}
"""

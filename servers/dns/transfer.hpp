#pragma once

// Zone transfers from the primary: AXFR (RFC 5936) and IXFR (RFC 1995), signed with TSIG
// (RFC 8945) when the request was.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "servers/dns/responder.hpp"
#include "servers/dns/tsig.hpp"
#include "servers/dns/zone_history.hpp"
#include "servers/dns/zone_index.hpp"

namespace robur::dns {

// Receives the messages of one answer in order, once per message, each a complete DNS
// message without the TCP length prefix.
using MessageSink = std::function<void(std::vector<std::uint8_t> message)>;

// The transport, TSIG state and time of one transfer request.
struct TransferContext {
    Transport transport = Transport::tcp;
    // The TSIG check of the request, or null for an unsigned request. A verified request gets
    // every message of its answer signed. A request that failed the check gets one NOTAUTH
    // message with the TSIG error (RFC 8945 section 5.2).
    const tsig::Verification* tsig = nullptr;
    std::uint64_t now = 0; // seconds since 1970, the time signed of the answer's TSIG records
};

// A summary of one transfer response, for the caller's log line.
struct TransferSummary {
    Rcode rcode = Rcode::noerror;
    std::size_t messages = 0;
    std::size_t records = 0;  // answer records over all messages
    bool incremental = false; // IXFR answered with differences
    bool soa_only = false;    // IXFR answered with the current SOA alone
};

// Answers an AXFR request for zone (RFC 5936): the SOA, every other record of the zone, glue
// and occluded records included, and the SOA again, packed into as many messages of at most
// 65535 octets as needed. The question is copied into the first message only, as BIND 9's
// xfrout.c does, and an OPT record is added to every message when the request had one. Over
// UDP the answer is NOTIMP, because RFC 5936 section 4.2 leaves AXFR over UDP undefined. A
// QNAME other than the zone's apex or a QCLASS other than the zone's gets NOTAUTH, a malformed
// request FORMERR, and an EDNS version above 0 BADVERS. The caller has picked zone for the
// QNAME and checked access.
TransferSummary answer_axfr(std::span<const std::uint8_t> query, const CompiledZone& zone,
                            const TransferContext& context, const MessageSink& send);

// Answers an IXFR request for zone (RFC 1995). The request carries the client's SOA in the
// authority section, and a request without it gets FORMERR. A client whose serial is the
// current one or newer (RFC 1982) gets the current SOA alone. Otherwise history supplies the
// differences since the client's serial, sent as the current SOA, then per step the old SOA,
// the deleted records, the new SOA and the added records, then the current SOA. When history
// has no answer, or the differences are larger than the zone, the whole zone is sent in AXFR
// form (RFC 1995 section 4). Over UDP the answer must fit one message of the client's UDP
// size (512 octets, or the EDNS payload size up to 1232). When it does not, the answer is the
// current SOA alone, so the client retries over TCP (RFC 1995 section 2).
TransferSummary answer_ixfr(std::span<const std::uint8_t> query, const CompiledZone& zone,
                            ZoneHistory& history, const TransferContext& context,
                            const MessageSink& send);

} // namespace robur::dns

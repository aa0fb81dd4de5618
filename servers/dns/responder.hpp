#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "servers/dns/message_writer.hpp"
#include "servers/dns/nsec3_hasher.hpp"
#include "servers/dns/query_handler.hpp"
#include "servers/dns/wire.hpp"
#include "servers/dns/zone_index.hpp"

namespace robur::dns {

enum class Transport : std::uint8_t { udp, tcp };

// Authoritative answering (RFC 1034 section 4.3.2) for the zones of a ZoneSet. One Responder
// per worker thread: it owns the scratch space and compression table it reuses, so respond()
// allocates nothing. A Responder is not thread-safe; the ZoneSet may be shared.
//
// ANY queries get one RRset of the name over UDP, the one with the lowest type number
// (RFC 8482 section 4), and every RRset over TCP. CNAME and DNAME chains are followed inside
// the zone of the query name for at most max_chain_links steps.
//
// For a query with the DO bit (RFC 3225) to a signed zone, every RRset in the answer and
// authority sections comes with its RRSIGs, and negative, wildcard and referral answers with
// the NSEC or NSEC3 records that prove them (RFC 4035 section 3.1, RFC 5155 section 7.2).
// When those do not fit a UDP response, it is truncated to the header and question with TC
// set. RRSIGs of additional addresses are dropped when they do not fit. Without DO, DNSSEC
// records appear only when a query asks for their type.
class Responder {
public:
    static constexpr std::size_t max_chain_links = 16;

    // Returned by respond() for a query it leaves to the primary (see set_defer_to_primary).
    static constexpr std::size_t deferred = QueryHandler::deferred;

    // Parses query and writes the response into out (at most 65535 octets are used). Returns the
    // response length, or 0 when nothing must be sent: the message is itself a response, is
    // shorter than a header, or out is too small for a header. Opcodes other than QUERY get
    // NOTIMP, and so do zone transfers, unless the responder defers them.
    std::size_t respond(const ZoneSet& zones, std::span<const std::uint8_t> query,
                        Transport transport, std::span<std::uint8_t> out);

    // With defer set, respond() writes nothing and returns `deferred` for NOTIFY and UPDATE
    // messages, AXFR and IXFR queries and TSIG-signed queries, which the primary answers.
    void set_defer_to_primary(bool defer) { defer_to_primary_ = defer; }

    // Keeps octets free at the end of every response, for a TSIG record the caller appends.
    void set_reserved_space(std::size_t octets) { reserved_ = octets; }

    // The response to query with rcode and the question copied, nothing else; 0 when the query
    // is too short for a header or is itself a response. Used for errors the primary reports.
    std::size_t write_rcode(std::span<const std::uint8_t> query, Rcode rcode,
                            std::span<std::uint8_t> out);

    // The rcode of the last response, for logging and statistics.
    [[nodiscard]] Rcode last_rcode() const { return last_rcode_; }

private:
    struct Lookup;
    enum class Step : std::uint8_t { done, follow };

    std::size_t answer_query(const ZoneSet& zones, Transport transport);
    std::size_t write_error(std::uint16_t id, std::uint16_t request_flags, Rcode rcode);
    std::size_t finish(const Lookup& lookup);
    [[nodiscard]] std::size_t response_limit(Transport transport) const;
    [[nodiscard]] Rcode screen_query() const;
    [[nodiscard]] const CompiledZone* select_zone(const ZoneSet& zones) const;

    void answer_from_zone(Lookup& lookup);
    Step look_up_current(Lookup& lookup);
    Step answer_node(std::uint32_t node_index, Lookup& lookup);
    Step follow_cname(const CompiledZone::RRset& cname, Lookup& lookup);
    Step apply_dname(std::uint32_t dname_node, Lookup& lookup);
    Step redirect(std::uint32_t node_index, Lookup& lookup);
    void answer_any(const CompiledZone::Node& node, Lookup& lookup);
    void write_referral(std::uint32_t cut, Lookup& lookup);
    void write_negative(Lookup& lookup);
    void add_additional(Lookup& lookup);
    bool add_signatures(Section section, const CompiledZone::RRset& rrset,
                        std::span<const std::uint8_t> owner, Lookup& lookup);

    // Denial of existence (responder_dnssec.cpp). The proofs collect in the Lookup and
    // write_proofs() adds them to the authority section.
    void prove_negative(Lookup& lookup);
    void prove_nxdomain(std::size_t encloser_label, Lookup& lookup);
    void prove_nodata(std::uint32_t node_index, Lookup& lookup);
    void prove_wildcard_answer(Lookup& lookup);
    void prove_wildcard_nodata(std::uint32_t wildcard_node, Lookup& lookup);
    void prove_delegation(std::uint32_t cut, Lookup& lookup);
    void write_proofs(Lookup& lookup);
    void add_proof(bool nsec3, std::uint32_t index, Lookup& lookup);
    void add_nsec_covering(std::span<const std::uint8_t> name, Lookup& lookup);
    void add_nsec3_covering(std::span<const std::uint8_t> name, Lookup& lookup);
    bool add_nsec3_matching(std::span<const std::uint8_t> name, Lookup& lookup);
    std::size_t add_closest_encloser_proof(std::size_t label, Lookup& lookup);
    bool hash_name(std::span<const std::uint8_t> name, const CompiledZone& zone,
                   dnssec::Nsec3Hash& out);
    [[nodiscard]] std::span<const std::uint8_t> lower_suffix(std::size_t label) const;
    [[nodiscard]] std::span<const std::uint8_t> wildcard_below(std::size_t label);

    bool add_rrset(Section section, const CompiledZone::RRset& rrset,
                   std::span<const std::uint8_t> owner, Lookup& lookup);
    bool add_addresses(std::uint32_t node_index, std::span<const std::uint8_t> owner,
                       Lookup& lookup);
    bool set_current_name(std::span<const std::uint8_t> name);
    [[nodiscard]] std::span<const std::uint8_t> current_suffix(std::size_t label_count) const;

    MessageWriter writer_;
    Query query_;
    bool defer_to_primary_ = false;
    std::size_t reserved_ = 0;
    std::span<std::uint8_t> out_;
    Rcode last_rcode_ = Rcode::noerror;

    // The name being looked up, as written (for owner names) and lower-cased (for the index).
    std::array<std::uint8_t, max_name_length> current_name_{};
    std::array<std::uint8_t, max_name_length> current_lower_{};
    std::size_t current_length_ = 0;
    std::array<std::uint8_t, 128> current_labels_{};
    std::size_t current_label_count_ = 0;

    // Scratch for a name synthesized from a DNAME (RFC 6672 section 2.2).
    std::array<std::uint8_t, max_name_length> synthesized_{};

    // Scratch for the wildcard name "*.<closest encloser>" and the NSEC3 hasher.
    std::array<std::uint8_t, max_name_length> wildcard_name_{};
    Nsec3Hasher hasher_;

    // RRsets written to the answer whose targets add A and AAAA records to the additional
    // section; more than this many are left without additional records.
    static constexpr std::size_t max_additional_sources = 8;
    std::array<const CompiledZone::RRset*, max_additional_sources> additional_sources_{};
    std::size_t additional_source_count_ = 0;
};

} // namespace robur::dns

#include "servers/dns/responder.hpp"

#include <algorithm>
#include <cstring>

#include "formats/zone/record.hpp"
#include "servers/dns/responder_lookup.hpp"

namespace robur::dns {

namespace rrtype = zone::rrtype;

namespace {

constexpr std::size_t opt_record_size = 11; // root owner, fixed fields, no options
constexpr std::uint16_t type_tkey = 249, type_maila = 254, type_mailb = 253;

// Header flags of a response: QR and the copied opcode, RD and CD (RFC 1035 section 4.1.1,
// RFC 4035 section 3.1.6). RA stays clear because robur does not recurse.
std::uint16_t response_flags(std::uint16_t request_flags, Rcode rcode)
{
    const auto copied = static_cast<std::uint16_t>(request_flags & (0x7800 | flag::rd | flag::cd));
    return static_cast<std::uint16_t>(flag::qr | copied |
                                      (static_cast<std::uint16_t>(rcode) & 0xF));
}

std::uint8_t extended_rcode(Rcode rcode)
{
    return static_cast<std::uint8_t>(static_cast<std::uint16_t>(rcode) >> 4);
}

} // namespace

std::size_t Responder::respond(const ZoneSet& zones, std::span<const std::uint8_t> query,
                               Transport transport, std::span<std::uint8_t> out)
{
    out_ = out.first(std::min(out.size(), max_tcp_message));
    last_rcode_ = Rcode::noerror;

    const auto header = read_header(query);
    if (!header || header->is_response() || out_.size() < header_size) {
        return 0;
    }
    const auto opcode = header->opcode();
    if (defer_to_primary_ && (opcode == static_cast<std::uint8_t>(Opcode::notify) ||
                              opcode == static_cast<std::uint8_t>(Opcode::update))) {
        return deferred;
    }
    if (opcode != static_cast<std::uint8_t>(Opcode::query)) {
        return write_error(header->id, header->flags, Rcode::notimp);
    }

    auto parsed = parse_query(query);
    if (!parsed) {
        return write_error(header->id, header->flags, Rcode::formerr);
    }
    query_ = *parsed;
    if (defer_to_primary_ && (query_.has_tsig || query_.qtype == rrtype::axfr ||
                              query_.qtype == rrtype::ixfr)) {
        return deferred;
    }
    return answer_query(zones, transport);
}

std::size_t Responder::write_rcode(std::span<const std::uint8_t> query, Rcode rcode,
                                  std::span<std::uint8_t> out)
{
    out_ = out.first(std::min(out.size(), max_tcp_message));
    const auto header = read_header(query);
    if (!header || header->is_response() || out_.size() < header_size) {
        return 0;
    }
    WireName qname;
    std::size_t question_end = 0;
    if (header->qdcount == 1) {
        auto name_end = read_name(query, header_size, qname);
        if (name_end && *name_end + 4 <= query.size()) {
            question_end = *name_end;
        }
    }
    last_rcode_ = rcode;
    writer_.start(out_, out_.size());
    if (question_end != 0) {
        static_cast<void>(writer_.add_question(qname.wire(), read_u16(&query[question_end]),
                                               read_u16(&query[question_end + 2])));
    }
    return writer_.finish(header->id, response_flags(header->flags, rcode));
}

std::size_t Responder::write_error(std::uint16_t id, std::uint16_t request_flags, Rcode rcode)
{
    last_rcode_ = rcode;
    writer_.start(out_, header_size);
    return writer_.finish(id, response_flags(request_flags, rcode));
}

std::size_t Responder::answer_query(const ZoneSet& zones, Transport transport)
{
    Lookup lookup;
    lookup.all_of_any = transport == Transport::tcp;
    additional_source_count_ = 0;

    // Keep room for the OPT record so that truncation never drops it.
    const std::size_t limit = response_limit(transport);
    writer_.start(out_, query_.edns ? limit - opt_record_size : limit);
    lookup.after_question = writer_.mark();
    if (!writer_.add_question(query_.qname.wire(), query_.qtype, query_.qclass)) {
        lookup.truncated = true;
        return finish(lookup);
    }
    lookup.after_question = writer_.mark();

    lookup.rcode = screen_query();
    if (lookup.rcode == Rcode::noerror) {
        set_current_name(query_.qname.wire());
        lookup.zone = select_zone(zones);
        if (lookup.zone == nullptr) {
            lookup.rcode = Rcode::refused;
        }
    }
    if (lookup.rcode != Rcode::noerror) {
        lookup.authoritative = false;
        return finish(lookup);
    }
    lookup.dnssec = query_.edns && query_.edns->dnssec_ok && lookup.zone->is_signed();
    answer_from_zone(lookup);
    return finish(lookup);
}

// Returns the rcode of a query that is answered without zone data, or noerror.
Rcode Responder::screen_query() const
{
    const std::uint16_t qtype = query_.qtype;
    if (query_.edns && query_.edns->version > 0) {
        return Rcode::badvers; // RFC 6891 section 6.1.3
    }
    if (query_.qclass != zone::rrclass::in && query_.qclass != zone::rrclass::any) {
        return Rcode::refused;
    }
    if (qtype == rrtype::opt || qtype == rrtype::tsig) {
        return Rcode::formerr; // meta types that only appear in the additional section
    }
    if (qtype == rrtype::axfr || qtype == rrtype::ixfr || qtype == type_tkey ||
        qtype == type_maila || qtype == type_mailb) {
        // TODO: serve AXFR and IXFR over TCP from Git history; until then they get NOTIMP.
        return Rcode::notimp;
    }
    return Rcode::noerror;
}

// The size a response may grow to: 512 octets over UDP without EDNS, else the client's EDNS
// payload size between 512 and our own 1232 (RFC 6891 section 6.2.5), 65535 over TCP.
std::size_t Responder::response_limit(Transport transport) const
{
    const std::size_t available = out_.size() - std::min(out_.size(), reserved_);
    if (transport == Transport::tcp) {
        return available;
    }
    std::size_t payload = min_udp_payload;
    if (query_.edns) {
        payload =
            std::clamp<std::size_t>(query_.edns->udp_payload, min_udp_payload, server_udp_payload);
    }
    return std::min(payload - std::min(payload, reserved_), available);
}

// Returns the deepest zone holding the query name, except that DS at a zone apex comes from
// the parent zone when we serve it, because DS belongs to the parent (RFC 4035 section 3.1.4.1).
const CompiledZone* Responder::select_zone(const ZoneSet& zones) const
{
    const std::span<const std::uint8_t> name{current_lower_.data(), current_length_};
    const CompiledZone* zone = zones.find_zone(name);
    if (zone == nullptr || query_.qtype != rrtype::ds || current_label_count_ == 0 ||
        zone->node(zone->apex()).name_length != current_length_) {
        return zone;
    }
    const CompiledZone* parent = zones.find_zone(name.subspan(name[0] + 1u));
    return parent != nullptr ? parent : zone;
}

std::size_t Responder::finish(const Lookup& lookup)
{
    if (lookup.truncated) {
        writer_.rollback(lookup.after_question);
    }
    last_rcode_ = lookup.rcode;
    if (query_.edns) {
        writer_.set_limit(writer_.limit() + opt_record_size);
        writer_.add_opt(server_udp_payload, extended_rcode(lookup.rcode), query_.edns->dnssec_ok);
    }
    auto flags = response_flags(query_.header.flags, lookup.rcode);
    if (lookup.authoritative) {
        flags |= flag::aa;
    }
    if (lookup.truncated) {
        flags |= flag::tc;
    }
    return writer_.finish(query_.header.id, flags);
}

void Responder::answer_from_zone(Lookup& lookup)
{
    while (look_up_current(lookup) == Step::follow) {
        if (lookup.links >= max_chain_links) {
            break;
        }
    }
    if (lookup.dnssec) {
        write_proofs(lookup); // wildcard proofs of a positive answer
    }
    if (!lookup.truncated) {
        add_additional(lookup);
    }
}

// One pass of RFC 1034 section 4.3.2 step 3 for the current name. Returns follow when a CNAME
// or DNAME changed the current name to another name inside the zone.
Responder::Step Responder::look_up_current(Lookup& lookup)
{
    const CompiledZone& zone = *lookup.zone;
    const std::span<const std::uint8_t> lower{current_lower_.data(), current_length_};

    const std::uint32_t exact = zone.find_node(lower);
    if (exact != no_index) {
        const auto& node = zone.node(exact);
        if (node.redirect != no_index) {
            return redirect(node.redirect, lookup);
        }
        // At a delegation point only DS is answered, from the parent side (RFC 4035
        // section 3.1.4.1).
        if (node.is_cut && query_.qtype != rrtype::ds) {
            write_referral(exact, lookup);
            return Step::done;
        }
        return answer_node(exact, lookup);
    }

    // Find the closest encloser: the longest existing ancestor of the current name.
    std::uint32_t encloser = no_index;
    std::size_t encloser_label = 0;
    while (encloser == no_index && encloser_label < current_label_count_) {
        ++encloser_label;
        encloser = zone.find_node(lower.subspan(current_labels_[encloser_label]));
    }
    if (encloser == no_index) {
        return Step::done; // unreachable: the apex is an ancestor of every name in the zone
    }
    const auto& node = zone.node(encloser);
    if (node.redirect != no_index) {
        return redirect(node.redirect, lookup);
    }
    if (node.is_cut || node.has_dname) {
        return redirect(encloser, lookup);
    }
    // RFC 4592 section 3.3.1: only "*.<closest encloser>" may be the source of synthesis.
    if (node.wildcard != no_index) {
        lookup.wildcard_label = encloser_label;
        const Step step = answer_node(node.wildcard, lookup);
        lookup.wildcard_label = 0;
        return step;
    }
    lookup.rcode = Rcode::nxdomain;
    lookup.encloser_label = encloser_label;
    write_negative(lookup);
    return Step::done;
}

// Continues below a zone cut with a referral or below a DNAME with its substitution.
Responder::Step Responder::redirect(std::uint32_t node_index, Lookup& lookup)
{
    if (lookup.zone->node(node_index).is_cut) {
        write_referral(node_index, lookup);
        return Step::done;
    }
    return apply_dname(node_index, lookup);
}

// Writes the answer from the RRsets of one node. The owner of every answer record is the
// current name, so wildcard answers carry the query name (RFC 1034 section 4.3.2 step 3c).
Responder::Step Responder::answer_node(std::uint32_t node_index, Lookup& lookup)
{
    const CompiledZone& zone = *lookup.zone;
    const auto& node = zone.node(node_index);
    if (std::find(lookup.visited.begin(), lookup.visited.begin() + static_cast<long>(lookup.links),
                  node_index) != lookup.visited.begin() + static_cast<long>(lookup.links)) {
        return Step::done; // a CNAME loop: every record on it is already in the answer
    }
    lookup.visited[lookup.links] = node_index;
    lookup.negative_node = node_index;

    const std::span<const std::uint8_t> owner{current_name_.data(), current_length_};
    if (query_.qtype == rrtype::any) {
        answer_any(node, lookup);
        return Step::done;
    }
    if (const auto* rrset = zone.find_rrset(node, query_.qtype); rrset != nullptr) {
        add_rrset(Section::answer, *rrset, owner, lookup);
        prove_wildcard_answer(lookup);
        return Step::done;
    }
    if (const auto* cname = zone.find_rrset(node, rrtype::cname);
        cname != nullptr && !node.is_cut) {
        // The proof names the current name, so it is taken before the CNAME changes it.
        prove_wildcard_answer(lookup);
        return follow_cname(*cname, lookup);
    }
    write_negative(lookup); // NODATA (RFC 2308 section 2.2)
    return Step::done;
}

// Writes the CNAME and makes its target the current name when the target is in this zone
// (RFC 1034 section 3.6.2). The resolver follows a chain that leaves the zone.
Responder::Step Responder::follow_cname(const CompiledZone::RRset& cname, Lookup& lookup)
{
    const std::span<const std::uint8_t> owner{current_name_.data(), current_length_};
    if (!add_rrset(Section::answer, cname, owner, lookup)) {
        return Step::done;
    }
    const auto target = lookup.zone->record(cname.first_record).rdata;
    ++lookup.links;
    if (!set_current_name(target)) {
        return Step::done;
    }
    return lookup.zone->contains({current_lower_.data(), current_length_}) ? Step::follow
                                                                           : Step::done;
}

// Writes the DNAME and a CNAME synthesized from it (RFC 6672 section 3.1), then continues with
// the substituted name. YXDOMAIN when the substituted name exceeds 255 octets.
Responder::Step Responder::apply_dname(std::uint32_t dname_node, Lookup& lookup)
{
    const CompiledZone& zone = *lookup.zone;
    const auto& node = zone.node(dname_node);
    const auto* dname = zone.find_rrset(node, rrtype::dname);
    if (!add_rrset(Section::answer, *dname, current_suffix(node.label_count), lookup)) {
        return Step::done;
    }

    const RecordView record = zone.record(dname->first_record);
    const std::size_t prefix = current_labels_[current_label_count_ - node.label_count];
    if (prefix + record.rdata.size() > max_name_length) {
        lookup.rcode = Rcode::yxdomain;
        return Step::done;
    }
    std::memcpy(synthesized_.data(), current_name_.data(), prefix);
    std::memcpy(synthesized_.data() + prefix, record.rdata.data(), record.rdata.size());
    const std::span<const std::uint8_t> target{synthesized_.data(), prefix + record.rdata.size()};

    // The synthesized CNAME has the DNAME's class and TTL.
    std::array<std::uint8_t, 8> fixed{};
    std::memcpy(fixed.data(), record.fixed.data(), fixed.size());
    write_u16(fixed.data(), rrtype::cname);
    static constexpr std::array<std::uint16_t, 1> target_offset{0};
    const RecordView cname{.fixed = fixed, .rdata = target, .name_offsets = target_offset};
    if (!writer_.add_record(Section::answer, {current_name_.data(), current_length_}, cname)) {
        lookup.truncated = true;
        return Step::done;
    }

    ++lookup.links;
    if (!set_current_name(target)) {
        return Step::done;
    }
    return zone.contains({current_lower_.data(), current_length_}) ? Step::follow : Step::done;
}

void Responder::answer_any(const CompiledZone::Node& node, Lookup& lookup)
{
    const auto rrsets = lookup.zone->rrsets(node);
    if (rrsets.empty()) {
        write_negative(lookup);
        return;
    }
    prove_wildcard_answer(lookup);
    const std::span<const std::uint8_t> owner{current_name_.data(), current_length_};
    for (const auto& rrset : rrsets) {
        // With DO the RRSIGs come with the RRsets they cover.
        if (lookup.dnssec && rrset.type == rrtype::rrsig) {
            continue;
        }
        if (!add_rrset(Section::answer, rrset, owner, lookup) || !lookup.all_of_any) {
            return;
        }
    }
}

// Writes a referral to the child zone at cut: its NS RRset in the authority section and the
// addresses of its name servers that we hold in the additional section (RFC 1034 section 4.3.2
// step 3b).
void Responder::write_referral(std::uint32_t cut, Lookup& lookup)
{
    const CompiledZone& zone = *lookup.zone;
    const auto& node = zone.node(cut);
    const auto* ns = zone.find_rrset(node, rrtype::ns);

    // A referral after an authoritative CNAME keeps AA for the answer part.
    lookup.authoritative = writer_.count(Section::answer) > 0;
    if (!add_rrset(Section::authority, *ns, current_suffix(node.label_count), lookup)) {
        return;
    }
    if (lookup.dnssec) {
        prove_delegation(cut, lookup);
        write_proofs(lookup);
    }

    for (std::uint32_t i = 0; i < ns->record_count; ++i) {
        const std::uint32_t index = ns->first_record + i;
        const std::uint32_t target = zone.additional_node(index);
        if (target == no_index) {
            continue;
        }
        // Glue below the cut is needed to reach the child at all, so a referral without it is
        // truncated (RFC 9471). Other addresses are dropped when they do not fit.
        const auto& target_node = zone.node(target);
        const bool below_cut = target == cut || target_node.redirect == cut;
        const bool authoritative = target_node.redirect == no_index && !target_node.is_cut;
        if (!below_cut && !authoritative) {
            continue;
        }
        if (!add_addresses(target, zone.record(index).rdata, lookup) && below_cut) {
            lookup.truncated = true;
            return;
        }
    }
}

// Writes the zone's SOA with the negative TTL to the authority section (RFC 2308 section 3),
// and with DO its RRSIGs and the proof of the negative answer (RFC 4035 section 3.1.3).
void Responder::write_negative(Lookup& lookup)
{
    const CompiledZone& zone = *lookup.zone;
    if (!writer_.add_record(Section::authority, zone.origin().wire(), zone.negative_soa())) {
        lookup.truncated = true;
        return;
    }
    if (!lookup.dnssec) {
        return;
    }
    if (!add_rrset(Section::authority, zone.negative_soa_signatures(), zone.origin().wire(),
                   lookup)) {
        return;
    }
    prove_negative(lookup);
    write_proofs(lookup);
}

// Adds the addresses of NS, MX and SRV targets in the answer that are authoritative data of
// the zone. Addresses that do not fit are dropped without setting TC (RFC 2181 section 9).
void Responder::add_additional(Lookup& lookup)
{
    const CompiledZone& zone = *lookup.zone;
    for (std::size_t source = 0; source < additional_source_count_; ++source) {
        const auto& rrset = *additional_sources_[source];
        const std::size_t target_at = additional_target_offset(rrset.type).value_or(0);
        for (std::uint32_t i = 0; i < rrset.record_count; ++i) {
            const std::uint32_t index = rrset.first_record + i;
            const std::uint32_t target = zone.additional_node(index);
            if (target == no_index || zone.node(target).redirect != no_index ||
                zone.node(target).is_cut) {
                continue;
            }
            if (!add_addresses(target, zone.record(index).rdata.subspan(target_at), lookup)) {
                return;
            }
        }
    }
}

// Writes rrset to section whole or not at all, and with DO its RRSIGs. An answer or authority
// RRset or RRSIG that does not fit truncates the response (RFC 2181 section 9, RFC 4035
// section 3.1.1); an additional RRset keeps its place without the RRSIGs that do not fit.
bool Responder::add_rrset(Section section, const CompiledZone::RRset& rrset,
                          std::span<const std::uint8_t> owner, Lookup& lookup)
{
    if (lookup.truncated) {
        return false;
    }
    const auto before = writer_.mark();
    for (std::uint32_t i = 0; i < rrset.record_count; ++i) {
        if (!writer_.add_record(section, owner, lookup.zone->record(rrset.first_record + i))) {
            writer_.rollback(before);
            if (section != Section::additional) {
                lookup.truncated = true;
            }
            return false;
        }
    }
    if (lookup.dnssec && !add_signatures(section, rrset, owner, lookup) &&
        section != Section::additional) {
        writer_.rollback(before);
        lookup.truncated = true;
        return false;
    }
    const bool has_targets =
        rrset.type == rrtype::ns || rrset.type == rrtype::mx || rrset.type == rrtype::srv;
    if (section == Section::answer && has_targets &&
        additional_source_count_ < additional_sources_.size()) {
        additional_sources_[additional_source_count_] = &rrset;
        ++additional_source_count_;
    }
    return true;
}

// Adds the A and AAAA RRsets of node to the additional section under owner, the target name
// as the referring record spells it, unless they are there already. Returns false when they
// did not fit.
bool Responder::add_addresses(std::uint32_t node_index, std::span<const std::uint8_t> owner,
                              Lookup& lookup)
{
    const auto end = lookup.address_nodes.begin() + static_cast<long>(lookup.address_node_count);
    if (std::find(lookup.address_nodes.begin(), end, node_index) != end) {
        return true;
    }
    if (lookup.address_node_count < lookup.address_nodes.size()) {
        lookup.address_nodes[lookup.address_node_count] = node_index;
        ++lookup.address_node_count;
    }

    const CompiledZone& zone = *lookup.zone;
    const auto& node = zone.node(node_index);
    std::size_t name_length = 0;
    while (owner[name_length] != 0) {
        name_length += owner[name_length] + 1u;
    }
    owner = owner.first(name_length + 1);

    for (const std::uint16_t type : {rrtype::a, rrtype::aaaa}) {
        const auto* rrset = zone.find_rrset(node, type);
        if (rrset != nullptr && !add_rrset(Section::additional, *rrset, owner, lookup)) {
            return false;
        }
    }
    return true;
}

// Makes name (uncompressed wire form, at most 255 octets) the current name.
bool Responder::set_current_name(std::span<const std::uint8_t> name)
{
    if (name.empty() || name.size() > max_name_length) {
        return false;
    }
    std::size_t position = 0;
    std::size_t labels = 0;
    while (position < name.size() && name[position] != 0) {
        current_labels_[labels] = static_cast<std::uint8_t>(position);
        ++labels;
        position += name[position] + 1u;
    }
    if (position >= name.size()) {
        return false;
    }
    current_length_ = position + 1;
    current_label_count_ = labels;
    current_labels_[labels] = static_cast<std::uint8_t>(position);
    std::memcpy(current_name_.data(), name.data(), current_length_);
    std::memcpy(current_lower_.data(), name.data(), current_length_);
    lowercase_name({current_lower_.data(), current_length_});
    return true;
}

// The last label_count labels of the current name, in the case the query or record used.
std::span<const std::uint8_t> Responder::current_suffix(std::size_t label_count) const
{
    const std::size_t start = current_labels_[current_label_count_ - label_count];
    return {current_name_.data() + start, current_length_ - start};
}

} // namespace robur::dns

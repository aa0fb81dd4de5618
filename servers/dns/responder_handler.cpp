#include "servers/dns/responder_handler.hpp"

namespace robur::dns {

std::size_t ResponderHandler::handle(std::span<const std::uint8_t> query, QueryTransport transport,
                                     std::span<std::uint8_t> out)
{
    const ZoneSet* zones = zones_.get();
    return responder_.respond(zones != nullptr ? *zones : empty_, query,
                              transport == QueryTransport::tcp ? Transport::tcp : Transport::udp,
                              out);
}

} // namespace robur::dns

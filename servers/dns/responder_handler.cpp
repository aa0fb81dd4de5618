#include "servers/dns/responder_handler.hpp"

#include "servers/dns/primary.hpp"

namespace robur::dns {

std::size_t ResponderHandler::handle(std::span<const std::uint8_t> query, QueryTransport transport,
                                     std::span<std::uint8_t> out)
{
    const ZoneSet* zones = zones_.get();
    return responder_.respond(zones != nullptr ? *zones : empty_, query,
                              transport == QueryTransport::tcp ? Transport::tcp : Transport::udp,
                              out);
}

void ResponderHandler::handle_deferred(std::vector<std::uint8_t> query,
                                       const QueryContext& context,
                                       std::shared_ptr<ResponseStream> stream)
{
    if (primary_ == nullptr) {
        stream->close();
        return;
    }
    primary_->submit(std::move(query), context, std::move(stream));
}

} // namespace robur::dns

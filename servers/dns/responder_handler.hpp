#pragma once

#include "servers/dns/published.hpp"
#include "servers/dns/query_handler.hpp"
#include "servers/dns/responder.hpp"
#include "servers/dns/zone_index.hpp"

namespace robur::dns {

class Primary;

// The QueryHandler of one worker thread: answers from the zone set currently published, read
// through a per-thread cache so that a query takes no lock and no reference count. With a
// primary, zone transfers, NOTIFY, UPDATE and signed queries are deferred to it.
class ResponderHandler final : public QueryHandler {
public:
    explicit ResponderHandler(const Published<ZoneSet>& zones, Primary* primary = nullptr)
        : zones_(zones), primary_(primary)
    {
        responder_.set_defer_to_primary(primary != nullptr);
    }

    std::size_t handle(std::span<const std::uint8_t> query, QueryTransport transport,
                       std::span<std::uint8_t> out) override;

    void handle_deferred(std::vector<std::uint8_t> query, const QueryContext& context,
                         std::shared_ptr<ResponseStream> stream) override;

    void refresh() override { static_cast<void>(zones_.get()); }

private:
    Published<ZoneSet>::Reader zones_;
    Primary* primary_;
    Responder responder_;
    ZoneSet empty_;
};

} // namespace robur::dns

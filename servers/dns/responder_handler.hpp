#pragma once

#include "servers/dns/published.hpp"
#include "servers/dns/query_handler.hpp"
#include "servers/dns/responder.hpp"
#include "servers/dns/zone_index.hpp"

namespace robur::dns {

// The QueryHandler of one worker thread: answers from the zone set currently published, read
// through a per-thread cache so that a query takes no lock and no reference count.
class ResponderHandler final : public QueryHandler {
public:
    explicit ResponderHandler(const Published<ZoneSet>& zones) : zones_(zones) {}

    std::size_t handle(std::span<const std::uint8_t> query, QueryTransport transport,
                       std::span<std::uint8_t> out) override;

    void refresh() override { static_cast<void>(zones_.get()); }

private:
    Published<ZoneSet>::Reader zones_;
    Responder responder_;
    ZoneSet empty_;
};

} // namespace robur::dns

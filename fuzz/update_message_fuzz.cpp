// Feeds arbitrary bytes to the UPDATE message decoder (RFC 2136), which reads requests from
// any client before their signature or access is checked.

#include <cstddef>
#include <cstdint>
#include <span>

#include "servers/dns/update_message.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static_cast<void>(robur::dns::parse_update(std::span(data, size)));
    return 0;
}

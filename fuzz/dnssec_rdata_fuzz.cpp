// Feeds arbitrary bytes to the DNSSEC RDATA readers: RRSIG, NSEC, NSEC3, NSEC3PARAM, type
// bitmaps and the canonical form of any type. verify_zone reads these from zone files that any
// signer may have written. The first two octets choose the type for canonical_rdata.

#include <cstddef>
#include <cstdint>
#include <span>

#include "formats/dnssec/canonical.hpp"
#include "formats/dnssec/nsec.hpp"
#include "formats/dnssec/nsec3.hpp"
#include "formats/dnssec/rrsig.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace robur::dnssec;
    const std::span<const std::uint8_t> rdata(data, size);

    static_cast<void>(parse_rrsig(rdata));
    static_cast<void>(parse_nsec(rdata));
    static_cast<void>(parse_nsec3(rdata));
    static_cast<void>(parse_nsec3param(rdata));
    static_cast<void>(decode_type_bitmap(rdata));
    static_cast<void>(wire_name_length(rdata));
    if (size >= 2) {
        const auto type = static_cast<std::uint16_t>((data[0] << 8) | data[1]);
        static_cast<void>(canonical_rdata(type, rdata.subspan(2)));
    }
    return 0;
}

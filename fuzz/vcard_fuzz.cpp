// libFuzzer target for the vCard reader, checker and converter: any bytes, as a CardDAV PUT
// body and as an import file. Repaired output must pass the check without further repairs,
// and every accepted vCard must convert to both versions into a vCard that passes it.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "formats/vcard/check.hpp"
#include "formats/vcard/convert.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    const robur::vcard::Limits limits{.max_resource_size = 1024 * 1024,
                                      .max_line_length = 64 * 1024,
                                      .max_properties = 1000};

    const auto put = robur::vcard::check_card(bytes, "fuzz.vcf", limits);
    if (put.repaired) {
        const auto again = robur::vcard::check_card(*put.repaired, "fuzz.vcf", limits);
        if (!again.card || again.repaired) {
            std::abort();
        }
    }
    // Every accepted vCard converts to both versions into a vCard that passes the check.
    const auto file = robur::vcard::check_card_file(bytes, "fuzz.vcf", limits);
    for (const auto& card : file.cards) {
        if (!card.checked.card) {
            continue;
        }
        for (const std::string_view version : {"3.0", "4.0"}) {
            std::vector<robur::Diagnostic> notes;
            const auto converted = robur::vcard::convert_card(card.text, version, "fuzz.vcf", notes);
            if (!converted) {
                std::abort();
            }
            const auto checked = robur::vcard::check_card(*converted, "fuzz.vcf", limits,
                                                          robur::vcard::Origin::import);
            if (!checked.card) {
                std::abort();
            }
        }
    }
    return 0;
}

#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "formats/zone/tokenizer.hpp"

// BIND's $GENERATE directive: "$GENERATE start-stop[/step] lhs [ttl] [class] type rhs".
namespace robur::zone::generate {

// The range of a $GENERATE directive; every value fits in a 32-bit signed int.
struct Range {
    std::int64_t start = 0;
    std::int64_t stop = 0;
    std::int64_t step = 1;

    [[nodiscard]] std::size_t count() const
    {
        return static_cast<std::size_t>((stop - start) / step + 1);
    }
};

// Parses "start-stop" or "start-stop/step"; fails when a number is outside 0..2147483647,
// start is above stop, or step is 0.
Result<Range> parse_range(std::string_view text);

// Substitutes value into one field: "$" is the value, "${offset[,width[,base]]}" shifts,
// pads and formats it (base d, o, x, X, or n/N for reversed nibble labels), "$$" and "\$"
// are a literal "$". Other escapes are kept for the name and rdata parsers. Fails on a
// malformed modifier or a result that overflows a 32-bit int.
Result<std::string> substitute(std::string_view field, std::int64_t value);

} // namespace robur::zone::generate

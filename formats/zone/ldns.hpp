#pragma once

// The one way into ldns for robur. ldns 1.8.3's common.h defines true and false as macros in
// C++ unless <stdbool.h> has set __bool_true_false_are_defined first, and those macros break
// Boost and standard headers included later. Include this header from formats/zone .cpp files
// only, never from another header.

#include <cstdlib>
#include <memory>

// clang-format off
#include <stdbool.h> // NOLINT(modernize-deprecated-headers): must precede ldns, see above
#include <ldns/ldns.h>
// clang-format on

namespace robur::zone::ldns {

struct RrDeleter {
    void operator()(ldns_rr* rr) const noexcept { ldns_rr_free(rr); }
};
struct RdfDeleter {
    void operator()(ldns_rdf* rdf) const noexcept { ldns_rdf_deep_free(rdf); }
};
struct BufferDeleter {
    void operator()(ldns_buffer* buffer) const noexcept { ldns_buffer_free(buffer); }
};
struct MallocDeleter {
    void operator()(char* text) const noexcept
    {
        std::free(text); // NOLINT(cppcoreguidelines-no-malloc)
    }
};

using RrPtr = std::unique_ptr<ldns_rr, RrDeleter>;
using RdfPtr = std::unique_ptr<ldns_rdf, RdfDeleter>;
using BufferPtr = std::unique_ptr<ldns_buffer, BufferDeleter>;
using CStringPtr = std::unique_ptr<char, MallocDeleter>;

} // namespace robur::zone::ldns

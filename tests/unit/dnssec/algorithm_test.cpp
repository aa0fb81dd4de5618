// DNSSEC algorithm names and numbers.

#include <gtest/gtest.h>

#include "formats/dnssec/algorithm.hpp"

namespace robur::dnssec {
namespace {

TEST(Algorithm, ParsesNamesInAnyCaseAndNumbers)
{
    EXPECT_EQ(algorithm_from_string("ECDSAP256SHA256"), Algorithm::ecdsap256sha256);
    EXPECT_EQ(algorithm_from_string("ed25519"), Algorithm::ed25519);
    EXPECT_EQ(algorithm_from_string("8"), Algorithm::rsasha256);
    EXPECT_EQ(algorithm_name(Algorithm::ed25519), "ed25519");
}

TEST(Algorithm, RejectsAlgorithmsNotUsedForSigning)
{
    for (std::string_view text : {"rsasha1", "5", "7", "14", "16", "", "ed448", "256"}) {
        EXPECT_FALSE(algorithm_from_string(text)) << text;
    }
}

} // namespace
} // namespace robur::dnssec

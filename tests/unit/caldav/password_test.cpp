#include <gtest/gtest.h>

#include "servers/caldav/password.hpp"

namespace robur::caldav {
namespace {

// Low costs keep the tests fast; the format and the comparison are the same as with the
// defaults.
constexpr PasswordCost fast_cost{.pbkdf2_iterations = 1000,
                                 .scrypt_log2_n = 10,
                                 .scrypt_r = 8,
                                 .scrypt_p = 1};

TEST(PasswordHash, Pbkdf2VerifiesTheRightPassword)
{
    auto hash = hash_password("correct horse", PasswordScheme::pbkdf2_sha256, fast_cost);
    ASSERT_TRUE(hash) << hash.error().message;
    EXPECT_TRUE(hash->starts_with("$pbkdf2-sha256$i=1000$"));
    auto right = verify_password("correct horse", *hash);
    ASSERT_TRUE(right);
    EXPECT_TRUE(*right);
    auto wrong = verify_password("correct horsf", *hash);
    ASSERT_TRUE(wrong);
    EXPECT_FALSE(*wrong);
}

TEST(PasswordHash, ScryptVerifiesTheRightPassword)
{
    auto hash = hash_password("päßwörd", PasswordScheme::scrypt, fast_cost);
    ASSERT_TRUE(hash) << hash.error().message;
    EXPECT_TRUE(hash->starts_with("$scrypt$ln=10,r=8,p=1$"));
    EXPECT_TRUE(verify_password("päßwörd", *hash).value());
    EXPECT_FALSE(verify_password("passwort", *hash).value());
}

TEST(PasswordHash, DefaultCostIs600000Iterations)
{
    auto hash = hash_password("x", PasswordScheme::pbkdf2_sha256);
    ASSERT_TRUE(hash);
    EXPECT_TRUE(hash->starts_with("$pbkdf2-sha256$i=600000$"));
}

TEST(PasswordHash, SaltsDiffer)
{
    auto first = hash_password("same", PasswordScheme::pbkdf2_sha256, fast_cost);
    auto second = hash_password("same", PasswordScheme::pbkdf2_sha256, fast_cost);
    ASSERT_TRUE(first);
    ASSERT_TRUE(second);
    EXPECT_NE(*first, *second);
}

TEST(PasswordHash, RejectsMalformedStrings)
{
    for (const char* stored : {"", "plain", "$pbkdf2-sha256$i=1000$c2FsdA", "$md5$x$y$z",
                               "$pbkdf2-sha256$i=abc$c2FsdHNhbHQ$aGFzaA",
                               "$scrypt$ln=10,q=1$c2FsdA$aGFzaA"}) {
        auto result = verify_password("x", stored);
        EXPECT_FALSE(result) << stored;
    }
}

TEST(PasswordHash, RejectsCostsOutsideBounds)
{
    auto hash = hash_password("x", PasswordScheme::pbkdf2_sha256, fast_cost);
    ASSERT_TRUE(hash);
    std::string tampered = *hash;
    tampered.replace(tampered.find("i=1000"), 6, "i=999999999");
    auto result = verify_password("x", tampered);
    ASSERT_FALSE(result);
    EXPECT_NE(result.error().message.find("bounds"), std::string::npos);
}

} // namespace
} // namespace robur::caldav

#include <gtest/gtest.h>

#include "formats/openvpn/tokenizer.hpp"

namespace robur::openvpn {
namespace {

std::vector<std::string> tokens(std::string_view line)
{
    const auto result = tokenize_line(line);
    EXPECT_EQ(result.error, TokenizeError::none) << line;
    return result.tokens;
}

TEST(ConfigTokenizer, CommentsOnlyAtTokenStart)
{
    EXPECT_EQ(tokens("echo a#b c;d # rest\n"), (std::vector<std::string>{"echo", "a#b", "c;d"}));
    EXPECT_TRUE(tokens("   ; comment\n").empty());
    EXPECT_EQ(tokenize_line("verb 3 # x").comment_start, 7U);
}

TEST(ConfigTokenizer, QuotesAndEscapes)
{
    EXPECT_EQ(tokens(R"(a "b \" \\ c" 'd \e "f"')"),
              (std::vector<std::string>{"a", "b \" \\ c", "d \\e \"f\""}));
    EXPECT_EQ(tokens(R"(a\ b x\"y)"), (std::vector<std::string>{"a b", "x\"y"}));
    EXPECT_EQ(tokens(R"(a"b c"d)"), (std::vector<std::string>{"a\"b", "c\"d"}));
    EXPECT_EQ(tokens(R"("x"y)"), (std::vector<std::string>{"x", "y"}));
}

TEST(ConfigTokenizer, ReportsErrors)
{
    EXPECT_EQ(tokenize_line(R"(a\qb)").error, TokenizeError::bad_backslash);
    EXPECT_EQ(tokenize_line(R"(a "open)").error, TokenizeError::unclosed_double_quote);
    EXPECT_EQ(tokenize_line("a 'open").error, TokenizeError::unclosed_single_quote);
    EXPECT_EQ(tokenize_line("a b\\").error, TokenizeError::residual_state);
    EXPECT_EQ(tokenize_line("a \\").error, TokenizeError::none);
}

TEST(ConfigTokenizer, KeepsSixteenTokens)
{
    const auto result = tokenize_line("o 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n");
    EXPECT_EQ(result.tokens.size(), max_tokens);
    EXPECT_TRUE(result.tokens_dropped);
}

} // namespace
} // namespace robur::openvpn

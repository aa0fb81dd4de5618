#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "formats/openvpn/config.hpp"

namespace robur::openvpn {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& path)
{
    std::ifstream stream(path, std::ios::binary);
    std::ostringstream text;
    text << stream.rdbuf();
    return text.str();
}

TEST(ConfigWriter, RoundTripsEveryCorpusFile)
{
    const auto vpn = fs::path(ROBUR_CORPUS_DIR) / "vpn";
    if (!fs::is_directory(vpn)) {
        GTEST_SKIP() << "corpus not found at " << vpn.string() << ", skipping";
    }
    int files = 0;
    for (const auto* folder : {"ok", "bad", "syntax"}) {
        for (const auto& entry : fs::directory_iterator(vpn / folder)) {
            if (entry.path().extension() == ".txt") {
                continue;
            }
            SCOPED_TRACE(entry.path().string());
            const auto text = read_text(entry.path());
            const auto outcome = parse_config(text, entry.path().string(), nullptr);
            EXPECT_EQ(write_config(outcome.config), text);
            ++files;
        }
    }
    EXPECT_GT(files, 40);
}

TEST(ConfigWriter, SetOptionKeepsIndentCommentAndCrlf)
{
    auto outcome = parse_config("dev tun\r\n  verb 3   # chatty\r\nmute 2\r\n", "t.conf", nullptr);
    set_option(outcome.config, "verb", {"4"});
    EXPECT_EQ(write_config(outcome.config), "dev tun\r\n  verb 4 # chatty\r\nmute 2\r\n");
    EXPECT_EQ(outcome.config.find("verb")->args.at(0), "4");
}

TEST(ConfigWriter, SetOptionAppendsWhenAbsent)
{
    auto outcome = parse_config("dev tun", "t.conf", nullptr);
    set_option(outcome.config, "remote", {"vpn.example.com", "1194"});
    EXPECT_EQ(write_config(outcome.config), "dev tun\nremote vpn.example.com 1194\n");
    EXPECT_EQ(outcome.config.find("remote")->where.line, 2U);
}

TEST(ConfigWriter, SetOptionQuotesArguments)
{
    auto outcome = parse_config("", "t.conf", nullptr);
    set_option(outcome.config, "up", {"/etc/openvpn/up script.sh", ""});
    const auto text = write_config(outcome.config);
    EXPECT_EQ(text, "up \"/etc/openvpn/up script.sh\" \"\"\n");
    const auto reparsed = parse_config(text, "t.conf", nullptr);
    ASSERT_NE(reparsed.config.find("up"), nullptr);
    EXPECT_EQ(reparsed.config.find("up")->args.at(0), "/etc/openvpn/up script.sh");
}

TEST(ConfigWriter, QuoteArgumentRoundTrips)
{
    for (const std::string value : {"plain", "a b", "back\\slash", "say \"hi\"", "#hash", ";semi",
                                    "'single", "", "tab\there"}) {
        const auto text = "setenv X " + quote_argument(value) + "\n";
        const auto outcome = parse_config(text, "t.conf", nullptr);
        ASSERT_TRUE(outcome.diagnostics.empty()) << text;
        EXPECT_EQ(outcome.config.find("setenv")->args.at(1), value) << text;
    }
}

TEST(ConfigWriter, SetInlineReplacesBlock)
{
    auto outcome = parse_config("dev tun\n<ca>\nold\n</ca>\nverb 3\n", "t.conf", nullptr);
    set_inline(outcome.config, "ca", "new\n");
    EXPECT_EQ(write_config(outcome.config), "dev tun\n<ca>\nnew\n</ca>\nverb 3\n");
    set_inline(outcome.config, "tls-crypt", "key");
    EXPECT_EQ(write_config(outcome.config),
              "dev tun\n<ca>\nnew\n</ca>\nverb 3\n<tls-crypt>\nkey\n</tls-crypt>\n");
}

TEST(ConfigWriter, RemoveOptionRemovesEveryOccurrence)
{
    auto outcome = parse_config("# head\nverb 3\ndev tun\nverb 4\n", "t.conf", nullptr);
    EXPECT_EQ(remove_option(outcome.config, "verb"), 2U);
    EXPECT_EQ(write_config(outcome.config), "# head\ndev tun\n");
    EXPECT_EQ(outcome.config.find("verb"), nullptr);
    EXPECT_EQ(remove_option(outcome.config, "verb"), 0U);
}

TEST(ConfigWriter, IncludedOptionsAreNotEdited)
{
    const IncludeReader reader = [](std::string_view) -> Result<std::string> {
        return std::string("verb 3\n");
    };
    auto outcome = parse_config("config common.conf\n", "t.conf", reader);
    set_option(outcome.config, "verb", {"5"});
    EXPECT_EQ(write_config(outcome.config), "config common.conf\nverb 5\n");
}

} // namespace
} // namespace robur::openvpn

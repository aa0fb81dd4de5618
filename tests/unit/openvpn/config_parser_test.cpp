#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "formats/openvpn/config.hpp"

namespace robur::openvpn {
namespace {

namespace fs = std::filesystem;

fs::path syntax_folder()
{
    return fs::path(ROBUR_CORPUS_DIR) / "vpn" / "syntax";
}

std::string read_text(const fs::path& path)
{
    std::ifstream stream(path, std::ios::binary);
    std::ostringstream text;
    text << stream.rdbuf();
    return text.str();
}

// Reads includes from the folder of the file being parsed, as openvpn does from its cwd.
IncludeReader folder_reader(const fs::path& folder)
{
    return [folder](std::string_view name) -> Result<std::string> {
        const auto path = folder / std::string(name);
        if (!fs::is_regular_file(path)) {
            return make_error(Errc::not_found, "not found");
        }
        return read_text(path);
    };
}

ParseOutcome parse(std::string_view text)
{
    return parse_config(text, "test.conf", nullptr);
}

std::vector<Diagnostic> errors_of(const ParseOutcome& outcome)
{
    std::vector<Diagnostic> errors;
    for (const auto& diagnostic : outcome.diagnostics) {
        if (diagnostic.severity == Severity::error) {
            errors.push_back(diagnostic);
        }
    }
    return errors;
}

// What openvpn 2.6.14 reports for each syntax case: the line it names (0 when it accepts the
// file or names no line) and a part of its message.
struct SyntaxCase {
    const char* file;
    std::uint32_t line;
    const char* message;
};

const SyntaxCase syntax_cases[] = {
    {"bad-backslash.conf", 2, "Bad backslash ('\\') usage"},
    {"bom-crlf.conf", 0, ""},
    {"bracket-inline.conf", 0, ""},
    {"connection-badopt.conf", 4, "option 'verb' cannot be used in this context"},
    {"connection-noremote.conf", 1, "Each 'connection' block must contain exactly one 'remote'"},
    {"extra-arg.conf", 2, "Unrecognized option or missing or extra parameter(s): verb"},
    {"inline-not-allowed.conf", 2, "option 'verb' is not expected to be inline"},
    {"line-too-long.conf", 2, "Maximum option line length (256) exceeded"},
    {"missing-arg.conf", 2, "Unrecognized option or missing or extra parameter(s): remote"},
    {"missing-endtag.conf", 3, "Endtag </ca> missing"},
    {"missing-files.conf", 0, ""},
    {"missing-include.conf", 2, "Error opening configuration file: nothere.conf"},
    {"mode-server-devnull.conf", 0, ""},
    {"q2.conf", 0, ""},
    {"q3.conf", 0, ""},
    {"q4.conf", 0, ""},
    {"quoting.conf", 0, ""},
    {"secret-noarg.conf", 3, "Unrecognized option or missing or extra parameter(s): secret"},
    {"self.conf", 2, "Maximum recursive include levels exceeded"},
    {"server-devnull.conf", 0, ""},
    {"unknown.conf", 2, "Unrecognized option or missing or extra parameter(s): frobnicate"},
    {"unterminated-dq.conf", 2, "No closing quotation (\")"},
    {"unterminated-sq.conf", 2, "No closing single quotation (')"},
};

TEST(ConfigParser, SyntaxCorpusMatchesOpenvpn)
{
    if (!fs::is_directory(syntax_folder())) {
        GTEST_SKIP() << "corpus not found at " << syntax_folder().string() << ", skipping";
    }
    for (const auto& expected : syntax_cases) {
        SCOPED_TRACE(expected.file);
        const auto path = syntax_folder() / expected.file;
        const auto outcome =
            parse_config(read_text(path), expected.file, folder_reader(syntax_folder()));
        const auto errors = errors_of(outcome);
        if (expected.line == 0) {
            EXPECT_TRUE(errors.empty()) << errors.front().to_string();
            continue;
        }
        ASSERT_FALSE(errors.empty());
        EXPECT_EQ(errors.front().where.line, expected.line);
        EXPECT_NE(errors.front().message.find(expected.message), std::string::npos)
            << errors.front().message;
    }
}

TEST(ConfigParser, QuotingCorpusGivesOpenvpnTokens)
{
    if (!fs::is_directory(syntax_folder())) {
        GTEST_SKIP() << "corpus not found at " << syntax_folder().string() << ", skipping";
    }
    const auto outcome = parse_config(read_text(syntax_folder() / "quoting.conf"), "quoting.conf",
                                      nullptr);
    const auto echoes = outcome.config.find_all("echo");
    ASSERT_EQ(echoes.size(), 10U);
    EXPECT_EQ(echoes[2]->args.at(1), "single quoted \"keeps\" double quotes and \\backslash");
    EXPECT_EQ(echoes[3]->args.at(1), "double \"escaped\" quotes and back\\slash");
    EXPECT_EQ(echoes[4]->args.at(1), "unquoted escaped spaces");
    EXPECT_EQ(echoes[5]->args.at(1), "mid#hash");
    EXPECT_EQ(echoes[6]->args.size(), 2U);
    EXPECT_EQ(echoes[7]->where.line, 11U);
    EXPECT_EQ(echoes[8]->args.at(1), "tab");
    EXPECT_EQ(echoes[9]->where.line, 13U);
    EXPECT_EQ(echoes[9]->args.at(1), "");
    EXPECT_EQ(echoes[9]->args.at(2), "empty-then-text");
}

TEST(ConfigParser, AcceptsBomAndCrlf)
{
    const auto outcome = parse("\xEF\xBB\xBF" "dev null\r\nverb 3\r\n");
    EXPECT_TRUE(outcome.diagnostics.empty());
    ASSERT_NE(outcome.config.find("dev"), nullptr);
    EXPECT_EQ(outcome.config.find("dev")->args.at(0), "null");
    EXPECT_EQ(outcome.config.find("verb")->where.line, 2U);
}

TEST(ConfigParser, RejectsLineOf255Bytes)
{
    const std::string accepted = "setenv FOO " + std::string(254 - 11, 'a') + "\n";
    const std::string rejected = "setenv FOO " + std::string(255 - 11, 'a') + "\n";
    EXPECT_TRUE(errors_of(parse(accepted)).empty());
    ASSERT_EQ(errors_of(parse(rejected)).size(), 1U);
}

TEST(ConfigParser, InlineBlockKeepsBodyAndLineNumbers)
{
    const auto outcome = parse("<ca>\nline one\n  line two\n  </ca>\nverb 4\n");
    EXPECT_TRUE(outcome.diagnostics.empty());
    const auto* ca = outcome.config.find("ca");
    ASSERT_NE(ca, nullptr);
    EXPECT_EQ(*ca->inline_content, "line one\n  line two\n");
    EXPECT_EQ(ca->where.line, 1U);
    EXPECT_EQ(outcome.config.find("verb")->where.line, 5U);
}

TEST(ConfigParser, LongInlineLineCountsTwice)
{
    // openvpn reads 255 bytes at a time, so the 301-byte line counts as lines 2 and 3.
    const auto outcome = parse("<ca>\n" + std::string(300, 'x') + "\n</ca>\nverb 4\n");
    EXPECT_EQ(outcome.config.find("verb")->where.line, 5U);
}

TEST(ConfigParser, ConnectionBlockOptions)
{
    const auto outcome = parse("dev tun\n<connection>\nremote 192.0.2.1 1194\nproto tcp\n"
                               "</connection>\n<connection>\nremote 192.0.2.2\n</connection>\n");
    EXPECT_TRUE(outcome.diagnostics.empty());
    EXPECT_EQ(outcome.config.connection_count, 2);
    const auto remotes = outcome.config.find_all("remote");
    ASSERT_EQ(remotes.size(), 2U);
    EXPECT_EQ(remotes[0]->connection, 0);
    EXPECT_EQ(remotes[0]->where.line, 3U);
    EXPECT_EQ(remotes[1]->connection, 1);
    EXPECT_EQ(outcome.config.find("remote"), nullptr);
}

TEST(ConfigParser, RejectsUnknownInConnectionDespiteIgnoreList)
{
    const auto outcome = parse("ignore-unknown-option frob\nfrob 1\n<connection>\n"
                               "remote 192.0.2.1\nfrob 2\n</connection>\n");
    const auto errors = errors_of(outcome);
    ASSERT_EQ(errors.size(), 1U);
    EXPECT_EQ(errors.front().where.line, 5U);
}

TEST(ConfigParser, IgnoreUnknownOptionActsOnLaterLines)
{
    const auto outcome = parse("frob 1\nignore-unknown-option --frob\nfrob 2\nverb 4 5\n");
    const auto errors = errors_of(outcome);
    ASSERT_EQ(errors.size(), 2U);
    EXPECT_EQ(errors[0].where.line, 1U);
    EXPECT_EQ(errors[1].where.line, 4U);
}

TEST(ConfigParser, SetenvOptMakesUnknownAWarning)
{
    const auto outcome = parse("setenv opt block-outside-dns\nsetenv opt verb 1 2\n");
    EXPECT_TRUE(errors_of(outcome).empty());
    EXPECT_EQ(outcome.diagnostics.size(), 2U);
}

TEST(ConfigParser, StripsLeadingDoubleDash)
{
    const auto outcome = parse("--verb 4\n");
    EXPECT_TRUE(outcome.diagnostics.empty());
    EXPECT_NE(outcome.config.find("verb"), nullptr);
}

TEST(ConfigParser, RejectsInstanceOnlyOptions)
{
    const auto errors = errors_of(parse("iroute 10.0.0.0 255.0.0.0\n"));
    ASSERT_EQ(errors.size(), 1U);
    EXPECT_NE(errors.front().message.find("cannot be used in this context"), std::string::npos);
}

TEST(ConfigParser, ChecksEnumerations)
{
    const auto errors = errors_of(parse("proto sctp\ntopology star\nremote-cert-tls peer\n"
                                        "verify-client-cert maybe\ncompress zstd\n"
                                        "key-direction 2\ntls-auth ta.key 3\n"));
    ASSERT_EQ(errors.size(), 7U);
    EXPECT_NE(errors[0].message.find("Bad protocol: 'sctp'"), std::string::npos);
    EXPECT_EQ(errors[6].where.line, 7U);
}

TEST(ConfigParser, WarnsOnNumberOpenvpnReadsAsZero)
{
    const auto outcome = parse("verb loud\n");
    EXPECT_TRUE(errors_of(outcome).empty());
    ASSERT_EQ(outcome.diagnostics.size(), 1U);
    EXPECT_EQ(outcome.diagnostics.front().severity, Severity::warning);
}

TEST(ConfigParser, IncludesExpandInPlace)
{
    const IncludeReader reader = [](std::string_view name) -> Result<std::string> {
        if (name == "common.conf") {
            return std::string("verb 4\nfrob\n");
        }
        return make_error(Errc::not_found, "not found");
    };
    const auto outcome = parse_config("dev tun\nconfig common.conf\nmute 2\n", "top.conf", reader);
    ASSERT_EQ(outcome.config.directives.size(), 5U);
    EXPECT_EQ(outcome.config.directives[2].name, "verb");
    EXPECT_EQ(outcome.config.directives[2].where.path, "common.conf");
    EXPECT_EQ(outcome.config.directives[2].segment, -1);
    const auto errors = errors_of(outcome);
    ASSERT_EQ(errors.size(), 1U);
    EXPECT_EQ(errors.front().to_string(),
              "common.conf:2: error: Unrecognized option or missing or extra parameter(s): frob");
}

} // namespace
} // namespace robur::openvpn

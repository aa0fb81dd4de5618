#include "servers/vpn/runtime_folder.hpp"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "vpn_test_support.hpp"

namespace robur::vpn {
namespace {

namespace fs = std::filesystem;

mode_t mode_of(const fs::path& path)
{
    struct stat status {};
    EXPECT_EQ(::lstat(path.c_str(), &status), 0) << path;
    return status.st_mode & 07777;
}

std::string read_text(const fs::path& path)
{
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

class RuntimeFolder : public ::testing::Test {
protected:
    void SetUp() override
    {
        repository_.commit({{"vpn/office/server.conf", "dev null\n"},
                            {"vpn/office/pki/private/server.key", "KEY\n"},
                            {"vpn/office/ccd/alice", "push \"route 10.0.0.0\"\n"},
                            {"vpn/home/server.conf", "dev null\n"}});
        runtime_ = repository_.folder() / "run" / "robur" / "office";
    }

    fs::path prepare(std::string_view served)
    {
        std::vector<std::string> skipped;
        auto prepared = prepare_runtime_folder(repository_.snapshot(), "office", served,
                                               runtime_, std::nullopt, skipped);
        EXPECT_TRUE(prepared) << prepared.error().to_string();
        return prepared ? *prepared : fs::path();
    }

    testing::TestRepository repository_;
    fs::path runtime_;
};

TEST_F(RuntimeFolder, WritesVpnFilesPrivately)
{
    const auto prepared = prepare("dev null\n");
    ASSERT_FALSE(prepared.empty());
    EXPECT_EQ(mode_of(prepared), 0700U);
    EXPECT_EQ(mode_of(prepared / "pki"), 0700U);
    EXPECT_EQ(mode_of(prepared / "pki" / "private" / "server.key"), 0600U);
    EXPECT_EQ(read_text(prepared / "pki" / "private" / "server.key"), "KEY\n");
    EXPECT_EQ(read_text(prepared / "ccd" / "alice"), "push \"route 10.0.0.0\"\n");
    EXPECT_EQ(read_text(prepared / served_config_name), "dev null\n");
    EXPECT_EQ(mode_of(prepared / served_config_name), 0600U);
    EXPECT_FALSE(fs::exists(prepared / "home"));
    EXPECT_EQ(mode_of(runtime_.parent_path()), 0700U);
}

TEST_F(RuntimeFolder, InstallReplacesPreviousFolder)
{
    auto first = prepare("verb 1\n");
    ASSERT_TRUE(install_runtime_folder(first, runtime_));
    EXPECT_EQ(read_text(runtime_ / served_config_name), "verb 1\n");
    EXPECT_FALSE(fs::exists(first));

    auto second = prepare("verb 4\n");
    ASSERT_TRUE(install_runtime_folder(second, runtime_));
    EXPECT_EQ(read_text(runtime_ / served_config_name), "verb 4\n");
    EXPECT_FALSE(fs::exists(second));
}

TEST_F(RuntimeFolder, RemoveDeletesFolderAndLeftovers)
{
    ASSERT_TRUE(install_runtime_folder(prepare("verb 1\n"), runtime_));
    const auto leftover = prepare("verb 2\n");
    ASSERT_TRUE(fs::exists(leftover));
    remove_runtime_folder(runtime_);
    EXPECT_FALSE(fs::exists(runtime_));
    EXPECT_FALSE(fs::exists(leftover));
}

TEST_F(RuntimeFolder, KeepsExecutableBitOfScripts)
{
    repository_.commit({{"vpn/office/up.sh", "#!/bin/sh\n"}}, store::mode_executable);
    const auto prepared = prepare("dev null\n");
    EXPECT_EQ(mode_of(prepared / "up.sh"), 0700U);
}

TEST(RuntimeFolderDefault, PrefersSystemdRuntimeDirectory)
{
    ::setenv("RUNTIME_DIRECTORY", "/run/robur-vpn:/run/other", 1);
    auto folder = default_runtime_folder("office");
    ::unsetenv("RUNTIME_DIRECTORY");
    ASSERT_TRUE(folder);
    EXPECT_EQ(*folder, fs::path("/run/robur-vpn/office"));
}

TEST(RuntimeFolderOwner, ResolvesUserAndGroup)
{
    auto none = resolve_owner("", "");
    ASSERT_TRUE(none);
    EXPECT_FALSE(*none);

    auto root = resolve_owner("root", "");
    ASSERT_TRUE(root);
    ASSERT_TRUE(*root);
    EXPECT_EQ((*root)->uid, 0U);

    auto unknown = resolve_owner("no-such-user-robur", "");
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().code, Errc::not_found);
}

} // namespace
} // namespace robur::vpn

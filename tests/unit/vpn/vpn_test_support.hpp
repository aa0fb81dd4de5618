#pragma once

// Helpers for VPN server tests: a temporary folder per test and a bare repository whose
// commits the test writes through the store API.

#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "formats/openvpn/config.hpp"
#include "store/repository.hpp"

namespace robur::vpn::testing {

namespace fs = std::filesystem;

// A folder removed with everything in it when the test ends.
class TempDir {
public:
    TempDir()
    {
        std::string pattern = (fs::temp_directory_path() / "robur-vpn-test-XXXXXX").string();
        path_ = ::mkdtemp(pattern.data());
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir()
    {
        std::error_code error;
        fs::remove_all(path_, error);
    }

    [[nodiscard]] const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

// A bare repository in a temporary folder with a branch "main".
class TestRepository {
public:
    TestRepository()
    {
        auto repository = store::Repository::init(folder_.path() / "repo.git", true, "main");
        EXPECT_TRUE(repository) << repository.error().to_string();
        repository_.emplace(std::move(*repository));
    }

    // Commits `files` (path to content; nullopt removes) on main and returns the commit.
    store::ObjectId commit(const std::map<std::string, std::optional<std::string>>& files,
                           std::uint32_t mode = store::mode_file)
    {
        store::CommitRequest request;
        request.branch = "main";
        auto head = repository_->branch_head("main");
        EXPECT_TRUE(head);
        request.expected_head = head ? *head : std::nullopt;
        for (const auto& [path, content] : files) {
            request.changes.push_back({path, content, mode});
        }
        request.author = store::Signature{"Test", "test@example.com", 1700000000, 0};
        request.message = "Test commit";
        auto id = repository_->commit(request);
        EXPECT_TRUE(id) << id.error().to_string();
        return id ? *id : store::ObjectId{};
    }

    [[nodiscard]] store::Snapshot snapshot() const
    {
        auto snapshot = repository_->snapshot("main");
        EXPECT_TRUE(snapshot) << snapshot.error().to_string();
        return *snapshot;
    }

    [[nodiscard]] store::Repository& repository() { return *repository_; }
    [[nodiscard]] fs::path git_dir() const { return folder_.path() / "repo.git"; }
    [[nodiscard]] const fs::path& folder() const { return folder_.path(); }

private:
    TempDir folder_;
    std::optional<store::Repository> repository_;
};

// Builds one directive of a parsed config, as the parser would.
inline openvpn::Directive directive(std::string name, std::vector<std::string> args = {},
                                    int connection = -1)
{
    openvpn::Directive result;
    result.name = std::move(name);
    result.args = std::move(args);
    result.where = SourceLocation{"vpn/office/server.conf", 1, 0};
    result.connection = connection;
    return result;
}

} // namespace robur::vpn::testing

#pragma once

// Helpers for store tests: a temporary folder per test and the real git CLI to build fixture
// repositories and to inspect what robur wrote.

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <sys/wait.h>

#include "store/repository.hpp"

namespace robur::store::testing {

namespace fs = std::filesystem;

// Gives git and libgit2 a private, empty HOME and a fixed identity from the environment, so
// tests never read the user's configuration. Constructed before main(), because libgit2 reads
// HOME once, on first use. The HOME folder is removed at exit.
class IsolatedEnvironment {
public:
    IsolatedEnvironment()
    {
        std::string pattern = (fs::temp_directory_path() / "robur-store-home-XXXXXX").string();
        home_ = ::mkdtemp(pattern.data());
        ::setenv("HOME", home_.c_str(), 1);
        ::setenv("XDG_CONFIG_HOME", (home_ / ".config").c_str(), 1);
        ::setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
        ::setenv("GIT_AUTHOR_NAME", "Test Author", 1);
        ::setenv("GIT_AUTHOR_EMAIL", "author@example.com", 1);
        ::setenv("GIT_COMMITTER_NAME", "Test Author", 1);
        ::setenv("GIT_COMMITTER_EMAIL", "author@example.com", 1);
        for (const char* name :
             {"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
              "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_CEILING_DIRECTORIES", "EMAIL"}) {
            ::unsetenv(name);
        }
    }
    IsolatedEnvironment(const IsolatedEnvironment&) = delete;
    IsolatedEnvironment& operator=(const IsolatedEnvironment&) = delete;
    ~IsolatedEnvironment()
    {
        std::error_code error;
        fs::remove_all(home_, error);
    }

private:
    fs::path home_;
};

inline const IsolatedEnvironment isolated_environment;

// A folder removed with everything in it when the test ends.
class TempDir {
public:
    TempDir()
    {
        std::string pattern = (fs::temp_directory_path() / "robur-store-test-XXXXXX").string();
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

// Quotes a word for /bin/sh.
inline std::string shell_quote(const std::string& word)
{
    std::string quoted = "'";
    for (const char c : word) {
        if (c == '\'') {
            quoted += "'\\''";
        } else {
            quoted += c;
        }
    }
    return quoted + "'";
}

struct CommandResult {
    int status = -1;
    std::string output; // stdout and stderr
};

inline CommandResult run_shell(const std::string& command)
{
    CommandResult result;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    if (pipe == nullptr) {
        return result;
    }
    std::array<char, 4096> buffer{};
    std::size_t n = 0;
    while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) {
        result.output.append(buffer.data(), n);
    }
    const int status = ::pclose(pipe);
    result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

// Runs `git -C dir ARGS` (ARGS already quoted where needed) and fails the test when git fails.
inline std::string git(const fs::path& dir, const std::string& args)
{
    const CommandResult result = run_shell("git -C " + shell_quote(dir.string()) + " " + args);
    EXPECT_EQ(result.status, 0) << "git " << args << " failed:\n" << result.output;
    return result.output;
}

// Returns `git rev-parse REV` without the trailing newline.
inline std::string git_rev(const fs::path& dir, const std::string& revision)
{
    std::string output = git(dir, "rev-parse " + shell_quote(revision));
    while (!output.empty() && (output.back() == '\n' || output.back() == '\r')) {
        output.pop_back();
    }
    return output;
}

inline void write_file(const fs::path& path, const std::string& content)
{
    fs::create_directories(path.parent_path());
    std::ofstream stream(path, std::ios::binary | std::ios::trunc);
    stream << content;
}

inline std::string read_file(const fs::path& path)
{
    std::ifstream stream(path, std::ios::binary);
    std::ostringstream content;
    content << stream.rdbuf();
    return content.str();
}

// Creates a repository whose HEAD names the unborn branch main, with `git init`.
inline void git_init(const fs::path& dir, bool bare = false)
{
    git(dir.parent_path(), std::string("init -q -b main ") + (bare ? "--bare " : "") +
                               shell_quote(dir.string()));
}

// Writes the files into the work tree, stages them and commits them with the git CLI.
inline void commit_files(const fs::path& dir,
                         const std::vector<std::pair<std::string, std::string>>& files,
                         const std::string& message)
{
    for (const auto& [path, content] : files) {
        write_file(dir / path, content);
        git(dir, "add -- " + shell_quote(path));
    }
    git(dir, "commit -q -m " + shell_quote(message));
}

inline Signature test_author()
{
    return Signature{.name = "Robur Test", .email = "robur-test@example.com", .time = std::nullopt,
                     .utc_offset_minutes = 0};
}

} // namespace robur::store::testing

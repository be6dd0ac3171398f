#pragma once
// Helpers shared by the tests: paths to ../shared and temporary folders.
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include <catch2/catch.hpp>

namespace htc::test {

// A whole file's bytes ("" when it cannot be read).
inline std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Writes `s` to `p`, creating the parent folders.
inline void write_all(const std::filesystem::path& p, const std::string& s) {
    std::filesystem::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary);
    out << s;
}

inline std::filesystem::path shared_dir() { return std::filesystem::path(HTC_SHARED_DIR); }
inline std::filesystem::path source_dir() { return std::filesystem::path(HTC_SOURCE_DIR); }
inline std::string binary() { return HTC_BINARY; }

// Path under ../shared, or "" when it is absent (a user's clone without the shared folder).
inline std::string shared_path(const std::string& rel) {
    auto p = shared_dir() / rel;
    return std::filesystem::exists(p) ? p.string() : std::string();
}

// A fresh folder removed at the end of the scope.
struct TempDir {
    std::filesystem::path path;
    TempDir() {
        std::random_device rd;
        path = std::filesystem::temp_directory_path() /
               ("htc-test-" + std::to_string(rd()) + std::to_string(rd()));
        std::filesystem::create_directories(path);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path, ec);
    }
    std::string str() const { return path.string(); }
    std::filesystem::path operator/(const std::string& s) const { return path / s; }
};

}  // namespace htc::test

// Skips the rest of a test case with a visible message when a ../shared file is missing.
#define HTC_REQUIRE_SHARED(var, rel)                                                     \
    const std::string var = htc::test::shared_path(rel);                                 \
    if (var.empty()) {                                                                   \
        WARN("skipped: ../shared/" << (rel) << " is absent (tests that read the shared " \
                                      "data need the checkout's sibling folder)");      \
        return;                                                                          \
    }

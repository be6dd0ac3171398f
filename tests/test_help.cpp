// --help, COMMAND --help and --version of the built binary.
#include <array>
#include <cstdio>
#include <string>

#include "test_support.h"

namespace {

std::string output_of(const std::string& args) {
    std::string cmd = htc::test::binary() + " " + args + " 2>&1";
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    std::array<char, 4096> buf{};
    std::size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
    REQUIRE(pclose(p) == 0);
    return out;
}

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("help: --version prints the version", "[help]") {
    CHECK(output_of("--version") == std::string("htc-trainer ") + HTC_VERSION + "\n");
}

TEST_CASE("help: --help lists the commands, the window and where the data is", "[help]") {
    const std::string help = output_of("--help");
    for (const char* cmd : {"retrain", "classify", "evaluate", "models", "promote", "rollback",
                            "delete-model", "submit", "history", "job", "cancel", "worker",
                            "import-logs"}) {
        INFO(cmd);
        CHECK(has(help, std::string("\n  ") + cmd + " "));
    }
    CHECK(has(help, "~/.local/share/htc-trainer"));
    CHECK(has(help, "open the window"));
    CHECK(has(help, "Run 'htc-trainer COMMAND --help'"));
}

TEST_CASE("help: every command's --help has its own examples and names the global options",
          "[help]") {
    for (const char* cmd : {"retrain", "classify", "evaluate", "models", "promote", "rollback",
                            "delete-model", "submit", "history", "job", "cancel", "worker",
                            "import-logs"}) {
        INFO(cmd);
        const std::string help = output_of(std::string(cmd) + " --help");
        CHECK(has(help, std::string("Usage: htc-trainer ") + cmd));
        CHECK(has(help, std::string("Examples:\n  htc-trainer ") + cmd));
        CHECK(has(help, "Global options, before or after the command: --data-dir DIR"));
        // Not the top-level footer repeated under every command.
        CHECK_FALSE(has(help, "open the window"));
    }
    // The window's own options (a build without the window, such as the sanitizer build, has
    // no 'gui' command).
#if HTC_BINARY_HAS_WINDOW
    const std::string gui = output_of("gui --help");
    CHECK(has(gui, "Usage: htc-trainer gui"));
    CHECK(has(gui, "--scale"));
    CHECK(has(gui, "~/.local/share/htc-trainer"));
#endif
}

// Where the data folder and the bundled assets are (src/core/paths.h).
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "paths.h"
#include "test_support.h"

namespace fs = std::filesystem;

namespace {

// An environment made of the given variables only.
htc::EnvFn env_of(const std::map<std::string, std::string>& vars) {
    return [vars](const char* name) -> const char* {
        auto it = vars.find(name);
        return it == vars.end() ? nullptr : it->second.c_str();
    };
}

// A fake binary in `dir`, with a CMakeCache.txt beside it when `build_tree`.
std::string make_binary(const fs::path& dir, bool build_tree) {
    fs::create_directories(dir);
    std::ofstream(dir / "htc-trainer") << "binary";
    if (build_tree) std::ofstream(dir / "CMakeCache.txt") << "# cache";
    return (dir / "htc-trainer").string();
}

}  // namespace

TEST_CASE("data folder: --data-dir wins over everything", "[paths]") {
    htc::test::TempDir tmp;
    const std::string exe = make_binary(tmp / "build", true);
    auto env = env_of({{"HTC_DATA_DIR", "/env/data"}, {"XDG_DATA_HOME", "/xdg"}, {"HOME", "/h"}});
    auto loc = htc::resolve_data_location("/flag/data", env, exe);
    CHECK(loc.path == "/flag/data");
    CHECK(loc.source == htc::DataDirSource::Flag);
    CHECK(loc.source_name() == "--data-dir");
}

TEST_CASE("data folder: HTC_DATA_DIR wins over the build tree and XDG", "[paths]") {
    htc::test::TempDir tmp;
    for (bool build_tree : {true, false}) {
        const std::string exe = make_binary(tmp / (build_tree ? "b" : "i") / "bin", build_tree);
        auto env = env_of({{"HTC_DATA_DIR", "rel/data"}, {"XDG_DATA_HOME", "/xdg"}});
        auto loc = htc::resolve_data_location("", env, exe);
        CHECK(loc.path == "rel/data");
        CHECK(loc.source == htc::DataDirSource::Environment);
        CHECK(loc.source_name() == "HTC_DATA_DIR");
    }
    // An empty variable counts as unset.
    const std::string exe = make_binary(tmp / "installed" / "bin", false);
    auto loc = htc::resolve_data_location("", env_of({{"HTC_DATA_DIR", ""}, {"HOME", "/home/u"}}),
                                          exe);
    CHECK(loc.path == "/home/u/.local/share/htc-trainer");
}

TEST_CASE("data folder: ./db when the binary runs from its build tree", "[paths]") {
    htc::test::TempDir tmp;
    const std::string exe = make_binary(tmp / "build", true);
    CHECK(htc::in_build_tree(exe));
    auto loc = htc::resolve_data_location("", env_of({{"XDG_DATA_HOME", "/xdg"}, {"HOME", "/h"}}),
                                          exe);
    CHECK(loc.path == "./db");
    CHECK(loc.source == htc::DataDirSource::BuildTree);
    CHECK(loc.source_name() == "build tree");
}

TEST_CASE("data folder: installed, $XDG_DATA_HOME/htc-trainer, else ~/.local/share", "[paths]") {
    htc::test::TempDir tmp;
    const std::string exe = make_binary(tmp / "usr" / "bin", false);
    CHECK_FALSE(htc::in_build_tree(exe));
    auto loc = htc::resolve_data_location(
        "", env_of({{"XDG_DATA_HOME", "/home/u/.data"}, {"HOME", "/home/u"}}), exe);
    CHECK(loc.path == "/home/u/.data/htc-trainer");
    CHECK(loc.source == htc::DataDirSource::Xdg);
    CHECK(loc.source_name() == "XDG data home");
    // Unset, empty or relative XDG_DATA_HOME (invalid by the specification): the default.
    for (const char* xdg : {"", "relative/data"}) {
        loc = htc::resolve_data_location("", env_of({{"XDG_DATA_HOME", xdg}, {"HOME", "/home/u"}}),
                                         exe);
        CHECK(loc.path == "/home/u/.local/share/htc-trainer");
        CHECK(loc.source == htc::DataDirSource::Xdg);
    }
    loc = htc::resolve_data_location("", env_of({{"HOME", "/home/v"}}), exe);
    CHECK(loc.path == "/home/v/.local/share/htc-trainer");
    // No executable path known: treated as installed.
    loc = htc::resolve_data_location("", env_of({{"HOME", "/home/w"}}), "");
    CHECK(loc.path == "/home/w/.local/share/htc-trainer");
}

TEST_CASE("assets: the source tree from the build tree, <prefix>/share/htc-trainer when "
          "installed",
          "[paths]") {
    htc::test::TempDir tmp;
    const fs::path source_assets = tmp / "src" / "assets";
    fs::create_directories(source_assets / "sample");
    const fs::path prefix = tmp / "opt" / "htc";
    fs::create_directories(prefix / "share" / "htc-trainer" / "sample");
    const std::string built = make_binary(tmp / "build", true);
    const std::string installed = make_binary(prefix / "bin", false);
    CHECK(htc::find_assets_dir(built, source_assets.string(), "/nonexistent") ==
          source_assets.string());
    // Installed: found next to the binary even when the configured prefix differs (a .deb
    // built with another prefix, a relocated install).
    CHECK(htc::find_assets_dir(installed, source_assets.string(), "/nonexistent") ==
          (prefix / "share" / "htc-trainer").string());
    // Nothing beside the binary: the configured install location, then the source tree.
    const std::string lone = make_binary(tmp / "lone" / "bin", false);
    const fs::path configured = tmp / "configured";
    fs::create_directories(configured);
    CHECK(htc::find_assets_dir(lone, source_assets.string(), configured.string()) ==
          configured.string());
    CHECK(htc::find_assets_dir(lone, source_assets.string(), "/nonexistent") ==
          source_assets.string());
    CHECK(htc::find_assets_dir(lone, "/nonexistent/a", "/nonexistent/b").empty());
}

TEST_CASE("the built binary uses ./db from its build tree and XDG when copied out of it",
          "[paths][cli]") {
    htc::test::TempDir tmp;
    // Copied out of the build tree, the binary keeps its data under $XDG_DATA_HOME.
    const fs::path bin = tmp / "bin" / "htc-trainer";
    fs::create_directories(bin.parent_path());
    fs::copy_file(htc::test::binary(), bin);
    const fs::path xdg = tmp / "xdg";
    const std::string run = "cd '" + tmp.str() + "' && env -u HTC_DATA_DIR XDG_DATA_HOME='" +
                            xdg.string() + "' '" + bin.string() + "' --quiet retrain '" +
                            (htc::test::source_dir() / "assets/sample/feedback.csv").string() +
                            "' > /dev/null";
    REQUIRE(std::system(run.c_str()) == 0);
    CHECK(fs::exists(xdg / "htc-trainer" / "models" / "ACTIVE"));
    CHECK_FALSE(fs::exists(tmp / "db"));
    // The binary in the build tree, from the same folder: ./db.
    const std::string run2 = "cd '" + tmp.str() + "' && env -u HTC_DATA_DIR XDG_DATA_HOME='" +
                             xdg.string() + "' '" + htc::test::binary() + "' --quiet retrain '" +
                             (htc::test::source_dir() / "assets/sample/feedback.csv").string() +
                             "' > /dev/null";
    REQUIRE(std::system(run2.c_str()) == 0);
    CHECK(fs::exists(tmp / "db" / "models" / "ACTIVE"));
    CHECK_FALSE(fs::exists(xdg / "htc-trainer" / "models" / "v0002"));
}

TEST_CASE("window icon: the build tree's rendered PNG, else the installed hicolor one",
          "[paths]") {
    htc::test::TempDir tmp;
    const std::string built = make_binary(tmp / "build", true);
    fs::create_directories(tmp / "build" / "icons" / "48x48");
    std::ofstream(tmp / "build" / "icons" / "48x48" / "htc-trainer.png") << "png";
    CHECK(htc::find_icon_png(built, 48) ==
          (tmp / "build" / "icons" / "48x48" / "htc-trainer.png").string());
    CHECK(htc::find_icon_png(built, 64).empty());
    const std::string installed = make_binary(tmp / "usr" / "bin", false);
    const fs::path apps = tmp / "usr" / "share" / "icons" / "hicolor" / "32x32" / "apps";
    fs::create_directories(apps);
    std::ofstream(apps / "htc-trainer.png") << "png";
    CHECK(htc::find_icon_png(installed, 32) == (apps / "htc-trainer.png").string());
    CHECK(htc::find_icon_png(installed, 48).empty());
    // The real build tree has the PNGs rendered from assets/icons/htc-trainer.svg.
    CHECK_FALSE(htc::find_icon_png(htc::test::binary(), 48).empty());
}

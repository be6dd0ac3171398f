#include "paths.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <system_error>

#ifndef HTC_SOURCE_ASSETS
#define HTC_SOURCE_ASSETS ""
#endif
#ifndef HTC_INSTALL_ASSETS
#define HTC_INSTALL_ASSETS ""
#endif

namespace fs = std::filesystem;

namespace htc {

std::string DataLocation::source_name() const {
    switch (source) {
        case DataDirSource::Flag:
            return "--data-dir";
        case DataDirSource::Environment:
            return "HTC_DATA_DIR";
        case DataDirSource::BuildTree:
            return "build tree";
        case DataDirSource::Xdg:
            break;
    }
    return "XDG data home";
}

EnvFn process_env() {
    return [](const char* name) -> const char* { return std::getenv(name); };
}

std::string executable_path() {
    std::error_code ec;
    fs::path p = fs::read_symlink("/proc/self/exe", ec);
    return ec ? std::string() : p.string();
}

bool in_build_tree(const std::string& executable) {
    if (executable.empty()) return false;
    std::error_code ec;
    return fs::is_regular_file(fs::path(executable).parent_path() / "CMakeCache.txt", ec);
}

std::string home_dir(const EnvFn& env) {
    if (const char* h = env ? env("HOME") : nullptr; h && *h) return h;
    if (const passwd* pw = ::getpwuid(::getuid()); pw && pw->pw_dir && *pw->pw_dir) {
        return pw->pw_dir;
    }
    return "";
}

DataLocation resolve_data_location(const std::string& flag, const EnvFn& env,
                                   const std::string& executable) {
    if (!flag.empty()) return {flag, DataDirSource::Flag};
    if (const char* v = env ? env("HTC_DATA_DIR") : nullptr; v && *v) {
        return {v, DataDirSource::Environment};
    }
    if (in_build_tree(executable)) return {"./db", DataDirSource::BuildTree};
    // The specification: a relative XDG_DATA_HOME is invalid and ignored.
    if (const char* x = env ? env("XDG_DATA_HOME") : nullptr; x && x[0] == '/') {
        return {(fs::path(x) / "htc-trainer").string(), DataDirSource::Xdg};
    }
    std::string home = home_dir(env);
    if (home.empty()) return {"./db", DataDirSource::BuildTree};  // no home at all: stay local
    return {(fs::path(home) / ".local" / "share" / "htc-trainer").string(), DataDirSource::Xdg};
}

DataLocation resolve_data_location(const std::string& flag) {
    return resolve_data_location(flag, process_env(), executable_path());
}

std::string find_assets_dir(const std::string& executable, const std::string& source_assets,
                            const std::string& install_assets) {
    std::error_code ec;
    if (in_build_tree(executable) && !source_assets.empty() &&
        fs::is_directory(source_assets, ec)) {
        return source_assets;
    }
    if (!executable.empty()) {
        fs::path rel = fs::path(executable).parent_path().parent_path() / "share" / "htc-trainer";
        if (fs::is_directory(rel, ec)) return rel.lexically_normal().string();
    }
    if (!install_assets.empty() && fs::is_directory(install_assets, ec)) return install_assets;
    if (!source_assets.empty() && fs::is_directory(source_assets, ec)) return source_assets;
    return "";
}

std::string assets_dir() {
    return find_assets_dir(executable_path(), HTC_SOURCE_ASSETS, HTC_INSTALL_ASSETS);
}

std::string sample_feedback_dir() {
    std::string a = assets_dir();
    if (a.empty()) return "";
    std::error_code ec;
    fs::path s = fs::path(a) / "sample";
    return fs::is_directory(s, ec) ? s.string() : "";
}

std::string find_icon_png(const std::string& executable, int size) {
    if (executable.empty()) return "";
    const std::string dim = std::to_string(size) + "x" + std::to_string(size);
    const fs::path bin = fs::path(executable).parent_path();
    std::error_code ec;
    fs::path p = in_build_tree(executable)
                     ? bin / "icons" / dim / "htc-trainer.png"
                     : bin.parent_path() / "share" / "icons" / "hicolor" / dim / "apps" /
                           "htc-trainer.png";
    return fs::is_regular_file(p, ec) ? p.lexically_normal().string() : "";
}

}  // namespace htc

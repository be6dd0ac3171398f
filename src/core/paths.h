#pragma once
// Where the data folder and the bundled assets are. One place decides, for the command line
// and the window alike:
//
//   data folder   1. --data-dir DIR
//                 2. HTC_DATA_DIR
//                 3. ./db, when the binary runs from its build tree (CMakeCache.txt beside it)
//                 4. $XDG_DATA_HOME/htc-trainer (an absolute XDG_DATA_HOME only, as the XDG
//                    base directory specification says), else ~/.local/share/htc-trainer
//   assets        the source tree's assets/ from the build tree, else <prefix>/share/htc-trainer
//                 found from the binary's own location (so a relocated install works), else the
//                 install prefix the binary was configured with
#include <functional>
#include <string>

namespace htc {

enum class DataDirSource { Flag, Environment, BuildTree, Xdg };

struct DataLocation {
    std::string path;
    DataDirSource source = DataDirSource::Xdg;
    // "--data-dir", "HTC_DATA_DIR", "build tree", "XDG data home"
    std::string source_name() const;
};

// Looks up an environment variable; returns nullptr when unset.
using EnvFn = std::function<const char*(const char*)>;
EnvFn process_env();

// The running binary's absolute path (/proc/self/exe), "" when it cannot be read.
std::string executable_path();
// Whether `executable` sits in a CMake build tree: a CMakeCache.txt in its folder.
bool in_build_tree(const std::string& executable);
// The user's home: $HOME, else the password database's entry, else "".
std::string home_dir(const EnvFn& env);

// The rules above, with every input given (for tests).
DataLocation resolve_data_location(const std::string& flag, const EnvFn& env,
                                   const std::string& executable);
// The rules above for this process.
DataLocation resolve_data_location(const std::string& flag);

// The folder with the bundled assets (sample/, sample-documents/, icons), for `executable`.
// `source_assets` and `install_assets` are the configured locations; the overload without them
// uses the ones compiled in. Returns "" when none exists.
std::string find_assets_dir(const std::string& executable, const std::string& source_assets,
                            const std::string& install_assets);
std::string assets_dir();
// The bundled labelled sample (assets/sample), "" when it is not installed.
std::string sample_feedback_dir();

// The icon rendered at `size` pixels (16, 32, 48, 64, 128, 256) for `executable`: the build
// tree's icons/<N>x<N>/htc-trainer.png, else <prefix>/share/icons/hicolor/<N>x<N>/apps/. ""
// when it is not there.
std::string find_icon_png(const std::string& executable, int size);

}  // namespace htc

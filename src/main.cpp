// htc-trainer: without a command (`htc-trainer`, `htc-trainer --data-dir D`, `htc-trainer gui
// [options]`) it opens the window; with a command it runs headless.
#include <cstdio>

#include "cli/cli.h"
#ifdef HTC_WITH_GUI
#include "app/app.h"
#endif

int main(int argc, char** argv) {
    if (htc::cli::opens_window(argc, argv)) {
#ifdef HTC_WITH_GUI
        return htc::app::run_gui(argc, argv);
#else
        std::fprintf(stderr, "htc-trainer: built without the GUI; see --help for commands\n");
        return 2;
#endif
    }
    return htc::cli::run_cli(argc, argv);
}

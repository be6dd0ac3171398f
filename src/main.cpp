// htc-trainer: with no arguments (or `gui [options]`) opens the window; with any other
// subcommand it runs headless.
#include <cstdio>
#include <cstring>

#include "cli/cli.h"
#ifdef HTC_WITH_GUI
#include "app/app.h"
#endif

int main(int argc, char** argv) {
    if (argc == 1 || std::strcmp(argv[1], "gui") == 0) {
#ifdef HTC_WITH_GUI
        return htc::app::run_gui(argc, argv);
#else
        std::fprintf(stderr, "htc-trainer: built without the GUI; see --help for commands\n");
        return 2;
#endif
    }
    return htc::cli::run_cli(argc, argv);
}

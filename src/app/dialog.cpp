#include "app/dialog.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

extern char** environ;

namespace htc::app {

std::string find_file_chooser() {
    const char* path_env = std::getenv("PATH");
    std::string path = path_env ? path_env : "/usr/bin:/bin";
    for (const char* tool : {"zenity", "kdialog"}) {
        std::stringstream dirs(path);
        std::string dir;
        while (std::getline(dirs, dir, ':')) {
            if (dir.empty()) continue;
            std::string candidate = dir + "/" + tool;
            if (::access(candidate.c_str(), X_OK) == 0) return tool;
        }
    }
    return "";
}

std::vector<std::string> run_file_chooser(const std::string& tool, const std::string& title,
                                          volatile int* pid_slot) {
    std::vector<std::string> args;
    if (tool == "zenity") {
        args = {"zenity", "--file-selection", "--multiple", "--separator=\n", "--title=" + title};
    } else {
        args = {"kdialog",           "--getopenfilename", ".",  "--multiple",
                "--separate-output", "--title",           title};
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    int fds[2];
    if (::pipe(fds) != 0) return {};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    // The window blocks SIGINT/SIGTERM in its threads (StopSignals); the chooser must not
    // inherit that, or closing it with SIGTERM would not work.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
    pid_t pid = 0;
    int rc = posix_spawnp(&pid, argv[0], &actions, &attr, argv.data(), environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    if (rc != 0) {
        ::close(fds[0]);
        return {};
    }
    if (pid_slot) *pid_slot = pid;
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (pid_slot) *pid_slot = 0;
    std::vector<std::string> paths;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return paths;  // cancelled
    std::stringstream lines(out);
    std::string line;
    while (std::getline(lines, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty()) paths.push_back(line);
    }
    return paths;
}

}  // namespace htc::app

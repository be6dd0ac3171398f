#pragma once
// The desktop's file chooser (zenity or kdialog), run as a child process from a worker thread.
#include <string>
#include <vector>

namespace htc::app {

// "zenity", "kdialog" or "" when neither is on PATH.
std::string find_file_chooser();

// Runs the chooser and returns the chosen paths (empty when cancelled). `pid_slot`, when
// given, holds the child's pid while it runs so that the app can end it when it closes.
std::vector<std::string> run_file_chooser(const std::string& tool, const std::string& title,
                                          volatile int* pid_slot);

}  // namespace htc::app

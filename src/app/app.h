#pragma once
namespace htc::app {
// Opens the window and runs until it is closed. argv may start with "gui" and its options.
int run_gui(int argc, char** argv);
}  // namespace htc::app

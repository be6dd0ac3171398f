#pragma once
// Reads the frame just rendered into the back buffer and writes it as a PNG.
#include <string>

namespace htc::app {

// Call after rendering and before swapping buffers. Creates the folder. Returns "" on success,
// else a one-line error naming the file.
std::string save_framebuffer_png(const std::string& path, int width, int height);

}  // namespace htc::app

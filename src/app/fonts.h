#pragma once
// The UI font: DejaVu Sans (Latin, Greek, Cyrillic) merged with Noto Sans CJK (common
// simplified Chinese, kana, CJK punctuation), sized by the UI scale. Missing font files fall
// back to ImGui's built-in font without crashing.
#include <string>
#include <vector>

struct ImFont;

namespace htc::app {

struct FontSet {
    ImFont* body = nullptr;
    ImFont* heading = nullptr;          // larger, for the drop zone and section titles
    ImFont* mono = nullptr;             // job ids
    std::vector<std::string> warnings;  // one line per missing font file
};

// Clears the atlas and loads the fonts at `scale`. The caller re-creates the GPU texture.
FontSet load_fonts(float scale);

}  // namespace htc::app

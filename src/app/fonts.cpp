#include "app/fonts.h"

#include <imgui.h>
#include <unistd.h>

#include <vector>

namespace htc::app {

namespace {

const char* const kDejaVu = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
const char* const kDejaVuBold = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";
const char* const kDejaVuMono = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf";
const char* const kNotoCjk = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";
constexpr int kNotoCjkSimplifiedChineseFace = 2;  // faces: JP, KR, SC, TC, HK

bool readable(const char* path) { return ::access(path, R_OK) == 0; }

// Latin + Latin Extended, Greek, Cyrillic, general punctuation, arrows, the replacement char.
const ImWchar* western_ranges() {
    static const ImWchar ranges[] = {
        0x0020, 0x024F,  // Basic Latin, Latin-1, Latin Extended-A/B
        0x0370, 0x03FF,  // Greek
        0x0400, 0x052F,  // Cyrillic + supplement
        0x2000, 0x206F,  // General punctuation
        0x20AC, 0x20AC,  // Euro
        0x2190, 0x21FF,  // Arrows
        0x2500, 0x25FF,  // Box drawing, geometric shapes (progress and badges)
        0x2713, 0x2717,  // Check marks
        0xFFFD, 0xFFFD,  // Replacement character (names with invalid bytes, case C30)
        0,
    };
    return ranges;
}

ImFont* add_with_cjk(ImGuiIO& io, const char* latin, float size, std::vector<std::string>& warnings,
                     bool cjk) {
    ImFont* font = nullptr;
    if (!readable(latin)) latin = kDejaVu;
    if (readable(latin)) {
        ImFontConfig cfg;
        cfg.OversampleH = 2;
        font = io.Fonts->AddFontFromFileTTF(latin, size, &cfg, western_ranges());
    }
    if (!font) {
        warnings.push_back(std::string(latin) + ": missing; using the built-in font");
        ImFontConfig cfg;
        cfg.SizePixels = size;
        font = io.Fonts->AddFontDefault(&cfg);
    }
    if (cjk) {
        if (readable(kNotoCjk)) {
            // Only the 2,500 common simplified characters plus kana and punctuation: the full
            // CJK block would make an atlas of tens of megabytes.
            ImFontConfig cfg;
            cfg.MergeMode = true;
            cfg.FontNo = kNotoCjkSimplifiedChineseFace;
            cfg.OversampleH = 1;
            cfg.PixelSnapH = true;
            // ImGui sizes a font by ascent - descent; Noto CJK's are 1.45 em against DejaVu's
            // 1.16, so at the same size its glyphs would look a fifth smaller than the Latin
            // ones beside them. The merged glyphs share DejaVu's baseline.
            io.Fonts->AddFontFromFileTTF(kNotoCjk, size * 1.24f, &cfg,
                                         io.Fonts->GetGlyphRangesChineseSimplifiedCommon());
        } else {
            warnings.push_back(std::string(kNotoCjk) +
                               ": missing; Chinese and Japanese text shows as '?'");
        }
    }
    return font;
}

}  // namespace

FontSet load_fonts(float scale) {
    ImGuiIO& io = ImGui::GetIO();
    io.Fonts->Clear();
    FontSet set;
    const float base = 15.0f * scale;
    set.body = add_with_cjk(io, kDejaVu, base, set.warnings, /*cjk=*/true);
    set.heading = add_with_cjk(io, kDejaVuBold, base * 1.25f, set.warnings, /*cjk=*/false);
    if (readable(kDejaVuMono)) {
        set.mono = io.Fonts->AddFontFromFileTTF(kDejaVuMono, base, nullptr,
                                                io.Fonts->GetGlyphRangesDefault());
    }
    if (!set.mono) set.mono = set.body;
    io.FontDefault = set.body;
    if (!io.Fonts->Build()) {
        // A damaged font file: start over with the built-in font alone.
        io.Fonts->Clear();
        set.warnings.push_back("font atlas could not be built; using the built-in font");
        ImFontConfig cfg;
        cfg.SizePixels = base;
        set.body = set.heading = set.mono = io.Fonts->AddFontDefault(&cfg);
        io.FontDefault = set.body;
        io.Fonts->Build();
    }
    return set;
}

}  // namespace htc::app

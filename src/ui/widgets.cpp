// Small widgets shared by the tabs: status badges, the drop zone, tooltips, progress.
#include <algorithm>
#include <cmath>
#include <string>

#include "ui/ui.h"

namespace htc::ui {

namespace {
constexpr ImU32 rgb(unsigned hex) {
    return IM_COL32((hex >> 16) & 0xFF, (hex >> 8) & 0xFF, hex & 0xFF, 0xFF);
}
}  // namespace

BadgeColors status_colors(const std::string& status) {
    std::string s = status;
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    // Tailwind 100 backgrounds with 800 text, as the seed's getStatusClass.
    if (s == "completed" || s == "active") return {rgb(0xDCFCE7), rgb(0x166534)};
    if (s == "failed") return {rgb(0xFEE2E2), rgb(0x991B1B)};
    if (s == "queued") return {rgb(0xFEF9C3), rgb(0x854D0E)};
    if (s == "running") return {rgb(0xDBEAFE), rgb(0x1E40AF)};
    return {rgb(0xE5E7EB), rgb(0x1F2937)};  // cancelled, interrupted, unknown: gray
}

void status_badge(const std::string& status) {
    BadgeColors c = status_colors(status);
    ImVec2 text = ImGui::CalcTextSize(status.c_str());
    const float pad_x = ImGui::GetFontSize() * 0.55f, pad_y = ImGui::GetFontSize() * 0.12f;
    ImVec2 size(text.x + 2 * pad_x, text.y + 2 * pad_y);
    ImVec2 pos = ImGui::GetCursorScreenPos();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    dl->AddRectFilled(pos, ImVec2(pos.x + size.x, pos.y + size.y), c.background, size.y * 0.5f);
    dl->AddText(ImVec2(pos.x + pad_x, pos.y + pad_y), c.text, status.c_str());
    ImGui::Dummy(size);
}

bool drop_zone(const char* id, const char* title, const char* subtitle, const char* types,
               const app::FontSet& fonts, float height) {
    ImVec2 pos = ImGui::GetCursorScreenPos();
    float width = ImGui::GetContentRegionAvail().x;
    ImVec2 size(width, height);
    bool clicked = ImGui::InvisibleButton(id, size);
    bool hovered = ImGui::IsItemHovered();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    // The seed: border-2 border-dashed border-purple-400, bg-purple-50, hover bg-purple-100.
    ImU32 bg = hovered ? rgb(0xF3E8FF) : rgb(0xFAF5FF);
    ImU32 border = rgb(0xC084FC);
    float rounding = ImGui::GetFontSize() * 0.5f;
    ImVec2 end(pos.x + size.x, pos.y + size.y);
    dl->AddRectFilled(pos, end, bg, rounding);
    // Dashed border: short segments along each side.
    float dash = ImGui::GetFontSize() * 0.6f, gap = dash * 0.6f, thick = 2.0f;
    auto dashed = [&](ImVec2 a, ImVec2 b) {
        float len = std::hypot(b.x - a.x, b.y - a.y);
        ImVec2 dir((b.x - a.x) / len, (b.y - a.y) / len);
        for (float t = 0; t < len; t += dash + gap) {
            float e = std::min(t + dash, len);
            dl->AddLine(ImVec2(a.x + dir.x * t, a.y + dir.y * t),
                        ImVec2(a.x + dir.x * e, a.y + dir.y * e), border, thick);
        }
    };
    float r = rounding;
    dashed(ImVec2(pos.x + r, pos.y + 1), ImVec2(end.x - r, pos.y + 1));
    dashed(ImVec2(pos.x + r, end.y - 1), ImVec2(end.x - r, end.y - 1));
    dashed(ImVec2(pos.x + 1, pos.y + r), ImVec2(pos.x + 1, end.y - r));
    dashed(ImVec2(end.x - 1, pos.y + r), ImVec2(end.x - 1, end.y - r));

    // Three centred lines: title (heading font), subtitle, accepted types.
    ImFont* hf = fonts.heading ? fonts.heading : ImGui::GetFont();
    ImFont* bf = ImGui::GetFont();
    float hs = hf->FontSize, bs = bf->FontSize;
    float gapy = bs * 0.35f;
    float total = hs + gapy + bs + gapy + bs;
    float y = pos.y + (height - total) * 0.5f;
    auto centred = [&](ImFont* font, float fs, const char* text, ImU32 color) {
        ImVec2 ts = font->CalcTextSizeA(fs, FLT_MAX, 0.0f, text);
        dl->AddText(font, fs, ImVec2(pos.x + (width - ts.x) * 0.5f, y), color, text);
        y += fs + gapy;
    };
    centred(hf, hs, title, rgb(0x3B0764));
    centred(bf, bs, subtitle, rgb(0x4B5563));
    centred(bf, bs, types, rgb(0x6B7280));
    if (hovered) ImGui::SetMouseCursor(ImGuiMouseCursor_Hand);
    return clicked;
}

void text_with_tooltip(const std::string& shown, const std::string& full) {
    ImGui::TextUnformatted(shown.c_str());
    if (shown != full && ImGui::IsItemHovered()) {
        ImGui::BeginTooltip();
        ImGui::PushTextWrapPos(ImGui::GetFontSize() * 40.0f);
        ImGui::TextUnformatted(full.c_str());
        ImGui::PopTextWrapPos();
        ImGui::EndTooltip();
    }
}

void help_marker(const char* text) {
    ImGui::TextDisabled("(?)");
    if (ImGui::IsItemHovered()) {
        ImGui::BeginTooltip();
        ImGui::PushTextWrapPos(ImGui::GetFontSize() * 32.0f);
        ImGui::TextUnformatted(text);
        ImGui::PopTextWrapPos();
        ImGui::EndTooltip();
    }
}

void progress_with_percent(double fraction, float width) {
    fraction = std::clamp(fraction, 0.0, 1.0);
    char overlay[32];
    std::snprintf(overlay, sizeof overlay, "%d%%", static_cast<int>(std::floor(fraction * 100)));
    ImGui::ProgressBar(static_cast<float>(fraction), ImVec2(width, 0), overlay);
}

void heading(const app::FontSet& fonts, const char* text) {
    if (fonts.heading) ImGui::PushFont(fonts.heading);
    ImGui::TextUnformatted(text);
    if (fonts.heading) ImGui::PopFont();
}

void text_dim(const std::string& s) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    ImGui::TextUnformatted(s.c_str());
    ImGui::PopStyleColor();
}

bool button_enabled(const char* label, bool enabled, const std::string& why_disabled,
                    const ImVec2& size) {
    ImGui::BeginDisabled(!enabled);
    bool pressed = ImGui::Button(label, size);
    ImGui::EndDisabled();
    if (!enabled && !why_disabled.empty() &&
        ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled)) {
        ImGui::SetTooltip("%s", why_disabled.c_str());
    }
    return pressed && enabled;
}

}  // namespace htc::ui

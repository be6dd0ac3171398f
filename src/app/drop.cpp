#include "app/drop.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <system_error>

namespace fs = std::filesystem;

namespace htc::app {

bool looks_like_url(const std::string& s) {
    auto colon = s.find("://");
    if (colon == std::string::npos || colon == 0) return false;
    if (!std::isalpha(static_cast<unsigned char>(s[0]))) return false;
    for (std::size_t i = 1; i < colon; ++i) {
        char c = s[i];
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.') {
            return false;
        }
    }
    return true;
}

std::string lower_extension(const std::string& path) {
    std::string ext = fs::path(path).extension().string();
    for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return ext;
}

namespace {

std::string join_extensions(const std::vector<std::string>& exts) {
    std::string s;
    for (const auto& e : exts) s += (s.empty() ? "" : " ") + e;
    return s;
}

bool supported(const std::string& path, const std::vector<std::string>& exts) {
    std::string ext = lower_extension(path);
    return !ext.empty() && std::find(exts.begin(), exts.end(), ext) != exts.end();
}

void expand_folder(const fs::path& root, const std::vector<std::string>& exts, DroppedItem& item) {
    std::error_code ec;
    fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        std::error_code fec;
        if (!it->is_regular_file(fec)) continue;
        const fs::path& p = it->path();
        // Hidden files (editor backups, .DS_Store) are not feedback.
        if (p.filename().string().rfind('.', 0) == 0) continue;
        if (!supported(p.string(), exts)) {
            ++item.unsupported_in_folder;
            continue;
        }
        FolderFile f;
        f.path = p.string();
        f.folder_label = p.parent_path().lexically_relative(root).generic_string();
        if (f.folder_label == ".") f.folder_label.clear();
        f.size_bytes = it->file_size(fec);
        item.size_bytes += f.size_bytes;
        item.files.push_back(std::move(f));
    }
    std::sort(item.files.begin(), item.files.end(),
              [](const FolderFile& a, const FolderFile& b) { return a.path < b.path; });
}

}  // namespace

DropSorting sort_dropped_paths(const std::vector<std::string>& paths,
                               const std::vector<std::string>& extensions) {
    DropSorting out;
    for (const auto& raw : paths) {
        if (raw.empty()) continue;
        if (looks_like_url(raw)) {
            out.rejected.push_back({raw, "is a URL; only local files and folders can be added"});
            continue;
        }
        std::error_code ec;
        fs::path p(raw);
        auto status = fs::status(p, ec);
        if (ec || !fs::exists(status)) {
            out.rejected.push_back({raw, "does not exist or cannot be read"});
            continue;
        }
        if (fs::is_directory(status)) {
            DroppedItem item;
            item.path = p.lexically_normal().string();
            while (item.path.size() > 1 && item.path.back() == '/') item.path.pop_back();
            item.is_folder = true;
            expand_folder(p, extensions, item);
            if (item.files.empty()) {
                out.rejected.push_back(
                    {raw, "folder holds no supported file (" + join_extensions(extensions) + ")"});
                continue;
            }
            out.accepted.push_back(std::move(item));
            continue;
        }
        if (!fs::is_regular_file(status)) {
            out.rejected.push_back({raw, "is not a regular file"});
            continue;
        }
        if (!supported(raw, extensions)) {
            std::string ext = lower_extension(raw);
            out.rejected.push_back(
                {raw, (ext.empty() ? std::string("has no extension") : ext + " is not supported") +
                          " (supported: " + join_extensions(extensions) + ")"});
            continue;
        }
        DroppedItem item;
        item.path = raw;
        item.size_bytes = fs::file_size(p, ec);
        out.accepted.push_back(std::move(item));
    }
    return out;
}

}  // namespace htc::app

#pragma once
// Sorting of dropped or typed paths (case C23): runs on a worker because it touches the disk.
#include <cstdint>
#include <string>
#include <vector>

namespace htc::app {

struct FolderFile {
    std::string path;
    std::string folder_label;  // sub-folder path below the dropped folder ("" at its top)
    std::uint64_t size_bytes = 0;
};

struct DroppedItem {
    std::string path;
    bool is_folder = false;
    std::uint64_t size_bytes = 0;           // file size, or the sum of the folder's files
    std::vector<FolderFile> files;          // folder: supported files found below it, sorted
    std::size_t unsupported_in_folder = 0;  // folder: files skipped for their type
};

struct DropRejection {
    std::string path;
    std::string reason;  // one line, shown to the user next to the name
};

struct DropSorting {
    std::vector<DroppedItem> accepted;
    std::vector<DropRejection> rejected;
};

// True for "scheme://..." (http, https, ftp, smb ...): GLFW turns file:// URIs into paths and
// passes every other URI through unchanged.
bool looks_like_url(const std::string& s);

// Lower-case extension with the dot (".csv"), "" when none.
std::string lower_extension(const std::string& path);

// Accepts existing files whose extension is in `extensions` (lower case, with the dot) and
// folders holding at least one such file (expanded recursively, symlinked folders not
// followed); everything else is rejected with a reason.
DropSorting sort_dropped_paths(const std::vector<std::string>& paths,
                               const std::vector<std::string>& extensions);

}  // namespace htc::app

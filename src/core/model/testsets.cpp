#include "model/testsets.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "model/registry.h"

namespace fs = std::filesystem;

namespace htc {

std::string testsets_dir(const std::string& data_dir) {
    return (fs::path(data_dir) / "testsets").string();
}

std::vector<PinnedSet> list_pinned_sets(const std::string& data_dir) {
    std::vector<PinnedSet> out;
    std::error_code ec;
    fs::path dir = testsets_dir(data_dir);
    if (!fs::is_directory(dir, ec)) return out;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        std::string name = e.path().filename().string();
        // Temporary files of a pin in progress start with a dot.
        if (name.empty() || name[0] == '.' || !e.is_regular_file(ec)) continue;
        PinnedSet s;
        s.name = name;
        s.path = e.path().string();
        s.size_bytes = e.file_size(ec);
        out.push_back(std::move(s));
    }
    std::sort(out.begin(), out.end(),
              [](const PinnedSet& a, const PinnedSet& b) { return a.name < b.name; });
    return out;
}

std::vector<std::string> pinned_set_paths(const std::string& data_dir) {
    std::vector<std::string> out;
    for (const auto& s : list_pinned_sets(data_dir)) out.push_back(s.path);
    return out;
}

PinnedSet pin_test_set(const std::string& data_dir, const std::string& path,
                       const IngestOptions& ingest) {
    std::error_code ec;
    if (fs::is_directory(path, ec))
        throw std::runtime_error(path + ": is a folder; pin labelled files one by one");
    std::vector<Record> records;
    FileReport report = ingest_file(path, ingest, records);
    if (!report.ok()) throw std::runtime_error(report.error);
    if (report.labelled == 0)
        throw std::runtime_error(path + ": no labelled records (" + std::to_string(report.records) +
                                 " read); a test set needs the correct label of every document");
    std::ifstream in(path, std::ios::binary);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    if (!in && !in.eof()) throw std::runtime_error(path + ": cannot read");
    std::string name = fs::path(path).filename().string();
    if (name.empty() || name[0] == '.') name = "testset" + fs::path(path).extension().string();
    fs::create_directories(testsets_dir(data_dir));
    PinnedSet s;
    s.name = name;
    s.path = (fs::path(testsets_dir(data_dir)) / name).string();
    write_file_atomic(s.path, bytes.str());
    s.size_bytes = bytes.str().size();
    s.labelled = report.labelled;
    return s;
}

bool unpin_test_set(const std::string& data_dir, const std::string& name) {
    if (name.empty() || name.find('/') != std::string::npos || name[0] == '.') return false;
    std::error_code ec;
    return fs::remove(fs::path(testsets_dir(data_dir)) / name, ec);
}

}  // namespace htc

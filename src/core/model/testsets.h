#pragma once
// Pinned test sets: labelled files a team cares about, kept in <data>/testsets/. Every retrain
// scores the new and the active model on them, and the promotion gate refuses a model whose
// leaf accuracy on them is lower than the active model's (besides the validation-split gate).
#include <cstdint>
#include <string>
#include <vector>

#include "ingest/ingest.h"

namespace htc {

struct PinnedSet {
    std::string name;  // file name inside the test set folder
    std::string path;  // stored copy
    std::uint64_t size_bytes = 0;
    std::size_t labelled = 0;  // labelled records (filled by pin_test_set only)
};

std::string testsets_dir(const std::string& data_dir);
// Stored sets, sorted by name.
std::vector<PinnedSet> list_pinned_sets(const std::string& data_dir);
std::vector<std::string> pinned_set_paths(const std::string& data_dir);
// Reads `path` (a labelled file in any feedback format) and stores a copy under its file name
// (written to a temporary name and renamed). Pinning a file with the same name replaces the
// stored copy. Throws std::runtime_error naming the file when it cannot be read, is a folder,
// or holds no labelled record.
PinnedSet pin_test_set(const std::string& data_dir, const std::string& path,
                       const IngestOptions& ingest = {});
// Removes a stored set by name; false when there was none.
bool unpin_test_set(const std::string& data_dir, const std::string& name);

}  // namespace htc

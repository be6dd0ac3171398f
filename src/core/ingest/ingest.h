#pragma once
// Readers for feedback files: CSV/TSV, JSON (array, object holding a list, JSON Lines),
// TXT (fastText lines, label<TAB>text lines, whole file), PDF, and folders.
#include <atomic>
#include <string>
#include <vector>

#include "ingest/record.h"

namespace htc {

struct IngestOptions {
    // User overrides, by column name or 1-based position ("2"). Empty = detect.
    std::string text_col;
    std::string label_cols;          // one column, or several joined into a path: "l1,l2,l3"
    std::string label_sep = "/";     // separator used to join level columns
    // Limits (documented in the README, enforced with a clear message).
    std::uint64_t max_file_size = 1ull << 30;   // bytes, checked before reading
    std::size_t max_json_depth = 256;
    std::size_t max_field_bytes = 10u << 20;    // one CSV/TSV field
    std::size_t max_pdf_pages = 2000;
    double max_pdf_seconds = 120.0;
};

// Recognised feedback file extensions (lower case, with the dot).
const std::vector<std::string>& supported_extensions();

// Reads one file, appending records to `out`. `folder_label` is the label path given by the
// folder layout (used when the file itself carries no label). Never throws: problems go into
// the returned report.
FileReport ingest_file(const std::string& path, const IngestOptions& opts,
                       std::vector<Record>& out, const std::string& folder_label = "");

struct IngestResult {
    std::vector<Record> records;
    std::vector<FileReport> files;
};

// Reads files and folders (recursively; a file below a dropped folder gets the sub-folder
// path as its label when it carries none). `cancel` is polled between files.
IngestResult ingest_paths(const std::vector<std::string>& paths, const IngestOptions& opts,
                          const std::atomic<bool>* cancel = nullptr);

}  // namespace htc

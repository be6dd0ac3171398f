#pragma once
// What the readers produce: labelled (or unlabelled) documents and a per-file report.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace htc {

// One document as found in a feedback file, before sanitizing.
struct Record {
    std::string text;    // valid UTF-8 (readers convert; see text/encoding.h)
    std::string label;   // label path as written in the file ("" when none); parsed later
    std::string source;  // path of the file it came from
    std::size_t line = 0;  // 1-based line (or row / page) where the record starts
    std::int64_t order = 0;  // feedback order: a larger value is newer (conflicts keep the newest)
};

struct SkippedRecord {
    std::size_t line = 0;  // 1-based line / row / page; 0 when it does not apply
    std::string reason;
};

// Per-file outcome, shown to the user in the file list and the job record.
struct FileReport {
    std::string path;
    std::string format;  // csv, tsv, json, jsonl, txt-fasttext, txt-tabbed, txt-document, pdf
    std::string encoding = "utf-8";  // utf-8, utf-8-bom, utf-16le, utf-16be, cp1252 (fallback)
    std::uint64_t size_bytes = 0;
    std::size_t records = 0;   // records accepted from this file
    std::size_t labelled = 0;  // of those, how many carry a label
    std::vector<SkippedRecord> skipped;
    std::vector<std::string> warnings;
    std::string mapping;  // how fields were read ("header row; text = Abstract; label = ...")
    std::string error;  // non-empty: the whole file was refused, with this reason
    bool ok() const { return error.empty(); }
};

}  // namespace htc

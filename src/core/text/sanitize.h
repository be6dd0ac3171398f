#pragma once
// Text cleaning before training and prediction (the same function on both sides).
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/record.h"
#include "model/taxonomy.h"

namespace htc {

struct SanitizeOptions {
    bool mask_pii = true;   // e-mail addresses, URLs and phone numbers become tokens
    bool case_fold = true;  // utf8proc case folding after NFKC
};

struct SanitizeStats {
    std::size_t emails = 0, urls = 0, phones = 0;
    std::size_t empty = 0;        // records dropped because no text was left
    std::size_t unlabelled = 0;   // records dropped for training because they carry no label
    std::size_t bad_labels = 0;   // label path rejected (empty segment ...)
    std::size_t duplicates = 0;   // exact duplicates removed (same text, same label)
    std::size_t conflicts = 0;    // same text with different labels: newest kept
    std::vector<std::string> notes;  // human-readable details (first few conflicts, bad labels)
};

// NFKC + case folding, control characters and line breaks to spaces, all Unicode spaces to
// ASCII space, zero-width characters dropped, PII masked, runs of spaces collapsed, trimmed.
// Output is always valid UTF-8 (invalid input bytes become U+FFFD first).
std::string sanitize_text(std::string_view text, const SanitizeOptions& opts,
                          SanitizeStats* stats = nullptr);

// A cleaned, labelled training document.
struct Example {
    std::string text;   // sanitized
    LabelPath label;    // canonical path
    std::int64_t order = 0;
    std::string source;  // file:line, for reports
    // A user's correction of a prediction: always trained on, never held out for validation
    // (the model must learn it, and validation stays comparable between versions).
    bool train_only = false;
};

// Sanitizes texts, parses labels, removes exact duplicates and resolves conflicts (the same
// text with different labels keeps the record with the largest `order`, and reports it).
std::vector<Example> prepare_examples(const std::vector<Record>& records,
                                      const SanitizeOptions& opts, SanitizeStats& stats);

}  // namespace htc

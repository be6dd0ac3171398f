#pragma once
// Internal to src/core/ingest: what the format readers share (the dispatcher in ingest.cpp
// decodes the bytes and hands each reader a ReadContext).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ingest/ingest.h"
#include "ingest/record.h"

namespace htc::ingest_detail {

// Where a reader puts its records and problems. Keeps the counters of the FileReport in step
// with `out`, applies the folder label to records that carry none, and numbers records in read
// order (Record::order = position in `out`, so later files are newer).
class ReadContext {
  public:
    ReadContext(const std::string& path, const IngestOptions& opts, const std::string& folder_label,
                std::vector<Record>& out, FileReport& report)
        : path(path), opts(opts), folder_label(folder_label), out_(out), report_(report) {}

    const std::string& path;
    const IngestOptions& opts;
    const std::string& folder_label;

    void add(std::string text, std::string label, std::size_t line);
    void skip(std::size_t line, std::string reason);
    void warn(std::string message);  // prefixed with the file path
    // Refuses the whole file (prefixed with the file path); ingest_file then drops the records
    // it had added.
    void fail(std::string message);
    // Joins label level values into one path with opts.label_sep: each level trimmed, empty
    // levels dropped. A level that itself contains the separator ("HIV/AIDS" in WOS) would
    // split into two levels, so the separator inside it becomes '-' (counted, and warned once
    // with an example by finish()).
    std::string join_levels(const std::vector<std::string_view>& levels);
    void set_format(std::string format) { report_.format = std::move(format); }
    void set_mapping(std::string mapping) { report_.mapping = std::move(mapping); }
    std::size_t records() const { return report_.records; }
    std::size_t skipped_total() const { return skipped_total_; }
    FileReport& report() { return report_; }

    // Lists at most this many skipped rows; the rest are counted in one closing warning.
    static constexpr std::size_t kMaxListedSkips = 1000;
    void finish();

  private:
    std::vector<Record>& out_;
    FileReport& report_;
    std::size_t skipped_total_ = 0;
    std::size_t separator_fixes_ = 0;
    std::string separator_example_;
};

// ---- Field detection shared by the CSV/TSV and JSON readers --------------------------------

// Which columns (or object keys, by position) hold the text and the label levels.
struct FieldPlan {
    int text = -1;            // index, -1 = none
    std::vector<int> labels;  // one label column, or level columns joined into a path
    std::string how;          // one line for FileReport::mapping
};

// ASCII lower case with surrounding spaces trimmed.
std::string normalize_name(std::string_view name);
std::string_view trim(std::string_view s);  // ASCII whitespace
bool looks_numeric(std::string_view s);

// Role of a column name.
bool is_text_name(const std::string& normalized);
bool is_label_name(const std::string& normalized);
// True when the names contain a known field name (text, label or a level column).
bool has_known_field_name(const std::vector<std::string>& names);

// Detects text and label columns from names. `text` stays -1 when no name matches.
FieldPlan plan_from_names(const std::vector<std::string>& names);

// Applies the user overrides (IngestOptions::text_col / label_cols, names or 1-based
// positions). `names` may be empty (no header row): then only positions are accepted.
// Returns an error message, or "" on success.
std::string apply_overrides(const IngestOptions& opts, const std::vector<std::string>& names,
                            std::size_t column_count, FieldPlan& plan);

// One line for FileReport::mapping: "text = Abstract; label = Domain + area".
std::string describe_plan(const FieldPlan& plan, const std::vector<std::string>& names);

// Human-readable byte size ("12.3 MB").
std::string format_bytes(std::uint64_t bytes);

// ---- Readers (each documented at the top of its .cpp) --------------------------------------

// CSV/TSV. `preferred_delimiter` ('\t' for .tsv/.tab, ',' otherwise) wins ties of the sniffer;
// `quoting=false` reads tab-separated lines where quotes are ordinary characters (TXT files).
struct CsvReadSettings {
    char preferred_delimiter = ',';
    bool quoting = true;
    std::optional<char> forced_delimiter;
    std::string format_name;  // "" = "csv"/"tsv" from the delimiter
};
void read_csv(std::string_view text, const CsvReadSettings& settings, ReadContext& ctx);

void read_json(std::string_view text, bool jsonl_by_name, ReadContext& ctx);
void read_txt(std::string_view text, ReadContext& ctx);
void read_pdf(std::string_view bytes, ReadContext& ctx);

}  // namespace htc::ingest_detail

#pragma once
// Training history export: CSV for spreadsheets and the seed's JSON records.
//
// CSV: RFC 4180 (comma separated, fields with a comma, quote, CR or LF in double quotes, quotes
// doubled), CRLF between records, UTF-8 with a byte order mark so Excel detects the encoding.
// A cell starting with = + - @ TAB or CR gets a leading apostrophe, so a spreadsheet shows it
// as text instead of evaluating it (CSV/formula injection). Times are the stored UTC ISO 8601
// values (unambiguous in any time zone). Columns:
//   Job ID, Timestamp (created), Status, Details, Error, Started, Finished, Duration (s),
//   Files, Model version, Leaf accuracy, Level-1 accuracy, Hierarchical F1
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "jobs/job.h"

namespace htc::jobs {

// One CSV cell: neutralised and quoted as needed.
std::string csv_cell(std::string_view value);

// The whole file (BOM, header, rows), in the given order.
std::string history_csv(const std::vector<Job>& jobs);
// Writes history_csv(jobs) to `path` (temporary name + fsync + rename).
void write_history_csv(const std::string& path, const std::vector<Job>& jobs);

// htc-retrain-history-YYYY-MM-DD.csv for the local date of `epoch_ms`.
std::string default_export_file_name(std::int64_t epoch_ms);

// [{job_id, timestamp, status, details}, ...] (the seed's RetrainRecord list).
nlohmann::json seed_records_json(const std::vector<Job>& jobs);
void write_seed_records_json(const std::string& path, const std::vector<Job>& jobs);

}  // namespace htc::jobs

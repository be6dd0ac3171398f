#include "jobs/seed_import.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace htc::jobs {

namespace {

constexpr std::uintmax_t kMaxRecordFileBytes = 16u << 20;
constexpr int kMaxDepth = 64;

// Nesting depth of a JSON text (brackets outside strings), stopping early past `limit`, so a
// hostile file cannot make the parser recurse deeply.
int json_depth(const std::string& s, int limit) {
    int depth = 0, max_depth = 0;
    bool in_string = false, escape = false;
    for (char c : s) {
        if (in_string) {
            if (escape)
                escape = false;
            else if (c == '\\')
                escape = true;
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            max_depth = std::max(max_depth, ++depth);
            if (max_depth > limit) return max_depth;
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return max_depth;
}

std::string str_of(const nlohmann::json& j, std::initializer_list<const char*> keys) {
    for (const char* k : keys) {
        auto it = j.find(k);
        if (it != j.end() && it->is_string() && !it->get<std::string>().empty())
            return it->get<std::string>();
    }
    return {};
}

// A stored time from a seed time: "" when absent, nullopt when present but unreadable.
std::optional<std::string> time_of(const nlohmann::json& j,
                                   std::initializer_list<const char*> keys) {
    std::string raw = str_of(j, keys);
    if (raw.empty()) return std::string();
    auto ms = parse_iso8601(raw);
    if (!ms) return std::nullopt;
    return format_iso8601_utc(*ms);
}

// Turns one seed record into a job, or explains why it cannot.
std::optional<Job> to_job(const nlohmann::json& rec, const std::string& file_name,
                          std::int64_t file_mtime_ms, std::int64_t now_ms, std::string& why,
                          bool& was_unfinished) {
    if (!rec.is_object()) {
        why = "not a job record (expected a JSON object)";
        return std::nullopt;
    }
    Job job;
    job.source = "import";
    job.id = str_of(rec, {"job_id", "id"});
    if (job.id.empty()) {
        why = "no job_id";
        return std::nullopt;
    }
    if (!looks_like_job_id(job.id)) {
        why = "job_id '" + display_text(job.id) + "' is not a valid id";
        return std::nullopt;
    }
    std::string status_text = str_of(rec, {"status"});
    auto status = parse_job_status(status_text);
    if (!status) {
        why = status_text.empty() ? "no status"
                                  : "unknown status '" + display_text(status_text) + "'";
        return std::nullopt;
    }
    std::vector<std::string> notes;
    auto created = time_of(rec, {"timestamp", "created", "created_at", "submitted_at"});
    auto started = time_of(rec, {"started_at", "started"});
    auto finished = time_of(rec, {"finished_at", "finished", "completed_at"});
    if (!created || !started || !finished) notes.push_back("an unreadable time was left out");
    job.started = started.value_or("");
    job.finished = finished.value_or("");
    job.created = created.value_or("");
    if (job.created.empty()) job.created = job.started;
    if (job.created.empty()) {
        job.created = format_iso8601_utc(file_mtime_ms);
        notes.push_back("no timestamp: the file's modification time was used");
    }
    job.details = display_text(str_of(rec, {"details", "message"}));
    job.error = display_text(str_of(rec, {"error"}));
    job.status = *status;
    // The seed wrote one timestamp per record, at its last change: for a finished job that
    // is when it finished.
    if (is_terminal(job.status) && job.finished.empty() && created && !created->empty() &&
        str_of(rec, {"timestamp"}) != "")
        job.finished = job.created;
    std::string origin = "imported from " + display_text(file_name);
    job.log.push_back({format_iso8601_utc(now_ms), origin + " (status " + status_text + ")"});
    was_unfinished = !is_terminal(job.status);
    if (was_unfinished) {
        std::string pid;
        if (auto it = rec.find("pid"); it != rec.end() && it->is_number_integer())
            pid = " by process " + std::to_string(it->get<std::int64_t>());
        std::string what = "was " + to_string(job.status) + pid +
                           " in the old job log; that process is gone, so it is marked "
                           "interrupted (imported jobs have no stored files and are not run again)";
        job.status = JobStatus::Interrupted;
        job.finished = format_iso8601_utc(now_ms);
        job.log.push_back({job.finished, what});
        if (job.details.empty()) job.details = "Interrupted (imported)";
    }
    for (const auto& n : notes) job.log.push_back({format_iso8601_utc(now_ms), n});
    return job;
}

}  // namespace

ImportReport import_seed_logs(JobStore& store, const std::string& dir) {
    ImportReport report;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) throw std::runtime_error(dir + ": not a folder");
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        std::string ext = e.path().extension().string();
        std::transform(ext.begin(), ext.end(), ext.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (ext == ".json" && e.is_regular_file(ec)) files.push_back(e.path());
    }
    if (ec) throw std::runtime_error(dir + ": cannot list the folder: " + ec.message());
    std::sort(files.begin(), files.end());
    const std::int64_t now_ms = now_epoch_ms();
    for (const auto& path : files) {
        ++report.files;
        std::string name = display_text(path.filename().string());
        auto damaged = [&](const std::string& reason) { report.damaged.push_back({name, reason}); };
        auto size = fs::file_size(path, ec);
        if (ec) {
            damaged("cannot read: " + ec.message());
            continue;
        }
        if (size == 0) {
            damaged("empty file (cut off by a crash?)");
            continue;
        }
        if (size > kMaxRecordFileBytes) {
            damaged("too large for a job log (" + std::to_string(size) + " bytes)");
            continue;
        }
        std::ifstream in(path, std::ios::binary);
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (!in.good() && !in.eof()) {
            damaged("cannot read the file");
            continue;
        }
        if (json_depth(text, kMaxDepth) > kMaxDepth) {
            damaged("nested too deeply to be a job record");
            continue;
        }
        nlohmann::json doc;
        try {
            doc = nlohmann::json::parse(text);
        } catch (const nlohmann::json::exception& e) {
            std::string why =
                text.find_first_not_of(" \t\r\n") == std::string::npos
                    ? "empty file (only blanks)"
                    : std::string("not valid JSON (truncated or damaged): ") + e.what();
            damaged(why);
            continue;
        }
        std::vector<nlohmann::json> records;
        bool list = false;
        if (doc.is_array()) {
            list = true;
            records.assign(doc.begin(), doc.end());
        } else if (doc.is_object() && doc.contains("jobs") && doc["jobs"].is_array()) {
            list = true;
            records.assign(doc["jobs"].begin(), doc["jobs"].end());
        } else {
            records.push_back(doc);
        }
        if (list && records.empty()) {
            damaged("no job records in the list");
            continue;
        }
        auto mtime = fs::last_write_time(path, ec);
        std::int64_t mtime_ms = now_ms;
        if (!ec) {
            auto sys = std::chrono::time_point_cast<std::chrono::milliseconds>(
                mtime - fs::file_time_type::clock::now() + std::chrono::system_clock::now());
            mtime_ms = sys.time_since_epoch().count();
        }
        // Records are added in batches, one transaction each.
        constexpr std::size_t kBatch = 5000;
        std::vector<Job> batch;
        std::vector<bool> batch_unfinished;
        auto flush = [&] {
            auto added = store.insert_many_if_absent(batch);
            for (std::size_t k = 0; k < added.size(); ++k) {
                if (added[k]) {
                    ++report.imported;
                    if (batch_unfinished[k]) ++report.marked_interrupted;
                } else {
                    ++report.already_present;
                }
            }
            batch.clear();
            batch_unfinished.clear();
        };
        for (std::size_t i = 0; i < records.size(); ++i) {
            std::string why;
            bool unfinished = false;
            std::string label = list ? name + " (record " + std::to_string(i + 1) + ")" : name;
            auto job = to_job(records[i], label, mtime_ms, now_ms, why, unfinished);
            if (!job) {
                report.damaged.push_back({label, why});
                continue;
            }
            batch.push_back(std::move(*job));
            batch_unfinished.push_back(unfinished);
            if (batch.size() >= kBatch) flush();
        }
        flush();
    }
    return report;
}

}  // namespace htc::jobs

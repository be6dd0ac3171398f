#pragma once
// Corrections of predictions, kept durably in <data>/feedback.sqlite3 (SQLite, WAL mode, one
// transaction per change; the window and command-line processes may use it at once).
//
// A record is pending until a retrain job is queued with it; it then carries that job's id.
// Retraining with corrections writes the pending records to a JSON Lines file and queues an
// ordinary retrain job with it (corrections_job.h), so they become that job's training data.
#include <cstdint>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

struct sqlite3;

namespace htc {

struct FeedbackRecord {
    std::int64_t id = 0;
    std::string text;            // the document text as classified
    std::string correct_path;    // the label path the user chose ("A/B/C")
    std::string predicted_path;  // what the model said ("" when unknown)
    int model_version = 0;       // the model that predicted it (0 when unknown)
    std::string created;         // UTC ISO 8601
    std::string document;        // where the text came from ("report.pdf", "rows.csv:12")
    std::string job_id;          // the retrain job that used it ("" = pending)
};

struct FeedbackError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class FeedbackStore {
  public:
    // Opens (creating) <data_dir>/feedback.sqlite3. Throws FeedbackError naming the file.
    explicit FeedbackStore(const std::string& data_dir);
    ~FeedbackStore();
    FeedbackStore(const FeedbackStore&) = delete;
    FeedbackStore& operator=(const FeedbackStore&) = delete;
    const std::string& path() const { return path_; }

    // Validates (non-empty text, a well-formed correct path) and stores. A pending record with
    // the same text is replaced: the newest correction of a document wins. Sets `created`
    // when empty. Returns the id. Throws FeedbackError with the reason.
    std::int64_t add(FeedbackRecord r);
    // Newest first. `pending_only`: not yet used by a job. limit < 0 = all.
    std::vector<FeedbackRecord> list(bool pending_only = false, std::int64_t limit = -1) const;
    std::size_t pending_count() const;
    std::size_t total_count() const;
    // Marks records as used by a job (one transaction).
    void mark_used(const std::vector<std::int64_t>& ids, const std::string& job_id);
    bool remove(std::int64_t id);

  private:
    std::string path_;
    sqlite3* db_ = nullptr;
    mutable std::mutex mu_;
};

// The records as JSON Lines that the feedback readers take back ({"text":..., "label":...}
// per line), oldest first so that a later correction of the same text wins.
std::string feedback_jsonl(const std::vector<FeedbackRecord>& records);

}  // namespace htc

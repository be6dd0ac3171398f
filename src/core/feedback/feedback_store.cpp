#include "feedback/feedback_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "model/registry.h"
#include "model/taxonomy.h"

namespace fs = std::filesystem;

namespace htc {

namespace {

class Stmt {
  public:
    Stmt(sqlite3* db, const char* sql, const std::string& path) : db_(db) {
        if (sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) != SQLITE_OK)
            throw FeedbackError(path + ": " + sqlite3_errmsg(db));
    }
    ~Stmt() { sqlite3_finalize(s_); }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;
    void bind(int i, const std::string& v) {
        sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    }
    void bind(int i, std::int64_t v) { sqlite3_bind_int64(s_, i, v); }
    bool step(const std::string& path) {
        int rc = sqlite3_step(s_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        throw FeedbackError(path + ": " + sqlite3_errmsg(db_));
    }
    std::string text(int i) const {
        auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, i));
        return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, i))) : "";
    }
    std::int64_t integer(int i) const { return sqlite3_column_int64(s_, i); }

  private:
    sqlite3* db_;
    sqlite3_stmt* s_ = nullptr;
};

void exec(sqlite3* db, const char* sql, const std::string& path) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err ? err : "error";
        sqlite3_free(err);
        throw FeedbackError(path + ": " + msg);
    }
}

struct Tx {
    sqlite3* db;
    const std::string& path;
    bool done = false;
    Tx(sqlite3* d, const std::string& p) : db(d), path(p) { exec(db, "BEGIN IMMEDIATE", path); }
    void commit() {
        exec(db, "COMMIT", path);
        done = true;
    }
    ~Tx() {
        if (!done) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    }
};

constexpr const char* kColumns =
    "id, text, correct_path, predicted_path, model_version, created, document, job_id";

FeedbackRecord read_row(const Stmt& s) {
    FeedbackRecord r;
    r.id = s.integer(0);
    r.text = s.text(1);
    r.correct_path = s.text(2);
    r.predicted_path = s.text(3);
    r.model_version = static_cast<int>(s.integer(4));
    r.created = s.text(5);
    r.document = s.text(6);
    r.job_id = s.text(7);
    return r;
}

}  // namespace

FeedbackStore::FeedbackStore(const std::string& data_dir)
    : path_((fs::path(data_dir) / "feedback.sqlite3").string()) {
    std::error_code ec;
    fs::create_directories(data_dir, ec);
    if (sqlite3_open_v2(path_.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                        nullptr) != SQLITE_OK) {
        std::string msg = db_ ? sqlite3_errmsg(db_) : "cannot open";
        sqlite3_close(db_);
        db_ = nullptr;
        throw FeedbackError(path_ + ": " + msg);
    }
    sqlite3_busy_timeout(db_, 10000);
    try {
        exec(db_, "PRAGMA journal_mode=WAL", path_);
        exec(db_, "PRAGMA synchronous=FULL", path_);
        exec(db_,
             "CREATE TABLE IF NOT EXISTS feedback ("
             " id INTEGER PRIMARY KEY AUTOINCREMENT,"
             " text TEXT NOT NULL,"
             " correct_path TEXT NOT NULL,"
             " predicted_path TEXT NOT NULL DEFAULT '',"
             " model_version INTEGER NOT NULL DEFAULT 0,"
             " created TEXT NOT NULL,"
             " document TEXT NOT NULL DEFAULT '',"
             " job_id TEXT NOT NULL DEFAULT '');"
             "CREATE INDEX IF NOT EXISTS feedback_job ON feedback(job_id);",
             path_);
    } catch (...) {
        sqlite3_close(db_);
        db_ = nullptr;
        throw;
    }
}

FeedbackStore::~FeedbackStore() {
    if (db_) sqlite3_close(db_);
}

std::int64_t FeedbackStore::add(FeedbackRecord r) {
    if (r.text.find_first_not_of(" \t\r\n") == std::string::npos)
        throw FeedbackError("the document text is empty");
    std::string err;
    auto label = parse_label_path(r.correct_path, &err);
    if (!label) throw FeedbackError("bad label path '" + r.correct_path + "': " + err);
    r.correct_path = label->str();
    if (auto p = parse_label_path(r.predicted_path)) r.predicted_path = p->str();
    if (r.created.empty()) r.created = now_iso8601_utc();
    std::lock_guard<std::mutex> lock(mu_);
    Tx tx(db_, path_);
    {
        Stmt del(db_, "DELETE FROM feedback WHERE job_id = '' AND text = ?1", path_);
        del.bind(1, r.text);
        del.step(path_);
    }
    Stmt s(db_,
           "INSERT INTO feedback (text, correct_path, predicted_path, model_version, created, "
           "document, job_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, '')",
           path_);
    s.bind(1, r.text);
    s.bind(2, r.correct_path);
    s.bind(3, r.predicted_path);
    s.bind(4, static_cast<std::int64_t>(r.model_version));
    s.bind(5, r.created);
    s.bind(6, r.document);
    s.step(path_);
    std::int64_t id = sqlite3_last_insert_rowid(db_);
    tx.commit();
    return id;
}

std::vector<FeedbackRecord> FeedbackStore::list(bool pending_only, std::int64_t limit) const {
    std::lock_guard<std::mutex> lock(mu_);
    std::string sql = std::string("SELECT ") + kColumns + " FROM feedback" +
                      (pending_only ? " WHERE job_id = ''" : "") + " ORDER BY id DESC LIMIT ?1";
    Stmt s(db_, sql.c_str(), path_);
    s.bind(1, limit < 0 ? std::int64_t{-1} : limit);
    std::vector<FeedbackRecord> out;
    while (s.step(path_)) out.push_back(read_row(s));
    return out;
}

std::size_t FeedbackStore::pending_count() const {
    std::lock_guard<std::mutex> lock(mu_);
    Stmt s(db_, "SELECT COUNT(*) FROM feedback WHERE job_id = ''", path_);
    s.step(path_);
    return static_cast<std::size_t>(s.integer(0));
}

std::size_t FeedbackStore::total_count() const {
    std::lock_guard<std::mutex> lock(mu_);
    Stmt s(db_, "SELECT COUNT(*) FROM feedback", path_);
    s.step(path_);
    return static_cast<std::size_t>(s.integer(0));
}

void FeedbackStore::mark_used(const std::vector<std::int64_t>& ids, const std::string& job_id) {
    std::lock_guard<std::mutex> lock(mu_);
    Tx tx(db_, path_);
    for (auto id : ids) {
        Stmt one(db_, "UPDATE feedback SET job_id = ?1 WHERE id = ?2", path_);
        one.bind(1, job_id);
        one.bind(2, id);
        one.step(path_);
    }
    tx.commit();
}

bool FeedbackStore::remove(std::int64_t id) {
    std::lock_guard<std::mutex> lock(mu_);
    Stmt s(db_, "DELETE FROM feedback WHERE id = ?1", path_);
    s.bind(1, id);
    s.step(path_);
    return sqlite3_changes(db_) > 0;
}

std::string feedback_jsonl(const std::vector<FeedbackRecord>& records) {
    std::vector<const FeedbackRecord*> sorted;
    for (const auto& r : records) sorted.push_back(&r);
    std::sort(sorted.begin(), sorted.end(),
              [](const FeedbackRecord* a, const FeedbackRecord* b) { return a->id < b->id; });
    std::string out;
    for (const auto* r : sorted) {
        nlohmann::json j = {{"text", r->text}, {"label", r->correct_path}};
        out += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        out += '\n';
    }
    return out;
}

}  // namespace htc

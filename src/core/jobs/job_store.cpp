#include "jobs/job_store.h"

#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

namespace fs = std::filesystem;

namespace htc::jobs {

namespace {

constexpr int kBusyTimeoutMs = 15000;
constexpr std::int64_t kForeignHeartbeatTimeoutMs = 120000;

// Columns of `jobs` read by read_job_row, in order.
constexpr const char* kJobColumns =
    "id, created, started, finished, status, stage, progress, eta_seconds, details, parameters, "
    "model_version, metrics, result, error, attempts, owner_pid, owner_host, owner_start, "
    "cancel_requested, source";

const char* const kSchemaV1[] = {
    R"(CREATE TABLE jobs (
        id TEXT PRIMARY KEY NOT NULL,
        created TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        started TEXT,
        finished TEXT,
        status TEXT NOT NULL CHECK (status IN
            ('queued','running','completed','failed','cancelled','interrupted')),
        stage TEXT NOT NULL DEFAULT '',
        progress REAL NOT NULL DEFAULT 0,
        eta_seconds REAL,
        details TEXT NOT NULL DEFAULT '',
        parameters TEXT NOT NULL DEFAULT '{}',
        model_version INTEGER,
        metrics TEXT,
        result TEXT,
        error TEXT NOT NULL DEFAULT '',
        attempts INTEGER NOT NULL DEFAULT 0,
        owner_pid INTEGER,
        owner_host TEXT,
        owner_start INTEGER,
        heartbeat_ms INTEGER,
        cancel_requested INTEGER NOT NULL DEFAULT 0,
        source TEXT NOT NULL DEFAULT 'submit'
    ))",
    "CREATE INDEX jobs_by_created ON jobs(created_ms)",
    "CREATE INDEX jobs_by_status ON jobs(status, created_ms)",
    R"(CREATE TABLE job_files (
        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL,
        original_name TEXT NOT NULL,
        stored_name TEXT NOT NULL DEFAULT '',
        size_bytes INTEGER NOT NULL DEFAULT 0,
        format TEXT NOT NULL DEFAULT '',
        records INTEGER,
        labelled INTEGER,
        skipped INTEGER NOT NULL DEFAULT 0,
        skip_reasons TEXT NOT NULL DEFAULT '[]',
        warnings TEXT NOT NULL DEFAULT '[]',
        error TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (job_id, idx)
    ))",
    R"(CREATE TABLE job_curve (
        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        fraction REAL,
        value REAL,
        metric TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (job_id, seq)
    ))",
    R"(CREATE TABLE job_log (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        time TEXT NOT NULL,
        message TEXT NOT NULL
    ))",
    "CREATE INDEX job_log_by_job ON job_log(job_id, id)",
};

// One prepared statement; bind by 1-based index.
class Stmt {
  public:
    Stmt(sqlite3* db, const std::string& sql, const std::string& store) : db_(db), store_(store) {
        if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st_, nullptr) != SQLITE_OK)
            throw StoreError("job store " + store + ": " + sqlite3_errmsg(db));
    }
    ~Stmt() { sqlite3_finalize(st_); }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;
    sqlite3_stmt* get() { return st_; }

    Stmt& bind(int i, const std::string& v) {
        sqlite3_bind_text(st_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
        return *this;
    }
    Stmt& bind(int i, const char* v) { return bind(i, std::string(v)); }
    Stmt& bind(int i, std::int64_t v) {
        sqlite3_bind_int64(st_, i, v);
        return *this;
    }
    Stmt& bind(int i, int v) { return bind(i, static_cast<std::int64_t>(v)); }
    // NaN and infinities are stored as NULL ("no value").
    Stmt& bind(int i, double v) {
        if (std::isfinite(v))
            sqlite3_bind_double(st_, i, v);
        else
            sqlite3_bind_null(st_, i);
        return *this;
    }
    Stmt& bind_null(int i) {
        sqlite3_bind_null(st_, i);
        return *this;
    }
    Stmt& bind_opt_text(int i, const std::string& v) {
        return v.empty() ? bind_null(i) : bind(i, v);
    }
    // SQLITE_ROW -> true, SQLITE_DONE -> false, anything else throws.
    bool step() {
        int rc = sqlite3_step(st_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        throw StoreError("job store " + store_ + ": " + sqlite3_errmsg(db_));
    }
    void run() {
        step();
        sqlite3_reset(st_);
    }
    // Ready to run again with new bindings.
    void reset() { sqlite3_reset(st_); }
    std::string text(int col) {
        auto p = sqlite3_column_text(st_, col);
        return p ? std::string(reinterpret_cast<const char*>(p),
                               static_cast<std::size_t>(sqlite3_column_bytes(st_, col)))
                 : std::string();
    }
    std::int64_t i64(int col) { return sqlite3_column_int64(st_, col); }
    bool is_null(int col) { return sqlite3_column_type(st_, col) == SQLITE_NULL; }
    double real(int col, double if_null) {
        return is_null(col) ? if_null : sqlite3_column_double(st_, col);
    }

  private:
    sqlite3* db_;
    const std::string& store_;
    sqlite3_stmt* st_ = nullptr;
};

void exec(sqlite3* db, const std::string& sql, const std::string& store) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        std::string msg = err ? err : sqlite3_errmsg(db);
        sqlite3_free(err);
        throw StoreError("job store " + store + ": " + msg);
    }
}

// BEGIN IMMEDIATE ... COMMIT, rolled back when an exception leaves the scope.
class WriteTxn {
  public:
    WriteTxn(sqlite3* db, const std::string& store) : db_(db), store_(store) {
        exec(db, "BEGIN IMMEDIATE", store);
    }
    ~WriteTxn() {
        if (!done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    void commit() {
        exec(db_, "COMMIT", store_);
        done_ = true;
    }

  private:
    sqlite3* db_;
    const std::string& store_;
    bool done_ = false;
};

// A read transaction so that several SELECTs see one snapshot.
class ReadTxn {
  public:
    ReadTxn(sqlite3* db, const std::string& store) : db_(db) { exec(db, "BEGIN", store); }
    ~ReadTxn() { sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr); }

  private:
    sqlite3* db_;
};

std::string json_text(const nlohmann::json& j) {
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json parse_json_or_null(const std::string& s) {
    if (s.empty()) return nullptr;
    try {
        return nlohmann::json::parse(s);
    } catch (const std::exception&) {
        return nullptr;
    }
}

std::vector<std::string> parse_string_list(const std::string& s) {
    std::vector<std::string> out;
    auto j = parse_json_or_null(s);
    if (j.is_array())
        for (const auto& v : j)
            if (v.is_string()) out.push_back(v.get<std::string>());
    return out;
}

nlohmann::json string_list_json(const std::vector<std::string>& v) {
    auto a = nlohmann::json::array();
    for (const auto& s : v) a.push_back(display_text(s));
    return a;
}

std::string escape_like(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '%' || c == '_' || c == '\\') out += '\\';
        out += c;
    }
    return out;
}

std::string host_name() {
    char buf[256] = {0};
    if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown";
    return buf;
}

std::string percent(double f) {
    return std::to_string(static_cast<int>(std::lround(std::clamp(f, 0.0, 1.0) * 100))) + "%";
}

}  // namespace

// ---- owners ----

std::int64_t process_start_ticks(std::int64_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // The command name (field 2) is in parentheses and may contain spaces or ')'.
    auto close = s.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream rest(s.substr(close + 1));
    std::string field;
    // Fields 3..22: state is field 3; starttime is field 22.
    for (int i = 3; i <= 22; ++i) {
        if (!(rest >> field)) return 0;
    }
    try {
        return std::stoll(field);
    } catch (...) {
        return 0;
    }
}

JobOwner current_owner() {
    // Cached per pid: a child made by fork() is another owner than its parent.
    static std::mutex mu;
    static JobOwner me;
    std::lock_guard lock(mu);
    if (me.pid != ::getpid()) {
        me.pid = ::getpid();
        me.host = host_name();
        me.start_ticks = process_start_ticks(me.pid);
    }
    return me;
}

bool owner_is_alive(const JobOwner& owner, std::int64_t heartbeat_ms) {
    if (owner.pid <= 0) return false;
    if (owner.host != current_owner().host)
        return heartbeat_ms > 0 && now_epoch_ms() - heartbeat_ms < kForeignHeartbeatTimeoutMs;
    if (::kill(static_cast<pid_t>(owner.pid), 0) != 0 && errno == ESRCH) return false;
    std::int64_t ticks = process_start_ticks(owner.pid);
    // A pid that now belongs to a process started at another time was reused.
    if (ticks != 0 && owner.start_ticks != 0 && ticks != owner.start_ticks) return false;
    // A zombie (exited, not yet reaped) runs nothing.
    std::ifstream in("/proc/" + std::to_string(owner.pid) + "/stat");
    std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto close = s.rfind(')');
    if (close != std::string::npos && close + 2 < s.size() && s[close + 2] == 'Z') return false;
    return true;
}

// ---- open and migrate ----

JobStore::JobStore(std::string path) : path_(std::move(path)) { open(); }

JobStore::~JobStore() {
    if (db_) sqlite3_close_v2(db_);
}

void JobStore::open() {
    std::error_code ec;
    fs::path parent = fs::path(path_).parent_path();
    if (!parent.empty()) fs::create_directories(parent, ec);
    if (ec)
        throw StoreError("cannot create the job store folder " + parent.string() + ": " +
                         ec.message());
    int rc = sqlite3_open_v2(path_.c_str(), &db_,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                             nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        if (db_) sqlite3_close_v2(db_);
        db_ = nullptr;
        throw StoreError("cannot open the job store " + path_ + ": " + msg);
    }
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    try {
        // The first statement that reads the file tells a damaged database apart; it is left
        // untouched (never recreated) so nothing is lost.
        {
            Stmt s(db_, "PRAGMA journal_mode=WAL", path_);
            s.step();
        }
        exec(db_, "PRAGMA foreign_keys=ON", path_);
        // FULL: a job acknowledged to the user survives a power cut, not only a crash.
        exec(db_, "PRAGMA synchronous=FULL", path_);
        migrate();
    } catch (const StoreError& e) {
        sqlite3_close_v2(db_);
        db_ = nullptr;
        std::string m = e.what();
        if (m.find("not a database") != std::string::npos ||
            m.find("malformed") != std::string::npos)
            throw StoreError("the job store " + path_ + " is damaged or not a job store (" +
                             m.substr(m.rfind(": ") + 2) +
                             "); it was left untouched: move it aside to start a new store");
        throw;
    }
}

void JobStore::migrate() {
    auto user_version = [&] {
        Stmt s(db_, "PRAGMA user_version", path_);
        s.step();
        return static_cast<int>(s.i64(0));
    };
    if (user_version() == kSchemaVersion) return;
    WriteTxn txn(db_, path_);
    int v = user_version();  // again, under the write lock: another process may have migrated
    if (v > kSchemaVersion)
        throw StoreError("the job store " + path_ + " has schema version " + std::to_string(v) +
                         ", newer than this program understands (" +
                         std::to_string(kSchemaVersion) + "); use a newer htc-trainer");
    if (v < 1) {
        for (const char* sql : kSchemaV1) exec(db_, sql, path_);
    }
    // Later versions: if (v < 2) { ALTER TABLE ... } and so on, each step idempotent in order.
    exec(db_, "PRAGMA user_version=" + std::to_string(kSchemaVersion), path_);
    txn.commit();
}

// ---- writing ----

void JobStore::log_locked(const std::string& id, const std::string& message, std::int64_t now_ms) {
    Stmt s(db_, "INSERT INTO job_log(job_id, time, message) VALUES (?1, ?2, ?3)", path_);
    s.bind(1, id).bind(2, format_iso8601_utc(now_ms)).bind(3, display_text(message)).run();
}

void JobStore::insert_locked(const Job& job) {
    // Times are stored in one form (UTC, milliseconds, "+00:00") so that they read the same
    // everywhere; created_ms orders the history.
    auto created_ms = parse_iso8601(job.created);
    std::int64_t cms = created_ms ? *created_ms : now_epoch_ms();
    std::string created = format_iso8601_utc(cms);
    auto normal = [](const std::string& t) {
        auto ms = parse_iso8601(t);
        return ms ? format_iso8601_utc(*ms) : std::string();
    };
    Stmt s(db_,
           "INSERT INTO jobs(id, created, created_ms, started, finished, status, stage, progress, "
           "eta_seconds, details, parameters, model_version, metrics, result, error, attempts, "
           "cancel_requested, source) VALUES "
           "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18)",
           path_);
    s.bind(1, job.id).bind(2, created).bind(3, cms).bind_opt_text(4, normal(job.started));
    s.bind_opt_text(5, normal(job.finished)).bind(6, to_string(job.status)).bind(7, job.stage);
    s.bind(8, job.progress);
    if (job.eta_seconds >= 0)
        s.bind(9, job.eta_seconds);
    else
        s.bind_null(9);
    s.bind(10, display_text(job.details)).bind(11, json_text(job.parameters));
    if (job.model_version > 0)
        s.bind(12, job.model_version);
    else
        s.bind_null(12);
    if (job.metrics.is_null())
        s.bind_null(13);
    else
        s.bind(13, json_text(job.metrics));
    if (job.result.is_null())
        s.bind_null(14);
    else
        s.bind(14, json_text(job.result));
    s.bind(15, display_text(job.error))
        .bind(16, job.attempts)
        .bind(17, job.cancel_requested ? 1 : 0);
    s.bind(18, job.source);
    s.run();
    Stmt f(db_,
           "INSERT INTO job_files(job_id, idx, original_name, stored_name, size_bytes, format, "
           "records, labelled, skipped, skip_reasons, warnings, error) VALUES "
           "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)",
           path_);
    for (std::size_t i = 0; i < job.files.size(); ++i) {
        const auto& file = job.files[i];
        f.bind(1, job.id).bind(2, static_cast<std::int64_t>(i));
        f.bind(3, display_text(file.original_name)).bind(4, file.stored_name);
        f.bind(5, static_cast<std::int64_t>(file.size_bytes)).bind(6, file.format);
        if (file.records >= 0)
            f.bind(7, file.records);
        else
            f.bind_null(7);
        if (file.labelled >= 0)
            f.bind(8, file.labelled);
        else
            f.bind_null(8);
        f.bind(9, file.skipped).bind(10, json_text(string_list_json(file.skip_reasons)));
        f.bind(11, json_text(string_list_json(file.warnings))).bind(12, display_text(file.error));
        f.run();
    }
    Stmt c(db_,
           "INSERT INTO job_curve(job_id, seq, fraction, value, metric) VALUES (?1,?2,?3,?4,?5)",
           path_);
    for (std::size_t i = 0; i < job.curve.size(); ++i) {
        c.bind(1, job.id).bind(2, static_cast<std::int64_t>(i)).bind(3, job.curve[i].fraction);
        c.bind(4, job.curve[i].value).bind(5, display_text(job.curve[i].metric)).run();
    }
    Stmt l(db_, "INSERT INTO job_log(job_id, time, message) VALUES (?1, ?2, ?3)", path_);
    for (const auto& line : job.log)
        l.bind(1, job.id).bind(2, line.time).bind(3, display_text(line.message)).run();
}

void JobStore::insert(const Job& job) {
    if (!looks_like_job_id(job.id)) throw StoreError("invalid job id '" + job.id + "'");
    std::lock_guard lock(mu_);
    WriteTxn txn(db_, path_);
    insert_locked(job);
    txn.commit();
    ++local_changes_;
}

bool JobStore::insert_if_absent(const Job& job) {
    if (!looks_like_job_id(job.id)) throw StoreError("invalid job id '" + job.id + "'");
    std::lock_guard lock(mu_);
    WriteTxn txn(db_, path_);
    {
        Stmt s(db_, "SELECT 1 FROM jobs WHERE id=?1", path_);
        s.bind(1, job.id);
        if (s.step()) return false;
    }
    insert_locked(job);
    txn.commit();
    ++local_changes_;
    return true;
}

std::vector<bool> JobStore::insert_many_if_absent(const std::vector<Job>& jobs) {
    for (const auto& job : jobs)
        if (!looks_like_job_id(job.id)) throw StoreError("invalid job id '" + job.id + "'");
    std::vector<bool> added(jobs.size(), false);
    if (jobs.empty()) return added;
    std::lock_guard lock(mu_);
    WriteTxn txn(db_, path_);
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        {
            Stmt s(db_, "SELECT 1 FROM jobs WHERE id=?1", path_);
            s.bind(1, jobs[i].id);
            if (s.step()) continue;
        }
        insert_locked(jobs[i]);
        added[i] = true;
    }
    txn.commit();
    ++local_changes_;
    return added;
}

void JobStore::append_log(const std::string& id, const std::string& message) {
    std::lock_guard lock(mu_);
    WriteTxn txn(db_, path_);
    log_locked(id, message, now_epoch_ms());
    txn.commit();
    ++local_changes_;
}

std::optional<Job> JobStore::claim_next(const JobOwner& me, int max_running,
                                        const std::vector<std::string>& only_ids) {
    std::string id;
    int attempt = 0;
    {
        std::lock_guard lock(mu_);
        WriteTxn txn(db_, path_);
        if (max_running > 0) {
            Stmt c(db_, "SELECT count(*) FROM jobs WHERE status='running'", path_);
            c.step();
            if (c.i64(0) >= max_running) return std::nullopt;
        }
        std::string sql = "SELECT id, attempts FROM jobs WHERE status='queued'";
        if (!only_ids.empty()) {
            sql += " AND id IN (";
            for (std::size_t i = 0; i < only_ids.size(); ++i)
                sql += (i ? ",?" : "?") + std::to_string(i + 1);
            sql += ")";
        }
        sql += " ORDER BY created_ms, rowid LIMIT 1";
        {
            Stmt s(db_, sql, path_);
            for (std::size_t i = 0; i < only_ids.size(); ++i)
                s.bind(static_cast<int>(i + 1), only_ids[i]);
            if (!s.step()) return std::nullopt;
            id = s.text(0);
            attempt = static_cast<int>(s.i64(1)) + 1;
        }
        std::int64_t now = now_epoch_ms();
        Stmt u(db_,
               "UPDATE jobs SET status='running', started=?2, finished=NULL, stage='copy', "
               "progress=0, eta_seconds=NULL, attempts=attempts+1, owner_pid=?3, owner_host=?4, "
               "owner_start=?5, heartbeat_ms=?6, cancel_requested=0, error='' "
               "WHERE id=?1 AND status='queued'",
               path_);
        u.bind(1, id).bind(2, format_iso8601_utc(now)).bind(3, me.pid).bind(4, me.host);
        u.bind(5, me.start_ticks).bind(6, now).run();
        if (sqlite3_changes(db_) != 1) return std::nullopt;
        Stmt d(db_, "DELETE FROM job_curve WHERE job_id=?1", path_);
        d.bind(1, id).run();
        log_locked(id,
                   "started (attempt " + std::to_string(attempt) + ") by process " +
                       std::to_string(me.pid) + " on " + me.host,
                   now);
        txn.commit();
        ++local_changes_;
    }
    return get(id, false);
}

std::optional<bool> JobStore::write_progress(const std::string& id, const JobOwner& me,
                                             const ProgressWrite& w) {
    std::lock_guard lock(mu_);
    WriteTxn txn(db_, path_);
    std::int64_t now = now_epoch_ms();
    Stmt u(db_,
           "UPDATE jobs SET stage=?2, progress=?3, eta_seconds=?4, heartbeat_ms=?5 WHERE id=?1 "
           "AND status='running' AND owner_pid=?6 AND owner_host=?7 AND owner_start=?8",
           path_);
    u.bind(1, id).bind(2, w.stage).bind(3, w.progress);
    if (w.eta_seconds >= 0)
        u.bind(4, w.eta_seconds);
    else
        u.bind_null(4);
    u.bind(5, now).bind(6, me.pid).bind(7, me.host).bind(8, me.start_ticks).run();
    if (sqlite3_changes(db_) != 1) return std::nullopt;
    if (!w.new_points.empty()) {
        std::int64_t seq = 0;
        {
            Stmt s(db_, "SELECT coalesce(max(seq)+1, 0) FROM job_curve WHERE job_id=?1", path_);
            s.bind(1, id).step();
            seq = s.i64(0);
        }
        Stmt c(
            db_,
            "INSERT INTO job_curve(job_id, seq, fraction, value, metric) VALUES (?1,?2,?3,?4,?5)",
            path_);
        for (const auto& p : w.new_points)
            c.bind(1, id)
                .bind(2, seq++)
                .bind(3, p.fraction)
                .bind(4, p.value)
                .bind(5, display_text(p.metric))
                .run();
    }
    Stmt l(db_, "INSERT INTO job_log(job_id, time, message) VALUES (?1, ?2, ?3)", path_);
    for (const auto& line : w.new_lines)
        l.bind(1, id).bind(2, line.time).bind(3, display_text(line.message)).run();
    bool cancel;
    {
        Stmt c(db_, "SELECT cancel_requested FROM jobs WHERE id=?1", path_);
        c.bind(1, id).step();
        cancel = c.i64(0) != 0;
    }
    txn.commit();
    // Not counted in local_changes_: the runner publishes live state itself, and counting
    // these would make every viewer re-read the history several times a second.
    return cancel;
}

void JobStore::heartbeat(const std::vector<std::string>& ids, const JobOwner& me) {
    if (ids.empty()) return;
    std::lock_guard lock(mu_);
    WriteTxn txn(db_, path_);
    Stmt u(db_,
           "UPDATE jobs SET heartbeat_ms=?2 WHERE id=?1 AND status='running' AND owner_pid=?3 "
           "AND owner_host=?4 AND owner_start=?5",
           path_);
    std::int64_t now = now_epoch_ms();
    for (const auto& id : ids)
        u.bind(1, id).bind(2, now).bind(3, me.pid).bind(4, me.host).bind(5, me.start_ticks).run();
    txn.commit();
    // A heartbeat is not a change anyone needs to redraw for.
}

bool JobStore::finish(const std::string& id, const JobOwner& me, const JobEnd& end) {
    std::lock_guard lock(mu_);
    WriteTxn txn(db_, path_);
    std::int64_t now = now_epoch_ms();
    Stmt u(db_,
           "UPDATE jobs SET status=?2, finished=?3, details=?4, error=?5, model_version=?6, "
           "metrics=?7, result=?8, eta_seconds=NULL, "
           "progress=CASE WHEN ?2='completed' THEN 1.0 ELSE progress END "
           "WHERE id=?1 AND status='running' AND owner_pid=?9 AND owner_host=?10 "
           "AND owner_start=?11",
           path_);
    u.bind(1, id).bind(2, to_string(end.status)).bind(3, format_iso8601_utc(now));
    u.bind(4, display_text(end.details)).bind(5, display_text(end.error));
    if (end.model_version > 0)
        u.bind(6, end.model_version);
    else
        u.bind_null(6);
    if (end.metrics.is_null())
        u.bind_null(7);
    else
        u.bind(7, json_text(end.metrics));
    if (end.result.is_null())
        u.bind_null(8);
    else
        u.bind(8, json_text(end.result));
    u.bind(9, me.pid).bind(10, me.host).bind(11, me.start_ticks).run();
    if (sqlite3_changes(db_) != 1) return false;
    if (!end.files.empty()) {
        Stmt d(db_, "DELETE FROM job_files WHERE job_id=?1", path_);
        d.bind(1, id).run();
        Stmt f(db_,
               "INSERT INTO job_files(job_id, idx, original_name, stored_name, size_bytes, format, "
               "records, labelled, skipped, skip_reasons, warnings, error) VALUES "
               "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)",
               path_);
        for (std::size_t i = 0; i < end.files.size(); ++i) {
            const auto& file = end.files[i];
            f.bind(1, id).bind(2, static_cast<std::int64_t>(i));
            f.bind(3, display_text(file.original_name)).bind(4, file.stored_name);
            f.bind(5, static_cast<std::int64_t>(file.size_bytes)).bind(6, file.format);
            if (file.records >= 0)
                f.bind(7, file.records);
            else
                f.bind_null(7);
            if (file.labelled >= 0)
                f.bind(8, file.labelled);
            else
                f.bind_null(8);
            f.bind(9, file.skipped).bind(10, json_text(string_list_json(file.skip_reasons)));
            f.bind(11, json_text(string_list_json(file.warnings)));
            f.bind(12, display_text(file.error)).run();
        }
    }
    if (!end.log_message.empty()) log_locked(id, end.log_message, now);
    txn.commit();
    ++local_changes_;
    return true;
}

bool JobStore::requeue_after_shutdown(const std::string& id, const JobOwner& me,
                                      const std::string& reason) {
    std::lock_guard lock(mu_);
    WriteTxn txn(db_, path_);
    std::string stage;
    double progress = 0;
    {
        Stmt s(db_,
               "SELECT stage, progress FROM jobs WHERE id=?1 AND status='running' AND "
               "owner_pid=?2 AND owner_host=?3 AND owner_start=?4",
               path_);
        s.bind(1, id).bind(2, me.pid).bind(3, me.host).bind(4, me.start_ticks);
        if (!s.step()) return false;
        stage = s.text(0);
        progress = s.real(1, 0);
    }
    std::int64_t now = now_epoch_ms();
    log_locked(id,
               "interrupted at stage " + stage + " (" + percent(progress) + "): " + reason +
                   "; queued again (the stopped run does not count as an attempt)",
               now);
    Stmt u(db_,
           "UPDATE jobs SET status='queued', started=NULL, finished=NULL, stage='', progress=0, "
           "eta_seconds=NULL, attempts=max(attempts-1, 0), owner_pid=NULL, owner_host=NULL, "
           "owner_start=NULL, heartbeat_ms=NULL, cancel_requested=0 WHERE id=?1",
           path_);
    u.bind(1, id).run();
    txn.commit();
    ++local_changes_;
    return true;
}

CancelOutcome JobStore::request_cancel(const std::string& id) {
    std::lock_guard lock(mu_);
    WriteTxn txn(db_, path_);
    std::string status;
    bool requested;
    {
        Stmt s(db_, "SELECT status, cancel_requested FROM jobs WHERE id=?1", path_);
        s.bind(1, id);
        if (!s.step()) return CancelOutcome::NotFound;
        status = s.text(0);
        requested = s.i64(1) != 0;
    }
    std::int64_t now = now_epoch_ms();
    CancelOutcome out;
    if (status == "queued") {
        Stmt u(db_,
               "UPDATE jobs SET status='cancelled', finished=?2, details=CASE WHEN details='' "
               "THEN 'Cancelled before it started' ELSE details END WHERE id=?1",
               path_);
        u.bind(1, id).bind(2, format_iso8601_utc(now)).run();
        log_locked(id, "cancelled before it started", now);
        out = CancelOutcome::CancelledQueued;
    } else if (status == "running") {
        if (requested) return CancelOutcome::AlreadyRequested;
        Stmt u(db_, "UPDATE jobs SET cancel_requested=1 WHERE id=?1", path_);
        u.bind(1, id).run();
        log_locked(id, "cancel requested", now);
        out = CancelOutcome::Requested;
    } else {
        return CancelOutcome::AlreadyFinished;
    }
    txn.commit();
    ++local_changes_;
    return out;
}

std::vector<Recovered> JobStore::recover_dead_owners() {
    return recover_dead_owners(owner_is_alive);
}

std::vector<Recovered> JobStore::recover_dead_owners(const OwnerAlive& alive) {
    std::vector<Recovered> out;
    std::lock_guard lock(mu_);
    struct Row {
        std::string id, stage;
        JobOwner owner;
        std::int64_t heartbeat;
        int attempts;
        double progress;
    };
    std::vector<Row> dead;
    {
        // A cheap read first: most of the time nothing runs or every owner is alive.
        ReadTxn rt(db_, path_);
        Stmt s(db_,
               "SELECT id, owner_pid, owner_host, owner_start, heartbeat_ms, attempts, stage, "
               "progress FROM jobs WHERE status='running'",
               path_);
        while (s.step()) {
            Row r;
            r.id = s.text(0);
            r.owner.pid = s.i64(1);
            r.owner.host = s.text(2);
            r.owner.start_ticks = s.i64(3);
            r.heartbeat = s.i64(4);
            r.attempts = static_cast<int>(s.i64(5));
            r.stage = s.text(6);
            r.progress = s.real(7, 0);
            if (!alive(r.owner, r.heartbeat)) dead.push_back(std::move(r));
        }
    }
    if (dead.empty()) return out;
    WriteTxn txn(db_, path_);
    std::int64_t now = now_epoch_ms();
    for (const auto& r : dead) {
        // Only if still running under the same owner (another process may have recovered it).
        Stmt u(db_,
               "UPDATE jobs SET status='interrupted', finished=?2, eta_seconds=NULL WHERE id=?1 "
               "AND status='running' AND owner_pid IS ?3 AND owner_host IS ?4 AND "
               "owner_start IS ?5",
               path_);
        u.bind(1, r.id).bind(2, format_iso8601_utc(now)).bind(3, r.owner.pid);
        u.bind(4, r.owner.host).bind(5, r.owner.start_ticks).run();
        if (sqlite3_changes(db_) != 1) continue;
        log_locked(r.id,
                   "interrupted: the process running it (pid " + std::to_string(r.owner.pid) +
                       " on " + r.owner.host + ") is gone; it stopped at stage " +
                       (r.stage.empty() ? std::string("?") : r.stage) + " (" + percent(r.progress) +
                       ")",
                   now);
        Recovered rec{r.id, r.owner, JobStatus::Queued};
        if (r.attempts < kMaxAttempts) {
            Stmt q(db_,
                   "UPDATE jobs SET status='queued', started=NULL, finished=NULL, stage='', "
                   "progress=0, owner_pid=NULL, owner_host=NULL, owner_start=NULL, "
                   "heartbeat_ms=NULL, cancel_requested=0 WHERE id=?1",
                   path_);
            q.bind(1, r.id).run();
            log_locked(r.id,
                       "queued again (attempt " + std::to_string(r.attempts + 1) + " of " +
                           std::to_string(kMaxAttempts) + ")",
                       now);
        } else {
            std::string why = "interrupted " + std::to_string(r.attempts) +
                              " times (its process ended while it ran); not retried";
            Stmt q(db_, "UPDATE jobs SET status='failed', error=?2, details=?2 WHERE id=?1", path_);
            q.bind(1, r.id).bind(2, why).run();
            log_locked(r.id, "failed: " + why, now);
            rec.now = JobStatus::Failed;
        }
        out.push_back(std::move(rec));
    }
    txn.commit();
    ++local_changes_;
    return out;
}

std::vector<std::string> JobStore::apply_retention(const Retention& r, std::int64_t now_ms) {
    std::vector<std::string> ids;
    if (r.kind == Retention::KeepAll) return ids;
    std::lock_guard lock(mu_);
    WriteTxn txn(db_, path_);
    const char* finished = "status NOT IN ('queued','running')";
    if (r.kind == Retention::Days) {
        Stmt s(db_, std::string("SELECT id FROM jobs WHERE ") + finished + " AND created_ms < ?1",
               path_);
        s.bind(1, static_cast<std::int64_t>(now_ms - r.value * 86400000LL));
        while (s.step()) ids.push_back(s.text(0));
    } else {
        Stmt s(db_,
               std::string("SELECT id FROM jobs WHERE ") + finished +
                   " AND rowid NOT IN (SELECT rowid FROM jobs ORDER BY created_ms DESC, rowid "
                   "DESC LIMIT ?1)",
               path_);
        s.bind(1, r.value);
        while (s.step()) ids.push_back(s.text(0));
    }
    if (ids.empty()) return ids;
    Stmt d(db_, "DELETE FROM jobs WHERE id=?1", path_);
    for (const auto& id : ids) d.bind(1, id).run();
    txn.commit();
    ++local_changes_;
    return ids;
}

// ---- reading ----

Job JobStore::read_job_row(void* stmt) const {
    auto& s = *static_cast<Stmt*>(stmt);
    Job j;
    j.id = s.text(0);
    j.created = s.text(1);
    j.started = s.text(2);
    j.finished = s.text(3);
    j.status = parse_job_status(s.text(4)).value_or(JobStatus::Failed);
    j.stage = s.text(5);
    j.progress = s.real(6, 0);
    j.eta_seconds = s.real(7, -1);
    j.details = s.text(8);
    j.parameters = parse_json_or_null(s.text(9));
    if (!j.parameters.is_object()) j.parameters = nlohmann::json::object();
    j.model_version = s.is_null(10) ? 0 : static_cast<int>(s.i64(10));
    j.metrics = parse_json_or_null(s.text(11));
    j.result = parse_json_or_null(s.text(12));
    j.error = s.text(13);
    j.attempts = static_cast<int>(s.i64(14));
    if (!s.is_null(15)) {
        j.owner.pid = s.i64(15);
        j.owner.host = s.text(16);
        j.owner.start_ticks = s.i64(17);
    }
    j.cancel_requested = s.i64(18) != 0;
    j.source = s.text(19);
    return j;
}

namespace {

constexpr const char* kFilesSql =
    "SELECT original_name, stored_name, size_bytes, format, records, labelled, skipped, "
    "skip_reasons, warnings, error FROM job_files WHERE job_id=?1 ORDER BY idx";

// Reads one job's files with a prepared kFilesSql statement, leaving it ready for the next job
// (a history page of many jobs prepares the statement once).
void read_files(Stmt& f, Job& job) {
    f.bind(1, job.id);
    while (f.step()) {
        JobFile file;
        file.original_name = f.text(0);
        file.stored_name = f.text(1);
        file.size_bytes = static_cast<std::uint64_t>(f.i64(2));
        file.format = f.text(3);
        file.records = f.is_null(4) ? -1 : f.i64(4);
        file.labelled = f.is_null(5) ? -1 : f.i64(5);
        file.skipped = f.i64(6);
        file.skip_reasons = parse_string_list(f.text(7));
        file.warnings = parse_string_list(f.text(8));
        file.error = f.text(9);
        job.files.push_back(std::move(file));
    }
    f.reset();
}

}  // namespace

void JobStore::load_files(Job& job) const {
    Stmt f(db_, kFilesSql, path_);
    read_files(f, job);
}

void JobStore::load_curve_and_log(Job& job, int log_tail) const {
    Stmt c(db_, "SELECT fraction, value, metric FROM job_curve WHERE job_id=?1 ORDER BY seq",
           path_);
    c.bind(1, job.id);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    while (c.step()) job.curve.push_back({c.real(0, nan), c.real(1, nan), c.text(2)});
    // The newest `log_tail` lines (all when < 0), oldest first.
    Stmt l(db_,
           "SELECT time, message FROM (SELECT id, time, message FROM job_log WHERE job_id=?1 "
           "ORDER BY id DESC LIMIT ?2) ORDER BY id",
           path_);
    l.bind(1, job.id).bind(2, log_tail);
    while (l.step()) job.log.push_back({l.text(0), l.text(1)});
}

std::optional<Job> JobStore::get(const std::string& id, bool with_curve_and_log) const {
    std::lock_guard lock(mu_);
    ReadTxn rt(db_, path_);
    Stmt s(db_, std::string("SELECT ") + kJobColumns + " FROM jobs WHERE id=?1", path_);
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    Job j = read_job_row(&s);
    load_files(j);
    if (with_curve_and_log) load_curve_and_log(j);
    return j;
}

std::vector<std::string> JobStore::ids_with_prefix(const std::string& prefix, int limit) const {
    std::vector<std::string> out;
    std::lock_guard lock(mu_);
    Stmt s(db_, "SELECT id FROM jobs WHERE id LIKE ?1 ESCAPE '\\' ORDER BY id LIMIT ?2", path_);
    s.bind(1, escape_like(prefix) + "%").bind(2, limit);
    while (s.step()) out.push_back(s.text(0));
    return out;
}

HistoryPage JobStore::history(const HistoryQuery& q) const {
    std::string where = " WHERE 1=1";
    std::vector<std::string> args;
    if (!q.statuses.empty()) {
        where += " AND status IN (";
        for (std::size_t i = 0; i < q.statuses.size(); ++i) {
            args.push_back(to_string(q.statuses[i]));
            where += (i ? ",?" : "?") + std::to_string(args.size());
        }
        where += ")";
    }
    if (!q.search.empty()) {
        args.push_back(escape_like(q.search) + "%");
        std::string prefix = "?" + std::to_string(args.size());
        args.push_back("%" + escape_like(q.search) + "%");
        std::string any = "?" + std::to_string(args.size());
        where += " AND (id LIKE " + prefix + " ESCAPE '\\' OR details LIKE " + any +
                 " ESCAPE '\\' OR error LIKE " + any +
                 " ESCAPE '\\' OR EXISTS (SELECT 1 FROM job_files f WHERE f.job_id = jobs.id AND "
                 "f.original_name LIKE " +
                 any + " ESCAPE '\\'))";
    }
    HistoryPage page;
    std::lock_guard lock(mu_);
    ReadTxn rt(db_, path_);
    {
        Stmt c(db_, "SELECT count(*) FROM jobs" + where, path_);
        for (std::size_t i = 0; i < args.size(); ++i) c.bind(static_cast<int>(i + 1), args[i]);
        c.step();
        page.total = c.i64(0);
    }
    Stmt s(db_,
           std::string("SELECT ") + kJobColumns + " FROM jobs" + where +
               " ORDER BY created_ms DESC, rowid DESC LIMIT ?" + std::to_string(args.size() + 1) +
               " OFFSET ?" + std::to_string(args.size() + 2),
           path_);
    for (std::size_t i = 0; i < args.size(); ++i) s.bind(static_cast<int>(i + 1), args[i]);
    s.bind(static_cast<int>(args.size() + 1), q.limit < 0 ? std::int64_t{-1} : q.limit);
    s.bind(static_cast<int>(args.size() + 2), std::max<std::int64_t>(0, q.offset));
    while (s.step()) page.jobs.push_back(read_job_row(&s));
    Stmt files(db_, kFilesSql, path_);
    for (auto& j : page.jobs) read_files(files, j);
    return page;
}

JobCounts JobStore::counts() const {
    JobCounts c;
    std::lock_guard lock(mu_);
    Stmt s(db_, "SELECT status, count(*) FROM jobs GROUP BY status", path_);
    while (s.step()) {
        auto st = parse_job_status(s.text(0));
        if (!st) continue;
        std::int64_t n = s.i64(1);
        switch (*st) {
            case JobStatus::Queued:
                c.queued = n;
                break;
            case JobStatus::Running:
                c.running = n;
                break;
            case JobStatus::Completed:
                c.completed = n;
                break;
            case JobStatus::Failed:
                c.failed = n;
                break;
            case JobStatus::Cancelled:
                c.cancelled = n;
                break;
            case JobStatus::Interrupted:
                c.interrupted = n;
                break;
        }
    }
    return c;
}

std::vector<Job> JobStore::running(int log_tail) const {
    std::vector<Job> out;
    std::lock_guard lock(mu_);
    ReadTxn rt(db_, path_);
    Stmt s(db_,
           std::string("SELECT ") + kJobColumns +
               " FROM jobs WHERE status='running' ORDER BY created_ms, rowid",
           path_);
    while (s.step()) out.push_back(read_job_row(&s));
    for (auto& j : out) {
        load_files(j);
        load_curve_and_log(j, log_tail);
    }
    return out;
}

bool JobStore::cancel_requested(const std::string& id) const {
    std::lock_guard lock(mu_);
    Stmt s(db_, "SELECT cancel_requested FROM jobs WHERE id=?1", path_);
    s.bind(1, id);
    return s.step() && s.i64(0) != 0;
}

bool JobStore::has_queued(const std::vector<std::string>& only_ids) const {
    std::string sql = "SELECT 1 FROM jobs WHERE status='queued'";
    if (!only_ids.empty()) {
        sql += " AND id IN (";
        for (std::size_t i = 0; i < only_ids.size(); ++i)
            sql += (i ? ",?" : "?") + std::to_string(i + 1);
        sql += ")";
    }
    sql += " LIMIT 1";
    std::lock_guard lock(mu_);
    Stmt s(db_, sql, path_);
    for (std::size_t i = 0; i < only_ids.size(); ++i) s.bind(static_cast<int>(i + 1), only_ids[i]);
    return s.step();
}

bool JobStore::exists(const std::string& id) const {
    std::lock_guard lock(mu_);
    Stmt s(db_, "SELECT 1 FROM jobs WHERE id=?1", path_);
    s.bind(1, id);
    return s.step();
}

std::int64_t JobStore::data_version() const {
    std::lock_guard lock(mu_);
    Stmt s(db_, "PRAGMA data_version", path_);
    s.step();
    return s.i64(0);
}

std::string JobStore::integrity_check() const {
    std::lock_guard lock(mu_);
    Stmt s(db_, "PRAGMA integrity_check", path_);
    std::string out;
    while (s.step()) out += (out.empty() ? "" : "; ") + s.text(0);
    return out;
}

}  // namespace htc::jobs

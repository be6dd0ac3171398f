// Job system, storage side: ids and times, configuration, upload storage, the SQLite store,
// history queries, retention, crash recovery policy, export and seed import.
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "jobs/config.h"
#include "jobs/history_export.h"
#include "jobs/job.h"
#include "jobs/job_store.h"
#include "jobs/seed_import.h"
#include "jobs/upload_store.h"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace htc::jobs;

namespace {

std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_all(const fs::path& p, const std::string& s) {
    fs::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary);
    out << s;
}

Job make_job(const std::string& id, const std::string& created, JobStatus status,
             const std::string& details = "") {
    Job j;
    j.id = id;
    j.created = created;
    j.status = status;
    j.details = details;
    return j;
}

std::string uuid(int n) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "00000000-0000-4000-8000-%012d", n);
    return buf;
}

bool has_log(const Job& j, const std::string& needle) {
    for (const auto& l : j.log)
        if (l.message.find(needle) != std::string::npos) return true;
    return false;
}

// Every regular file below `root`, as paths relative to it.
std::set<std::string> files_below(const fs::path& root) {
    std::set<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(root))
        if (e.is_regular_file()) out.insert(fs::relative(e.path(), root).generic_string());
    return out;
}

}  // namespace

// ---------------------------------------------------------------- ids and time

TEST_CASE("job ids are random UUID v4 and times are UTC ISO 8601 with offset", "[jobs]") {
    std::set<std::string> ids;
    for (int i = 0; i < 1000; ++i) {
        std::string id = new_job_id();
        REQUIRE(id.size() == 36);
        REQUIRE(id[8] == '-');
        REQUIRE(id[14] == '4');                                          // version 4
        REQUIRE(std::string("89ab").find(id[19]) != std::string::npos);  // RFC 4122 variant
        REQUIRE(looks_like_job_id(id));
        ids.insert(id);
    }
    CHECK(ids.size() == 1000);
    CHECK_FALSE(looks_like_job_id("../x"));
    CHECK_FALSE(looks_like_job_id(""));

    CHECK(format_iso8601_utc(1764787677123) == "2025-12-03T18:47:57.123+00:00");
    CHECK(parse_iso8601("2025-12-03T18:47:57.123+00:00") == 1764787677123);
    CHECK(parse_iso8601("2025-12-03T18:47:57Z") == 1764787677000);
    CHECK(parse_iso8601("2025-12-03T20:47:57.123+02:00") == 1764787677123);
    CHECK(parse_iso8601("2025-12-03T18:17:57.123-0030") == 1764787677123);
    CHECK(parse_iso8601("2025-12-03T18:47:57.123456Z") == 1764787677123);
    CHECK_FALSE(parse_iso8601("2025-13-03T18:47:57Z"));
    CHECK_FALSE(parse_iso8601("yesterday"));
    CHECK_FALSE(parse_iso8601("2025-12-03T18:47:57.123+00:00junk"));
    // The seed wrote naive local times: they are read as local time.
    auto local = parse_iso8601("2024-01-15T10:30:00.123456");
    REQUIRE(local);
    std::time_t t = static_cast<std::time_t>(*local / 1000);
    std::tm tm{};
    localtime_r(&t, &tm);
    CHECK(tm.tm_hour == 10);
    CHECK(tm.tm_min == 30);
    CHECK(*local % 1000 == 123);
    auto now = now_epoch_ms();
    CHECK(parse_iso8601(format_iso8601_utc(now)) == now);
}

// ---------------------------------------------------------------- configuration

TEST_CASE("configuration reads the seed's variables and units", "[jobs]") {
    std::map<std::string, std::string> env;
    auto lookup = [&env](const char* name) -> const char* {
        auto it = env.find(name);
        return it == env.end() ? nullptr : it->second.c_str();
    };
    JobsConfig d = load_config({}, lookup);
    CHECK(d.data_dir == "./db");
    CHECK(d.upload_dir == "./db/htc_uploads");
    CHECK(d.log_dir == "./db/htc_logs");
    CHECK(d.store_path() == "./db/htc_logs/jobs.sqlite3");
    CHECK(d.max_file_size == 100ull * 1024 * 1024);
    CHECK(d.allowed_extensions ==
          std::vector<std::string>{".pdf", ".csv", ".txt", ".json", ".tsv", ".jsonl"});
    CHECK(d.max_concurrent_jobs == 1);
    CHECK(d.job_timeout_seconds == 7200);
    CHECK(d.retention.kind == Retention::KeepAll);

    env = {{"HTC_DATA_DIR", "/srv/htc"},     {"HTC_UPLOAD_DIR", "db/htc_uploads"},
           {"HTC_MAX_FILE_SIZE", "1.5GB"},   {"HTC_ALLOWED_EXTENSIONS", ".pdf, CSV,.txt,.json"},
           {"HTC_MAX_CONCURRENT_JOBS", "3"}, {"HTC_JOB_TIMEOUT", "30m"},
           {"HTC_HISTORY_RETENTION", "90d"}};
    JobsConfig c = load_config({}, lookup);
    CHECK(c.data_dir == "/srv/htc");
    CHECK(c.upload_dir == "db/htc_uploads");
    CHECK(c.log_dir == "/srv/htc/htc_logs");
    CHECK(c.max_file_size == static_cast<std::uint64_t>(1.5 * 1024 * 1024 * 1024));
    CHECK(c.allowed_extensions == std::vector<std::string>{".pdf", ".csv", ".txt", ".json"});
    CHECK(c.max_concurrent_jobs == 3);
    CHECK(c.job_timeout_seconds == 1800);
    CHECK(c.retention.kind == Retention::Days);
    CHECK(c.retention.value == 90);

    // Flags win over the environment.
    ConfigOverrides flags;
    flags.max_concurrent_jobs = "2";
    flags.log_dir = "/tmp/logs";
    JobsConfig f = load_config(flags, lookup);
    CHECK(f.max_concurrent_jobs == 2);
    CHECK(f.store_path() == "/tmp/logs/jobs.sqlite3");

    CHECK(parse_size("100MB", "X") == 104857600);
    CHECK(parse_size("512 KiB", "X") == 524288);
    CHECK(parse_size("1048576", "X") == 1048576);
    CHECK(parse_size("2g", "X") == 2147483648ull);
    CHECK(parse_duration_seconds("2h", "X") == 7200);
    CHECK(parse_duration_seconds("1h30m", "X") == 5400);
    CHECK(parse_duration_seconds("90", "X") == 90);
    CHECK(parse_duration_seconds("0", "X") == 0);
    CHECK(parse_retention("1000", "X").kind == Retention::Count);
    CHECK(parse_retention("1000", "X").value == 1000);
    CHECK(parse_retention("2w", "X").value == 14);
    CHECK(parse_retention("all", "X").kind == Retention::KeepAll);

    // A bad value names the variable and the value.
    struct Bad {
        const char* var;
        const char* value;
    };
    for (auto bad :
         {Bad{"HTC_MAX_FILE_SIZE", "12XB"}, Bad{"HTC_MAX_FILE_SIZE", "-5MB"},
          Bad{"HTC_MAX_FILE_SIZE", "0"}, Bad{"HTC_JOB_TIMEOUT", "soon"},
          Bad{"HTC_JOB_TIMEOUT", "5 fortnights"}, Bad{"HTC_MAX_CONCURRENT_JOBS", "0"},
          Bad{"HTC_MAX_CONCURRENT_JOBS", "two"}, Bad{"HTC_HISTORY_RETENTION", "90x"},
          Bad{"HTC_HISTORY_RETENTION", "0"}, Bad{"HTC_ALLOWED_EXTENSIONS", ".docx"},
          Bad{"HTC_ALLOWED_EXTENSIONS", ".c/sv"}, Bad{"HTC_ALLOWED_EXTENSIONS", ", ,"}}) {
        env = {{bad.var, bad.value}};
        try {
            load_config({}, lookup);
            FAIL("no ConfigError for " << bad.var << "=" << bad.value);
        } catch (const ConfigError& e) {
            std::string m = e.what();
            CHECK(m.find(bad.var) != std::string::npos);
            CHECK(m.find(std::string("'") + bad.value + "'") != std::string::npos);
        }
    }
    env.clear();
    flags = {};
    flags.job_timeout = "later";
    try {
        load_config(flags, lookup);
        FAIL("no ConfigError for --job-timeout");
    } catch (const ConfigError& e) {
        CHECK(std::string(e.what()).find("--job-timeout='later'") != std::string::npos);
    }
}

// ---------------------------------------------------------------- uploads

TEST_CASE("C31: uploaded names can never leave the upload folder", "[jobs][cases]") {
    HTC_REQUIRE_SHARED(path, "cases/C31_upload_names.bin");
    std::vector<std::string> names;
    {
        std::ifstream in(path, std::ios::binary);
        std::string line;
        while (std::getline(in, line))
            if (!line.empty()) names.push_back(line);
    }
    REQUIRE(names.size() == 7);
    for (const auto& n : names) {
        std::string s = safe_file_name(n);
        INFO(n << " -> " << s);
        CHECK_FALSE(s.empty());
        CHECK(s.find('/') == std::string::npos);
        CHECK(s.find('\\') == std::string::npos);
        CHECK(s.find(':') == std::string::npos);
        CHECK(s.front() != '.');
    }
    CHECK(safe_file_name("../../etc/passwd") == "passwd");
    CHECK(safe_file_name("..\\..\\win.ini") == "win.ini");
    CHECK(safe_file_name("C:\\Windows\\win.ini") == "win.ini");
    CHECK(safe_file_name("\\\\server\\share\\x.csv") == "x.csv");
    CHECK(safe_file_name("..") == "upload");
    CHECK(safe_file_name("a/../../x") == "x");
    CHECK(safe_file_name("CON.csv") == "_CON.csv");
    CHECK(safe_file_name("re<po>rt?.csv") == "re_po_rt_.csv");
    CHECK(safe_file_name(std::string(300, 'a') + ".csv").size() == 180);
    CHECK(safe_file_name(std::string(300, 'a') + ".csv").substr(176) == ".csv");

    htc::test::TempDir tmp;
    fs::path src = tmp / "src.csv";
    write_all(src, "text,label\nhello,A/B\n");
    fs::path root = tmp / "uploads";
    UploadStore uploads(root.string(), {".csv", ".txt"}, 1 << 20);
    std::vector<UploadSource> sources;
    for (const auto& n : names) sources.push_back({src.string(), n});           // as given
    for (const auto& n : names) sources.push_back({src.string(), n + ".csv"});  // typed
    UploadPlan plan = uploads.plan(sources);
    std::string id = new_job_id();
    uploads.copy(id, plan);
    uploads.mark_queued(id);
    REQUIRE(plan.items.size() == sources.size());
    std::size_t accepted = 0;
    for (std::size_t i = 0; i < plan.items.size(); ++i) {
        const auto& item = plan.items[i];
        INFO(item.display);
        CHECK(item.display == sources[i].name);  // the original name is kept as display data
        if (!item.rejected.empty()) {
            CHECK(item.stored_rel.empty());
            continue;
        }
        ++accepted;
        fs::path stored = fs::canonical(root / id / item.stored_rel);
        auto rel = stored.lexically_relative(fs::canonical(root / id));
        CHECK(!rel.empty());
        CHECK(rel.begin()->string() != "..");
        CHECK(read_all(stored) == read_all(src));
    }
    // Untyped names are rejected with a visible reason, except the UNC one that ends in .csv.
    CHECK(plan.items[0].rejected == "no file extension (allowed: .csv, .txt)");
    CHECK(plan.items[1].rejected.find("type .ini not allowed") == 0);
    CHECK(accepted == names.size() + 1);
    // Nothing was written anywhere but the job's folder: not next to the source, not above.
    CHECK(files_below(tmp.path).size() == 1 + accepted);
    // Collisions got a suffix; every name kept the extension that was checked.
    CHECK(files_below(root / id) == std::set<std::string>{"x.csv", "passwd.csv", "win.ini.csv",
                                                          "passwd-2.csv", "win.ini-2.csv",
                                                          "x.csv.csv", "csv.csv", "x-2.csv"});
}

TEST_CASE("uploads: type and size checked before copying, folders keep their label path",
          "[jobs]") {
    htc::test::TempDir tmp;
    write_all(tmp / "in/a.csv", "text,label\nx,A\n");
    write_all(tmp / "in/A.CSV", "text,label\ny,B\n");  // differs only in case from a.csv
    write_all(tmp / "in/big.csv", std::string(2000, 'x'));
    write_all(tmp / "in/notes.docx", "doc");
    write_all(tmp / "corpus/Agent/Politician/one.txt", "a senator");
    write_all(tmp / "corpus/Agent/Politician/two.txt", "a mayor");
    write_all(tmp / "corpus/Place/City/three.txt", "a town");
    write_all(tmp / "corpus/Place/readme.md", "not data");
    write_all(tmp / "corpus/.git/config", "hidden");
    write_all(tmp / "empty/nothing.md", "x");
    UploadStore uploads((tmp / "up").string(), {".csv", ".txt"}, 1000);
    UploadPlan plan = uploads.plan(std::vector<std::string>{
        (tmp / "in/a.csv").string(), (tmp / "in/A.CSV").string(), (tmp / "in/big.csv").string(),
        (tmp / "in/notes.docx").string(), (tmp / "corpus").string(), (tmp / "empty").string(),
        (tmp / "missing.csv").string(), "https://example.com/data.csv"});
    std::map<std::string, UploadItem> by_display;
    for (const auto& i : plan.items) by_display[i.display] = i;
    CHECK(by_display["a.csv"].stored_rel == "a.csv");
    CHECK(by_display["A.CSV"].stored_rel == "A-2.CSV");
    CHECK(by_display["big.csv"].rejected ==
          "2.0 KB is larger than the limit of 1000 bytes (HTC_MAX_FILE_SIZE, --max-file-size)");
    CHECK(by_display["notes.docx"].rejected.find("type .docx not allowed") == 0);
    CHECK(by_display["corpus/Agent/Politician/one.txt"].stored_rel ==
          "corpus/Agent/Politician/one.txt");
    CHECK(by_display["corpus/Place/City/three.txt"].stored_rel == "corpus/Place/City/three.txt");
    CHECK(by_display["corpus/Place/readme.md"].rejected.find("type .md not allowed") == 0);
    CHECK(by_display["corpus/.git"].rejected == "hidden file or folder, not taken");
    CHECK(by_display["empty"].rejected.find("no file of an allowed type") == 0);
    CHECK(by_display["missing.csv"].rejected == "no such file or folder");
    CHECK(by_display["data.csv"].rejected.find("a URL") == 0);
    CHECK(plan.inputs == std::vector<std::string>{"a.csv", "A-2.CSV", "corpus"});
    CHECK(plan.accepted() == 5);

    std::string id = new_job_id();
    std::uint64_t last_done = 0, total = 0;
    uploads.copy(id, plan, [&](std::uint64_t done, std::uint64_t all) {
        last_done = done;
        total = all;
    });
    uploads.mark_queued(id);
    CHECK(last_done == total);
    CHECK(total == plan.accepted_bytes());
    fs::path dir = tmp / "up" / id;
    CHECK(files_below(dir) ==
          std::set<std::string>{"a.csv", "A-2.CSV", "corpus/Agent/Politician/one.txt",
                                "corpus/Agent/Politician/two.txt", "corpus/Place/City/three.txt"});
    CHECK(read_all(dir / "corpus/Place/City/three.txt") == "a town");
    auto files = plan.job_files();
    CHECK(files.size() == plan.items.size());
    CHECK(std::count_if(files.begin(), files.end(), [](const JobFile& f) {
              return !f.error.empty();
          }) == static_cast<long>(plan.items.size() - 5));

    // A source that vanished between planning and copying is rejected, not dropped.
    write_all(tmp / "gone.csv", "text,label\nz,C\n");
    UploadPlan p2 = uploads.plan(
        std::vector<std::string>{(tmp / "gone.csv").string(), (tmp / "in/a.csv").string()});
    fs::remove(tmp / "gone.csv");
    std::string id2 = new_job_id();
    uploads.copy(id2, p2);
    CHECK(p2.items[0].rejected.find("cannot read") == 0);
    CHECK(p2.items[0].stored_rel.empty());
    CHECK(p2.inputs == std::vector<std::string>{"a.csv"});
    // No temporary file is left behind (only the marker until the job is queued).
    CHECK(files_below(tmp / "up" / id2) == std::set<std::string>{".pending", "a.csv"});

    // Orphan folders (copied, never queued) are removed only when old, still marked pending
    // and unknown; a folder without the marker (queued, or someone else's) is never touched.
    std::string foreign = new_job_id();
    fs::create_directories(tmp / "up" / foreign);
    uploads.mark_queued(id);
    CHECK(uploads.remove_orphans([](const std::string&) { return false; }, 3600) == 0);
    CHECK(uploads.remove_orphans([&](const std::string& j) { return j == id; }, 0) == 1);
    CHECK_FALSE(fs::exists(tmp / "up" / id2));
    CHECK(fs::exists(dir / "a.csv"));
    CHECK(fs::exists(tmp / "up" / foreign));
}

// ---------------------------------------------------------------- C30

TEST_CASE("C30: a Latin-1 file name and a NaN loss are saved and read back", "[jobs][cases]") {
    HTC_REQUIRE_SHARED(path, "cases/C30_record_fields.bin");
    std::string raw_name, raw_loss;
    {
        std::ifstream in(path, std::ios::binary);
        std::string line;
        while (std::getline(in, line)) {
            if (line.rfind("file=", 0) == 0) raw_name = line.substr(5);
            if (line.rfind("loss=", 0) == 0) raw_loss = line.substr(5);
        }
    }
    REQUIRE(raw_name == "caf\xE9.csv");
    double loss = std::strtod(raw_loss.c_str(), nullptr);
    REQUIRE(std::isnan(loss));

    htc::test::TempDir tmp;
    JobStore store((tmp / "logs/jobs.sqlite3").string());
    Job j =
        make_job(new_job_id(), format_iso8601_utc(now_epoch_ms()), JobStatus::Failed, "diverged");
    JobFile f;
    f.original_name = raw_name;
    f.stored_name = "caf_.csv";
    f.size_bytes = 10;
    j.files.push_back(f);
    j.curve.push_back({0.5, loss, "loss"});
    j.metrics = {{"loss", loss}, {"h_f1", 0.5}};
    j.error = "loss is " + raw_loss + " in " + raw_name;
    REQUIRE_NOTHROW(store.insert(j));
    auto back = store.get(j.id);
    REQUIRE(back);
    CHECK(back->files.at(0).original_name == "caf\xEF\xBF\xBD.csv");  // U+FFFD
    REQUIRE(back->curve.size() == 1);
    CHECK(std::isnan(back->curve[0].value));
    CHECK(back->metrics["loss"].is_null());
    CHECK(back->metrics["h_f1"] == 0.5);
    CHECK(back->error == "loss is nan in caf\xEF\xBF\xBD.csv");
    nlohmann::json out;
    REQUIRE_NOTHROW(out = back->to_json());
    CHECK(out["curve"][0]["value"].is_null());
    CHECK_NOTHROW(out.dump());
    CHECK(history_csv({*back}).find("caf\xEF\xBF\xBD.csv") != std::string::npos);

    // The same name on disk, uploaded: shown with U+FFFD, stored under a clean name.
    fs::path src = tmp / "in" / raw_name;
    write_all(src, "text,label\nx,A\n");
    UploadStore uploads((tmp / "up").string(), {".csv"}, 1 << 20);
    UploadPlan plan = uploads.plan(std::vector<std::string>{src.string()});
    std::string id = new_job_id();
    uploads.copy(id, plan);
    REQUIRE(plan.items.size() == 1);
    CHECK(plan.items[0].display == "caf\xEF\xBF\xBD.csv");
    CHECK(plan.items[0].stored_rel == "caf_.csv");
    CHECK(fs::exists(tmp / "up" / id / "caf_.csv"));
}

// ---------------------------------------------------------------- store

TEST_CASE("job store: schema, round trip, history order, filters, search and paging", "[jobs]") {
    htc::test::TempDir tmp;
    std::string db = (tmp / "logs/jobs.sqlite3").string();
    {
        JobStore store(db);
        // Ids sort the other way round from the times: the order must come from the times.
        // The +05:00 time is 07:00 UTC, older than 08:00Z.
        store.insert(
            make_job(uuid(9), "2026-01-02T12:00:00.000+05:00", JobStatus::Completed, "trained v1"));
        store.insert(make_job(uuid(1), "2026-01-03T09:00:00.000+00:00", JobStatus::Failed,
                              "no labelled documents"));
        store.insert(make_job(uuid(5), "2026-01-02T08:00:00Z", JobStatus::Queued, "100% done_ish"));
        Job with_files = make_job(uuid(7), "2026-01-01T00:00:00.000+00:00", JobStatus::Cancelled);
        JobFile f;
        f.original_name = "Feedback März.csv";
        with_files.files.push_back(f);
        with_files.parameters = {{"engine", "linear"}};
        store.insert(with_files);
        CHECK_THROWS_AS(store.insert(make_job(uuid(7), "2026-01-05T00:00:00Z", JobStatus::Queued)),
                        StoreError);
    }
    JobStore store(db);  // reopened: schema already there
    CHECK(store.integrity_check() == "ok");
    auto page = store.history({});
    REQUIRE(page.total == 4);
    std::vector<std::string> order;
    for (const auto& j : page.jobs) order.push_back(j.id);
    CHECK(order == std::vector<std::string>{uuid(1), uuid(5), uuid(9), uuid(7)});
    // Stored in UTC, in one format.
    CHECK(page.jobs[1].created == "2026-01-02T08:00:00.000+00:00");
    CHECK(page.jobs[2].created == "2026-01-02T07:00:00.000+00:00");
    CHECK(page.jobs[3].files.at(0).original_name == "Feedback März.csv");
    CHECK(page.jobs[3].parameters["engine"] == "linear");

    HistoryQuery q;
    q.statuses = {JobStatus::Queued, JobStatus::Failed};
    page = store.history(q);
    CHECK(page.total == 2);
    q = {};
    q.search = "märz";  // LIKE folds ASCII letters; the ä is the same character
    CHECK(store.history(q).total == 1);
    q.search = "Feedback";
    REQUIRE(store.history(q).total == 1);
    CHECK(store.history(q).jobs[0].id == uuid(7));
    q.search = uuid(9);  // id (prefix)
    CHECK(store.history(q).total == 1);
    q.search = "LABELLED";  // details, case-insensitive
    CHECK(store.history(q).total == 1);
    q.search = "%";  // a wildcard character is searched for literally
    CHECK(store.history(q).total == 1);
    q.search = "_";
    CHECK(store.history(q).total == 1);
    q = {};
    q.limit = 2;
    q.offset = 1;
    page = store.history(q);
    CHECK(page.total == 4);
    REQUIRE(page.jobs.size() == 2);
    CHECK(page.jobs[0].id == uuid(5));
    CHECK(page.jobs[1].id == uuid(9));

    CHECK(store.ids_with_prefix("00000000-0000-4000-8000-00000000000").size() == 2);
    CHECK(store.ids_with_prefix(uuid(5)) == std::vector<std::string>{uuid(5)});
    auto counts = store.counts();
    CHECK(counts.queued == 1);
    CHECK(counts.completed == 1);
    CHECK(counts.total() == 4);

    // Another connection (another process) sees the change through PRAGMA data_version.
    JobStore other(db);
    auto before = store.data_version();
    auto local_before = store.local_changes();
    other.insert(make_job(new_job_id(), "2026-01-04T00:00:00Z", JobStatus::Queued));
    CHECK(store.data_version() != before);
    CHECK(store.local_changes() == local_before);
    store.insert(make_job(new_job_id(), "2026-01-04T00:00:01Z", JobStatus::Queued));
    CHECK(store.local_changes() == local_before + 1);
}

TEST_CASE("job store: cancel, claim order and the concurrency cap", "[jobs]") {
    htc::test::TempDir tmp;
    JobStore store((tmp / "jobs.sqlite3").string());
    store.insert(make_job(uuid(2), "2026-01-02T00:00:00Z", JobStatus::Queued));
    store.insert(make_job(uuid(1), "2026-01-01T00:00:00Z", JobStatus::Queued));
    store.insert(make_job(uuid(3), "2026-01-03T00:00:00Z", JobStatus::Queued));
    JobOwner me = current_owner();
    auto first = store.claim_next(me, 2);
    REQUIRE(first);
    CHECK(first->id == uuid(1));  // oldest first
    CHECK(first->status == JobStatus::Running);
    CHECK(first->attempts == 1);
    CHECK(first->owner.pid == me.pid);
    CHECK_FALSE(first->started.empty());
    auto only = store.claim_next(me, 2, {uuid(3)});
    REQUIRE(only);
    CHECK(only->id == uuid(3));
    CHECK_FALSE(store.claim_next(me, 2));  // two run already
    CHECK(store.has_queued());
    CHECK_FALSE(store.has_queued({uuid(3)}));

    CHECK(store.request_cancel(uuid(2)) == CancelOutcome::CancelledQueued);
    auto c = store.get(uuid(2));
    CHECK(c->status == JobStatus::Cancelled);
    CHECK_FALSE(c->finished.empty());
    CHECK(has_log(*c, "cancelled before it started"));
    CHECK(store.request_cancel(uuid(2)) == CancelOutcome::AlreadyFinished);
    CHECK(store.request_cancel(uuid(1)) == CancelOutcome::Requested);
    CHECK(store.request_cancel(uuid(1)) == CancelOutcome::AlreadyRequested);
    CHECK(store.cancel_requested(uuid(1)));
    CHECK(store.request_cancel("nope") == CancelOutcome::NotFound);

    ProgressWrite w;
    w.stage = "train";
    w.progress = 0.5;
    w.new_points = {{0.4, 1.5, "loss"}, {0.5, 1.2, "loss"}};
    w.new_lines = {{format_iso8601_utc(now_epoch_ms()), "epoch 3"}};
    CHECK(store.write_progress(uuid(1), me, w) == std::optional<bool>(true));
    JobOwner stranger = me;
    stranger.start_ticks += 1;
    CHECK_FALSE(store.write_progress(uuid(1), stranger, w));  // not its job
    JobEnd end;
    end.status = JobStatus::Cancelled;
    end.details = "Cancelled at stage train";
    CHECK_FALSE(store.finish(uuid(1), stranger, end));
    REQUIRE(store.finish(uuid(1), me, end));
    auto done = store.get(uuid(1));
    CHECK(done->status == JobStatus::Cancelled);
    CHECK(done->curve.size() == 2);
    CHECK(done->curve[1].value == 1.2);
    CHECK(has_log(*done, "epoch 3"));
    CHECK_FALSE(store.finish(uuid(1), me, end));  // already ended
}

TEST_CASE("crash recovery: dead owners are interrupted, requeued once, then failed", "[jobs]") {
    htc::test::TempDir tmp;
    JobStore store((tmp / "jobs.sqlite3").string());
    JobOwner me = current_owner();
    REQUIRE(me.start_ticks > 0);
    CHECK(owner_is_alive(me, 0));
    JobOwner reused = me;  // our pid, but a process started at another time
    reused.start_ticks = me.start_ticks + 12345;
    CHECK_FALSE(owner_is_alive(reused, now_epoch_ms()));
    pid_t child = fork();
    if (child == 0) _exit(0);
    waitpid(child, nullptr, 0);
    JobOwner dead{child, me.host, 1};
    CHECK_FALSE(owner_is_alive(dead, now_epoch_ms()));
    JobOwner remote{4242, "another-host", 99};
    CHECK(owner_is_alive(remote, now_epoch_ms() - 1000));
    CHECK_FALSE(owner_is_alive(remote, now_epoch_ms() - 10 * 60 * 1000));

    store.insert(make_job(uuid(1), "2026-01-01T00:00:00Z", JobStatus::Queued));
    store.insert(make_job(uuid(2), "2026-01-02T00:00:00Z", JobStatus::Queued));
    store.insert(make_job(uuid(3), "2026-01-03T00:00:00Z", JobStatus::Queued));
    REQUIRE(store.claim_next(reused, 0));  // uuid(1): first attempt, owner gone
    REQUIRE(store.claim_next(me, 0));      // uuid(2): alive
    REQUIRE(store.claim_next(dead, 0));    // uuid(3)
    CHECK(store.recover_dead_owners().size() == 2);
    auto j1 = store.get(uuid(1));
    CHECK(j1->status == JobStatus::Queued);
    CHECK(j1->attempts == 1);
    CHECK(j1->started.empty());
    CHECK(j1->finished.empty());
    CHECK(j1->owner.empty());
    CHECK(has_log(*j1, "interrupted: the process running it (pid " + std::to_string(me.pid)));
    CHECK(has_log(*j1, "queued again (attempt 2 of 2)"));
    CHECK(store.get(uuid(2))->status == JobStatus::Running);
    CHECK(store.get(uuid(3))->status == JobStatus::Queued);

    // Second crash of the same job: attempts used up -> failed, with a finish time.
    auto again = store.claim_next(dead, 0);
    REQUIRE(again);
    REQUIRE(again->id == uuid(1));
    CHECK(again->attempts == 2);
    auto rec = store.recover_dead_owners();
    REQUIRE(rec.size() == 1);
    CHECK(rec[0].now == JobStatus::Failed);
    auto failed = store.get(uuid(1));
    CHECK(failed->status == JobStatus::Failed);
    CHECK_FALSE(failed->finished.empty());
    CHECK(failed->error.find("interrupted 2 times") == 0);
    CHECK(store.recover_dead_owners().empty());  // nothing more to do
}

TEST_CASE("retention deletes old finished jobs only", "[jobs]") {
    htc::test::TempDir tmp;
    JobStore store((tmp / "jobs.sqlite3").string());
    std::int64_t now = now_epoch_ms();
    auto days_ago = [&](int d) { return format_iso8601_utc(now - d * 86400000LL); };
    store.insert(make_job(uuid(1), days_ago(200), JobStatus::Completed));
    store.insert(make_job(uuid(2), days_ago(100), JobStatus::Failed));
    store.insert(make_job(uuid(3), days_ago(150), JobStatus::Queued));  // never deleted
    store.insert(make_job(uuid(4), days_ago(10), JobStatus::Completed));
    store.insert(make_job(uuid(5), days_ago(1), JobStatus::Cancelled));
    store.append_log(uuid(1), "a line that goes with it");
    Retention keep_all;
    CHECK(store.apply_retention(keep_all, now).empty());
    auto gone = store.apply_retention(parse_retention("90d", "X"), now);
    CHECK(std::set<std::string>(gone.begin(), gone.end()) ==
          std::set<std::string>{uuid(1), uuid(2)});
    CHECK(store.exists(uuid(3)));
    gone = store.apply_retention(parse_retention("2", "X"), now);
    // Newest two are 5 and 4; 3 is queued and stays.
    CHECK(gone == std::vector<std::string>{});
    gone = store.apply_retention(parse_retention("1", "X"), now);
    CHECK(gone == std::vector<std::string>{uuid(4)});
    CHECK(store.counts().total() == 2);
    CHECK(store.integrity_check() == "ok");
}

TEST_CASE("a damaged job store is reported and left untouched", "[jobs]") {
    htc::test::TempDir tmp;
    fs::path db = tmp / "jobs.sqlite3";
    std::string garbage = "this is not a database, it is a text file someone put here\n";
    garbage += std::string(5000, 'x');
    write_all(db, garbage);
    try {
        JobStore store(db.string());
        FAIL("a damaged store opened");
    } catch (const StoreError& e) {
        std::string m = e.what();
        CHECK(m.find(db.string()) != std::string::npos);
        CHECK(m.find("left untouched") != std::string::npos);
    }
    CHECK(read_all(db) == garbage);
    // A store written by a newer schema is refused rather than misread.
    fs::path newer = tmp / "newer.sqlite3";
    { JobStore s(newer.string()); }
    {
        sqlite3* h = nullptr;
        REQUIRE(sqlite3_open(newer.c_str(), &h) == SQLITE_OK);
        sqlite3_exec(h, "PRAGMA user_version=99", nullptr, nullptr, nullptr);
        sqlite3_close(h);
    }
    CHECK_THROWS_WITH(JobStore(newer.string()),
                      Catch::Contains("schema version 99") && Catch::Contains("newer"));
}

// ---------------------------------------------------------------- export

TEST_CASE("C08: history CSV export quotes, neutralises formulas and matches the expected bytes",
          "[jobs][cases]") {
    HTC_REQUIRE_SHARED(path, "cases/C08_export_rows.json");
    auto rows = nlohmann::json::parse(read_all(path));
    REQUIRE(rows.size() == 3);
    htc::test::TempDir tmp;
    JobStore store((tmp / "jobs.sqlite3").string());
    // Each case row becomes a failed job: its file, its label as the details, its error.
    for (std::size_t i = 0; i < rows.size(); ++i) {
        std::string day = "2026-01-0" + std::to_string(i + 1);
        Job j = make_job(uuid(static_cast<int>(i + 1)), day + "T10:00:00.000+00:00",
                         JobStatus::Failed, rows[i]["label"].get<std::string>());
        j.started = day + "T10:00:01.000+00:00";
        j.finished = day + "T10:00:03.500+00:00";
        j.error = rows[i]["error"].get<std::string>();
        JobFile f;
        f.original_name = rows[i]["file"].get<std::string>();
        j.files.push_back(f);
        store.insert(j);
    }
    Job ok = make_job(uuid(4), "2026-01-04T10:00:00.000+00:00", JobStatus::Completed,
                      "v2: 100 documents");
    ok.started = "2026-01-04T10:00:01.000+00:00";
    ok.finished = "2026-01-04T10:01:31.250+00:00";
    ok.model_version = 2;
    ok.metrics = {{"leaf_accuracy", 0.75}, {"level_accuracy", {0.9, 0.8}}, {"h_f1", 0.8123456}};
    for (const char* n : {"a.csv", "b.json"}) {
        JobFile f;
        f.original_name = n;
        ok.files.push_back(f);
    }
    store.insert(ok);
    HistoryQuery all;
    all.limit = -1;
    auto page = store.history(all);
    fs::path out = tmp / default_export_file_name(now_epoch_ms());
    write_history_csv(out.string(), page.jobs);
    const std::string expected =
        "\xEF\xBB\xBF"
        "Job ID,Timestamp,Status,Details,Error,Started,Finished,Duration (s),Files,Model version,"
        "Leaf accuracy,Level-1 accuracy,Hierarchical F1\r\n"
        "00000000-0000-4000-8000-000000000004,2026-01-04T10:00:00.000+00:00,completed,"
        "v2: 100 documents,,2026-01-04T10:00:01.000+00:00,2026-01-04T10:01:31.250+00:00,90.2,"
        "a.csv; b.json,v2,0.7500,0.9000,0.8123\r\n"
        "00000000-0000-4000-8000-000000000003,2026-01-03T10:00:00.000+00:00,failed,A/B,"
        "\"quote \"\" comma , newline\nend\",2026-01-03T10:00:01.000+00:00,"
        "2026-01-03T10:00:03.500+00:00,2.5,Gr\xC3\xB6\xC3\x9F"
        "e.txt,,,,\r\n"
        "00000000-0000-4000-8000-000000000002,2026-01-02T10:00:00.000+00:00,failed,'\t=1+1,"
        "\"'\r=1+1\",2026-01-02T10:00:01.000+00:00,2026-01-02T10:00:03.500+00:00,2.5,"
        "'@A1.json,,,,\r\n"
        "00000000-0000-4000-8000-000000000001,2026-01-01T10:00:00.000+00:00,failed,"
        "\"'+SUM(1,1)\",'-2+3,2026-01-01T10:00:01.000+00:00,2026-01-01T10:00:03.500+00:00,2.5,"
        "'=1+1.csv,,,,\r\n";
    CHECK(read_all(out) == expected);
    CHECK(out.filename().string().rfind("htc-retrain-history-", 0) == 0);
    CHECK(out.filename().string().size() ==
          std::string("htc-retrain-history-YYYY-MM-DD.csv").size());

    CHECK(csv_cell("plain") == "plain");
    CHECK(csv_cell("=HYPERLINK(\"x\")") == "\"'=HYPERLINK(\"\"x\"\")\"");
    CHECK(csv_cell("-") == "'-");
    CHECK(csv_cell("") == "");

    auto seed = seed_records_json(page.jobs);
    REQUIRE(seed.size() == 4);
    CHECK(seed[3] == nlohmann::json{{"job_id", uuid(1)},
                                    {"timestamp", "2026-01-01T10:00:00.000+00:00"},
                                    {"status", "failed"},
                                    {"details", "+SUM(1,1)"}});
}

// ---------------------------------------------------------------- seed import

TEST_CASE("C26, C27: seed job logs import, damaged files are reported, never fatal", "[jobs][cases]") {
    HTC_REQUIRE_SHARED(c26, "cases/C26_jobs_orphaned.json");
    HTC_REQUIRE_SHARED(c27e, "cases/C27_jobs_empty.json");
    HTC_REQUIRE_SHARED(c27t, "cases/C27_jobs_truncated.json");
    htc::test::TempDir tmp;
    fs::path logs = tmp / "htc_logs";
    fs::create_directories(logs);
    fs::copy_file(c26, logs / "C26_jobs_orphaned.json");
    fs::copy_file(c27e, logs / "C27_jobs_empty.json");
    fs::copy_file(c27t, logs / "C27_jobs_truncated.json");
    // Two records in the seed's own format, one finished, one left queued.
    write_all(logs / "550e8400-e29b-41d4-a716-446655440000.json",
              R"({"job_id": "550e8400-e29b-41d4-a716-446655440000",
                  "timestamp": "2024-01-15T10:30:00.123456", "status": "completed",
                  "details": "Successfully processed 3 files and updated models"})");
    write_all(logs / "6ba7b810-9dad-41d1-80b4-00c04fd430c8.json",
              R"({"job_id": "6ba7b810-9dad-41d1-80b4-00c04fd430c8",
                  "timestamp": "2024-01-16T09:00:00", "status": "queued",
                  "details": "2 files uploaded for retraining"})");
    write_all(logs / "bad-status.json", R"({"job_id": "x1", "status": "exploded"})");
    write_all(logs / "deep.json", std::string(5000, '[') + std::string(5000, ']'));
    write_all(logs / "notes.txt", "not a record");

    JobStore store((tmp / "store/jobs.sqlite3").string());
    store.insert(make_job(uuid(77), "2026-01-01T00:00:00Z", JobStatus::Completed, "kept"));
    ImportReport r;
    REQUIRE_NOTHROW(r = import_seed_logs(store, logs.string()));
    CHECK(r.files == 7);
    CHECK(r.imported == 3);
    CHECK(r.marked_interrupted == 2);
    std::map<std::string, std::string> damaged;
    for (const auto& d : r.damaged) damaged[d.file] = d.reason;
    CHECK(damaged.size() == 4);
    CHECK(damaged["C27_jobs_empty.json"] == "empty file (cut off by a crash?)");
    CHECK(damaged["C27_jobs_truncated.json"].find("not valid JSON (truncated or damaged)") == 0);
    CHECK(damaged["bad-status.json"] == "unknown status 'exploded'");
    CHECK(damaged["deep.json"] == "nested too deeply to be a job record");
    CHECK(store.exists(uuid(77)));  // nothing was wiped

    // C26: left running by a dead process -> interrupted with a finish time.
    auto orphan = store.get("0b7c3c2e-0000-4000-8000-000000000002");
    REQUIRE(orphan);
    CHECK(orphan->status == JobStatus::Interrupted);
    CHECK(orphan->started == "2024-05-01T10:00:00.000+00:00");
    CHECK_FALSE(orphan->finished.empty());
    CHECK(orphan->source == "import");
    CHECK(has_log(*orphan, "was running by process 4242"));
    auto seed = store.get("550e8400-e29b-41d4-a716-446655440000");
    REQUIRE(seed);
    CHECK(seed->status == JobStatus::Completed);
    CHECK(seed->details == "Successfully processed 3 files and updated models");
    CHECK(parse_iso8601(seed->created) == parse_iso8601("2024-01-15T10:30:00.123"));
    CHECK(seed->finished == seed->created);
    CHECK(store.get("6ba7b810-9dad-41d1-80b4-00c04fd430c8")->status == JobStatus::Interrupted);
    HistoryQuery running;
    running.statuses = {JobStatus::Running, JobStatus::Queued};
    CHECK(store.history(running).total == 0);  // nothing shows as running forever

    // The seed record of an imported job is the seed's shape again.
    auto rec = seed->seed_record();
    CHECK(rec["job_id"] == "550e8400-e29b-41d4-a716-446655440000");
    CHECK(rec.size() == 4);

    // Importing again adds nothing; a missing folder is a clear error.
    ImportReport again = import_seed_logs(store, logs.string());
    CHECK(again.imported == 0);
    CHECK(again.already_present == 3);
    CHECK(store.counts().total() == 4);
    CHECK_THROWS_WITH(import_seed_logs(store, (tmp / "nope").string()),
                      Catch::Contains("not a folder"));
    CHECK(store.integrity_check() == "ok");
}

TEST_CASE("uploads: a folder's symbolic links to files outside it are not taken", "[jobs]") {
    htc::test::TempDir tmp;
    write_all(tmp / "secret.txt", "outside the dropped folder");
    write_all(tmp / "drop/A/one.csv", "text,label\nx,A\n");
    fs::create_directories(tmp / "drop/B");
    fs::create_symlink(tmp / "secret.txt", tmp / "drop/A/leak.txt");
    fs::create_symlink("../A/one.csv", tmp / "drop/B/inside.csv");
    fs::create_directory_symlink(tmp / "drop", tmp / "drop/B/loop");
    UploadStore uploads((tmp / "up").string(), {".csv", ".txt"}, 1000);
    UploadPlan plan = uploads.plan(std::vector<std::string>{(tmp / "drop").string()});
    std::map<std::string, UploadItem> by_display;
    for (const auto& i : plan.items) by_display[i.display] = i;
    CHECK(by_display["drop/A/leak.txt"].rejected ==
          "symbolic link to a file outside the folder, not taken");
    CHECK(by_display["drop/A/leak.txt"].stored_rel.empty());
    CHECK(by_display["drop/A/one.csv"].stored_rel == "drop/A/one.csv");
    CHECK(by_display["drop/B/inside.csv"].stored_rel == "drop/B/inside.csv");
    CHECK(plan.accepted() == 2);
}

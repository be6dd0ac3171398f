// Fault injection and limits: the disk fills while copying uploads or writing a model, a
// read-only data folder at start-up, SIGKILL at random moments during 20 retrain jobs, and the
// input limits (file size before reading, PDF extraction time).
//
// A full disk is a real small tmpfs mounted in a private mount namespace of a forked child
// (as root, or as a user through a user namespace), so the kernel returns ENOSPC exactly as
// on a full disk, and nothing outside the test is affected. Where namespaces are not
// available the test is skipped with a message saying so.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <set>
#include <thread>

#include "ingest/ingest.h"
#include "jobs/retrain_job.h"
#include "pipeline.h"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace htc;
using namespace htc::jobs;

namespace {

using Clock = std::chrono::steady_clock;

using test::slurp;
using test::write_all;

bool write_proc(const char* path, const std::string& s) {
    int fd = ::open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return false;
    bool ok = ::write(fd, s.data(), s.size()) == static_cast<ssize_t>(s.size());
    ::close(fd);
    return ok;
}

// In the calling (single-threaded, forked) process: a private mount namespace in which
// mounts are allowed. Returns false when the system does not allow it.
bool enter_private_mount_namespace() {
    const uid_t uid = ::getuid();
    const gid_t gid = ::getgid();
    if (::unshare(CLONE_NEWNS) != 0) {
        if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) return false;
        write_proc("/proc/self/setgroups", "deny");
        if (!write_proc("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1\n")) return false;
        if (!write_proc("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1\n")) return false;
    }
    return ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0;
}

// Runs `body` in a forked child inside a private mount namespace. The child's exit code is
// returned; 77 means the namespace (or a mount) was not allowed.
constexpr int kNoNamespace = 77;
int in_private_mounts(const std::function<int()>& body) {
    std::fflush(nullptr);
    pid_t pid = ::fork();
    if (pid == 0) {
        int rc = 1;
        try {
            rc = enter_private_mount_namespace() ? body() : kNoNamespace;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "child: %s\n", e.what());
            rc = 1;
        }
        std::fflush(nullptr);
        ::_exit(rc);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool mount_tmpfs(const fs::path& dir, std::size_t bytes) {
    fs::create_directories(dir);
    std::string opts = "size=" + std::to_string(bytes);
    return ::mount("tmpfs", dir.c_str(), "tmpfs", 0, opts.c_str()) == 0;
}

// Fills the file system holding `dir` until at most `leave` bytes are free.
void fill_disk(const fs::path& dir, std::size_t leave) {
    int fd = ::open((dir / "filler").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    std::vector<char> block(4096, 'x');
    while (::write(fd, block.data(), block.size()) > 0) {
    }
    ::close(fd);
    // Give back `leave` bytes so that small writes (a folder, a marker) still succeed.
    auto size = fs::file_size(dir / "filler");
    fs::resize_file(dir / "filler", size > leave ? size - leave : 0);
}

JobsConfig config_in(const fs::path& data) {
    JobsConfig cfg = load_config({}, [](const char*) -> const char* { return nullptr; });
    cfg.data_dir = data.string();
    cfg.upload_dir = (data / "htc_uploads").string();
    cfg.log_dir = (data / "htc_logs").string();
    return cfg;
}

bool eventually(const std::function<bool()>& pred, double seconds = 60) {
    auto end = Clock::now() + std::chrono::duration<double>(seconds);
    while (Clock::now() < end) {
        if (pred()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred();
}

// A labelled CSV of `n` documents over two classes, with words unique to `tag`.
std::string feedback_csv(const std::string& tag, int n) {
    std::string s = "text,label\n";
    for (int i = 0; i < n; ++i) {
        bool optics = i % 2 == 0;
        s += (optics ? "lens prism light focus " : "cell gene protein enzyme ") + tag + " doc" +
             std::to_string(i) + (optics ? ",Science/Optics\n" : ",Science/Biology\n");
    }
    return s;
}

// Bytes of every file below a folder (relative name -> content).
std::map<std::string, std::string> snapshot_tree(const fs::path& dir) {
    std::map<std::string, std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file()) out[fs::relative(e.path(), dir).string()] = slurp(e.path());
    return out;
}

}  // namespace

TEST_CASE("fault: the disk fills while copying uploads: the job fails with the reason",
          "[faults]") {
    test::TempDir tmp;
    JobsConfig cfg = config_in(tmp.path);
    cfg.upload_dir = (tmp / "small-disk").string();  // 1 MB, the store stays on the real disk
    // Three files of ~400 KB: the first two fit, the third fills the disk.
    std::vector<std::string> files;
    for (int i = 0; i < 3; ++i) {
        fs::path f = tmp / "in" / ("part" + std::to_string(i) + ".csv");
        std::string big = feedback_csv("p" + std::to_string(i), 2);
        while (big.size() < 400 * 1024) big += "filler text for size " + std::to_string(big.size()) + ",Science/Optics\n";
        write_all(f, big);
        files.push_back(f.string());
    }
    fs::path result = tmp / "result.txt";
    int rc = in_private_mounts([&] {
        if (!mount_tmpfs(cfg.upload_dir, 1 << 20)) return kNoNamespace;
        JobStore store(cfg.store_path());
        UploadStore uploads(cfg.upload_dir, cfg.allowed_extensions, cfg.max_file_size);
        SubmitResult r = submit_job(store, uploads, files, RetrainOptions{});
        // What is left in the small disk: no job folder, no partial copy.
        std::size_t left = 0;
        for (auto it = fs::recursive_directory_iterator(cfg.upload_dir);
             it != fs::recursive_directory_iterator(); ++it)
            ++left;
        std::ofstream(result) << (r.queued ? "queued" : "not-queued") << "\n"
                              << r.job_id << "\n"
                              << left << "\n"
                              << r.error << "\n";
        return 0;
    });
    if (rc == kNoNamespace) {
        WARN("skipped: this system allows no private mount namespace for a small tmpfs");
        return;
    }
    REQUIRE(rc == 0);
    std::ifstream in(result);
    std::string queued, id, left, error;
    std::getline(in, queued);
    std::getline(in, id);
    std::getline(in, left);
    std::getline(in, error);
    CHECK(queued == "not-queued");
    CHECK(left == "0");  // the copies that fitted were removed again
    CHECK_THAT(error, Catch::Contains("No space left on device"));
    CHECK_THAT(error, Catch::Contains("part2.csv"));
    REQUIRE_FALSE(id.empty());
    JobStore store(cfg.store_path());
    auto job = store.get(id);
    REQUIRE(job);
    CHECK(job->status == JobStatus::Failed);
    CHECK_THAT(job->error, Catch::Contains("No space left on device"));
    CHECK_FALSE(job->finished.empty());
    CHECK(store.counts().queued == 0);
    CHECK(store.integrity_check() == "ok");
}

TEST_CASE("fault: the disk fills while writing a model: the job fails, the active model is intact",
          "[faults]") {
  for (const std::string engine : {"linear", "fasttext"}) {
    INFO(engine);
    test::TempDir tmp;
    fs::path disk = tmp / "small-disk";  // the data folder (models) on a 16 MB disk
    JobsConfig cfg = config_in(disk);
    cfg.upload_dir = (tmp / "uploads").string();  // uploads and store on the real disk
    cfg.log_dir = (tmp / "logs").string();
    write_all(tmp / "in" / "first.csv", feedback_csv("first", 60));
    write_all(tmp / "in" / "second.csv", feedback_csv("second", 200));
    fs::path result = tmp / "result.txt";
    int rc = in_private_mounts([&]() -> int {
        if (!mount_tmpfs(disk, 16 << 20)) return kNoNamespace;
        std::ofstream out(result);
        JobSystem sys(cfg);
        sys.runner().start();
        auto run = [&](const std::string& file) {
            RetrainOptions o;
            o.engine = engine;
            o.params.threads = 1;
            SubmitResult r = sys.submit({{file, ""}}, o);
            if (!r.queued) throw std::runtime_error("not queued: " + r.error);
            if (!eventually([&] { return is_terminal(sys.store().get(r.job_id, false)->status); }))
                throw std::runtime_error("job did not end");
            return *sys.store().get(r.job_id);
        };
        Job first = run((tmp / "in" / "first.csv").string());
        out << to_string(first.status) << "\n";
        Registry reg(cfg.data_dir);
        auto before = snapshot_tree(reg.models_dir());
        auto probe = reg.load_active()->predict("lens prism light");
        fill_disk(disk, 8 * 1024);
        Job second = run((tmp / "in" / "second.csv").string());
        out << to_string(second.status) << "\n" << second.error << "\n";
        fs::remove(disk / "filler");
        bool intact = snapshot_tree(reg.models_dir()) == before;
        auto after = reg.load_active()->predict("lens prism light");
        out << (intact ? "intact" : "changed") << "\n"
            << reg.active().value_or(0) << "\n"
            << reg.list().size() << "\n"
            << (fs::exists(reg.version_dir(2)) ? "v2-dir" : "no-v2-dir") << "\n"
            << (after.path.confidence == probe.path.confidence ? "same" : "different") << "\n";
        // With space again, the next job trains and registers v2.
        Job third = run((tmp / "in" / "second.csv").string());
        out << to_string(third.status) << "\n" << third.model_version << "\n";
        sys.runner().stop();
        return 0;
    });
    if (rc == kNoNamespace) {
        WARN("skipped: this system allows no private mount namespace for a small tmpfs");
        return;
    }
    REQUIRE(rc == 0);
    std::ifstream in(result);
    std::vector<std::string> lines;
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    REQUIRE(lines.size() == 10);
    CHECK(lines[0] == "completed");
    CHECK(lines[1] == "failed");
    CHECK_THAT(lines[2], Catch::Contains("No space left on device"));
    CHECK(lines[3] == "intact");
    CHECK(lines[4] == "1");
    CHECK(lines[5] == "1");
    CHECK(lines[6] == "no-v2-dir");
    CHECK(lines[7] == "same");
    CHECK(lines[8] == "completed");
    CHECK(lines[9] == "2");
    JobStore store(cfg.store_path());
    CHECK(store.integrity_check() == "ok");
    CHECK(store.counts().failed == 1);
    CHECK(store.counts().completed == 2);
  }
}

TEST_CASE("fault: a read-only data folder is a clear error at start-up", "[faults]") {
    test::TempDir tmp;
    fs::path data = tmp / "data";
    fs::create_directories(data);
    fs::path out = tmp / "out.txt";
    const std::string bin = test::binary();
    auto run_cmd = [&](const std::string& args) {
        std::string cmd = bin + " --data-dir '" + data.string() + "' " + args + " >>'" +
                          out.string() + "' 2>&1; echo \"rc=$?\" >>'" + out.string() + "'";
        return std::system(cmd.c_str());
    };
    const std::string sample = (test::source_dir() / "assets/sample/feedback.csv").string();
    int rc = in_private_mounts([&]() -> int {
        // The folder bind-mounted on itself read-only: even root cannot write to it.
        if (::mount(data.c_str(), data.c_str(), nullptr, MS_BIND, nullptr) != 0 ||
            ::mount(nullptr, data.c_str(), nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY, nullptr) != 0)
            return kNoNamespace;
        run_cmd("history");
        run_cmd("submit '" + sample + "'");
        run_cmd("retrain '" + sample + "'");
        return 0;
    });
    if (rc == kNoNamespace) {
        WARN("skipped: this system allows no private mount namespace for a read-only bind mount");
        return;
    }
    REQUIRE(rc == 0);
    std::string text = slurp(out);
    INFO(text);
    // Each command names the folder and the reason, and exits non-zero before doing anything.
    std::size_t hits = 0;
    for (std::size_t p = 0; (p = text.find("data folder '" + data.string() +
                                               "' is not writable: Read-only file system",
                                           p)) != std::string::npos;
         ++p)
        ++hits;
    CHECK(hits == 3);
    CHECK_THAT(text, Catch::Contains("--data-dir or HTC_DATA_DIR"));
    CHECK(text.find("rc=0") == std::string::npos);
    CHECK(fs::is_empty(data));
}

TEST_CASE("fault: SIGKILL at random moments during 20 retrain jobs loses nothing", "[faults]") {
    test::TempDir tmp;
    JobsConfig cfg = config_in(tmp.path);
    std::vector<std::string> ids;
    // Queues one more retrain job; each model extends the corpus of the last.
    auto submit_one = [&] {
        JobStore store(cfg.store_path());
        UploadStore uploads(cfg.upload_dir, cfg.allowed_extensions, cfg.max_file_size);
        const std::string tag = "tag" + std::to_string(ids.size());
        fs::path f = tmp / "in" / (tag + ".csv");
        write_all(f, feedback_csv(tag, 100));
        RetrainOptions o;
        o.engine = "linear";
        o.promote = PromotePolicy::Always;
        SubmitResult r = submit_job(store, uploads, {f.string()}, o);
        REQUIRE(r.queued);
        ids.push_back(r.job_id);
    };
    for (int i = 0; i < 20; ++i) submit_one();
    std::mt19937 rng(20261204);
    int kills = 0, rounds = 0;
    auto all_ended = [&] {
        JobStore store(cfg.store_path());
        for (const auto& id : ids)
            if (!is_terminal(store.get(id, false)->status)) return false;
        return true;
    };
    // A fast machine may finish several jobs between two kills: then one more job is queued,
    // so that every one of the 20 kills lands while a retrain job runs.
    while ((kills < 20 || !all_ended()) && rounds < 400) {
        if (kills < 20 && all_ended()) submit_one();
        ++rounds;
        std::fflush(nullptr);
        pid_t pid = ::fork();
        if (pid == 0) {
            auto store = std::make_shared<JobStore>(cfg.store_path());
            RunnerOptions o = runner_options(cfg);
            o.stop_when_queue_empty = true;
            o.store_write_interval_seconds = 0.02;
            JobRunner runner(store, o, make_retrain_job_function(cfg.data_dir));
            runner.start();
            runner.wait();
            runner.stop();
            ::_exit(0);
        }
        // The first 20 workers die at a random moment; later ones run to the end.
        bool kill_it = kills < 20;
        int status = 0;
        if (kill_it) {
            // A random moment while a job runs: the claim, training, registering or the end.
            {
                JobStore watch(cfg.store_path());
                eventually([&] { return watch.counts().running > 0; }, 10);
            }
            std::this_thread::sleep_for(std::chrono::microseconds(rng() % 80000));
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            if (WIFSIGNALED(status)) ++kills;  // (a worker that ended first was not killed)
        } else {
            ::waitpid(pid, &status, 0);
        }
        // After every crash: the store is intact and every accepted job is still there.
        JobStore store(cfg.store_path());
        REQUIRE(store.integrity_check() == "ok");
        for (const auto& id : ids) {
            auto j = store.get(id, false);
            REQUIRE(j);
            INFO(id);
            REQUIRE(fs::exists(fs::path(cfg.upload_dir) / id / j->files.at(0).stored_name));
        }
        // The registry never shows a half version: ACTIVE names a loadable, committed one.
        Registry reg(cfg.data_dir);
        if (auto a = reg.active()) REQUIRE(reg.load(*a));
    }
    CHECK(kills == 20);
    REQUIRE(all_ended());
    JobStore store(cfg.store_path());
    CHECK(store.integrity_check() == "ok");
    // Every job ended completed, or failed after being interrupted twice; none is lost.
    std::set<std::string> completed_tags;
    int completed = 0, failed = 0;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        auto j = store.get(ids[i]);
        if (j->status == JobStatus::Completed) {
            ++completed;
            completed_tags.insert("tag" + std::to_string(i) + " ");
            Registry reg(cfg.data_dir);
            CHECK(reg.info(j->model_version).has_value());
        } else {
            CHECK(j->status == JobStatus::Failed);
            CHECK_THAT(j->error, Catch::Contains("interrupted"));
            ++failed;
        }
    }
    CHECK(completed + failed == static_cast<int>(ids.size()));
    CHECK(completed >= 10);
    // The active model's corpus holds the documents of every completed job.
    Registry reg(cfg.data_dir);
    REQUIRE(reg.active());
    std::string corpus = slurp(fs::path(reg.version_dir(*reg.active())) / "corpus.jsonl");
    for (const auto& tag : completed_tags) CHECK(corpus.find(tag) != std::string::npos);
    INFO("kills " << kills << ", rounds " << rounds << ", completed " << completed << ", failed "
                  << failed);
    CHECK(rounds >= 20);
    SUCCEED("kills " << kills << ", worker starts " << rounds << ", completed " << completed
                     << ", failed after two interruptions " << failed);
}

// ---------------------------------------------------------------- limits

TEST_CASE("limits: a 2 GB file is refused before reading, in well under a second",
          "[faults][limits]") {
    test::TempDir tmp;
    fs::path big = tmp / "huge.csv";
    {
        std::ofstream(big) << "text,label\n";
    }
    fs::resize_file(big, (2ull << 30) + 17);  // sparse: no disk space used
    auto t0 = Clock::now();
    std::vector<Record> out;
    FileReport rep = ingest_file(big.string(), IngestOptions{}, out);
    double ingest_s = std::chrono::duration<double>(Clock::now() - t0).count();
    CHECK_FALSE(rep.ok());
    CHECK_THAT(rep.error, Catch::Contains("huge.csv: file is 2.0 GB, larger than the limit of 1.0 GB"));
    CHECK(out.empty());

    // The upload check refuses it without copying a byte.
    UploadStore uploads((tmp / "up").string(), {".csv"}, 100ull << 20);
    t0 = Clock::now();
    UploadPlan plan = uploads.plan(std::vector<std::string>{big.string()});
    double plan_s = std::chrono::duration<double>(Clock::now() - t0).count();
    REQUIRE(plan.items.size() == 1);
    CHECK_THAT(plan.items[0].rejected, Catch::Contains("larger than the limit of 100.0 MB"));
    CHECK(plan.accepted() == 0);
    CHECK_FALSE(fs::exists(tmp / "up" / "huge.csv"));
    // Generous bounds that only prove nothing was read (reading 2 GB takes seconds).
    CHECK(ingest_s < 0.5);
    CHECK(plan_s < 0.5);
}

TEST_CASE("limits: PDF extraction time is bounded (max_pdf_seconds)", "[faults][limits][pdf]") {
    HTC_REQUIRE_SHARED(path, "data/pdf/humanities/linguistics/gb4e-doc.pdf");
    IngestOptions o;
    o.max_pdf_seconds = 0;  // any page takes longer than that: stops after the first page
    std::vector<Record> out;
    FileReport rep = ingest_file(path, o, out);
    CHECK_FALSE(rep.ok());
    CHECK_THAT(rep.error, Catch::Contains("text extraction took longer than 0 s (max_pdf_seconds); "
                                          "stopped after page 1 of 9"));
    CHECK(out.empty());
}

TEST_CASE("limits: CSV field length and JSON depth give a clear message with the limit",
          "[faults][limits]") {
    test::TempDir tmp;
    IngestOptions o;
    o.max_field_bytes = 64;
    write_all(tmp / "f.csv", "text,label\n" + std::string(100, 'a') + ",A\nshort,B\n");
    std::vector<Record> out;
    FileReport rep = ingest_file((tmp / "f.csv").string(), o, out);
    REQUIRE(rep.ok());
    REQUIRE(out.size() == 1);
    REQUIRE(rep.skipped.size() == 1);
    CHECK(rep.skipped[0].line == 2);
    CHECK_THAT(rep.skipped[0].reason, Catch::Contains("over the limit of 64 bytes (max_field_bytes)"));

    write_all(tmp / "d.json", std::string(300, '[') + std::string(300, ']'));
    out.clear();
    rep = ingest_file((tmp / "d.json").string(), IngestOptions{}, out);
    CHECK_THAT(rep.error, Catch::Contains("nested too deeply: more than 256"));
    CHECK_THAT(rep.error, Catch::Contains("(max_json_depth)"));
}

TEST_CASE("limits: set on the command line, kept in a job's parameters", "[faults][limits][cli]") {
    test::TempDir tmp;
    write_all(tmp / "deep.json", "[{\"text\": \"t\", \"label\": [[\"a\"]]}]");
    write_all(tmp / "ok.csv", feedback_csv("x", 10));
    auto run = [&](const std::string& args) {
        std::string cmd = test::binary() + " --data-dir '" + (tmp / "data").string() +
                          "' " + args + " 2>&1";
        std::string out;
        FILE* p = ::popen(cmd.c_str(), "r");
        REQUIRE(p);
        char buf[4096];
        std::size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
        int rc = ::pclose(p);
        return std::make_pair(rc, out);
    };
    auto [rc1, out1] = run("retrain --max-json-depth 2 '" + (tmp / "deep.json").string() + "' '" +
                           (tmp / "ok.csv").string() + "'");
    CHECK(rc1 == 0);  // the other file trains
    CHECK_THAT(out1, Catch::Contains("deep.json: nested too deeply: more than 2 levels"));
    auto [rc2, out2] = run("retrain --max-input-size 100 '" + (tmp / "ok.csv").string() + "'");
    CHECK(rc2 != 0);
    CHECK_THAT(out2, Catch::Contains("ok.csv: file is"));
    CHECK_THAT(out2, Catch::Contains("larger than the limit of 100 bytes (max_file_size)"));

    RetrainOptions o;
    o.ingest.max_json_depth = 7;
    o.ingest.max_field_bytes = 1234;
    o.ingest.max_pdf_pages = 3;
    o.ingest.max_pdf_seconds = 2.5;
    o.ingest.max_file_size = 99;
    RetrainOptions back = RetrainOptions::from_json(o.to_json());
    CHECK(back.ingest.max_json_depth == 7);
    CHECK(back.ingest.max_field_bytes == 1234);
    CHECK(back.ingest.max_pdf_pages == 3);
    CHECK(back.ingest.max_pdf_seconds == 2.5);
    CHECK(back.ingest.max_file_size == 99);
    // Records of older versions without limits get the defaults.
    auto j = o.to_json();
    j.erase("limits");
    CHECK(RetrainOptions::from_json(j).ingest.max_json_depth == IngestOptions{}.max_json_depth);
}

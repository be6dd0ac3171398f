// Job commands end to end through the real binary: submit, cancel, job, history, export,
// import-logs, worker, configuration errors, and kill -9 of a worker during real training.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "jobs/job_store.h"
#include "model/registry.h"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace htc::jobs;

extern char** environ;

namespace {

struct CliRun {
    int code = -1;
    std::string out, err;
};

std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_all(const fs::path& p, const std::string& s) {
    fs::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary);
    out << s;
}

std::string quoted(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

// Runs the binary through the shell: `env` is prepended (VAR=value ...), `args` is appended.
CliRun run(const htc::test::TempDir& tmp, const std::string& args, const std::string& env = "") {
    static int n = 0;
    fs::path out = tmp / ("out" + std::to_string(n)), err = tmp / ("err" + std::to_string(n));
    ++n;
    std::string cmd = "env -u HTC_DATA_DIR -u HTC_UPLOAD_DIR -u HTC_LOG_DIR " + env + " " +
                      quoted(htc::test::binary()) + " " + args + " >" + quoted(out.string()) +
                      " 2>" + quoted(err.string()) + " </dev/null";
    int status = std::system(cmd.c_str());
    CliRun r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = read_all(out);
    r.err = read_all(err);
    return r;
}

// A small two-class corpus that trains in a fraction of a second.
std::string small_corpus() {
    std::string s = "text,label\n";
    const char* optics[] = {"lens", "light", "focus", "mirror", "prism", "beam"};
    const char* music[] = {"melody", "rhythm", "chord", "song", "tempo", "choir"};
    for (int i = 0; i < 24; ++i) {
        s += std::string(optics[i % 6]) + " " + optics[(i + 1) % 6] + " bends " +
             std::to_string(i) + ",Science/Optics\n";
        s += std::string(music[i % 6]) + " " + music[(i + 2) % 6] + " plays " + std::to_string(i) +
             ",Arts/Music\n";
    }
    return s;
}

std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }

}  // namespace

TEST_CASE("CLI: job commands end to end", "[jobs]") {
    htc::test::TempDir tmp;
    const std::string data = quoted((tmp / "db").string());
    write_all(tmp / "corpus.csv", small_corpus());
    write_all(tmp / "single.csv", "text,label\nonly one class here,A/B\nand again,A/B\n");
    write_all(tmp / "notes.docx", "x");
    auto dd = [&](const std::string& args) { return "--data-dir " + data + " " + args; };

    // Bad settings: exit 2, the variable (or flag) and the value named.
    auto bad = run(tmp, dd("history"), "HTC_MAX_FILE_SIZE=12XB");
    CHECK(bad.code == 2);
    CHECK(bad.err.find("HTC_MAX_FILE_SIZE='12XB'") != std::string::npos);
    bad = run(tmp, dd("worker --job-timeout soon"));
    CHECK(bad.code == 2);
    CHECK(bad.err.find("--job-timeout='soon'") != std::string::npos);

    // submit: the id on stdout, every rejected file with its reason on stderr.
    auto sub = run(tmp, dd("submit " + quoted((tmp / "corpus.csv").string()) + " " +
                           quoted((tmp / "missing.txt").string())));
    REQUIRE(sub.code == 0);
    std::string id = first_line(sub.out);
    REQUIRE(id.size() == 36);
    CHECK(sub.err.find("rejected missing.txt: no such file or folder") != std::string::npos);
    auto none = run(tmp, dd("submit " + quoted((tmp / "notes.docx").string())));
    CHECK(none.code == 1);
    CHECK(none.err.find("rejected notes.docx: type .docx not allowed") != std::string::npos);
    CHECK(none.err.find("nothing queued") != std::string::npos);

    // cancel and job with an id prefix.
    auto c = run(tmp, dd("cancel " + id.substr(0, 8)));
    CHECK(c.code == 0);
    CHECK(c.out == id + " cancelled (it had not started)\n");
    c = run(tmp, dd("cancel " + id.substr(0, 8)));
    CHECK(c.code == 1);
    CHECK(c.err.find("already ended (cancelled)") != std::string::npos);
    auto j = run(tmp, dd("job " + id.substr(0, 6)));
    CHECK(j.code == 0);
    CHECK(j.out.find("Status    cancelled") != std::string::npos);
    CHECK(j.out.find("missing.txt") != std::string::npos);
    CHECK(j.out.find("cancelled before it started") != std::string::npos);
    auto nojob = run(tmp, dd("job ffffffff"));
    CHECK(nojob.code == 1);
    CHECK(nojob.err.find("no job with id 'ffffffff'") != std::string::npos);

    // submit --wait runs the job here and ends with its status.
    auto w = run(tmp, dd("submit --wait --engine linear " + quoted((tmp / "corpus.csv").string())));
    INFO(w.err);
    REQUIRE(w.code == 0);
    std::string id2 = first_line(w.out);
    CHECK(w.out.find(id2 + "  completed   v1: ") != std::string::npos);

    // worker: runs the queue until it is empty; exit 1 because one job failed.
    auto s3 = run(tmp, dd("submit --fresh " + quoted((tmp / "single.csv").string())));
    auto s4 = run(tmp, dd("submit " + quoted((tmp / "corpus.csv").string())));
    REQUIRE(s3.code == 0);
    REQUIRE(s4.code == 0);
    auto wk = run(tmp, dd("-q worker"));
    CHECK(wk.code == 1);
    CHECK(wk.out.find(first_line(s3.out) + "  failed") != std::string::npos);
    CHECK(wk.out.find("fewer than 2 classes") != std::string::npos);
    CHECK(wk.out.find(first_line(s4.out) + "  completed   v2: ") != std::string::npos);
    auto idle = run(tmp, dd("worker"));
    CHECK(idle.code == 0);

    // history: newest first, filters, JSON, exports.
    auto h = run(tmp, dd("--json history"));
    REQUIRE(h.code == 0);
    auto hj = nlohmann::json::parse(h.out);
    CHECK(hj["total"] == 4);
    CHECK(hj["jobs"][0]["job_id"] == first_line(s4.out));
    CHECK(hj["jobs"][0]["status"] == "completed");
    CHECK(hj["jobs"][0]["model_version"] == 2);
    CHECK(hj["jobs"][3]["job_id"] == id);
    auto hc = run(tmp, dd("history --status cancelled"));
    CHECK(hc.code == 0);
    CHECK(hc.out.find(id.substr(0, 8)) != std::string::npos);
    CHECK(hc.out.find("1-1 of 1 job(s)") != std::string::npos);
    auto hs = run(tmp, dd("history --search missing.txt"));
    CHECK(hs.out.find("1-1 of 1 job(s)") != std::string::npos);
    fs::create_directories(tmp / "export");
    auto csv = run(tmp, dd("history --csv " + quoted((tmp / "export").string())));
    CHECK(csv.code == 0);
    std::vector<fs::path> written;
    for (const auto& e : fs::directory_iterator(tmp / "export")) written.push_back(e.path());
    REQUIRE(written.size() == 1);
    CHECK(written[0].filename().string().rfind("htc-retrain-history-", 0) == 0);
    std::string bytes = read_all(written[0]);
    CHECK(bytes.rfind("\xEF\xBB\xBFJob ID,Timestamp,Status,Details", 0) == 0);
    CHECK(std::count(bytes.begin(), bytes.end(), '\n') == 5);
    auto seed = run(tmp, dd("history --seed-json " + quoted((tmp / "seed.json").string())));
    CHECK(seed.code == 0);
    auto sj = nlohmann::json::parse(read_all(tmp / "seed.json"));
    REQUIRE(sj.size() == 4);
    CHECK(sj[3].size() == 4);
    CHECK(sj[3]["job_id"] == id);
    CHECK(sj[3]["status"] == "cancelled");

    // import-logs: the seed's folder, with damaged files reported by name.
    HTC_REQUIRE_SHARED(c26, "cases/C26_jobs_orphaned.json");
    HTC_REQUIRE_SHARED(c27, "cases/C27_jobs_empty.json");
    fs::create_directories(tmp / "seedlogs");
    fs::copy_file(c26, tmp / "seedlogs/C26_jobs_orphaned.json");
    fs::copy_file(c27, tmp / "seedlogs/C27_jobs_empty.json");
    auto imp = run(tmp, dd("import-logs " + quoted((tmp / "seedlogs").string())));
    CHECK(imp.code == 0);
    CHECK(imp.out.find("imported 1 job(s) from 2 file(s)") != std::string::npos);
    CHECK(imp.err.find("skipped C27_jobs_empty.json: empty file") != std::string::npos);
    auto orphan = run(tmp, dd("job 0b7c3c2e"));
    CHECK(orphan.out.find("Status    interrupted") != std::string::npos);

    // --help answers the questions a user has.
    auto help = run(tmp, "submit --help");
    CHECK(help.code == 0);
    CHECK(help.out.find("--wait") != std::string::npos);
    CHECK(help.out.find("HTC_MAX_FILE_SIZE") != std::string::npos);
}

TEST_CASE("CLI: Ctrl-C requeues, kill -9 interrupts, a restart completes the job", "[jobs]") {
    HTC_REQUIRE_SHARED(dbpedia, "data/dbpedia/dbpedia-classes-2500.csv");
    htc::test::TempDir tmp;
    // 2000 rows: training lasts long enough (about a second) to be caught in it.
    {
        std::ifstream in(dbpedia, std::ios::binary);
        std::ofstream out(tmp / "feedback.csv", std::ios::binary);
        std::string line;
        for (int i = 0; i < 2000 && std::getline(in, line); ++i) out << line << "\n";
    }
    const std::string data = (tmp / "db").string();
    auto sub = run(tmp, "--data-dir " + quoted(data) + " submit --engine linear --text-col 1 " +
                            "--label-cols 2,3,4 " + quoted((tmp / "feedback.csv").string()));
    REQUIRE(sub.code == 0);
    std::string id = first_line(sub.out);
    JobStore store(data + "/htc_logs/jobs.sqlite3");

    // Starts a worker process and returns once it trains the job (pid 0 if it never did).
    auto worker_in_training = [&](std::vector<std::string> extra) -> pid_t {
        std::string bin = htc::test::binary();
        std::vector<std::string> args = {bin, "--data-dir", data, "-q", "worker"};
        args.insert(args.end(), extra.begin(), extra.end());
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        posix_spawn_file_actions_t quiet;
        posix_spawn_file_actions_init(&quiet);
        posix_spawn_file_actions_addopen(&quiet, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&quiet, 2, "/dev/null", O_WRONLY, 0);
        pid_t pid = 0;
        int rc = posix_spawn(&pid, bin.c_str(), &quiet, nullptr, argv.data(), environ);
        posix_spawn_file_actions_destroy(&quiet);
        if (rc != 0) return 0;
        auto end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
        while (std::chrono::steady_clock::now() < end) {
            auto j = store.get(id, false);
            if (j && j->status == JobStatus::Running && j->stage == "train") return pid;
            if (j && is_terminal(j->status)) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        ::kill(pid, SIGKILL);
        waitpid(pid, nullptr, 0);
        return 0;
    };

    // 1. Ctrl-C: the worker stops gracefully and the job goes back to the queue.
    pid_t pid = worker_in_training({"--follow"});
    REQUIRE(pid > 0);
    ::kill(pid, SIGINT);
    int status = 0;
    waitpid(pid, &status, 0);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 130);
    auto j = store.get(id, true);
    CHECK(j->status == JobStatus::Queued);
    CHECK(j->attempts == 0);
    CHECK(j->log.back().message.find("the program was closing; queued again") != std::string::npos);

    // 2. kill -9 in the middle of training.
    pid = worker_in_training({});
    REQUIRE(pid > 0);
    ::kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status));
    CHECK(store.get(id, false)->status == JobStatus::Running);  // as the crash left it
    CHECK(store.integrity_check() == "ok");
    CHECK_FALSE(htc::Registry(data).active());  // nothing was half-registered

    // 3. The next worker marks it interrupted, requeues it and completes it.
    auto again = run(tmp, "--data-dir " + quoted(data) + " -q worker");
    INFO(again.err);
    CHECK(again.code == 0);
    j = store.get(id, true);
    REQUIRE(j);
    CHECK(j->status == JobStatus::Completed);
    CHECK(j->attempts == 2);
    CHECK(j->model_version == 1);
    bool interrupted = false, requeued = false;
    for (const auto& l : j->log) {
        if (l.message.find("interrupted: the process running it (pid " + std::to_string(pid)) == 0)
            interrupted = true;
        if (l.message == "queued again (attempt 2 of 2)") requeued = true;
    }
    CHECK(interrupted);
    CHECK(requeued);
    CHECK(htc::Registry(data).active() == 1);
    CHECK(store.integrity_check() == "ok");
}

TEST_CASE("CLI: a failed job names the user's file, not its stored copy", "[jobs][cli]") {
    htc::test::TempDir tmp;
    const fs::path data = tmp / "data";
    write_all(tmp / "in" / "broken.json", std::string(300, '[') + std::string(300, ']'));
    CliRun r = run(tmp, "--data-dir " + quoted(data.string()) + " -q submit --wait " +
                            quoted((tmp / "in" / "broken.json").string()));
    CHECK(r.code != 0);
    CliRun h = run(tmp, "--data-dir " + quoted(data.string()) + " --json history");
    REQUIRE(h.code == 0);
    CHECK(h.out.find("Failed at stage parse") != std::string::npos);
    CHECK(h.out.find("broken.json: nested too deeply") != std::string::npos);
    // Only the job's parameters mention the stored copy; what the user reads does not.
    auto rec = nlohmann::json::parse(h.out);
    auto job = rec.is_array() ? rec.at(0) : rec.at("jobs").at(0);
    CHECK(job.value("details", "").find("htc_uploads") == std::string::npos);
    CHECK(job.value("error", "").find("htc_uploads") == std::string::npos);
}

// Job system, running side: state transitions through the runner (with an injected job
// function), live snapshot, timeouts, shutdown, several processes and kill -9.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include "jobs/job_runner.h"
#include "jobs/retrain_job.h"
#include "test_support.h"

namespace fs = std::filesystem;
using namespace htc::jobs;
using htc::Progress;

namespace {

using Clock = std::chrono::steady_clock;

// Polls `pred` until it holds or `seconds` pass.
bool eventually(const std::function<bool()>& pred, double seconds = 10) {
    auto end = Clock::now() + std::chrono::duration<double>(seconds);
    while (Clock::now() < end) {
        if (pred()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return pred();
}

bool has_log(const Job& j, const std::string& needle) {
    for (const auto& l : j.log)
        if (l.message.find(needle) != std::string::npos) return true;
    return false;
}

void write_all(const fs::path& p, const std::string& s) {
    fs::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary);
    out << s;
}

// A data folder with a job store and an upload folder, and a feedback file to submit.
struct Env {
    htc::test::TempDir tmp;
    JobsConfig cfg;
    std::shared_ptr<JobStore> store;
    std::unique_ptr<UploadStore> uploads;
    fs::path feedback;
    Env() {
        std::map<std::string, std::string> none;
        cfg = load_config({}, [](const char*) -> const char* { return nullptr; });
        cfg.data_dir = tmp.str();
        cfg.upload_dir = (tmp / "htc_uploads").string();
        cfg.log_dir = (tmp / "htc_logs").string();
        store = std::make_shared<JobStore>(cfg.store_path());
        uploads = std::make_unique<UploadStore>(cfg.upload_dir, cfg.allowed_extensions,
                                                cfg.max_file_size);
        feedback = tmp / "in" / "feedback.csv";
        write_all(feedback, "text,label\nlenses bend light,Science/Optics\n");
    }
    std::string submit() {
        SubmitResult r = submit_job(*store, *uploads, {feedback.string()}, htc::RetrainOptions{});
        REQUIRE(r.queued);
        return r.job_id;
    }
    RunnerOptions fast_options() const {
        RunnerOptions o = runner_options(cfg);
        o.store_write_interval_seconds = 0.02;
        o.poll_interval_seconds = 0.05;
        o.recovery_interval_seconds = 0.2;
        return o;
    }
    Job job(const std::string& id) const {
        auto j = store->get(id);
        REQUIRE(j);
        return *j;
    }
    bool ended(const std::string& id) const { return is_terminal(store->get(id, false)->status); }
};

// A job function that stays in the "train" stage, reporting a loss, until it is cancelled.
JobOutcome train_until_cancelled(JobContext& ctx) {
    for (int i = 0;; ++i) {
        Progress p;
        p.stage = "train";
        p.fraction = std::min(0.15 + i * 0.0005, 0.84);
        p.metric = 2.0 / (1 + i);
        p.metric_name = "loss";
        if (i % 50 == 0) p.message = "epoch " + std::to_string(i / 50 + 1);
        ctx.progress(p);
        htc::throw_if_cancelled(ctx.cancel);
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
}

// A job function that goes through the stages and succeeds.
JobOutcome train_and_complete(JobContext& ctx) {
    const char* stages[] = {"parse", "sanitize", "train", "evaluate", "register"};
    for (int s = 0; s < 5; ++s) {
        for (int i = 0; i <= 10; ++i) {
            Progress p;
            p.stage = stages[s];
            p.fraction = (s + i / 10.0) / 5.0;
            if (s == 2) {
                p.metric = 1.0 - i * 0.05;
                p.metric_name = "loss";
            }
            ctx.progress(p);
            htc::throw_if_cancelled(ctx.cancel);
        }
    }
    ctx.log("registered v7");
    JobOutcome out;
    out.details = "v7: 1 document";
    out.model_version = 7;
    out.metrics = {{"h_f1", 0.91}, {"leaf_accuracy", 0.8}};
    htc::FileReport r;
    r.path = (fs::path(ctx.upload_dir) / ctx.job.files.at(0).stored_name).string();
    r.format = "csv";
    r.records = 1;
    r.labelled = 1;
    r.skipped.push_back({3, "no text"});
    out.file_reports.push_back(r);
    return out;
}

}  // namespace

TEST_CASE("runner: a job goes queued -> running -> completed with live state", "[jobs]") {
    Env env;
    std::string id = env.submit();
    auto queued = env.job(id);
    CHECK(queued.status == JobStatus::Queued);
    CHECK(queued.details == "1 file uploaded for retraining");
    CHECK(queued.parameters["paths"][0] ==
          (fs::path(env.cfg.upload_dir) / id / "feedback.csv").string());

    // The job function pauses in "train" until the test has looked at the live snapshot.
    std::mutex m;
    std::condition_variable cv;
    bool seen = false;
    JobRunner runner(env.store, env.fast_options(), [&](JobContext& ctx) {
        Progress p;
        p.stage = "train";
        p.fraction = 0.3;
        p.metric = 0.7;
        p.metric_name = "loss";
        p.message = "halfway";
        ctx.progress(p);
        p.fraction = 0.35;
        p.metric = std::nan("");  // a diverging loss: a point with no value (C30)
        ctx.progress(p);
        std::unique_lock lock(m);
        cv.wait_for(lock, std::chrono::seconds(10), [&] { return seen; });
        return train_and_complete(ctx);
    });
    std::atomic<int> wakes{0};
    runner.set_wake_callback([&] { ++wakes; });
    auto v0 = runner.snapshot()->version;
    runner.start();
    REQUIRE(eventually([&] {
        auto s = runner.snapshot();
        return !s->live.empty() && s->live[0].stage == "train";
    }));
    auto snap = runner.snapshot();
    CHECK(snap->version > v0);
    CHECK(snap == runner.snapshot());  // unchanged state: the same object, no copy
    const LiveJob& live = snap->live.at(0);
    CHECK(live.id == id);
    CHECK(live.local);
    CHECK(live.progress == 0.35);
    CHECK(live.files == 1);
    REQUIRE(live.curve.size() == 2);
    CHECK(live.curve[0].value == 0.7);
    CHECK(std::isnan(live.curve[1].value));
    CHECK(live.log_tail.back().message == "halfway");
    REQUIRE(eventually([&] { return env.store->get(id, false)->stage == "train"; }));
    CHECK(env.job(id).status == JobStatus::Running);
    REQUIRE(eventually([&] { return runner.snapshot()->running == 1; }));
    {
        std::lock_guard lock(m);
        seen = true;
    }
    cv.notify_all();
    REQUIRE(eventually([&] { return env.ended(id); }));
    runner.stop();
    CHECK(wakes > 0);
    Job done = env.job(id);
    CHECK(done.status == JobStatus::Completed);
    CHECK(done.progress == 1.0);
    CHECK(done.model_version == 7);
    CHECK(done.metrics["h_f1"] == 0.91);
    CHECK(done.details == "v7: 1 document");
    CHECK(done.attempts == 1);
    CHECK(done.error.empty());
    CHECK_FALSE(done.finished.empty());
    CHECK(done.duration_seconds() >= 0);
    REQUIRE(done.files.size() == 1);
    CHECK(done.files[0].format == "csv");
    CHECK(done.files[0].records == 1);
    CHECK(done.files[0].skipped == 1);
    CHECK(done.files[0].skip_reasons == std::vector<std::string>{"line 3: no text"});
    REQUIRE(done.curve.size() == 13);  // every loss report of the train stage
    CHECK(std::isnan(done.curve[1].value));
    CHECK(done.to_json()["curve"][1]["value"].is_null());
    CHECK(done.curve.back().metric == "loss");
    CHECK(has_log(done, "stage train"));
    CHECK(has_log(done, "registered v7"));
    CHECK(has_log(done, "completed: v7: 1 document"));
    CHECK(runner.finished_jobs() == std::vector<std::string>{id});
    CHECK(runner.snapshot()->live.empty());
}

TEST_CASE("runner: failures, cancel before and during the run, cross-process cancel", "[jobs]") {
    Env env;
    SECTION("an error ends the job as failed with the message") {
        std::string id = env.submit();
        JobRunner runner(env.store, env.fast_options(), [](JobContext& ctx) -> JobOutcome {
            Progress p;
            p.stage = "sanitize";
            ctx.progress(p);
            throw std::runtime_error("fewer than 2 classes in the labelled documents");
        });
        runner.start();
        REQUIRE(eventually([&] { return env.ended(id); }));
        runner.stop();
        Job j = env.job(id);
        CHECK(j.status == JobStatus::Failed);
        CHECK(j.error == "fewer than 2 classes in the labelled documents");
        CHECK(j.details ==
              "Failed at stage sanitize: fewer than 2 classes in the labelled documents");
        CHECK(has_log(j, "failed: fewer than 2 classes"));
    }
    SECTION("cancel of a queued job: cancelled at once, never run") {
        std::string id = env.submit();
        std::atomic<bool> ran{false};
        JobRunner runner(env.store, env.fast_options(), [&](JobContext& ctx) {
            ran = true;
            return train_and_complete(ctx);
        });
        CHECK(runner.cancel(id) == CancelOutcome::CancelledQueued);
        CHECK(env.job(id).status == JobStatus::Cancelled);
        runner.start();
        runner.notify();
        std::string other = env.submit();  // proves the runner is working
        runner.notify();
        REQUIRE(eventually([&] { return env.ended(other); }));
        runner.stop();
        CHECK(env.job(other).status == JobStatus::Completed);
        CHECK(runner.finished_jobs() == std::vector<std::string>{other});
        CHECK(env.job(id).status == JobStatus::Cancelled);
    }
    SECTION("cancel during training ends as cancelled, not failed") {
        std::string id = env.submit();
        JobRunner runner(env.store, env.fast_options(), train_until_cancelled);
        runner.start();
        REQUIRE(eventually([&] { return env.store->get(id, false)->stage == "train"; }));
        CHECK(runner.cancel(id) == CancelOutcome::Requested);
        REQUIRE(eventually([&] { return env.ended(id); }));
        runner.stop();
        Job j = env.job(id);
        CHECK(j.status == JobStatus::Cancelled);
        CHECK(j.details == "Cancelled at stage train");
        CHECK(j.error.empty());
        CHECK(has_log(j, "cancel requested"));
        CHECK(has_log(j, "cancelled at stage train"));
        CHECK_FALSE(j.curve.empty());
    }
    SECTION("a cancel requested by another process reaches the running job") {
        std::string id = env.submit();
        JobRunner runner(env.store, env.fast_options(), train_until_cancelled);
        runner.start();
        REQUIRE(eventually([&] { return env.store->get(id, false)->stage == "train"; }));
        JobStore other(env.cfg.store_path());  // another connection, as another process has
        CHECK(other.request_cancel(id) == CancelOutcome::Requested);
        REQUIRE(eventually([&] { return env.ended(id); }, 5));
        runner.stop();
        Job j = env.job(id);
        CHECK(j.status == JobStatus::Cancelled);
        CHECK(has_log(j, "cancel request received"));
    }
    SECTION("the time limit fails the job with the reason") {
        std::string id = env.submit();
        RunnerOptions o = env.fast_options();
        o.job_timeout_seconds = 0.3;
        JobRunner runner(env.store, o, train_until_cancelled);
        auto t0 = Clock::now();
        runner.start();
        REQUIRE(eventually([&] { return env.ended(id); }));
        double took = std::chrono::duration<double>(Clock::now() - t0).count();
        runner.stop();
        Job j = env.job(id);
        CHECK(j.status == JobStatus::Failed);
        CHECK(j.error == "timed out after 0.3 s");
        CHECK(has_log(j, "time limit of 0.3 s reached"));
        CHECK(took >= 0.3);
        CHECK(took < 3);
    }
    SECTION("a job whose stored files vanished fails with the reason") {
        std::string id = env.submit();
        fs::remove_all(fs::path(env.cfg.upload_dir) / id);
        JobRunner runner(env.store, env.fast_options(), train_and_complete);
        runner.start();
        REQUIRE(eventually([&] { return env.ended(id); }));
        runner.stop();
        Job j = env.job(id);
        CHECK(j.status == JobStatus::Failed);
        CHECK(j.error.find("the uploaded files of this job are missing") == 0);
        CHECK(j.files.at(0).error.find("the stored copy is missing") == 0);
    }
}

TEST_CASE("runner: graceful shutdown requeues (or cancels) running jobs", "[jobs]") {
    Env env;
    std::string id = env.submit();
    {
        JobRunner runner(env.store, env.fast_options(), train_until_cancelled);
        runner.start();
        REQUIRE(eventually([&] { return env.store->get(id, false)->stage == "train"; }));
        runner.stop();  // default: requeue
    }
    Job j = env.job(id);
    CHECK(j.status == JobStatus::Queued);
    CHECK(j.attempts == 0);  // the stopped run does not count
    CHECK(j.started.empty());
    CHECK(has_log(j, "the program was closing; queued again"));
    {
        JobRunner runner(env.store, env.fast_options(), train_and_complete);
        runner.start();
        REQUIRE(eventually([&] { return env.ended(id); }));
    }
    CHECK(env.job(id).status == JobStatus::Completed);
    CHECK(env.job(id).attempts == 1);

    std::string id2 = env.submit();
    JobRunner runner(env.store, env.fast_options(), train_until_cancelled);
    runner.start();
    REQUIRE(eventually([&] { return env.store->get(id2, false)->stage == "train"; }));
    runner.stop(JobRunner::StopMode::Cancel);
    CHECK(env.job(id2).status == JobStatus::Cancelled);
    CHECK(env.job(id2).details == "Cancelled: the program was closing");
}

TEST_CASE("runner: at most max_concurrent_jobs run at once", "[jobs]") {
    Env env;
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) ids.push_back(env.submit());
    std::mutex m;
    std::condition_variable cv;
    int current = 0, peak = 0, started = 0;
    RunnerOptions o = env.fast_options();
    o.max_concurrent_jobs = 2;
    o.stop_when_queue_empty = true;
    JobRunner runner(env.store, o, [&](JobContext& ctx) {
        std::unique_lock lock(m);
        peak = std::max(peak, ++current);
        ++started;
        cv.notify_all();
        // Each job waits for a partner so that two really overlap (the fifth has none).
        cv.wait_for(lock, std::chrono::seconds(5), [&] { return current >= 2 || started == 5; });
        --current;
        lock.unlock();
        return train_and_complete(ctx);
    });
    runner.start();
    runner.wait();
    runner.stop();
    CHECK(peak == 2);
    for (const auto& id : ids) CHECK(env.job(id).status == JobStatus::Completed);
    CHECK(runner.finished_jobs().size() == 5);
}

TEST_CASE("runner: jobs and changes of other processes show up in the snapshot", "[jobs]") {
    Env env;
    RunnerOptions o = env.fast_options();
    o.only_job_ids = {"not-a-job"};  // this runner only watches
    JobRunner runner(env.store, o, train_and_complete);
    runner.start();
    auto gen0 = runner.snapshot()->store_generation;
    // Another connection (as another process would) queues a job...
    JobStore other(env.cfg.store_path());
    UploadStore uploads(env.cfg.upload_dir, env.cfg.allowed_extensions, env.cfg.max_file_size);
    auto r = submit_job(other, uploads, {env.feedback.string()}, htc::RetrainOptions{});
    REQUIRE(eventually([&] { return runner.snapshot()->store_generation > gen0; }, 3));
    REQUIRE(eventually([&] { return runner.snapshot()->queued == 1; }, 3));
    // ... and runs it (its owner is alive: this test process).
    auto claimed = other.claim_next(current_owner(), 0);
    REQUIRE(claimed);
    ProgressWrite w;
    w.stage = "train";
    w.progress = 0.4;
    w.new_points = {{0.4, 0.9, "loss"}};
    w.new_lines = {{format_iso8601_utc(now_epoch_ms()), "epoch 2 of 5"}};
    REQUIRE(other.write_progress(r.job_id, current_owner(), w));
    REQUIRE(eventually(
        [&] {
            auto s = runner.snapshot();
            return s->running == 1 && s->queued == 0 && s->live.size() == 1 &&
                   s->live[0].stage == "train";
        },
        3));
    auto s = runner.snapshot();
    CHECK(s->live[0].id == r.job_id);
    CHECK_FALSE(s->live[0].local);
    CHECK(s->live[0].progress == 0.4);
    CHECK(s->live[0].curve.size() == 1);
    CHECK(s->live[0].log_tail.back().message == "epoch 2 of 5");
    runner.stop();
    CHECK(env.job(r.job_id).status == JobStatus::Running);  // not this runner's to touch
}

TEST_CASE("two processes submit 200 jobs each at once: 400 jobs, none lost or run twice",
          "[jobs]") {
    Env env;
    fs::path store_path = env.cfg.store_path();
    auto spawn = [&](const std::function<int()>& body) {
        pid_t pid = fork();
        if (pid == 0) {
            int rc = 1;
            try {
                rc = body();
            } catch (const std::exception& e) {
                std::fprintf(stderr, "child %d: %s\n", getpid(), e.what());
            }
            std::fflush(nullptr);
            _exit(rc);
        }
        return pid;
    };
    auto wait_ok = [](pid_t pid) {
        int status = 0;
        waitpid(pid, &status, 0);
        return WIFEXITED(status) && WEXITSTATUS(status) == 0;
    };
    auto submitter = [&] {
        JobStore store(store_path.string());
        UploadStore uploads(env.cfg.upload_dir, env.cfg.allowed_extensions, env.cfg.max_file_size);
        for (int i = 0; i < 200; ++i) {
            auto r = submit_job(store, uploads, {env.feedback.string()}, htc::RetrainOptions{});
            if (!r.queued) return 1;
        }
        return 0;
    };
    auto t0 = Clock::now();
    pid_t a = spawn(submitter), b = spawn(submitter);
    CHECK(wait_ok(a));
    CHECK(wait_ok(b));
    double submit_s = std::chrono::duration<double>(Clock::now() - t0).count();
    HistoryQuery all;
    all.limit = -1;
    auto page = env.store->history(all);
    REQUIRE(page.total == 400);
    std::set<std::string> ids;
    for (const auto& j : page.jobs) {
        ids.insert(j.id);
        CHECK(j.status == JobStatus::Queued);
        REQUIRE(j.files.size() == 1);
        CHECK(fs::file_size(fs::path(env.cfg.upload_dir) / j.id / j.files[0].stored_name) ==
              fs::file_size(env.feedback));
    }
    CHECK(ids.size() == 400);

    // Two worker processes drain the queue; each records the jobs it ran.
    fs::path ran_dir = env.tmp / "ran";
    fs::create_directories(ran_dir);
    auto worker = [&] {
        auto store = std::make_shared<JobStore>(store_path.string());
        RunnerOptions o = runner_options(env.cfg);
        o.max_concurrent_jobs = 2;
        o.stop_when_queue_empty = true;
        o.poll_interval_seconds = 0.05;
        std::string log = (ran_dir / std::to_string(getpid())).string();
        JobRunner runner(store, o, [&](JobContext& ctx) {
            int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
            std::string line = ctx.job.id + "\n";
            ssize_t n = ::write(fd, line.data(), line.size());
            ::close(fd);
            if (n != static_cast<ssize_t>(line.size())) throw std::runtime_error("cannot log");
            JobOutcome out;
            out.details = "ran in " + std::to_string(getpid());
            return out;
        });
        runner.start();
        runner.wait();
        runner.stop();
        return 0;
    };
    t0 = Clock::now();
    a = spawn(worker);
    b = spawn(worker);
    CHECK(wait_ok(a));
    CHECK(wait_ok(b));
    double run_s = std::chrono::duration<double>(Clock::now() - t0).count();
    std::multiset<std::string> ran;
    std::vector<std::size_t> per_process;
    for (const auto& e : fs::directory_iterator(ran_dir)) {
        std::ifstream in(e.path());
        std::string line;
        std::size_t n = 0;
        while (std::getline(in, line)) {
            ran.insert(line);
            ++n;
        }
        per_process.push_back(n);
    }
    INFO("submit " << submit_s << " s, run " << run_s << " s");
    CHECK(ran.size() == 400);
    CHECK(std::set<std::string>(ran.begin(), ran.end()) == ids);  // each exactly once
    auto counts = env.store->counts();
    CHECK(counts.completed == 400);
    page = env.store->history(all);
    for (const auto& j : page.jobs) CHECK(j.attempts == 1);
    CHECK(env.store->integrity_check() == "ok");
}

TEST_CASE("kill -9 during training: the job is interrupted, requeued and completed", "[jobs]") {
    Env env;
    std::string id = env.submit();
    std::string keep = env.submit();  // a second accepted job must survive the crash as well
    pid_t child = fork();
    if (child == 0) {
        auto store = std::make_shared<JobStore>(env.cfg.store_path());
        RunnerOptions o = runner_options(env.cfg);
        o.store_write_interval_seconds = 0.02;
        o.only_job_ids = {id};
        JobRunner runner(store, o, train_until_cancelled);
        runner.start();
        runner.wait();
        _exit(0);
    }
    bool training = eventually([&] {
        auto j = env.store->get(id);
        return j && j->status == JobStatus::Running && j->stage == "train" && j->curve.size() > 5;
    });
    ::kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    REQUIRE(training);
    REQUIRE(WIFSIGNALED(status));
    CHECK(env.job(id).status == JobStatus::Running);  // as the crash left it
    CHECK(env.store->integrity_check() == "ok");

    // Restart: recovery at start-up, then the job runs again and completes.
    JobRunner runner(env.store, env.fast_options(), train_and_complete);
    runner.start();
    REQUIRE(eventually([&] { return env.ended(id) && env.ended(keep); }));
    runner.stop();
    Job j = env.job(id);
    CHECK(j.status == JobStatus::Completed);
    CHECK(j.attempts == 2);
    CHECK(has_log(j, "interrupted: the process running it (pid " + std::to_string(child)));
    CHECK(has_log(j, "queued again (attempt 2 of 2)"));
    CHECK(has_log(j, "started (attempt 2)"));
    CHECK(env.job(keep).status == JobStatus::Completed);
    CHECK(env.job(keep).attempts == 1);
    CHECK(fs::exists(fs::path(env.cfg.upload_dir) / id / "feedback.csv"));
    CHECK(env.store->integrity_check() == "ok");
}

TEST_CASE("JobSystem wires config, store, uploads and runner for a front end", "[jobs]") {
    htc::test::TempDir tmp;
    JobsConfig cfg = load_config({}, [](const char*) -> const char* { return nullptr; });
    cfg.data_dir = tmp.str();
    cfg.upload_dir = (tmp / "up").string();
    cfg.log_dir = (tmp / "logs").string();
    cfg.max_file_size = 64;
    write_all(tmp / "f.csv", "text,label\nx,A\n");
    write_all(tmp / "big.csv", std::string(65, 'x'));
    JobSystem jobs(cfg, train_and_complete);
    CHECK(jobs.store().path() == (tmp / "logs/jobs.sqlite3").string());
    jobs.runner().start();
    auto r = jobs.submit({{(tmp / "f.csv").string(), ""}, {(tmp / "big.csv").string(), ""}},
                         htc::RetrainOptions{});
    REQUIRE(r.queued);
    CHECK(r.accepted() == 1);
    CHECK(r.rejected() == 1);
    CHECK(r.files[1].error.find("larger than the limit of 64 bytes") != std::string::npos);
    auto params = jobs.store().get(r.job_id)->parameters;
    CHECK(params["paths"].size() == 1);
    CHECK(params["engine"] == "auto");
    REQUIRE(eventually([&] { return is_terminal(jobs.store().get(r.job_id, false)->status); }));
    jobs.runner().stop();
    auto j = jobs.store().get(r.job_id);
    CHECK(j->status == JobStatus::Completed);
    CHECK(j->details == "v7: 1 document");
    CHECK(j->files[1].error.find("larger than the limit") != std::string::npos);
    CHECK(has_log(*j, "rejected big.csv: 65 bytes is larger than the limit of 64 bytes"));
}

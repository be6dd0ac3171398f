// Corrections as feedback, retraining with them, rollback, pinned test sets, model comparison
// and the watched folder: the loop a user runs from the Document Upload and Models tabs.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "feedback/corrections_job.h"
#include "feedback/feedback_store.h"
#include "jobs/job_runner.h"
#include "jobs/schedule.h"
#include "model/compare.h"
#include "model/testsets.h"
#include "pipeline.h"
#include "test_support.h"

using namespace htc;
using namespace htc::jobs;
namespace fs = std::filesystem;

namespace {

void write_all(const fs::path& p, const std::string& s) {
    fs::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary);
    out << s;
}

// The DBpedia file split by line ranges: [first, last] (1-based, headerless rows).
std::string lines_of(const std::string& path, int first, int last) {
    std::ifstream in(path);
    std::string line, out;
    for (int n = 1; std::getline(in, line); ++n)
        if (n >= first && n <= last) out += line + "\n";
    return out;
}

struct Doc {
    std::string text;
    LabelPath truth;
};

std::vector<Doc> labelled_docs(const std::string& path) {
    auto in = ingest_paths({path}, IngestOptions{});
    std::vector<Doc> out;
    for (auto& r : in.records) out.push_back({r.text, *parse_label_path(r.label)});
    return out;
}

struct Jobs {
    JobsConfig cfg;
    std::shared_ptr<JobStore> store;
    std::unique_ptr<UploadStore> uploads;
    explicit Jobs(const std::string& data_dir) {
        cfg = load_config({}, [](const char*) -> const char* { return nullptr; });
        cfg.data_dir = data_dir;
        cfg.upload_dir = (fs::path(data_dir) / "htc_uploads").string();
        cfg.log_dir = (fs::path(data_dir) / "htc_logs").string();
        store = std::make_shared<JobStore>(cfg.store_path());
        uploads = std::make_unique<UploadStore>(cfg.upload_dir, cfg.allowed_extensions,
                                                cfg.max_file_size);
    }
    // Runs every queued job with the real retrain function, then returns.
    void run_queue() {
        RunnerOptions o = runner_options(cfg);
        o.stop_when_queue_empty = true;
        o.store_write_interval_seconds = 0.05;
        JobRunner runner(store, o, make_retrain_job_function(cfg.data_dir));
        runner.start();
        runner.wait();
        runner.stop();
    }
};

std::string run_cli(const std::string& args) {
    std::string cmd = test::binary() + " " + args + " 2>/dev/null";
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    std::array<char, 4096> buf{};
    std::size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
    int status = pclose(p);
    REQUIRE(WIFEXITED(status));
    INFO(cmd << "\n" << out);
    REQUIRE(WEXITSTATUS(status) == 0);
    return out;
}

}  // namespace

TEST_CASE("feedback store keeps corrections durably and replaces a pending one of the same text",
          "[feedback]") {
    test::TempDir data;
    {
        FeedbackStore fb(data.str());
        FeedbackRecord r;
        r.text = "A convex lens focuses light.";
        r.correct_path = "Science > Physics > Optics";
        r.predicted_path = "Science/Chemistry";
        r.model_version = 3;
        r.document = "notes.txt";
        fb.add(r);
        r.correct_path = "Science/Physics/Lenses";
        fb.add(r);  // the same text again: the newer correction wins
        FeedbackRecord other;
        other.text = "Interest rates rose.";
        other.correct_path = "Economy";
        fb.add(other);
        FeedbackRecord bad;
        bad.text = "x";
        bad.correct_path = "Science//Optics";
        CHECK_THROWS_WITH(fb.add(bad), Catch::Contains("bad label path"));
        bad.correct_path = "A";
        bad.text = "   ";
        CHECK_THROWS_WITH(fb.add(bad), Catch::Contains("empty"));
    }
    FeedbackStore fb(data.str());  // reopened: it was written to disk
    auto all = fb.list();
    REQUIRE(all.size() == 2);
    CHECK(all[0].text == "Interest rates rose.");  // newest first
    CHECK(all[1].correct_path == "Science/Physics/Lenses");
    CHECK(all[1].predicted_path == "Science/Chemistry");
    CHECK(all[1].model_version == 3);
    CHECK(all[1].document == "notes.txt");
    CHECK(all[1].created.size() >= 20);
    CHECK(fb.pending_count() == 2);
    fb.mark_used({all[1].id}, "job-1");
    CHECK(fb.pending_count() == 1);
    CHECK(fb.list(true).front().text == "Interest rates rose.");
    // JSON Lines that the readers read back, oldest first.
    std::string jl = feedback_jsonl(all);
    CHECK(jl.find("Lenses") < jl.find("Economy"));
}

TEST_CASE("correcting 20 wrong DBpedia predictions and retraining makes them right",
          "[feedback][loop]") {
    HTC_REQUIRE_SHARED(dbpedia, "data/dbpedia/dbpedia-classes-2500.csv");
    test::TempDir data;
    const fs::path train = data / "in" / "train.csv", docs = data / "in" / "docs.csv";
    write_all(train, lines_of(dbpedia, 1, 1500));
    write_all(docs, lines_of(dbpedia, 1501, 2500));
    Registry reg((data / "db").string());
    RetrainOptions first;
    first.paths = {train.string()};
    first.engine = "linear";
    REQUIRE(retrain(reg, first).version == 1);

    // Classify the unseen rows with the active model; correct 20 wrong predictions.
    auto model = reg.load_active();
    FeedbackStore fb((data / "db").string());
    std::vector<Doc> corrected;
    std::size_t wrong = 0;
    for (const auto& d : labelled_docs(docs.string())) {
        auto pred = model->predict(d.text);
        if (pred.path.path == d.truth) continue;
        ++wrong;
        if (corrected.size() == 20) continue;
        FeedbackRecord r;
        r.text = d.text;
        r.correct_path = d.truth.str();
        r.predicted_path = pred.path.path.str();
        r.model_version = 1;
        r.document = "docs.csv";
        fb.add(r);
        corrected.push_back(d);
    }
    REQUIRE(corrected.size() == 20);
    CHECK(wrong > 100);  // v1 gets about a quarter of these 1000 rows wrong

    // Retrain with corrections through the job system.
    Jobs jobs((data / "db").string());
    RetrainOptions opts;
    opts.engine = "linear";
    auto sub = submit_corrections(fb, *jobs.store, *jobs.uploads, opts, (data / "db").string());
    REQUIRE(sub.submit.queued);
    CHECK(sub.corrections == 20);
    CHECK(fb.pending_count() == 0);
    CHECK(fb.list().front().job_id == sub.submit.job_id);
    jobs.run_queue();
    auto job = jobs.store->get(sub.submit.job_id);
    REQUIRE(job);
    INFO(job->error);
    REQUIRE(job->status == JobStatus::Completed);
    const auto& res = job->result;
    CHECK(res["version"] == 2);
    CHECK(res["promoted"] == true);
    CHECK(res["corrections"] == 20);
    CHECK(res["feedback_examples"] == 20);
    REQUIRE(reg.active() == 2);

    // The 20 documents are now predicted right.
    auto v2 = reg.load_active();
    int right = 0;
    for (const auto& d : corrected) right += v2->predict(d.text).path.path == d.truth;
    CHECK(right == 20);
    // None of them was held out: the validation split is the one v1 was scored on.
    CHECK(res["validation_examples"].get<int>() == reg.info(1)->data["validation"].get<int>());
    // Validation metrics did not drop (both models on the same split).
    double h_new = res["metrics"]["h_f1"], h_old = res["previous_metrics"]["h_f1"];
    double leaf_new = res["metrics"]["leaf_accuracy"],
           leaf_old = res["previous_metrics"]["leaf_accuracy"];
    WARN("20 corrections: hierarchical F1 " << h_old << " -> " << h_new << ", leaf accuracy "
                                            << leaf_old << " -> " << leaf_new);
    CHECK(h_new >= h_old);
    CHECK(leaf_new >= leaf_old);

    // The corpus remembers them as corrections, so the next retrain keeps training on them.
    std::ifstream corpus(fs::path(reg.version_dir(2)) / "corpus.jsonl");
    std::string line;
    int flagged = 0;
    while (std::getline(corpus, line)) flagged += nlohmann::json::parse(line).value("x", 0);
    CHECK(flagged == 20);
}

TEST_CASE("rollback changes what classify returns", "[feedback][rollback]") {
    HTC_REQUIRE_SHARED(dbpedia, "data/dbpedia/dbpedia-classes-2500.csv");
    test::TempDir data;
    const std::string db = (data / "db").string();
    write_all(data / "train.csv", lines_of(dbpedia, 1, 1200));
    write_all(data / "docs.csv", lines_of(dbpedia, 1201, 1400));
    auto q = [](const fs::path& p) { return "'" + p.string() + "'"; };
    run_cli("--data-dir " + q(db) + " -q retrain --engine linear " + q(data / "train.csv"));
    std::string before =
        run_cli("--data-dir " + q(db) + " classify --format csv " + q(data / "docs.csv"));
    // v2: the same documents relabelled by hand as corrections.
    FeedbackStore fb(db);
    auto docs = labelled_docs((data / "docs.csv").string());
    for (std::size_t i = 0; i < 10; ++i) {
        FeedbackRecord r;
        r.text = docs[i].text;
        r.correct_path = "Custom/Reviewed/Document";
        fb.add(r);
    }
    // A rows as a classify --format csv line: the document and its predicted path.
    auto predicted_for = [](const std::string& csv, const std::string& doc) {
        std::istringstream in(csv);
        std::string line;
        while (std::getline(in, line))
            if (line.rfind(doc + ",", 0) == 0)
                return line.substr(doc.size() + 1, line.find(',', doc.size() + 1) - doc.size() - 1);
        return std::string();
    };
    std::string doc1 = (data / "docs.csv").string() + ":1";
    run_cli("--data-dir " + q(db) + " -q feedback retrain --engine linear --force --wait");
    std::string after =
        run_cli("--data-dir " + q(db) + " classify --format csv " + q(data / "docs.csv"));
    CHECK(after.find(",v2\n") != std::string::npos);
    CHECK(predicted_for(after, doc1) == "Custom/Reviewed/Document");
    CHECK(predicted_for(before, doc1) != "Custom/Reviewed/Document");
    CHECK(before.find(",v1\n") != std::string::npos);
    // Roll back: classify returns v1's answers again, byte for byte.
    std::string rb = run_cli("--data-dir " + q(db) + " rollback");
    CHECK(rb.find("v1 is now active") != std::string::npos);
    std::string again =
        run_cli("--data-dir " + q(db) + " classify --format csv " + q(data / "docs.csv"));
    CHECK(again == before);
    CHECK(again != after);
}

TEST_CASE("a pinned test set blocks the promotion of a model that is worse on it",
          "[feedback][pinned]") {
    HTC_REQUIRE_SHARED(dbpedia, "data/dbpedia/dbpedia-classes-2500.csv");
    test::TempDir data;
    const std::string db = (data / "db").string();
    write_all(data / "train.csv", lines_of(dbpedia, 1, 1500));
    write_all(data / "held.csv", lines_of(dbpedia, 1501, 2500));
    Registry reg(db);
    RetrainOptions o;
    o.engine = "linear";
    o.paths = {(data / "train.csv").string()};
    REQUIRE(retrain(reg, o).version == 1);
    // The pinned set: 20 held-out documents that v1 gets right.
    auto v1 = reg.load_active();
    std::string pinned = "text,label\n", poison = "text,label\n";
    int n = 0;
    auto csvq = [](const std::string& s) {
        std::string out = "\"";
        for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
        return out + "\"";
    };
    for (const auto& d : labelled_docs((data / "held.csv").string())) {
        if (n == 20) break;
        if (v1->predict(d.text).path.path != d.truth) continue;
        pinned += csvq(d.text) + "," + d.truth.str() + "\n";
        // Feedback that teaches a wrong label for near-copies of exactly these documents.
        poison += csvq(d.text + " Reviewed.") + ",Custom/Wrong/Label\n";
        ++n;
    }
    REQUIRE(n == 20);
    write_all(data / "gold.csv", pinned);
    write_all(data / "poison.csv", poison);
    PinnedSet set = pin_test_set(db, (data / "gold.csv").string());
    CHECK(set.labelled == 20);
    REQUIRE(list_pinned_sets(db).size() == 1);

    RetrainOptions bad;
    bad.engine = "linear";
    bad.paths = {(data / "poison.csv").string()};
    auto r = retrain(reg, bad);
    CHECK(r.version == 2);
    REQUIRE(r.pinned_metrics);
    REQUIRE(r.previous_pinned_metrics);
    CHECK(r.previous_pinned_metrics->leaf_accuracy == Approx(1.0));
    CHECK(r.pinned_metrics->leaf_accuracy < 0.5);
    // Not worse on the validation split, but worse on the pinned set: not promoted.
    REQUIRE(r.previous_metrics);
    CHECK(r.metrics.h_f1 + 0.005 >= r.previous_metrics->h_f1);
    CHECK_FALSE(r.promoted);
    CHECK(r.promotion_reason.find("pinned test set") != std::string::npos);
    CHECK(reg.active() == 1);

    // The same job without the pinned set would have been promoted.
    REQUIRE(unpin_test_set(db, "gold.csv"));
    auto r2 = retrain(reg, bad);
    CHECK(r2.pinned_files.empty());
    CHECK(r2.promoted);
    CHECK(reg.active() == 3);
}

TEST_CASE("model comparison reports deltas, class changes and confusions", "[feedback][compare]") {
    Metrics a, b;
    a.documents = b.documents = 10;
    a.level_accuracy = {0.9, 0.5};
    b.level_accuracy = {0.8, 0.7};
    a.leaf_accuracy = 0.5;
    b.leaf_accuracy = 0.7;
    a.h_f1 = 0.7;
    b.h_f1 = 0.75;
    a.per_class = {{"Science", 1, 8, 1, 1, 0.9}, {"Science/Optics", 2, 3, 1, 1, 0.5}};
    b.per_class = {{"Science", 1, 8, 1, 1, 0.8}, {"Arts", 1, 2, 1, 1, 1.0}};
    a.confusions = {{"Science/Optics", "Science/Physics", 2}, {"Arts/Film", "Arts/Music", 1}};
    b.confusions = {{"Arts/Film", "Arts/Music", 1}, {"Arts/Poetry", "Arts/Film", 3}};
    auto c = compare_metrics(1, a, 2, b);
    REQUIRE(c.metrics.size() >= 4);
    CHECK(c.metrics[0].name == "level 1 accuracy");
    CHECK(c.metrics[0].delta() == Approx(-0.1));
    CHECK(c.metrics[1].delta() == Approx(0.2));
    CHECK(c.metrics[2].name == "leaf accuracy");
    REQUIRE(c.classes.size() == 3);
    CHECK(c.classes[0].label == "Science");  // the largest class first
    CHECK(c.classes[0].delta() == Approx(-0.1));
    CHECK(c.classes[1].label == "Science/Optics");
    CHECK(c.classes[1].in_a);
    CHECK_FALSE(c.classes[1].in_b);
    REQUIRE(c.appeared.size() == 1);
    CHECK(c.appeared[0].truth == "Arts/Poetry");
    REQUIRE(c.disappeared.size() == 1);
    CHECK(c.disappeared[0].truth == "Science/Optics");
}

TEST_CASE("a file copied into the watched folder queues exactly one job", "[feedback][watch]") {
    test::TempDir data;
    const std::string db = (data / "db").string();
    const fs::path watched = data / "inbox";
    write_all(watched / "already-there.csv", "text,label\nold file,A/B\n");
    ScheduleSettings s;
    s.watch_enabled = true;
    s.watch_folder = watched.string();
    s.debounce_seconds = 5;
    save_schedule(db, s);
    Jobs jobs(db);
    Scheduler sched(db, *jobs.store, *jobs.uploads);
    CHECK(sched.tick(0, std::time(nullptr)).empty());  // baseline: the old file is not new
    CHECK(jobs.store->counts().queued == 0);

    fs::copy_file(test::source_dir() / "assets" / "sample" / "feedback.csv",
                  watched / "new-feedback.csv");
    // Seen, but the folder changed less than the debounce time ago.
    CHECK(sched.tick(1, std::time(nullptr)).empty());
    CHECK(sched.tick(4, std::time(nullptr)).empty());
    CHECK(jobs.store->counts().queued == 0);
    auto ev = sched.tick(7, std::time(nullptr));
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].kind == "watch");
    CHECK(jobs.store->counts().queued == 1);
    auto job = jobs.store->get(ev[0].job_id);
    REQUIRE(job);
    REQUIRE(job->files.size() == 1);
    CHECK(job->files[0].original_name == "new-feedback.csv");
    // Later polls, and a new scheduler (a restart), do not queue it again.
    CHECK(sched.tick(20, std::time(nullptr)).empty());
    Scheduler restarted(db, *jobs.store, *jobs.uploads);
    CHECK(restarted.tick(30, std::time(nullptr)).empty());
    CHECK(restarted.tick(60, std::time(nullptr)).empty());
    CHECK(jobs.store->counts().queued == 1);
    CHECK(jobs.store->counts().total() == 1);
}

TEST_CASE("the daily time queues one retrain a day when corrections are pending",
          "[feedback][watch]") {
    test::TempDir data;
    const std::string db = (data / "db").string();
    ScheduleSettings s;
    s.daily_enabled = true;
    s.daily_time = "00:00";  // any time of day is at or after it
    save_schedule(db, s);
    Jobs jobs(db);
    Scheduler sched(db, *jobs.store, *jobs.uploads);
    {
        FeedbackStore fb(db);
        FeedbackRecord r;
        r.text = "lenses bend light";
        r.correct_path = "Science/Optics";
        fb.add(r);
    }
    auto ev = sched.tick(0, std::time(nullptr));
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].kind == "daily");
    CHECK(jobs.store->counts().queued == 1);
    CHECK(FeedbackStore(db).pending_count() == 0);
    CHECK(load_schedule(db).last_daily_run.size() == 10);
    CHECK(sched.tick(1, std::time(nullptr)).empty());  // once a day
    CHECK(jobs.store->counts().queued == 1);
}

TEST_CASE("CLI: feedback add/list, testset pin/list, models compare, classify --format csv",
          "[feedback][cli]") {
    test::TempDir data;
    const std::string db = "'" + (data / "db").string() + "'";
    const std::string sample = "'" + (test::source_dir() / "assets" / "sample").string() + "'";
    run_cli("--data-dir " + db + " -q retrain --engine linear " + sample);
    // classify --format csv: a header and one row per document, with the model version.
    write_all(data / "doc.txt",
              "A convex lens focuses parallel light; a prism splits white light.");
    std::string csv = run_cli("--data-dir " + db + " classify --format csv '" +
                              (data / "doc.txt").string() + "'");
    CHECK(csv.rfind("document,predicted_path,confidence_per_level,top3,model_version\n", 0) == 0);
    CHECK(csv.find(",Science/Physics/Optics,") != std::string::npos);
    CHECK(csv.find(",v1\n") != std::string::npos);
    // feedback add takes the predicted path from the active model.
    std::string added = run_cli("--data-dir " + db +
                                " --json feedback add --text "
                                "'A convex lens focuses parallel light; a prism splits white "
                                "light.' --label 'Science/Physics/Lenses'");
    auto j = nlohmann::json::parse(added);
    CHECK(j["pending"] == 1);
    CHECK(j["added"][0]["predicted_path"] == "Science/Physics/Optics");
    CHECK(j["added"][0]["model_version"] == 1);
    auto list = nlohmann::json::parse(run_cli("--data-dir " + db + " --json feedback list"));
    REQUIRE(list["feedback"].size() == 1);
    CHECK(list["feedback"][0]["correct_path"] == "Science/Physics/Lenses");
    // Retrain with it, then compare the two versions.
    run_cli("--data-dir " + db + " -q feedback retrain --engine linear --force --wait");
    CHECK(nlohmann::json::parse(
              run_cli("--data-dir " + db + " --json feedback list --pending"))["pending"] == 0);
    auto cmp = nlohmann::json::parse(run_cli("--data-dir " + db + " --json models compare v1 v2"));
    CHECK(cmp["a"] == 1);
    CHECK(cmp["b"] == 2);
    CHECK(cmp["metrics"].size() >= 6);
    CHECK(cmp["classes"].size() > 0);
    std::string text = run_cli("--data-dir " + db + " models compare v1 v2");
    CHECK(text.find("hierarchical F1") != std::string::npos);
    CHECK(text.find("Training curves:") != std::string::npos);
    CHECK(run_cli("--data-dir " + db + " models").find("v2") != std::string::npos);
    // testset pin stores a copy that every retrain scores on.
    std::string pinned =
        run_cli("--data-dir " + db + " testset pin '" +
                (test::source_dir() / "assets" / "sample" / "feedback.csv").string() + "'");
    CHECK(pinned.find("pinned") != std::string::npos);
    CHECK(run_cli("--data-dir " + db + " testset list").find("feedback.csv") != std::string::npos);
    std::string out = run_cli("--data-dir " + db + " retrain --engine linear " + sample);
    CHECK(out.find("Pinned test sets (1 file(s)") != std::string::npos);
    // Every new command answers --help.
    for (const char* cmd : {"feedback add", "feedback list", "feedback retrain", "testset pin",
                            "testset list", "models compare", "schedule", "classify"})
        CHECK(run_cli(std::string(cmd) + " --help").find("Usage") != std::string::npos);
    // schedule: off by default, set and shown.
    CHECK(run_cli("--data-dir " + db + " schedule").find("watched folder: off") !=
          std::string::npos);
    std::string sch =
        run_cli("--data-dir " + db + " schedule --watch '" + data.str() + "' --daily 03:30");
    CHECK(sch.find("daily retrain:  at 03:30") != std::string::npos);
    CHECK(sch.find("watched folder: " + data.str()) != std::string::npos);
}

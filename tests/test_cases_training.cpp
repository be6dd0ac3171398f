// The cases of ../shared/cases (CASES.md) that concern training, prediction and what is shown
// to the user: C18 (diverging training as a failed job), C19 (probabilities), C20 (label
// forms through the engine), C21 (text cannot inject a label), C25 (names and labels shown
// literally). Reading-only cases are in test_cases_ingest.cpp, job-store cases in test_jobs.cpp.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <sstream>
#include <thread>

#include "jobs/history_export.h"
#include "jobs/retrain_job.h"
#include "pipeline.h"
#include "test_support.h"
#include "text/encoding.h"

namespace fs = std::filesystem;
using namespace htc;
using namespace htc::jobs;

namespace {

std::string sample_dir() { return (test::source_dir() / "assets" / "sample").string(); }

using test::slurp;
using test::write_all;

// Bytes of every file below a folder (relative name -> content).
std::map<std::string, std::string> snapshot_tree(const fs::path& dir) {
    std::map<std::string, std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file()) out[fs::relative(e.path(), dir).string()] = slurp(e.path());
    return out;
}

bool eventually(const std::function<bool()>& pred, double seconds = 120) {
    auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < end) {
        if (pred()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred();
}

JobsConfig config_in(const test::TempDir& tmp) {
    JobsConfig cfg = load_config({}, [](const char*) -> const char* { return nullptr; });
    cfg.data_dir = tmp.str();
    cfg.upload_dir = (tmp / "htc_uploads").string();
    cfg.log_dir = (tmp / "htc_logs").string();
    return cfg;
}

// Submits `paths` with `opts` through the job system and runs the job to its end.
Job run_job(JobSystem& sys, const std::vector<std::string>& paths, RetrainOptions opts) {
    std::vector<UploadSource> src;
    for (const auto& p : paths) src.push_back({p, ""});
    SubmitResult r = sys.submit(src, std::move(opts));
    REQUIRE(r.queued);
    REQUIRE(eventually([&] { return is_terminal(sys.store().get(r.job_id, false)->status); }));
    return *sys.store().get(r.job_id);
}

}  // namespace

TEST_CASE("C18: a diverging training is a failed job, the previous model stays active and intact",
          "[cases][jobs]") {
    HTC_REQUIRE_SHARED(nan_tiny, "cases/C18_nan_tiny.txt");
    test::TempDir tmp;
    JobSystem sys(config_in(tmp));
    sys.runner().start();
    RetrainOptions first;
    first.engine = "linear";
    Job ok = run_job(sys, {sample_dir()}, first);
    REQUIRE(ok.status == JobStatus::Completed);
    Registry reg(tmp.str());
    REQUIRE(reg.active() == 1);
    const auto before = snapshot_tree(reg.models_dir());
    const auto probe = reg.load_active()->predict("a convex lens focuses light");

    RetrainOptions bad;
    bad.engine = "fasttext";
    bad.params.lr = 1e6;  // what makes fastText's loss NaN on this file
    bad.params.threads = 1;
    bad.extend_corpus = false;  // the two lines of the case file alone
    Job failed = run_job(sys, {nan_tiny}, bad);
    sys.runner().stop();

    CHECK(failed.status == JobStatus::Failed);
    CHECK_THAT(failed.error, Catch::Contains("training diverged"));
    CHECK(failed.model_version == 0);
    CHECK_FALSE(failed.finished.empty());
    CHECK(reg.active() == 1);
    CHECK(reg.list().size() == 1);
    CHECK_FALSE(fs::exists(reg.version_dir(2)));
    CHECK(snapshot_tree(reg.models_dir()) == before);  // not one byte changed
    auto after = reg.load_active()->predict("a convex lens focuses light");
    CHECK(after.path.path.str() == probe.path.path.str());
    CHECK(after.path.confidence == probe.path.confidence);
    CHECK(sys.store().integrity_check() == "ok");
}

TEST_CASE("C19: shown probabilities never exceed 1, whatever the text", "[cases][pipeline]") {
    test::TempDir data;
    Registry reg(data.str());
    RetrainOptions o;
    o.paths = {sample_dir()};
    o.engine = "linear";
    retrain(reg, o);
    auto model = reg.load_active();
    REQUIRE(model);
    // Texts that give extreme scores: empty, unknown words, one class's words repeated.
    std::string repeated;
    for (int i = 0; i < 2000; ++i) repeated += "lens prism optics refraction ";
    for (const std::string& text :
         {std::string(), std::string("zzzz qqqq"), repeated, std::string("\xFF\xFE garbage")}) {
        INFO(text.substr(0, 40));
        auto probs = model->probabilities(sanitize_text(text, model->sanitize));
        double sum = 0;
        for (float p : probs) {
            CHECK(p >= 0.0f);
            CHECK(p <= 1.0f);
            sum += p;
        }
        CHECK(sum == Approx(1.0).epsilon(1e-4));
        auto pred = model->predict(text);
        REQUIRE_FALSE(pred.path.confidence.empty());
        for (double c : pred.path.confidence) {
            CHECK(c >= 0.0);
            CHECK(c <= 1.0);
        }
        for (const auto& t : pred.top) CHECK(t.second <= 1.0);
    }
}

TEST_CASE("C20: canonical labels through training: trimmed, spaces kept, empty segments skipped",
          "[cases][pipeline]") {
    HTC_REQUIRE_SHARED(path, "cases/C20_labels.csv");
    for (const char* engine : {"linear", "fasttext"}) {
        INFO(engine);
        test::TempDir data;
        Registry reg(data.str());
        RetrainOptions o;
        o.paths = {path};
        o.engine = engine;
        o.params.threads = 1;
        o.validation_fraction = 0.0;
        auto r = retrain(reg, o);
        REQUIRE(r.files.size() == 1);
        CHECK(r.files[0].records == 4);
        // The two labels with an empty segment are rejected with the line and the reason.
        CHECK(r.sanitize.bad_labels == 2);
        REQUIRE(r.sanitize.notes.size() >= 2);
        std::string notes;
        for (const auto& n : r.sanitize.notes) notes += n + "\n";
        CHECK_THAT(notes, Catch::Contains("C20_labels.csv:4: empty segment in label path 'Science//Optics'"));
        CHECK_THAT(notes, Catch::Contains("C20_labels.csv:5: empty segment in label path 'Science/'"));
        CHECK(r.corpus_examples == 2);
        CHECK(r.num_classes == 2);
        auto model = reg.load_active();
        REQUIRE(model);
        const auto& tax = model->taxonomy;
        CHECK(tax.find_class(*parse_label_path("Computer Science/AI")) >= 0);
        CHECK(tax.find_class(*parse_label_path("Science/Physics/Optics")) >= 0);
        // The space inside "Computer Science" is data for display, never a separator for the
        // engine: the stored taxonomy round-trips it and a prediction shows it.
        auto pred = model->predict("neural nets learn weights");
        CHECK(pred.path.path.str() == "Computer Science/AI");
        CHECK(slurp(fs::path(reg.version_dir(1)) / "taxonomy.json").find("Computer Science") !=
              std::string::npos);
    }
}

TEST_CASE("C21: multi-line texts train as one document, a text cannot inject a label",
          "[cases][pipeline]") {
    HTC_REQUIRE_SHARED(path, "cases/C21_multiline.csv");
    test::TempDir in;
    // A second class, so the case file's class A can be trained against it.
    write_all(in / "other.csv", "text,label\nstars shine at night,C\nplanets orbit stars,C\n");
    for (const char* engine : {"fasttext", "linear"}) {
        INFO(engine);
        test::TempDir data;
        Registry reg(data.str());
        RetrainOptions o;
        o.paths = {path, (in / "other.csv").string()};
        o.engine = engine;
        o.params.threads = 1;
        o.validation_fraction = 0.0;
        auto r = retrain(reg, o);
        CHECK(r.corpus_examples == 4);  // each multi-line text stayed one document
        CHECK(r.num_classes == 2);      // A and C: no class B from "__label__B" in a text
        auto model = reg.load_active();
        CHECK(model->taxonomy.find_class(*parse_label_path("B")) == -1);
        CHECK(model->taxonomy.num_classes() == 2);
        CHECK(model->engine->num_classes() == 2);
        // The stored corpus keeps each document on one line, the marker neutralised.
        std::string corpus = slurp(fs::path(reg.version_dir(1)) / "corpus.jsonl");
        std::size_t lines = 0;
        for (char c : corpus) lines += c == '\n';
        CHECK(lines == 4);
        CHECK(corpus.find("__label__B") == std::string::npos);
        // At prediction time the marker in a text is neutralised the same way.
        auto pred = model->predict("__label__B __label__C alpha first line continuation");
        CHECK(pred.path.path.str() != "B");
    }
}

TEST_CASE("C25: a file name with printf directives and CJK/Cyrillic labels are kept literally",
          "[cases][jobs]") {
    HTC_REQUIRE_SHARED(path, "cases/C25_ui_strings.json");
    auto spec = nlohmann::json::parse(slurp(path));
    const std::string name = spec["filenames"][0].get<std::string>();
    const std::string ru = spec["labels"][0].get<std::string>();
    const std::string zh = spec["labels"][1].get<std::string>();
    REQUIRE(name == "report_%s%n_100%.csv");

    test::TempDir tmp;
    fs::path file = tmp / "in" / name;
    write_all(file, "text,label\nlenses bend light," + ru + "\nmirrors reflect light," + ru +
                        "\ncells divide," + zh + "\nleaves grow," + zh + "\n");
    std::vector<Record> recs;
    FileReport rep = ingest_file(file.string(), {}, recs);
    REQUIRE(rep.ok());
    REQUIRE(recs.size() == 4);
    CHECK(recs[0].label == ru);
    CHECK(recs[2].label == zh);

    JobSystem sys(config_in(tmp));
    sys.runner().start();
    RetrainOptions o;
    o.engine = "linear";
    Job j = run_job(sys, {file.string()}, o);
    sys.runner().stop();
    REQUIRE(j.status == JobStatus::Completed);
    REQUIRE(j.files.size() == 1);
    CHECK(j.files[0].original_name == name);
    CHECK(history_csv({j}).find(name) != std::string::npos);
    Registry reg(tmp.str());
    auto model = reg.load_active();
    CHECK(model->taxonomy.find_class(*parse_label_path(zh)) >= 0);
    CHECK(model->taxonomy.find_class(*parse_label_path(ru)) >= 0);
    CHECK(model->predict("cells divide").path.path.str() == zh);

    // The command line prints the name and the labels as they are (never as a format).
    auto run = [&](const std::string& args) {
        std::string cmd = test::binary() + " --data-dir '" + tmp.str() + "' " + args + " 2>&1";
        std::string out;
        FILE* p = ::popen(cmd.c_str(), "r");
        REQUIRE(p);
        char buf[4096];
        std::size_t n;
        while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
        CHECK(::pclose(p) == 0);
        return out;
    };
    CHECK_THAT(run("job " + j.id), Catch::Contains(name));
    std::string classified = run("classify --format csv '" + file.string() + "'");
    CHECK_THAT(classified, Catch::Contains(zh));
    CHECK_THAT(classified, Catch::Contains(ru));
}

TEST_CASE("C25: user strings never reach a printf-style format in the window code",
          "[cases]") {
    // Every ImGui call that takes a printf format must get a string literal as the format;
    // user strings go through TextUnformatted or a "%s" argument. (The build also compiles
    // with -Werror=format-security, which catches the same for ImGui's IM_FMTARGS functions.)
    const fs::path root = test::source_dir() / "src";
    if (!fs::exists(root / "ui")) {
        WARN("skipped: no window sources in this checkout");
        return;
    }
    const std::regex call(
        R"(ImGui::(Text|TextColored|TextDisabled|TextWrapped|BulletText|SetTooltip|LabelText)\s*\()");
    std::size_t calls = 0;
    for (const char* sub : {"ui", "app"}) {
        for (const auto& e : fs::recursive_directory_iterator(root / sub)) {
            if (e.path().extension() != ".cpp" && e.path().extension() != ".h") continue;
            const std::string src = slurp(e.path());
            for (auto it = std::sregex_iterator(src.begin(), src.end(), call);
                 it != std::sregex_iterator(); ++it) {
                ++calls;
                std::size_t pos = static_cast<std::size_t>(it->position() + it->length());
                const std::string fn = (*it)[1];
                // The format is the first argument; for TextColored and LabelText the second.
                if (fn == "TextColored" || fn == "LabelText") {
                    int depth = 0;
                    for (; pos < src.size(); ++pos) {
                        char c = src[pos];
                        if (c == '(' || c == '{') ++depth;
                        if (c == ')' || c == '}') --depth;
                        if (c == ',' && depth == 0) {
                            ++pos;
                            break;
                        }
                    }
                }
                while (pos < src.size() && std::isspace(static_cast<unsigned char>(src[pos]))) ++pos;
                std::size_t line = 1 + static_cast<std::size_t>(
                                           std::count(src.begin(), src.begin() + it->position(), '\n'));
                INFO(e.path().filename().string() << ":" << line << " ImGui::" << fn);
                // A literal, or a conditional choosing between literals (c ? "a" : "b").
                bool literal = pos < src.size() && src[pos] == '"';
                if (!literal) {
                    std::size_t end = src.find(';', pos);
                    std::string arg = src.substr(pos, end - pos);
                    literal = std::regex_search(arg, std::regex(R"(^[\w.>()!-]+\s*\?\s*")"));
                }
                CHECK(literal);
            }
        }
    }
    CHECK(calls > 0);
}

TEST_CASE("C13-C15: broken and text-less PDFs are per-file problems, the job goes on",
          "[cases][pipeline][pdf]") {
    HTC_REQUIRE_SHARED(notext, "cases/C13_notext.pdf");
    HTC_REQUIRE_SHARED(locked, "cases/C14_user_password.pdf");
    HTC_REQUIRE_SHARED(empty, "cases/C15_empty.pdf");
    HTC_REQUIRE_SHARED(html, "cases/C15_html_renamed.pdf");
    HTC_REQUIRE_SHARED(cut, "cases/C15_cut_mid.pdf");
    test::TempDir data;
    Registry reg(data.str());
    RetrainOptions o;
    o.paths = {notext, locked, empty, html, cut, sample_dir()};
    o.engine = "linear";
    auto r = retrain(reg, o);
    CHECK(r.version == 1);
    CHECK(r.corpus_examples == 300);  // the sample's documents, nothing from the PDFs
    std::map<std::string, const FileReport*> by_name;
    for (const auto& f : r.files) by_name[fs::path(f.path).filename().string()] = &f;
    REQUIRE(by_name.count("C13_notext.pdf"));
    CHECK(by_name["C13_notext.pdf"]->ok());
    CHECK(by_name["C13_notext.pdf"]->records == 0);
    bool warned = false;
    for (const auto& w : by_name["C13_notext.pdf"]->warnings)
        warned |= w.find("no extractable text") != std::string::npos;
    CHECK(warned);
    CHECK_THAT(by_name["C14_user_password.pdf"]->error, Catch::Contains("encrypted PDF"));
    CHECK_THAT(by_name["C15_empty.pdf"]->error, Catch::Contains("empty file"));
    CHECK_THAT(by_name["C15_html_renamed.pdf"]->error, Catch::Contains("not a PDF"));
    CHECK_THAT(by_name["C15_cut_mid.pdf"]->error, Catch::Contains("truncated"));
}

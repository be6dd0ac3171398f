#include "pipeline.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

#include "model/testsets.h"

namespace fs = std::filesystem;

namespace htc {

namespace {

// Overall progress is split between the stages in proportion to their usual cost.
constexpr double kParseEnd = 0.10, kSanitizeEnd = 0.15, kTrainEnd = 0.85, kEvaluateEnd = 0.97;

// A promotion may lose this much hierarchical F1 against the active model on the same
// validation split and still count as "not worse": retraining on more data moves a few
// borderline documents either way.
constexpr double kPromoteTolerance = 0.005;

struct Clock {
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
    double seconds() const {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
};

void report(const ProgressFn& progress, const std::string& stage, double fraction,
            const std::string& message = "", double eta = -1) {
    if (!progress) return;
    Progress p;
    p.stage = stage;
    p.fraction = fraction;
    p.message = message;
    p.eta_seconds = eta;
    progress(p);
}

// The corpus a version was trained and validated on, so the next retrain can extend it.
void write_corpus(const std::string& path, const std::vector<Example>& examples) {
    std::string out;
    out.reserve(examples.size() * 256);
    for (const auto& e : examples) {
        nlohmann::json j = {{"t", e.text}, {"l", e.label.str()}, {"o", e.order}, {"s", e.source}};
        if (e.train_only) j["x"] = 1;
        out += j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        out += '\n';
    }
    write_file_atomic(path, out);
}

std::vector<Example> read_corpus(const std::string& path) {
    std::vector<Example> out;
    std::ifstream in(path);
    if (!in) return out;
    std::string line;
    std::size_t n = 0;
    while (std::getline(in, line)) {
        ++n;
        if (line.empty()) continue;
        try {
            auto j = nlohmann::json::parse(line);
            Example e;
            e.text = j.at("t").get<std::string>();
            auto label = parse_label_path(j.at("l").get<std::string>());
            if (!label) continue;
            e.label = *label;
            e.order = j.value("o", std::int64_t{0});
            e.source = j.value("s", "");
            e.train_only = j.value("x", 0) != 0;
            out.push_back(std::move(e));
        } catch (const std::exception& ex) {
            throw std::runtime_error(path + ":" + std::to_string(n) +
                                     ": damaged corpus line: " + ex.what());
        }
    }
    return out;
}

// Previous corpus + new feedback. For the same text, the newest label wins.
std::vector<Example> merge_corpus(std::vector<Example> previous, std::vector<Example> feedback,
                                  SanitizeStats& stats) {
    std::int64_t base = 0;
    for (const auto& e : previous) base = std::max(base, e.order + 1);
    std::unordered_map<std::string, std::size_t> index;
    std::vector<Example> out;
    out.reserve(previous.size() + feedback.size());
    for (auto& e : previous) {
        index.emplace(e.text, out.size());
        out.push_back(std::move(e));
    }
    for (auto& e : feedback) {
        e.order += base;
        auto it = index.find(e.text);
        if (it == index.end()) {
            index.emplace(e.text, out.size());
            out.push_back(std::move(e));
            continue;
        }
        Example& old = out[it->second];
        if (old.label == e.label) {
            ++stats.duplicates;
        } else {
            ++stats.conflicts;
            if (stats.notes.size() < 20)
                stats.notes.push_back("relabelled by feedback: '" + old.label.str() + "' -> '" +
                                      e.label.str() + "' (" + e.source + ")");
        }
        old = std::move(e);
    }
    return out;
}

std::vector<LabelPath> predict_all(const Model& model, const std::vector<std::string>& texts,
                                   const std::atomic<bool>* cancel) {
    std::vector<LabelPath> out;
    out.reserve(texts.size());
    for (const auto& t : texts) {
        throw_if_cancelled(cancel);
        out.push_back(decode_path(model.taxonomy, model.probabilities(t)).path);
    }
    return out;
}

nlohmann::json file_reports_json(const std::vector<FileReport>& files) {
    auto arr = nlohmann::json::array();
    for (const auto& f : files) {
        nlohmann::json skipped = nlohmann::json::array();
        for (const auto& s : f.skipped) skipped.push_back({{"line", s.line}, {"reason", s.reason}});
        arr.push_back({{"path", f.path},
                       {"format", f.format},
                       {"encoding", f.encoding},
                       {"size_bytes", f.size_bytes},
                       {"records", f.records},
                       {"labelled", f.labelled},
                       {"skipped", skipped},
                       {"warnings", f.warnings},
                       {"error", f.error}});
    }
    return arr;
}

nlohmann::json sanitize_json(const SanitizeStats& s) {
    return {{"emails", s.emails},         {"urls", s.urls},
            {"phones", s.phones},         {"empty", s.empty},
            {"unlabelled", s.unlabelled}, {"bad_labels", s.bad_labels},
            {"duplicates", s.duplicates}, {"conflicts", s.conflicts},
            {"notes", s.notes}};
}

std::vector<Example> examples_from_files(const std::vector<std::string>& paths,
                                         const IngestOptions& ingest,
                                         const SanitizeOptions& sanitize,
                                         std::vector<FileReport>* files, SanitizeStats& stats) {
    auto in = ingest_paths(paths, ingest);
    if (files) *files = in.files;
    return prepare_examples(in.records, sanitize, stats);
}

}  // namespace

PromotePolicy parse_promote_policy(const std::string& s) {
    if (s == "if-not-worse" || s == "if-better" || s.empty()) return PromotePolicy::IfNotWorse;
    if (s == "always") return PromotePolicy::Always;
    if (s == "never") return PromotePolicy::Never;
    throw std::invalid_argument("unknown promote policy '" + s +
                                "' (expected if-not-worse, always or never)");
}

std::string to_string(PromotePolicy p) {
    switch (p) {
        case PromotePolicy::Always: return "always";
        case PromotePolicy::Never: return "never";
        default: return "if-not-worse";
    }
}

nlohmann::json RetrainOptions::to_json() const {
    return {{"paths", paths},
            {"text_col", ingest.text_col},
            {"label_cols", ingest.label_cols},
            {"label_sep", ingest.label_sep},
            {"limits",
             {{"max_file_size", ingest.max_file_size},
              {"max_json_depth", ingest.max_json_depth},
              {"max_field_bytes", ingest.max_field_bytes},
              {"max_pdf_pages", ingest.max_pdf_pages},
              {"max_pdf_seconds", ingest.max_pdf_seconds}}},
            {"mask_pii", sanitize.mask_pii},
            {"engine", engine},
            {"engine_params", params.to_json()},
            {"validation_fraction", validation_fraction},
            {"promote", to_string(promote)},
            {"extend_corpus", extend_corpus},
            {"pinned_test_files", pinned_test_files},
            {"use_pinned_sets", use_pinned_sets},
            {"train_only_files", train_only_files}};
}

RetrainOptions RetrainOptions::from_json(const nlohmann::json& j) {
    RetrainOptions o;
    o.paths = j.value("paths", std::vector<std::string>{});
    o.ingest.text_col = j.value("text_col", "");
    o.ingest.label_cols = j.value("label_cols", "");
    o.ingest.label_sep = j.value("label_sep", "/");
    if (j.contains("limits") && j["limits"].is_object()) {
        const auto& l = j["limits"];
        o.ingest.max_file_size = l.value("max_file_size", o.ingest.max_file_size);
        o.ingest.max_json_depth = l.value("max_json_depth", o.ingest.max_json_depth);
        o.ingest.max_field_bytes = l.value("max_field_bytes", o.ingest.max_field_bytes);
        o.ingest.max_pdf_pages = l.value("max_pdf_pages", o.ingest.max_pdf_pages);
        o.ingest.max_pdf_seconds = l.value("max_pdf_seconds", o.ingest.max_pdf_seconds);
    }
    o.sanitize.mask_pii = j.value("mask_pii", true);
    o.engine = j.value("engine", "auto");
    if (j.contains("engine_params")) o.params = EngineParams::from_json(j["engine_params"]);
    o.validation_fraction = j.value("validation_fraction", 0.2);
    o.promote = parse_promote_policy(j.value("promote", "if-not-worse"));
    o.extend_corpus = j.value("extend_corpus", true);
    o.pinned_test_files = j.value("pinned_test_files", std::vector<std::string>{});
    o.use_pinned_sets = j.value("use_pinned_sets", true);
    o.train_only_files = j.value("train_only_files", std::vector<std::string>{});
    return o;
}

nlohmann::json RetrainResult::to_json() const {
    nlohmann::json j = {{"files", file_reports_json(files)},
                        {"sanitize", sanitize_json(sanitize)},
                        {"feedback_examples", feedback_examples},
                        {"corpus_examples", corpus_examples},
                        {"train_examples", train_examples},
                        {"validation_examples", validation_examples},
                        {"classes", num_classes},
                        {"engine", engine},
                        {"version", version},
                        {"previous_version", previous_version},
                        {"promoted", promoted},
                        {"promotion_reason", promotion_reason},
                        {"metrics", metrics.to_json()},
                        {"train_seconds", train_seconds},
                        {"model_bytes", model_bytes},
                        {"curve", curve}};
    j["previous_metrics"] = previous_metrics ? previous_metrics->to_json() : nlohmann::json();
    j["corrections"] = corrections;
    j["pinned_files"] = pinned_files;
    j["pinned_metrics"] = pinned_metrics ? pinned_metrics->to_json() : nlohmann::json();
    j["previous_pinned_metrics"] =
        previous_pinned_metrics ? previous_pinned_metrics->to_json() : nlohmann::json();
    return j;
}

nlohmann::json EvaluateResult::to_json() const {
    return {{"files", file_reports_json(files)}, {"version", version}, {"metrics", metrics.to_json()}};
}

namespace {
// Classes of `before` that `after` does not have.
int classes_missing_from(const Taxonomy& before, const Taxonomy& after) {
    int missing = 0;
    for (int c = 0; c < before.num_classes(); ++c)
        if (after.find_class(before.path_of_class(c)) < 0) ++missing;
    return missing;
}
// Why a retrain has nothing to train on, naming the files that were refused or gave nothing.
std::string nothing_to_train(const std::vector<FileReport>& files, std::size_t records) {
    std::string why = records == 0 ? "no records found in the given files"
                                   : "no labelled documents (" + std::to_string(records) +
                                         " record(s) read, none with a usable label)";
    // Name the files that were refused or gave nothing: that is usually the reason.
    std::size_t named = 0;
    for (const auto& f : files) {
        if (named == 5) {
            why += "; ...";
            break;
        }
        if (!f.ok()) {
            why += "; " + f.error;
            ++named;
        } else if (f.records == 0 || f.labelled == 0) {
            std::string detail = !f.warnings.empty()      ? f.warnings.front()
                                 : !f.skipped.empty()     ? f.skipped.front().reason
                                 : f.records == 0         ? "no records"
                                                          : "no record has a label";
            // Reader warnings already start with the file's name.
            why += "; " + (detail.rfind(f.path, 0) == 0 ? detail : f.path + ": " + detail);
            ++named;
        }
    }
    return why;
}
}  // namespace

RetrainResult retrain(const Registry& registry, const RetrainOptions& opts,
                      const ProgressFn& progress, const std::atomic<bool>* cancel) {
    RetrainResult r;
    if (opts.paths.empty()) throw std::runtime_error("no feedback files given");

    // --- parse
    report(progress, "parse", 0.0, "reading " + std::to_string(opts.paths.size()) + " path(s)");
    auto ingested = ingest_paths(opts.paths, opts.ingest, cancel);
    r.files = ingested.files;
    throw_if_cancelled(cancel);
    std::size_t records = ingested.records.size();
    if (records == 0) throw std::runtime_error(nothing_to_train(r.files, 0));
    report(progress, "parse", kParseEnd, std::to_string(records) + " records read");

    // --- sanitize
    report(progress, "sanitize", kParseEnd);
    auto feedback = prepare_examples(ingested.records, opts.sanitize, r.sanitize);
    ingested.records.clear();
    ingested.records.shrink_to_fit();
    r.feedback_examples = feedback.size();
    if (!opts.train_only_files.empty()) {
        std::unordered_set<std::string> names(opts.train_only_files.begin(),
                                              opts.train_only_files.end());
        for (auto& e : feedback) {
            // source is "path:line" (or "path").
            std::string file = e.source;
            auto colon = file.rfind(':');
            if (colon != std::string::npos && colon + 1 < file.size() &&
                file.find_first_not_of("0123456789", colon + 1) == std::string::npos)
                file.resize(colon);
            if (names.count(fs::path(file).filename().string())) e.train_only = true;
        }
    }
    throw_if_cancelled(cancel);

    auto previous_version = registry.active();
    std::shared_ptr<const Model> previous;
    if (previous_version) {
        r.previous_version = *previous_version;
        previous = registry.load(*previous_version);
    }
    if (feedback.empty()) throw std::runtime_error(nothing_to_train(r.files, records));
    std::vector<Example> corpus;
    if (opts.extend_corpus && previous_version) {
        auto path = (fs::path(registry.version_dir(*previous_version)) / "corpus.jsonl").string();
        corpus = merge_corpus(read_corpus(path), std::move(feedback), r.sanitize);
    } else {
        corpus = std::move(feedback);
    }
    // Taxonomy: the previous model's classes keep their order, new labels extend the tree.
    Taxonomy tax;
    if (previous && opts.extend_corpus) tax = previous->taxonomy;
    std::vector<std::string> texts;
    std::vector<int> labels;
    texts.reserve(corpus.size());
    labels.reserve(corpus.size());
    for (const auto& e : corpus) {
        texts.push_back(e.text);
        labels.push_back(tax.add(e.label));
    }
    // Classes present in the taxonomy but absent from the corpus would be untrainable.
    std::vector<int> counts(tax.num_classes(), 0);
    for (int l : labels) ++counts[l];
    int present = static_cast<int>(std::count_if(counts.begin(), counts.end(), [](int c) { return c > 0; }));
    if (present < 2)
        throw std::runtime_error("fewer than 2 classes in the labelled documents (found " +
                                 std::to_string(present) + ": '" + corpus.front().label.str() +
                                 "'); a classifier needs at least two labels to tell apart");
    if (present != tax.num_classes()) {
        // Rebuild the taxonomy from the data only, so every class has documents.
        Taxonomy fresh;
        for (std::size_t i = 0; i < corpus.size(); ++i) labels[i] = fresh.add(corpus[i].label);
        tax = std::move(fresh);
    }
    r.num_classes = tax.num_classes();
    r.corpus_examples = corpus.size();
    report(progress, "sanitize", kSanitizeEnd,
           std::to_string(corpus.size()) + " documents, " + std::to_string(r.num_classes) +
               " classes");
    throw_if_cancelled(cancel);

    // --- split + train. Corrections stay out of the split: they are always trained on, and
    // the other documents are split exactly as they would be without them.
    Split split;
    {
        std::vector<int> pool;
        std::vector<std::string> pool_texts;
        std::vector<int> pool_labels;
        for (std::size_t i = 0; i < corpus.size(); ++i) {
            if (corpus[i].train_only) {
                ++r.corrections;
                continue;
            }
            pool.push_back(static_cast<int>(i));
            pool_texts.push_back(texts[i]);
            pool_labels.push_back(labels[i]);
        }
        Split inner = stratified_split(pool_texts, pool_labels, opts.validation_fraction);
        for (int k : inner.train) split.train.push_back(pool[k]);
        for (int k : inner.validation) split.validation.push_back(pool[k]);
        for (std::size_t i = 0; i < corpus.size(); ++i)
            if (corpus[i].train_only) split.train.push_back(static_cast<int>(i));
    }
    r.train_examples = split.train.size();
    r.validation_examples = split.validation.size();
    std::vector<std::string> train_texts;
    std::vector<int> train_labels;
    train_texts.reserve(split.train.size());
    for (int i : split.train) {
        train_texts.push_back(texts[i]);
        train_labels.push_back(labels[i]);
    }
    r.engine = opts.engine == "auto" ? choose_engine(train_texts.size(), tax.num_classes())
                                     : opts.engine;
    auto model = std::make_shared<Model>();
    model->taxonomy = tax;
    model->sanitize = opts.sanitize;
    model->engine = make_engine(r.engine);
    r.curve = nlohmann::json::array();
    Clock train_clock;
    ProgressFn train_progress = [&](const Progress& p) {
        if (p.metric >= 0) r.curve.push_back({p.fraction, p.metric});
        if (!progress) return;
        Progress q = p;
        q.stage = "train";
        q.fraction = kSanitizeEnd + (kTrainEnd - kSanitizeEnd) * std::clamp(p.fraction, 0.0, 1.0);
        progress(q);
    };
    report(progress, "train", kSanitizeEnd,
           r.engine + " engine on " + std::to_string(train_texts.size()) + " documents");
    model->engine->train(train_texts, train_labels, tax.num_classes(), opts.params,
                         train_progress, cancel);
    r.train_seconds = train_clock.seconds();
    train_texts.clear();
    train_texts.shrink_to_fit();
    throw_if_cancelled(cancel);

    // --- evaluate: calibrate on validation, then score new and previous on the same split.
    report(progress, "evaluate", kTrainEnd);
    std::vector<std::string> val_texts;
    std::vector<int> val_labels;
    std::vector<LabelPath> val_truth;
    for (int i : split.validation) {
        val_texts.push_back(texts[i]);
        val_labels.push_back(labels[i]);
        val_truth.push_back(corpus[i].label);
    }
    {
        std::vector<std::vector<float>> scores;
        scores.reserve(val_texts.size());
        for (const auto& t : val_texts) {
            throw_if_cancelled(cancel);
            scores.push_back(model->engine->scores(t));
        }
        model->temperature = fit_temperature(scores, val_labels);
    }
    if (!val_texts.empty()) {
        r.metrics = evaluate(val_truth, predict_all(*model, val_texts, cancel));
        report(progress, "evaluate", (kTrainEnd + kEvaluateEnd) / 2);
        if (previous)
            r.previous_metrics =
                evaluate(val_truth, predict_all(*previous, val_texts, cancel));
    }
    // Pinned test sets: documents the team cares about; the new model must not get worse.
    std::optional<Metrics> pinned_new, pinned_old;
    std::vector<std::string> stored_sets;
    if (opts.use_pinned_sets) stored_sets = pinned_set_paths(registry.data_dir());
    r.pinned_files = opts.pinned_test_files;
    r.pinned_files.insert(r.pinned_files.end(), stored_sets.begin(), stored_sets.end());
    if (!r.pinned_files.empty()) {
        SanitizeStats pstats;
        std::vector<Example> pinned;
        if (!opts.pinned_test_files.empty())
            pinned = examples_from_files(opts.pinned_test_files, opts.ingest, opts.sanitize,
                                         nullptr, pstats);
        // Stored sets are read with the readers' own detection: the job's column overrides
        // describe its feedback files, not the team's test files.
        if (!stored_sets.empty()) {
            auto more = examples_from_files(stored_sets, IngestOptions{}, opts.sanitize, nullptr,
                                            pstats);
            pinned.insert(pinned.end(), std::make_move_iterator(more.begin()),
                          std::make_move_iterator(more.end()));
        }
        std::vector<std::string> ptexts;
        std::vector<LabelPath> ptruth;
        for (auto& e : pinned) {
            ptexts.push_back(e.text);
            ptruth.push_back(e.label);
        }
        if (!ptexts.empty()) {
            pinned_new = evaluate(ptruth, predict_all(*model, ptexts, cancel));
            if (previous)
                pinned_old = evaluate(ptruth, predict_all(*previous, ptexts, cancel));
        }
    }
    r.pinned_metrics = pinned_new;
    r.previous_pinned_metrics = pinned_old;
    throw_if_cancelled(cancel);

    // --- promotion decision
    bool promote = false;
    char buf[256];
    if (opts.promote == PromotePolicy::Never) {
        r.promotion_reason = "not promoted: promote policy is 'never'";
    } else if (opts.promote == PromotePolicy::Always) {
        promote = true;
        r.promotion_reason = "promoted: forced";
    } else if (!previous) {
        promote = true;
        r.promotion_reason = "promoted: first model";
    } else if (r.validation_examples == 0) {
        // Nothing to compare on: "not worse" cannot be shown, so the active model stays.
        r.promotion_reason = "not promoted: the validation split is empty (--validation is 0, or "
                             "no class has 2 or more documents), so the new model cannot be "
                             "compared with " + version_name(r.previous_version) +
                             "; use --promote always to activate it anyway";
    } else if (int dropped = classes_missing_from(previous->taxonomy, tax); dropped > 0) {
        // Scoring the active model on a split without its other classes would flatter the new
        // one: a model that knows fewer classes replaces the active one only when asked to.
        r.promotion_reason = "not promoted: the new model lacks " + std::to_string(dropped) +
                             " of the " + std::to_string(previous->taxonomy.num_classes()) +
                             " classes of " + version_name(r.previous_version) +
                             " (trained with --fresh on fewer labels?); use --promote always to "
                             "activate it anyway";
    } else {
        promote = true;
        r.promotion_reason = "promoted: not worse than " + version_name(r.previous_version);
        if (r.previous_metrics) {
            double now = r.metrics.h_f1, before = r.previous_metrics->h_f1;
            std::snprintf(buf, sizeof buf, "hierarchical F1 %.4f vs %.4f for %s", now, before,
                          version_name(r.previous_version).c_str());
            if (now + kPromoteTolerance < before) {
                promote = false;
                r.promotion_reason = std::string("not promoted: worse on the validation split (") + buf + ")";
            } else {
                r.promotion_reason = std::string("promoted: ") + buf;
            }
        }
        if (promote && pinned_new && pinned_old && pinned_new->leaf_accuracy < pinned_old->leaf_accuracy) {
            promote = false;
            std::snprintf(buf, sizeof buf, "%.4f vs %.4f", pinned_new->leaf_accuracy,
                          pinned_old->leaf_accuracy);
            r.promotion_reason = std::string("not promoted: worse on the pinned test set (leaf accuracy ") + buf + ")";
        }
    }

    // --- register
    report(progress, "register", kEvaluateEnd);
    int version = registry.reserve_version();
    try {
        std::string dir = registry.version_dir(version);
        model->save(dir);
        write_corpus((fs::path(dir) / "corpus.jsonl").string(), corpus);
        throw_if_cancelled(cancel);
        ModelInfo info;
        info.version = version;
        info.created = now_iso8601_utc();
        info.parent = r.previous_version;
        info.engine = r.engine;
        info.job_id = opts.job_id;
        info.params = opts.to_json();
        info.params["temperature"] = model->temperature;
        info.metrics = r.metrics.to_json();
        if (pinned_new) info.metrics["pinned"] = pinned_new->to_json();
        info.data = {{"documents", r.corpus_examples},
                     {"train", r.train_examples},
                     {"validation", r.validation_examples},
                     {"feedback", r.feedback_examples},
                     {"corrections", r.corrections},
                     {"classes", r.num_classes},
                     {"levels", tax.max_depth()},
                     {"engine_info", model->engine->info()},
                     {"files", file_reports_json(r.files)},
                     {"sanitize", sanitize_json(r.sanitize)}};
        info.curve = r.curve;
        info.train_seconds = r.train_seconds;
        registry.commit(info);
        r.model_bytes = registry.info(version)->size_bytes;
        r.version = version;
    } catch (...) {
        registry.discard(version);
        throw;
    }
    if (promote) {
        registry.set_active(version, r.promotion_reason);
        r.promoted = true;
    }
    report(progress, "register", 1.0, r.promotion_reason);
    return r;
}

EvaluateResult evaluate_files(const Registry& registry, const std::vector<std::string>& paths,
                              const IngestOptions& ingest, int version) {
    EvaluateResult r;
    if (version == 0) {
        auto a = registry.active();
        if (!a) throw std::runtime_error("no active model: train one with 'htc-trainer retrain'");
        version = *a;
    }
    r.version = version;
    auto model = registry.load(version);
    SanitizeStats stats;
    auto examples = examples_from_files(paths, ingest, model->sanitize, &r.files, stats);
    if (examples.empty()) throw std::runtime_error("no labelled documents in the given files");
    std::vector<std::string> texts;
    std::vector<LabelPath> truth;
    for (auto& e : examples) {
        texts.push_back(e.text);
        truth.push_back(e.label);
    }
    r.metrics = evaluate(truth, predict_all(*model, texts, nullptr));
    return r;
}

}  // namespace htc

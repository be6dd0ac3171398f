// Commands over models: retrain, classify, evaluate, models, promote, rollback, delete-model.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "cli/cli.h"
#include "jobs/config.h"
#include "cli/retrain_options.h"
#include "model/compare.h"
#include "jobs/history_export.h"
#include "pipeline.h"

namespace htc::cli {

namespace {

std::string fixed(double v, int digits = 3) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

void print_file_reports(const std::vector<FileReport>& files) {
    for (const auto& f : files) {
        if (!f.ok()) {
            std::fprintf(stderr, "  refused: %s\n", f.error.c_str());
            continue;
        }
        std::fprintf(stderr, "  %s: %s, %zu record(s), %zu labelled", f.path.c_str(),
                     f.format.c_str(), f.records, f.labelled);
        if (!f.skipped.empty()) std::fprintf(stderr, ", %zu skipped", f.skipped.size());
        if (!f.encoding.empty() && f.encoding != "utf-8" && f.encoding != "utf-8-bom")
            std::fprintf(stderr, ", decoded as %s", f.encoding.c_str());
        std::fprintf(stderr, "\n");
        for (std::size_t i = 0; i < f.skipped.size() && i < 5; ++i)
            std::fprintf(stderr, "    line %zu skipped: %s\n", f.skipped[i].line,
                         f.skipped[i].reason.c_str());
        if (f.skipped.size() > 5) std::fprintf(stderr, "    ... %zu more\n", f.skipped.size() - 5);
        for (const auto& w : f.warnings) std::fprintf(stderr, "    warning: %s\n", w.c_str());
    }
}

std::string levels_line(const Metrics& m) {
    std::string s;
    for (std::size_t i = 0; i < m.level_accuracy.size(); ++i)
        s += "level " + std::to_string(i + 1) + " " + fixed(m.level_accuracy[i]) + "  ";
    return s + "leaf " + fixed(m.leaf_accuracy);
}

void print_metrics(const Metrics& m, const char* indent) {
    std::printf("%saccuracy   %s\n", indent, levels_line(m).c_str());
    std::printf("%smicro-F1 %s  macro-F1 %s  hierarchical P/R/F1 %s/%s/%s\n", indent,
                fixed(m.micro_f1).c_str(), fixed(m.macro_f1).c_str(), fixed(m.h_precision).c_str(),
                fixed(m.h_recall).c_str(), fixed(m.h_f1).c_str());
}

std::string fixed_or_dash(const nlohmann::json& j, const char* key) {
    if (!j.contains(key) || !j[key].is_number()) return "-";
    return fixed(j[key].get<double>());
}

int cmd_retrain(Globals& g, RetrainFlags& flags) {
    finish_retrain_options(flags);
    jobs::check_writable_folder(g.data_dir, "data folder", "--data-dir or HTC_DATA_DIR");
    Registry registry(g.data_dir);
    const auto* cancel = install_cancel_on_signal();
    ProgressPrinter printer(g.quiet);
    RetrainResult r;
    try {
        r = retrain(registry, flags.opts, [&](const Progress& p) { printer(p); }, cancel);
    } catch (const Cancelled&) {
        printer.finish();
        std::fprintf(stderr, "htc-trainer: retrain cancelled; the active model is unchanged\n");
        return 130;
    }
    printer.finish();
    if (g.json) {
        std::cout << r.to_json().dump(2) << "\n";
        return 0;
    }
    if (!g.quiet) print_file_reports(r.files);
    std::printf("Model %s (%s) trained on %zu documents, %d classes, in %s\n",
                version_name(r.version).c_str(), r.engine.c_str(), r.train_examples, r.num_classes,
                format_seconds(r.train_seconds).c_str());
    std::printf("Validation split (%zu documents):\n", r.validation_examples);
    print_metrics(r.metrics, "  ");
    if (r.previous_metrics) {
        std::printf("Previous active model %s on the same split:\n",
                    version_name(r.previous_version).c_str());
        print_metrics(*r.previous_metrics, "  ");
    }
    if (r.pinned_metrics) {
        std::printf("Pinned test sets (%zu file(s), %d documents): leaf accuracy %s",
                    r.pinned_files.size(), r.pinned_metrics->documents,
                    fixed(r.pinned_metrics->leaf_accuracy).c_str());
        if (r.previous_pinned_metrics)
            std::printf(" (previous active model %s)",
                        fixed(r.previous_pinned_metrics->leaf_accuracy).c_str());
        std::printf("\n");
    }
    if (r.corrections > 0)
        std::printf("Corrections always trained on: %zu\n", r.corrections);
    const auto& s = r.sanitize;
    std::printf("Data: %zu new examples, corpus %zu; masked %zu e-mail, %zu URL, %zu phone; "
                "%zu duplicates, %zu conflicts, %zu unlabelled, %zu bad labels\n",
                r.feedback_examples, r.corpus_examples, s.emails, s.urls, s.phones, s.duplicates,
                s.conflicts, s.unlabelled, s.bad_labels);
    for (std::size_t i = 0; i < s.notes.size() && i < 5; ++i)
        std::printf("  note: %s\n", s.notes[i].c_str());
    std::printf("Model size %s\n", format_bytes(r.model_bytes).c_str());
    std::printf("%s%s\n", r.promotion_reason.c_str(),
                r.promoted ? (": " + version_name(r.version) + " is now active").c_str() : "");
    return 0;
}

struct ClassifyFlags {
    std::vector<std::string> paths;
    IngestOptions ingest;
    std::string format = "table";
    double min_confidence = 0.0;
    std::string version;
};

int cmd_classify(Globals& g, ClassifyFlags& f) {
    Registry registry(g.data_dir);
    int version = f.version.empty() ? registry.active().value_or(0) : parse_version(f.version);
    if (version == 0) throw std::runtime_error("no active model: train one first with 'htc-trainer retrain FILES'");
    auto model = registry.load(version);
    auto in = ingest_paths(f.paths, f.ingest);
    bool any_ok = false;
    for (const auto& fr : in.files) {
        // Reader messages already name the file.
        if (!fr.ok()) std::fprintf(stderr, "htc-trainer: %s\n", fr.error.c_str());
        for (const auto& w : fr.warnings) std::fprintf(stderr, "htc-trainer: warning: %s\n", w.c_str());
        any_ok |= fr.ok();
    }
    if (!any_ok) throw std::runtime_error("none of the given files could be read");
    if (in.records.empty())
        throw std::runtime_error("no documents found in the given files (see the messages above)");
    std::string format = g.json ? "json" : f.format;
    auto out = nlohmann::json::array();
    struct Row {
        std::string doc, path, conf;
    };
    std::vector<Row> rows;
    if (format == "csv") std::printf("document,predicted_path,confidence_per_level,top3,model_version\n");
    for (const auto& rec : in.records) {
        auto pred = model->predict(rec.text, f.min_confidence);
        std::string doc = rec.source + ":" + std::to_string(rec.line);
        std::string conf;
        for (std::size_t i = 0; i < pred.path.confidence.size(); ++i)
            conf += (i ? " / " : "") + fixed(pred.path.confidence[i], 2);
        std::string top;
        for (std::size_t i = 0; i < pred.top.size(); ++i)
            top += (i ? "; " : "") + pred.top[i].first.str() + " " + fixed(pred.top[i].second, 2);
        if (format == "json") {
            nlohmann::json alts = nlohmann::json::array();
            for (const auto& [p, prob] : pred.top) alts.push_back({{"path", p.str()}, {"probability", prob}});
            out.push_back({{"document", doc},
                           {"path", pred.path.path.str()},
                           {"levels", pred.path.path.segments},
                           {"confidence", pred.path.confidence},
                           {"top", alts},
                           {"label", rec.label},
                           {"model_version", version}});
        } else if (format == "csv") {
            // The same cell rules as the history export: quoted, formulas neutralised.
            std::printf("%s,%s,%s,%s,%s\n", jobs::csv_cell(doc).c_str(),
                        jobs::csv_cell(pred.path.path.str()).c_str(), jobs::csv_cell(conf).c_str(),
                        jobs::csv_cell(top).c_str(), version_name(version).c_str());
        } else {
            rows.push_back({std::move(doc), pred.path.path.str(), std::move(conf)});
        }
    }
    if (format == "table") {
        // Columns as wide as their longest cell (in code points), so long names stay aligned.
        auto width = [](const std::string& s) {
            return static_cast<std::size_t>(std::count_if(
                s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
        };
        auto pad = [&](const std::string& s, std::size_t w) {
            return s + std::string(w > width(s) ? w - width(s) : 0, ' ');
        };
        std::size_t wd = width("DOCUMENT"), wp = width("PREDICTED PATH");
        for (const auto& r : rows) {
            wd = std::max(wd, width(r.doc));
            wp = std::max(wp, width(r.path));
        }
        std::printf("%s  %s  %s\n", pad("DOCUMENT", wd).c_str(), pad("PREDICTED PATH", wp).c_str(),
                    "CONFIDENCE PER LEVEL");
        for (const auto& r : rows)
            std::printf("%s  %s  %s\n", pad(r.doc, wd).c_str(), pad(r.path, wp).c_str(), r.conf.c_str());
    }
    if (format == "json") std::cout << nlohmann::json{{"model_version", version}, {"predictions", out}}.dump(2) << "\n";
    if (format == "table" && !g.quiet)
        std::fprintf(stderr, "%zu document(s) classified with model %s\n", in.records.size(),
                     version_name(version).c_str());
    return 0;
}

int cmd_evaluate(Globals& g, std::vector<std::string>& paths, IngestOptions& ingest,
                 const std::string& version) {
    Registry registry(g.data_dir);
    auto r = evaluate_files(registry, paths, ingest, version.empty() ? 0 : parse_version(version));
    if (g.json) {
        std::cout << r.to_json().dump(2) << "\n";
        return 0;
    }
    if (!g.quiet) print_file_reports(r.files);
    std::printf("Model %s on %d labelled documents:\n", version_name(r.version).c_str(), r.metrics.documents);
    print_metrics(r.metrics, "  ");
    if (!r.metrics.confusions.empty()) {
        std::printf("Largest confusions:\n");
        for (std::size_t i = 0; i < r.metrics.confusions.size() && i < 5; ++i) {
            const auto& c = r.metrics.confusions[i];
            std::printf("  %4d  %s -> %s\n", c.count, c.truth.c_str(), c.predicted.c_str());
        }
    }
    return 0;
}

int cmd_models(Globals& g) {
    Registry registry(g.data_dir);
    auto list = registry.list();
    auto active = registry.active().value_or(0);
    if (g.json) {
        auto arr = nlohmann::json::array();
        for (const auto& m : list) {
            auto j = m.to_json();
            j["active"] = m.version == active;
            arr.push_back(j);
        }
        std::cout << nlohmann::json{{"active", active}, {"models", arr}}.dump(2) << "\n";
        return 0;
    }
    if (list.empty()) {
        std::printf("No models yet in %s. Train one: htc-trainer retrain FILES\n", registry.models_dir().c_str());
        return 0;
    }
    std::printf("%-3s %-7s %-20s %-9s %6s %7s %-20s %7s %7s %9s\n", "", "VERSION", "CREATED (UTC)",
                "ENGINE", "DOCS", "CLASSES", "LEVEL ACCURACY", "LEAF", "H-F1", "SIZE");
    for (const auto& m : list) {
        std::string levels;
        if (m.metrics.contains("level_accuracy"))
            for (const auto& v : m.metrics["level_accuracy"]) levels += (levels.empty() ? "" : "/") + fixed(v.get<double>(), 2);
        std::printf("%-3s %-7s %-20.19s %-9s %6d %7d %-20s %7s %7s %9s\n", m.version == active ? "*" : "",
                    version_name(m.version).c_str(), m.created.c_str(), m.engine.c_str(),
                    m.data.value("documents", 0), m.data.value("classes", 0), levels.c_str(),
                    fixed_or_dash(m.metrics, "leaf_accuracy").c_str(), fixed_or_dash(m.metrics, "h_f1").c_str(),
                    format_bytes(m.size_bytes).c_str());
    }
    std::printf("* active. Metrics are on each version's own validation split.\n");
    return 0;
}

std::string signed3(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%+.3f", v);
    return buf;
}

int cmd_compare(Globals& g, const std::string& a, const std::string& b,
                const std::vector<std::string>& on, const IngestOptions& ingest, int classes) {
    Registry registry(g.data_dir);
    int va = parse_version(a), vb = parse_version(b);
    ModelComparison c = compare_versions(registry, va, vb, on, ingest);
    if (g.json) {
        std::cout << c.to_json().dump(2) << "\n";
        return 0;
    }
    std::string na = version_name(va), nb = version_name(vb);
    std::printf("%s vs %s, on %s\n\n", na.c_str(), nb.c_str(), c.basis.c_str());
    std::printf("%-24s %8s %8s %8s\n", "METRIC", na.c_str(), nb.c_str(), "DELTA");
    for (const auto& m : c.metrics)
        std::printf("%-24s %8s %8s %8s\n", m.name.c_str(), fixed(m.a).c_str(), fixed(m.b).c_str(),
                    signed3(m.delta()).c_str());
    std::printf("\nPer-class F1, largest classes first (support %s/%s):\n", na.c_str(), nb.c_str());
    std::printf("%-48s %9s %7s %7s %8s\n", "CLASS", "SUPPORT", na.c_str(), nb.c_str(), "DELTA");
    int shown = 0;
    for (const auto& d : c.classes) {
        if (classes >= 0 && shown >= classes) break;
        ++shown;
        std::string sup = std::to_string(d.support_a) + "/" + std::to_string(d.support_b);
        std::printf("%-48s %9s %7s %7s %8s\n", d.label.c_str(), sup.c_str(),
                    d.in_a ? fixed(d.f1_a).c_str() : "-", d.in_b ? fixed(d.f1_b).c_str() : "-",
                    d.in_a && d.in_b ? signed3(d.delta()).c_str() : "new/gone");
    }
    if (classes >= 0 && static_cast<int>(c.classes.size()) > classes)
        std::printf("... %zu more (--classes -1 shows all)\n", c.classes.size() - classes);
    auto confusions = [](const char* title, const std::vector<Confusion>& v) {
        std::printf("\n%s: %s\n", title, v.empty() ? "none" : "");
        for (const auto& x : v)
            std::printf("  %4d  %s -> %s\n", x.count, x.truth.c_str(), x.predicted.c_str());
    };
    confusions(("Confusions that appeared in " + nb).c_str(), c.appeared);
    confusions(("Confusions that disappeared since " + na).c_str(), c.disappeared);
    auto curve = [](const std::string& n, const nlohmann::json& pts) {
        if (!pts.is_array() || pts.empty()) {
            std::printf("  %s: no curve recorded\n", n.c_str());
            return;
        }
        std::printf("  %s: %zu points, first %s, last %s\n", n.c_str(), pts.size(),
                    fixed(pts.front()[1].get<double>(), 4).c_str(),
                    fixed(pts.back()[1].get<double>(), 4).c_str());
    };
    std::printf("\nTraining curves:\n");
    curve(na, c.curve_a);
    curve(nb, c.curve_b);
    return 0;
}

}  // namespace

void add_model_commands(CLI::App& app, Globals& g, Action& action) {
    // retrain
    auto rf = std::make_shared<RetrainFlags>();
    auto* retrain_cmd = app.add_subcommand(
        "retrain",
        "Train a new model version from feedback files (CSV, TSV, JSON, JSON Lines, TXT, PDF, "
        "folders) plus the active model's corpus, evaluate it on a held-out split, and activate "
        "it when it is not worse than the active one");
    retrain_cmd->add_option("paths", rf->opts.paths, "Files or folders")->required();
    add_retrain_options(*retrain_cmd, *rf);
    retrain_cmd->callback([&g, &action, rf] { action = [&g, rf] { return cmd_retrain(g, *rf); }; });

    // classify
    auto cf = std::make_shared<ClassifyFlags>();
    auto* classify = app.add_subcommand(
        "classify", "Predict label paths (with a confidence per level) for documents");
    classify->add_option("paths", cf->paths, "Files or folders")->required();
    add_ingest_options(*classify, cf->ingest);
    classify->add_option("--format", cf->format,
                         "table; csv (columns document, predicted_path, confidence_per_level, "
                         "top3, model_version; RFC 4180 quoting); or json")
        ->check(CLI::IsMember({"table", "csv", "json"}))
        ->capture_default_str();
    classify->add_option("--min-confidence", cf->min_confidence,
                         "Stop the path at the deepest level whose confidence clears this")
        ->check(CLI::Range(0.0, 1.0));
    classify->add_option("--model", cf->version, "Model version (default: the active one)");
    classify->callback([&g, &action, cf] { action = [&g, cf] { return cmd_classify(g, *cf); }; });

    // evaluate
    auto ep = std::make_shared<std::vector<std::string>>();
    auto ei = std::make_shared<IngestOptions>();
    auto ev = std::make_shared<std::string>();
    auto* evaluate_cmd = app.add_subcommand("evaluate", "Score a model on labelled files");
    evaluate_cmd->add_option("paths", *ep, "Labelled files or folders")->required();
    add_ingest_options(*evaluate_cmd, *ei);
    evaluate_cmd->add_option("--model", *ev, "Model version (default: the active one)");
    evaluate_cmd->callback([&g, &action, ep, ei, ev] {
        action = [&g, ep, ei, ev] { return cmd_evaluate(g, *ep, *ei, *ev); };
    });

    // models
    auto* models = app.add_subcommand("models", "List model versions with their metrics");
    auto ca = std::make_shared<std::string>(), cb = std::make_shared<std::string>();
    auto con = std::make_shared<std::vector<std::string>>();
    auto cin = std::make_shared<IngestOptions>();
    auto ccl = std::make_shared<int>(20);
    auto* compare = models->add_subcommand(
        "compare",
        "Compare two versions side by side: per-level accuracy and F1s with deltas (B - A), "
        "per-class F1 changes sorted by class size, confusions that appeared or disappeared, "
        "and both training curves. Without --on, each version's stored metrics (on its own "
        "validation split) are compared; with --on FILES both are scored on the same labelled "
        "documents");
    compare->add_option("a", *ca, "Version A (the baseline), e.g. v1")->required();
    compare->add_option("b", *cb, "Version B, e.g. v2")->required();
    compare->add_option("--on", *con, "Labelled file(s) to score both versions on");
    compare->add_option("--classes", *ccl, "Per-class rows shown (-1 = all)")->capture_default_str();
    add_ingest_options(*compare, *cin);
    compare->callback([&g, &action, ca, cb, con, cin, ccl] {
        action = [&g, ca, cb, con, cin, ccl] { return cmd_compare(g, *ca, *cb, *con, *cin, *ccl); };
    });
    models->callback([&g, &action, models] {
        if (models->got_subcommand("compare")) return;
        action = [&g] { return cmd_models(g); };
    });

    // promote / rollback / delete-model
    auto pv = std::make_shared<std::string>();
    auto* promote = app.add_subcommand("promote", "Make a model version the active one");
    promote->add_option("version", *pv, "Version, e.g. v3")->required();
    promote->callback([&g, &action, pv] {
        action = [&g, pv] {
            jobs::check_writable_folder(g.data_dir, "data folder", "--data-dir or HTC_DATA_DIR");
            Registry reg(g.data_dir);
            int v = parse_version(*pv);
            reg.set_active(v, "promoted by hand");
            std::printf("%s is now active\n", version_name(v).c_str());
            return 0;
        };
    });
    auto rv = std::make_shared<std::string>();
    auto* rollback = app.add_subcommand(
        "rollback", "Go back to the previously active version (or to the one given)");
    rollback->add_option("version", *rv, "Version to go back to (default: the previous active one)");
    rollback->callback([&g, &action, rv] {
        action = [&g, rv] {
            jobs::check_writable_folder(g.data_dir, "data folder", "--data-dir or HTC_DATA_DIR");
            Registry reg(g.data_dir);
            auto cur = reg.active();
            if (!cur) throw std::runtime_error("no active model to roll back from");
            int v = rv->empty() ? reg.previous_active().value_or(0) : parse_version(*rv);
            if (v == 0) throw std::runtime_error("no earlier version to roll back to");
            reg.set_active(v, "rolled back from " + version_name(*cur));
            std::printf("rolled back: %s is now active (was %s)\n", version_name(v).c_str(),
                        version_name(*cur).c_str());
            return 0;
        };
    });
    auto dv = std::make_shared<std::string>();
    auto* del = app.add_subcommand("delete-model", "Delete a model version that is not active");
    del->add_option("version", *dv, "Version, e.g. v2")->required();
    del->callback([&g, &action, dv] {
        action = [&g, dv] {
            jobs::check_writable_folder(g.data_dir, "data folder", "--data-dir or HTC_DATA_DIR");
            Registry reg(g.data_dir);
            int v = parse_version(*dv);
            reg.remove(v);
            std::printf("%s deleted\n", version_name(v).c_str());
            return 0;
        };
    });
}

}  // namespace htc::cli

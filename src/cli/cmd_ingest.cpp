// `ingest`: parse and sanitize files without training, report what a retrain would read and
// how fast; optionally write the exact train/validation split a `retrain --fresh` would use.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <unordered_map>

#include "cli/cli.h"
#include "cli/retrain_options.h"
#include "model/metrics.h"
#include "pipeline.h"

namespace fs = std::filesystem;

namespace htc::cli {

namespace {

struct IngestFlags {
    std::vector<std::string> paths;
    IngestOptions ingest;
    bool no_mask = false;
    double validation = 0.2;
    std::string split_out;
};

double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// A label path as one fastText token: spaces inside a segment become '_'.
std::string label_token(const std::string& path) {
    std::string out = path;
    for (char& c : out)
        if (c == ' ' || c == '\t') c = '_';
    return out;
}

// Sanitized text never holds TAB or line breaks (they become spaces), so TSV needs no quoting.
void write_split(const std::string& dir, const std::vector<Example>& examples,
                 const std::vector<int>& idx, const std::string& name) {
    fs::create_directories(dir);
    std::ofstream tsv(fs::path(dir) / (name + ".tsv"), std::ios::binary);
    std::ofstream ft(fs::path(dir) / (name + ".fasttext.txt"), std::ios::binary);
    std::ofstream text(fs::path(dir) / (name + ".text.txt"), std::ios::binary);
    if (!tsv || !ft || !text) throw std::runtime_error(dir + ": cannot write the split files");
    for (int i : idx) {
        const auto& e = examples[i];
        std::string label = e.label.str();
        tsv << label << '\t' << e.text << '\n';
        ft << "__label__" << label_token(label) << ' ' << e.text << '\n';
        text << e.text << '\n';
    }
}

int cmd_ingest(Globals& g, IngestFlags& f) {
    SanitizeOptions sopts;
    sopts.mask_pii = !f.no_mask;
    std::uint64_t bytes = 0;
    for (const auto& p : f.paths) {
        std::error_code ec;
        if (fs::is_regular_file(p, ec)) {
            bytes += fs::file_size(p, ec);
        } else if (fs::is_directory(p, ec)) {
            for (auto it = fs::recursive_directory_iterator(p, ec);
                 it != fs::recursive_directory_iterator(); it.increment(ec))
                if (it->is_regular_file(ec)) bytes += it->file_size(ec);
        }
    }
    auto t0 = std::chrono::steady_clock::now();
    auto in = ingest_paths(f.paths, f.ingest);
    double parse_s = seconds_since(t0);
    auto t1 = std::chrono::steady_clock::now();
    SanitizeStats stats;
    auto examples = prepare_examples(in.records, sopts, stats);
    double sanitize_s = seconds_since(t1);
    double total_s = parse_s + sanitize_s;
    double mb = static_cast<double>(bytes) / 1e6;
    auto rate = [&](double s) { return s > 0 ? mb / s : 0.0; };

    std::size_t train_n = 0, valid_n = 0;
    if (!f.split_out.empty()) {
        // The same split as a retrain on these files alone (retrain --fresh): documents
        // grouped by label path, ordered by the hash of their cleaned text.
        std::vector<std::string> texts;
        std::vector<int> labels;
        std::unordered_map<std::string, int> ids;
        texts.reserve(examples.size());
        labels.reserve(examples.size());
        for (const auto& e : examples) {
            texts.push_back(e.text);
            labels.push_back(ids.emplace(e.label.str(), static_cast<int>(ids.size())).first->second);
        }
        Split split = stratified_split(texts, labels, f.validation);
        write_split(f.split_out, examples, split.train, "train");
        write_split(f.split_out, examples, split.validation, "validation");
        train_n = split.train.size();
        valid_n = split.validation.size();
    }

    if (g.json) {
        nlohmann::json files = nlohmann::json::array();
        for (const auto& fr : in.files)
            files.push_back({{"path", fr.path}, {"format", fr.format}, {"encoding", fr.encoding},
                             {"records", fr.records}, {"labelled", fr.labelled},
                             {"skipped", fr.skipped.size()}, {"error", fr.error}});
        nlohmann::json j = {{"files", files},
                            {"bytes", bytes},
                            {"records", in.records.size()},
                            {"examples", examples.size()},
                            {"duplicates", stats.duplicates},
                            {"conflicts", stats.conflicts},
                            {"parse_seconds", parse_s},
                            {"sanitize_seconds", sanitize_s},
                            {"seconds", total_s},
                            {"mb_per_s", rate(total_s)},
                            {"parse_mb_per_s", rate(parse_s)}};
        if (!f.split_out.empty())
            j["split"] = {{"dir", f.split_out}, {"train", train_n}, {"validation", valid_n}};
        std::cout << j.dump(2) << "\n";
        return 0;
    }
    for (const auto& fr : in.files) {
        if (!fr.ok()) std::fprintf(stderr, "htc-trainer: %s\n", fr.error.c_str());
        std::printf("%s: %s, %s, %zu records, %zu labelled, %zu skipped\n", fr.path.c_str(),
                    fr.format.c_str(), fr.encoding.c_str(), fr.records, fr.labelled,
                    fr.skipped.size());
    }
    std::printf("%s read: %zu records, %zu usable examples (%zu duplicates, %zu conflicts)\n",
                format_bytes(bytes).c_str(), in.records.size(), examples.size(), stats.duplicates,
                stats.conflicts);
    std::printf("parse %.3f s, sanitize %.3f s: %.1f MB/s (parse alone %.1f MB/s)\n", parse_s,
                sanitize_s, rate(total_s), rate(parse_s));
    if (!f.split_out.empty())
        std::printf("split written to %s: %zu train, %zu validation (train/validation .tsv, "
                    ".fasttext.txt, .text.txt)\n",
                    f.split_out.c_str(), train_n, valid_n);
    return 0;
}

}  // namespace

void add_ingest_command(CLI::App& app, Globals& g, Action& action) {
    auto f = std::make_shared<IngestFlags>();
    auto* cmd = app.add_subcommand(
        "ingest",
        "Parse and sanitize files as a retrain would, without training: per-file reports, "
        "usable examples and throughput (MB/s); optionally write the train/validation split");
    cmd->add_option("paths", f->paths, "Files or folders")->required();
    add_ingest_options(*cmd, f->ingest);
    cmd->add_flag("--no-mask-pii", f->no_mask, "Keep e-mail addresses, URLs and phone numbers");
    cmd->add_option("--validation", f->validation, "Validation fraction for --split-out")
        ->check(CLI::Range(0.0, 0.9))
        ->capture_default_str();
    cmd->add_option("--split-out", f->split_out,
                    "Write the deterministic split a 'retrain --fresh' of these files uses to "
                    "DIR: train/validation as .tsv (label<TAB>text), .fasttext.txt "
                    "(__label__path text) and .text.txt (text only)");
    cmd->callback([&g, &action, f] { action = [&g, f] { return cmd_ingest(g, *f); }; });
}

}  // namespace htc::cli

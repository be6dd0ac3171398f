// The Controller's Document Upload commands (classify in the background, correct, export) and
// its Models commands (promote, roll back, delete, compare, pinned test sets, schedule).
// Everything that reads or writes the disk runs on a worker; results come back through the
// RunQueue.
#include <algorithm>
#include <cmath>
#include <ctime>
#include <filesystem>

#include "app/controller.h"
#include "app/format.h"
#include "feedback/feedback_store.h"
#include "model/model.h"
#include "text/encoding.h"

namespace fs = std::filesystem;

namespace htc::app {

double UploadResult::min_confidence() const {
    double m = 1.0;
    for (double c : confidence) m = std::min(m, c);
    return confidence.empty() ? 0.0 : m;
}

// The model the classify worker holds; only that worker touches it.
struct Controller::ClassifyCache {
    int version = 0;
    std::shared_ptr<const Model> model;
};

namespace {

std::string one_line(const std::string& text, std::size_t max_chars) {
    std::string s;
    s.reserve(std::min<std::size_t>(text.size(), max_chars * 4));
    bool space = false;
    for (char ch : text) {
        if (ch == '\n' || ch == '\r' || ch == '\t' || ch == ' ') {
            space = !s.empty();
            continue;
        }
        if (space) s += ' ';
        space = false;
        s += ch;
        if (s.size() > max_chars * 4) break;
    }
    return truncate_utf8(s, max_chars);
}

std::string csv_cell(const std::string& raw) {
    std::string s = raw;
    // A cell a spreadsheet would read as a formula is shown as text.
    if (!s.empty() &&
        (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r'))
        s = "'" + s;
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::string fixed2(double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.2f", v);
    return b;
}

}  // namespace

void Controller::classify_uploads(bool again) {
    if (!classify_cache_) classify_cache_ = std::make_shared<ClassifyCache>();
    auto alive = alive_;
    auto cache = classify_cache_;
    for (auto& d : uploads_) {
        if (d.status.classifying || (d.status.done && !again)) continue;
        d.status.classifying = true;
        d.status.error.clear();
        ++classifying_;
        std::uint64_t doc_id = d.id;
        std::string path = d.path, name = d.name;
        classify_.submit([this, alive, cache, doc_id, path, name] {
            std::vector<UploadResult> rows;
            std::string error;
            std::vector<std::string> labels;
            int labels_version = 0;
            try {
                auto active = registry_.active();
                if (!active) throw std::runtime_error("no model yet: train one first");
                if (cache->version != *active || !cache->model) {
                    cache->model = registry_.load(*active);
                    cache->version = *active;
                    const Taxonomy& tax = cache->model->taxonomy;
                    for (int n = 1; n < tax.num_nodes(); ++n)
                        labels.push_back(tax.path_of_node(n).str());
                    std::sort(labels.begin(), labels.end());
                    labels_version = *active;
                }
                std::vector<Record> records;
                FileReport rep = ingest_file(path, IngestOptions{}, records);
                if (!rep.ok()) throw std::runtime_error(rep.error);
                if (records.empty())
                    throw std::runtime_error(rep.warnings.empty() ? "no text found"
                                                                  : rep.warnings.front());
                for (const auto& rec : records) {
                    auto pred = cache->model->predict(rec.text);
                    UploadResult r;
                    r.doc_id = doc_id;
                    r.document = records.size() > 1 ? name + ":" + std::to_string(rec.line) : name;
                    r.text = rec.text;
                    r.snippet = one_line(rec.text, 160);
                    r.file_label = rec.label;
                    r.predicted = pred.path.path.str();
                    r.confidence = pred.path.confidence;
                    for (const auto& [p, prob] : pred.top) r.top.emplace_back(p.str(), prob);
                    r.model_version = cache->version;
                    rows.push_back(std::move(r));
                }
            } catch (const std::exception& e) {
                error = utf8_replace_invalid(e.what());
            }
            ui_.post([this, alive, doc_id, rows = std::move(rows), error,
                      labels = std::move(labels), labels_version]() mutable {
                if (!alive->load()) return;
                --classifying_;
                note_change();
                if (labels_version) {
                    label_paths_ = std::move(labels);
                    labels_version_ = labels_version;
                }
                auto doc = std::find_if(uploads_.begin(), uploads_.end(),
                                        [&](const UploadDoc& d) { return d.id == doc_id; });
                if (doc == uploads_.end()) return;  // removed meanwhile
                doc->status.classifying = false;
                doc->status.done = true;
                doc->status.error = error;
                doc->status.records = rows.size();
                // Replace this document's rows in place (keeping corrections already made).
                std::vector<UploadResult> old;
                auto first =
                    std::find_if(results_.begin(), results_.end(),
                                 [&](const UploadResult& r) { return r.doc_id == doc_id; });
                std::size_t at = static_cast<std::size_t>(first - results_.begin());
                for (auto it = results_.begin(); it != results_.end();) {
                    if (it->doc_id == doc_id) {
                        old.push_back(std::move(*it));
                        it = results_.erase(it);
                    } else {
                        ++it;
                    }
                }
                for (auto& r : rows) {
                    r.id = next_id_++;
                    for (const auto& o : old)
                        if (o.text == r.text && !o.corrected.empty()) r.corrected = o.corrected;
                }
                results_.insert(
                    results_.begin() + static_cast<std::ptrdiff_t>(std::min(at, results_.size())),
                    std::make_move_iterator(rows.begin()), std::make_move_iterator(rows.end()));
            });
        });
    }
    note_change();
}

void Controller::correct(std::uint64_t result_id, const std::string& path) {
    auto it = std::find_if(results_.begin(), results_.end(),
                           [&](const UploadResult& r) { return r.id == result_id; });
    if (it == results_.end() || it->saving) return;
    std::string err;
    auto label = parse_label_path(path, &err);
    if (!label) {
        toast(ToastKind::Error, "Not a label path: " + err);
        return;
    }
    it->saving = true;
    FeedbackRecord rec;
    rec.text = it->text;
    rec.correct_path = label->str();
    rec.predicted_path = it->predicted;
    rec.model_version = it->model_version;
    rec.document = it->document;
    auto alive = alive_;
    std::string dir = data_dir_;
    io_.submit([this, alive, dir, rec, result_id] {
        std::string error;
        std::size_t pending = 0;
        try {
            FeedbackStore fb(dir);
            fb.add(rec);
            pending = fb.pending_count();
        } catch (const std::exception& e) {
            error = e.what();
        }
        ui_.post([this, alive, rec, result_id, error, pending] {
            if (!alive->load()) return;
            note_change();
            auto it = std::find_if(results_.begin(), results_.end(),
                                   [&](const UploadResult& r) { return r.id == result_id; });
            if (it != results_.end()) {
                it->saving = false;
                if (error.empty()) it->corrected = rec.correct_path;
            }
            if (!error.empty()) {
                toast(ToastKind::Error, "Correction not saved: " + error, 10.0);
                return;
            }
            ++corrections_saved_;
            pending_feedback_ = pending;
            if (schedule_.auto_sync &&
                pending_feedback_ >= static_cast<std::size_t>(schedule_.auto_sync_after) &&
                auto_sync_) {
                toast(ToastKind::Info, "Auto Sync: " + std::to_string(pending_feedback_) +
                                           " corrections pending, retraining with them");
                auto_sync_();
            }
        });
    });
}

void Controller::refresh_feedback_count() {
    auto alive = alive_;
    std::string dir = data_dir_;
    query_.submit([this, alive, dir] {
        std::size_t pending = 0;
        std::string error;
        try {
            pending = FeedbackStore(dir).pending_count();
        } catch (const std::exception& e) {
            error = e.what();
        }
        ui_.post([this, alive, pending, error] {
            if (!alive->load()) return;
            if (!error.empty()) toast(ToastKind::Error, error, 10.0);
            pending_feedback_ = pending;
            note_change();
        });
    });
}

void Controller::export_predictions() {
    if (results_.empty()) return;
    std::string csv = "\xEF\xBB\xBF";
    csv +=
        "Document,Predicted path,Confidence per level,Top 3,Model version,Corrected path,Text\r\n";
    for (const auto& r : results_) {
        std::string conf, top;
        for (std::size_t i = 0; i < r.confidence.size(); ++i)
            conf += (i ? " / " : "") + fixed2(r.confidence[i]);
        for (std::size_t i = 0; i < r.top.size(); ++i)
            top += (i ? "; " : "") + r.top[i].first + " " + fixed2(r.top[i].second);
        csv += csv_cell(r.document) + "," + csv_cell(r.predicted) + "," + csv_cell(conf) + "," +
               csv_cell(top) + ",v" + std::to_string(r.model_version) + "," +
               csv_cell(r.corrected) + "," + csv_cell(r.snippet) + "\r\n";
    }
    auto alive = alive_;
    std::string dir = data_dir_ + "/exports";
    io_.submit([this, alive, dir, csv = std::move(csv)] {
        std::string path, error;
        try {
            fs::create_directories(dir);
            std::time_t t = std::time(nullptr);
            std::tm tm{};
            localtime_r(&t, &tm);
            char name[64];
            std::strftime(name, sizeof name, "htc-predictions-%Y-%m-%d-%H%M%S.csv", &tm);
            path = dir + "/" + name;
            write_file_atomic(path, csv);
        } catch (const std::exception& e) {
            error = e.what();
        }
        ui_.post([this, alive, path, error] {
            if (!alive->load()) return;
            if (!error.empty()) {
                toast(ToastKind::Error, "Export failed: " + error, 10.0);
                return;
            }
            predictions_export_ = path;
            toast(ToastKind::Success, "Predictions exported to " + path, 8.0);
        });
    });
}

void Controller::update_schedule(const jobs::ScheduleSettings& s) {
    schedule_ = s;
    note_change();
    auto alive = alive_;
    std::string dir = data_dir_;
    io_.submit([this, alive, dir, s] {
        std::string error;
        try {
            // The last daily run is the scheduler's to keep.
            jobs::ScheduleSettings merged = s;
            try {
                merged.last_daily_run = jobs::load_schedule(dir).last_daily_run;
            } catch (const std::exception&) {
            }
            jobs::save_schedule(dir, merged);
        } catch (const std::exception& e) {
            error = e.what();
        }
        if (error.empty()) return;
        ui_.post([this, alive, error] {
            if (alive->load()) toast(ToastKind::Error, "Schedule not saved: " + error, 10.0);
        });
    });
}

// ---- Models commands ----

void Controller::on_models_command(const std::string& ok, const std::string& error) {
    --models_busy_;
    if (!error.empty())
        toast(ToastKind::Error, error, 10.0);
    else if (!ok.empty())
        toast(ToastKind::Success, ok);
    refresh_models();
    note_change();
}

void Controller::promote_version(int version) {
    ++models_busy_;
    auto alive = alive_;
    query_.submit([this, alive, version] {
        std::string ok, error;
        try {
            if (!registry_.info(version))
                throw std::runtime_error("no version v" + std::to_string(version));
            registry_.set_active(version, "promoted by hand");
            ok = version_name(version) + " is now active";
        } catch (const std::exception& e) {
            error = e.what();
        }
        ui_.post([this, alive, ok, error] {
            if (alive->load()) on_models_command(ok, error);
        });
    });
}

void Controller::rollback_to(int version) {
    ++models_busy_;
    auto alive = alive_;
    query_.submit([this, alive, version] {
        std::string ok, error;
        try {
            auto cur = registry_.active();
            if (!registry_.info(version))
                throw std::runtime_error("no version v" + std::to_string(version));
            registry_.set_active(
                version, "rolled back from " + (cur ? version_name(*cur) : std::string("none")));
            ok = "Rolled back: " + version_name(version) + " is now active" +
                 (cur ? " (was " + version_name(*cur) + ")" : "");
        } catch (const std::exception& e) {
            error = e.what();
        }
        ui_.post([this, alive, ok, error] {
            if (alive->load()) on_models_command(ok, error);
        });
    });
}

void Controller::delete_version(int version) {
    ++models_busy_;
    auto alive = alive_;
    query_.submit([this, alive, version] {
        std::string ok, error;
        try {
            registry_.remove(version);
            ok = version_name(version) + " deleted";
        } catch (const std::exception& e) {
            error = e.what();
        }
        ui_.post([this, alive, ok, error, version] {
            if (!alive->load()) return;
            if (error.empty() && comparison_ &&
                (comparison_->a == version || comparison_->b == version))
                comparison_.reset();
            on_models_command(ok, error);
        });
    });
}

void Controller::compare_versions(int a, int b) {
    comparing_ = true;
    note_change();
    auto alive = alive_;
    query_.submit([this, alive, a, b] {
        std::optional<ModelComparison> c;
        std::string error;
        try {
            c = htc::compare_versions(registry_, a, b);
        } catch (const std::exception& e) {
            error = e.what();
        }
        ui_.post([this, alive, c = std::move(c), error]() mutable {
            if (!alive->load()) return;
            comparing_ = false;
            note_change();
            if (!error.empty()) {
                toast(ToastKind::Error, "Compare: " + error, 10.0);
                return;
            }
            comparison_ = std::move(c);
        });
    });
}

void Controller::pin_test_set(const std::string& path) {
    ++models_busy_;
    auto alive = alive_;
    std::string dir = data_dir_;
    io_.submit([this, alive, dir, path] {
        std::string ok, error;
        try {
            PinnedSet s = htc::pin_test_set(dir, path);
            ok = "Pinned " + s.name + " (" + std::to_string(s.labelled) +
                 " labelled documents): every retrain now scores on it";
        } catch (const std::exception& e) {
            error = e.what();
        }
        ui_.post([this, alive, ok, error] {
            if (alive->load()) on_models_command(ok, error);
        });
    });
}

void Controller::unpin_test_set(const std::string& name) {
    ++models_busy_;
    auto alive = alive_;
    std::string dir = data_dir_;
    io_.submit([this, alive, dir, name] {
        std::string ok, error;
        if (htc::unpin_test_set(dir, name))
            ok = "Unpinned " + name;
        else
            error = "No pinned test set named " + name;
        ui_.post([this, alive, ok, error] {
            if (alive->load()) on_models_command(ok, error);
        });
    });
}

}  // namespace htc::app

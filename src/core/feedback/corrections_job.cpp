#include "feedback/corrections_job.h"

#include <filesystem>

#include "model/registry.h"

namespace fs = std::filesystem;

namespace htc {

CorrectionsSubmit submit_corrections(FeedbackStore& feedback, jobs::JobStore& store,
                                     const jobs::UploadStore& uploads, RetrainOptions opts,
                                     const std::string& data_dir) {
    CorrectionsSubmit out;
    auto pending = feedback.list(true);
    if (pending.empty()) {
        out.submit.error = "no pending corrections";
        return out;
    }
    // 2026-12-04T06:38:04.123+00:00 -> 20261204T063804123
    std::string stamp;
    for (char ch : jobs::format_iso8601_utc(jobs::now_epoch_ms()).substr(0, 23))
        if (std::isdigit(static_cast<unsigned char>(ch)) || ch == 'T') stamp += ch;
    fs::path dir = fs::path(data_dir) / "feedback";
    fs::create_directories(dir);
    std::string name = "corrections-" + stamp + "-" + std::to_string(pending.size()) + ".jsonl";
    out.file = (dir / name).string();
    write_file_atomic(out.file, feedback_jsonl(pending));
    opts.train_only_files.push_back(name);
    out.submit = jobs::submit_job(store, uploads, std::vector<std::string>{out.file}, opts);
    if (!out.submit.queued) return out;
    std::vector<std::int64_t> ids;
    for (const auto& r : pending) ids.push_back(r.id);
    feedback.mark_used(ids, out.submit.job_id);
    store.append_log(out.submit.job_id, std::to_string(pending.size()) +
                                            " correction(s) from the feedback store, trained "
                                            "on and never held out for validation");
    out.corrections = pending.size();
    return out;
}

}  // namespace htc

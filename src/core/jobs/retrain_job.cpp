#include "jobs/retrain_job.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

namespace fs = std::filesystem;

namespace htc::jobs {

std::size_t SubmitResult::accepted() const {
    return static_cast<std::size_t>(
        std::count_if(files.begin(), files.end(), [](const JobFile& f) { return f.accepted(); }));
}

std::size_t SubmitResult::rejected() const { return files.size() - accepted(); }

SubmitResult submit_job(JobStore& store, const UploadStore& uploads,
                        const std::vector<std::string>& paths, RetrainOptions opts,
                        const UploadStore::CopyProgress& progress) {
    std::vector<UploadSource> sources;
    for (const auto& p : paths) sources.push_back({p, ""});
    return submit_job(store, uploads, sources, std::move(opts), progress);
}

SubmitResult submit_job(JobStore& store, const UploadStore& uploads,
                        const std::vector<UploadSource>& sources, RetrainOptions opts,
                        const UploadStore::CopyProgress& progress) {
    SubmitResult result;
    if (sources.empty()) {
        result.error = "no files given";
        return result;
    }
    UploadPlan plan = uploads.plan(sources);
    std::string id = new_job_id();
    if (plan.accepted() > 0) {
        try {
            uploads.copy(id, plan, progress);
        } catch (const UploadError& e) {
            // The upload folder cannot be written (disk full ...): nothing was kept, and the
            // attempt is recorded as a failed job with the reason, so the history shows it.
            result.files = plan.job_files();
            result.job_id = id;
            result.error = e.what();
            Job job;
            job.id = id;
            job.created = format_iso8601_utc(now_epoch_ms());
            job.finished = job.created;
            job.status = JobStatus::Failed;
            job.files = result.files;
            job.error = e.what();
            job.details = "upload failed: " + job.error;
            opts.job_id = id;
            opts.paths.clear();
            job.parameters = opts.to_json();
            job.log.push_back({job.created, "failed while copying the files: " + job.error});
            try {
                store.insert(job);
            } catch (const std::exception&) {
                result.job_id.clear();  // the store is on the same full disk: nothing recorded
            }
            return result;
        }
    }
    result.files = plan.job_files();
    if (plan.accepted() == 0) {
        uploads.remove_job(id);
        result.error = result.files.empty()
                           ? "no files given"
                           : "no file was accepted (" + std::to_string(result.files.size()) +
                                 " rejected; see the reasons)";
        return result;
    }
    Job job;
    job.id = id;
    job.created = format_iso8601_utc(now_epoch_ms());
    job.status = JobStatus::Queued;
    job.files = result.files;
    opts.job_id = id;
    opts.paths.clear();
    for (const auto& in : plan.inputs)
        opts.paths.push_back((fs::path(uploads.job_dir(id)) / in).string());
    job.parameters = opts.to_json();
    std::size_t n = result.accepted(), rejected = result.rejected();
    job.details = std::to_string(n) + (n == 1 ? " file" : " files") + " uploaded for retraining";
    if (rejected > 0) job.details += " (" + std::to_string(rejected) + " rejected)";
    job.log.push_back({job.created, "queued: " + job.details});
    for (const auto& f : result.files)
        if (!f.accepted())
            job.log.push_back({job.created, "rejected " + f.original_name + ": " + f.error});
    try {
        store.insert(job);
    } catch (...) {
        uploads.remove_job(id);
        throw;
    }
    uploads.mark_queued(id);
    result.job_id = id;
    result.queued = true;
    return result;
}

std::string describe_result(const RetrainResult& r) {
    char f1[32];
    std::snprintf(f1, sizeof f1, "%.3f", r.metrics.h_f1);
    std::string s = version_name(r.version) + ": " + std::to_string(r.corpus_examples) +
                    " documents (" + std::to_string(r.feedback_examples) + " from this job), " +
                    std::to_string(r.num_classes) + " classes, " + r.engine + ", hierarchical F1 " +
                    f1;
    if (r.promoted)
        s += "; activated";
    else
        s += "; not activated" + (r.promotion_reason.empty() ? "" : ": " + r.promotion_reason);
    return s;
}

JobFunction make_retrain_job_function(std::string data_dir) {
    return [data_dir](JobContext& ctx) {
        RetrainOptions opts = RetrainOptions::from_json(ctx.job.parameters);
        opts.job_id = ctx.job.id;
        // Stored paths are re-rooted at the runner's upload folder for this job, so a job
        // queued with HTC_UPLOAD_DIR=A still runs after the folder was moved to B.
        if (!ctx.upload_dir.empty()) {
            const std::string marker = "/" + ctx.job.id + "/";
            for (auto& p : opts.paths) {
                auto pos = p.rfind(marker);
                if (pos != std::string::npos)
                    p = (fs::path(ctx.upload_dir) / p.substr(pos + marker.size())).string();
            }
        }
        Registry registry(data_dir);
        RetrainResult r = retrain(registry, opts, ctx.progress, ctx.cancel);
        JobOutcome out;
        out.details = describe_result(r);
        out.model_version = r.version;
        out.metrics = r.metrics.to_json();
        out.result = r.to_json();
        out.file_reports = r.files;
        return out;
    };
}

JobSystem::JobSystem(JobsConfig config, JobFunction fn)
    : config_(std::move(config)),
      store_(std::make_shared<JobStore>(config_.store_path())),
      uploads_(config_.upload_dir, config_.allowed_extensions, config_.max_file_size) {
    if (!fn) fn = make_retrain_job_function(config_.data_dir);
    runner_ = std::make_unique<JobRunner>(store_, runner_options(config_), std::move(fn));
}

SubmitResult JobSystem::submit(const std::vector<UploadSource>& sources, RetrainOptions opts,
                               const UploadStore::CopyProgress& progress) {
    opts.ingest.max_file_size = config_.max_file_size;
    SubmitResult r = submit_job(*store_, uploads_, sources, std::move(opts), progress);
    if (r.queued) runner_->notify();
    return r;
}

}  // namespace htc::jobs

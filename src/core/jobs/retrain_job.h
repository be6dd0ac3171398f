#pragma once
// The bridge between the job system and the retrain pipeline: submitting a retrain as a job
// (files copied into the upload store, job queued) and the job function that runs it.
#include <memory>
#include <string>
#include <vector>

#include "jobs/job_runner.h"
#include "jobs/job_store.h"
#include "jobs/upload_store.h"
#include "pipeline.h"

namespace htc::jobs {

struct SubmitResult {
    // The queued job; when the upload folder could not be written (disk full) the job is
    // recorded as failed with the reason and its id is given here with queued = false.
    std::string job_id;
    bool queued = false;
    std::vector<JobFile> files;  // accepted and rejected (rejected ones carry the reason)
    std::string error;           // why nothing was queued ("" when queued)
    std::size_t accepted() const;
    std::size_t rejected() const;
};

// Plans and copies the files into <upload dir>/<new job id>/ and queues a job whose
// parameters are `opts` with paths set to the stored copies. Rejected files are listed in the
// result (and in the job's file list) with their reason. Nothing is queued when no file is
// accepted. Copying runs in the caller's thread (the GUI calls this off the main thread).
// Throws StoreError when the store cannot be written (the copies are removed again).
SubmitResult submit_job(JobStore& store, const UploadStore& uploads,
                        const std::vector<UploadSource>& sources, RetrainOptions opts,
                        const UploadStore::CopyProgress& progress = {});
SubmitResult submit_job(JobStore& store, const UploadStore& uploads,
                        const std::vector<std::string>& paths, RetrainOptions opts,
                        const UploadStore::CopyProgress& progress = {});

// Runs htc::retrain on the job's stored files with the job's parameters, registering models
// under `data_dir`.
JobFunction make_retrain_job_function(std::string data_dir);

// "v3: 1200 documents (200 new), 12 classes, hierarchical F1 0.912; activated"
std::string describe_result(const RetrainResult& r);

// Everything a front end needs, wired from one configuration: the store, the upload folder
// and a runner (not started) that runs htc::retrain, or `fn` when given (tests).
// Throws StoreError when the store cannot be opened.
class JobSystem {
  public:
    explicit JobSystem(JobsConfig config, JobFunction fn = {});
    const JobsConfig& config() const { return config_; }
    JobStore& store() { return *store_; }
    const UploadStore& uploads() const { return uploads_; }
    JobRunner& runner() { return *runner_; }

    // submit_job(), then wakes the runner. Copies in the caller's thread.
    SubmitResult submit(const std::vector<UploadSource>& sources, RetrainOptions opts,
                        const UploadStore::CopyProgress& progress = {});

  private:
    JobsConfig config_;
    std::shared_ptr<JobStore> store_;
    UploadStore uploads_;
    std::unique_ptr<JobRunner> runner_;
};

}  // namespace htc::jobs

#pragma once
// Retraining with corrections: the pending feedback records become the feedback file of an
// ordinary retrain job, marked train-only (RetrainOptions::train_only_files) so every
// correction is trained on and none is held out for validation.
#include <string>

#include "feedback/feedback_store.h"
#include "jobs/retrain_job.h"

namespace htc {

struct CorrectionsSubmit {
    jobs::SubmitResult submit;
    std::size_t corrections = 0;  // records in the job
    std::string file;             // the JSON Lines file written under <data>/feedback/
};

// Writes the pending corrections to <data_dir>/feedback/corrections-<time>.jsonl, queues a
// retrain job with it through `store` and `uploads` (the job copies the file like any upload),
// and marks the records with the job id. Nothing is queued (submit.queued false, submit.error
// says why) when there is no pending correction.
CorrectionsSubmit submit_corrections(FeedbackStore& feedback, jobs::JobStore& store,
                                     const jobs::UploadStore& uploads, RetrainOptions opts,
                                     const std::string& data_dir);

}  // namespace htc

#pragma once
// Import of the seed's job logs: a folder of <job id>.json files, each one RetrainRecord
// {job_id, timestamp, status, details}. Also accepted: a file holding a list of records, or
// {"jobs": [...]}, and the keys id / created_at / started_at / finished_at / pid / error.
//
// Imported jobs are history: they have no stored files and are never run. A record that was
// still queued or running (its process is long gone) is imported as interrupted with a finish
// time (the import time), so it never shows as running forever. Damaged files (empty,
// truncated, not JSON, missing id or status) are reported with the reason and skipped; the
// store is only ever added to. Importing the same folder twice adds nothing the second time.
#include <string>
#include <vector>

#include "jobs/job_store.h"

namespace htc::jobs {

struct ImportProblem {
    std::string file;  // file name (and record number when the file holds a list)
    std::string reason;
};

struct ImportReport {
    std::size_t files = 0;               // .json files looked at
    std::size_t imported = 0;            // records added
    std::size_t already_present = 0;     // ids that were in the store already
    std::size_t marked_interrupted = 0;  // queued/running records imported as interrupted
    std::vector<ImportProblem> damaged;
};

// Throws StoreError when the store cannot be written, std::runtime_error when `dir` is not a
// readable folder. Never throws for a bad file.
ImportReport import_seed_logs(JobStore& store, const std::string& dir);

}  // namespace htc::jobs

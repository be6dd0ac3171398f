#include "app/first_run.h"

#include "app/controller.h"
#include "app/jobs_model.h"

namespace htc::app {

bool first_run(const Controller& c, const JobsModel& jobs) {
    if (!c.models_loaded() || !c.models().empty() || c.active_version()) return false;
    const bool history_read = jobs.history_loaded() || !jobs.store_error().empty();
    if (!history_read || jobs.history_total() > 0) return false;
    if (jobs.job_active() || !jobs.started_job_id().empty() || jobs.last_finished()) return false;
    return c.retrain_entries().empty() && !c.busy_with_files();
}

void train_on_sample(Controller& c, JobsModel& jobs) {
    if (c.sample_dir().empty()) {
        c.toast(ToastKind::Error, "The bundled sample is not installed");
        return;
    }
    jobs.start_sample_retrain(c.sample_dir());
}

}  // namespace htc::app

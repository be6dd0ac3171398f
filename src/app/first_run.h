#pragma once
// The first-run view: the Model Retraining tab shows it instead of its usual content while the
// data folder holds no model and no job and nothing has been dropped yet.
namespace htc::app {

class Controller;
class JobsModel;

// True once the registry and the history have been read and both are empty, with no file in
// Files to Retrain, none being counted, and no job submitted by this window.
bool first_run(const Controller& c, const JobsModel& jobs);

// The view's button: a retrain job on the bundled sample, through the job system.
void train_on_sample(Controller& c, JobsModel& jobs);

}  // namespace htc::app

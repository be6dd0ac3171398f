#pragma once
// Progress reporting and cooperative cancellation shared by training and jobs.
#include <atomic>
#include <functional>
#include <stdexcept>
#include <string>

namespace htc {

struct Progress {
    std::string stage;       // copy, parse, sanitize, train, evaluate, register
    double fraction = 0.0;   // 0..1 within the whole job
    double eta_seconds = -1; // < 0 when unknown
    double metric = -1;      // latest point of the live curve (loss or validation score), < 0 if none
    std::string metric_name; // "loss", "train accuracy", ...
    std::string message;     // optional one-line detail
};

using ProgressFn = std::function<void(const Progress&)>;

// Thrown by long-running work when its cancel flag was set.
struct Cancelled : std::runtime_error {
    Cancelled() : std::runtime_error("cancelled") {}
};

inline void throw_if_cancelled(const std::atomic<bool>* cancel) {
    if (cancel && cancel->load(std::memory_order_relaxed)) throw Cancelled();
}

}  // namespace htc

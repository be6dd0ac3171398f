#pragma once
// This process's CPU use and resident memory, read from /proc/self/stat and statm.
#include <cstdint>

namespace htc::app {

struct ProcSample {
    double cpu_seconds = 0;  // utime + stime
    std::uint64_t rss_bytes = 0;
    bool ok = false;
};

ProcSample read_proc_self();

// CPU% between samples taken at most once a second (callers sample only while drawing).
class ProcMonitor {
  public:
    // Returns true when a new sample was taken.
    bool update(double now_seconds);
    double cpu_percent() const { return cpu_percent_; }
    std::uint64_t rss_bytes() const { return rss_bytes_; }
    bool valid() const { return have_previous_; }

  private:
    double last_time_ = -1;
    double last_cpu_ = 0;
    double cpu_percent_ = 0;
    std::uint64_t rss_bytes_ = 0;
    bool have_previous_ = false;
};

}  // namespace htc::app

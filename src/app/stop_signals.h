#pragma once
// SIGINT and SIGTERM for the window: the first one asks the event loop to close the window
// (the same graceful path as the close button: the running job is requeued, settings are
// saved), a second one exits at once with status 130.
//
// The signals are blocked in every thread (call block() before any thread starts, so they all
// inherit the mask) and taken by one thread with sigwait(), which may call any function, unlike
// a signal handler: it wakes the loop with glfwPostEmptyEvent through `wake`.
#include <atomic>
#include <functional>
#include <thread>

namespace htc::app {

class StopSignals {
  public:
    // Blocks SIGINT and SIGTERM in the calling thread (and in threads it creates later).
    static void block();
    // Starts the waiting thread; `wake` runs on it after the first signal.
    explicit StopSignals(std::function<void()> wake);
    ~StopSignals();  // ends the waiting thread (call before the loop's wake target goes away)
    StopSignals(const StopSignals&) = delete;
    StopSignals& operator=(const StopSignals&) = delete;

    bool requested() const { return requested_.load(); }
    int signal_number() const { return signal_.load(); }

  private:
    std::function<void()> wake_;
    std::atomic<bool> requested_{false}, quitting_{false};
    std::atomic<int> signal_{0};
    std::thread thread_;
};

}  // namespace htc::app

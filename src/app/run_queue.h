#pragma once
// Hand-off between worker threads and the UI thread.
//  - RunQueue: closures posted by any thread, run by the main thread once per frame
//    (Tracy's RunQueue, ImHex's doLater). Posting wakes the event loop.
//  - Worker: one background thread running tasks in order; the UI never waits on it.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace htc::app {

class RunQueue {
  public:
    using Task = std::function<void()>;
    // Called after every post, from the posting thread (glfwPostEmptyEvent in the app).
    void set_wake(std::function<void()> wake) {
        std::lock_guard<std::mutex> lock(mutex_);
        wake_ = std::move(wake);
    }
    void post(Task task) {
        std::function<void()> wake;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            tasks_.push_back(std::move(task));
            wake = wake_;
        }
        if (wake) wake();
    }
    // Wakes the loop without queuing anything (a worker published a new snapshot).
    void wake() {
        std::function<void()> wake;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            wake = wake_;
        }
        if (wake) wake();
    }
    // Runs what was queued before the call; tasks posted meanwhile wait for the next drain.
    // Returns how many ran.
    std::size_t drain() {
        std::vector<Task> batch;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            batch.assign(std::make_move_iterator(tasks_.begin()),
                         std::make_move_iterator(tasks_.end()));
            tasks_.clear();
        }
        for (auto& t : batch) t();
        return batch.size();
    }
    bool empty() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return tasks_.empty();
    }

  private:
    mutable std::mutex mutex_;
    std::deque<Task> tasks_;
    std::function<void()> wake_;
};

class Worker {
  public:
    Worker() : thread_([this] { loop(); }) {}
    ~Worker() { stop(); }
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    void submit(std::function<void()> task) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (stopping_) return;
            tasks_.push_back(std::move(task));
        }
        cv_.notify_one();
    }
    // Tasks not started yet are dropped; the running one finishes.
    void stop() {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (stopping_ && !thread_.joinable()) return;
            stopping_ = true;
            tasks_.clear();
        }
        cv_.notify_all();
        if (thread_.joinable()) thread_.join();
    }
    std::size_t pending() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return tasks_.size() + (busy_ ? 1 : 0);
    }

  private:
    void loop() {
        for (;;) {
            std::function<void()> task;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
                if (stopping_) return;
                task = std::move(tasks_.front());
                tasks_.pop_front();
                busy_ = true;
            }
            task();
            std::lock_guard<std::mutex> lock(mutex_);
            busy_ = false;
        }
    }

    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> tasks_;
    bool stopping_ = false;
    bool busy_ = false;
    std::thread thread_;
};

}  // namespace htc::app

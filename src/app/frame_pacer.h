#pragma once
// When to draw: no frames at all while nothing changes, a few frames after input (ImGui needs
// them to settle hover and click states), a steady low rate while something moves (a running
// job, a toast, the test driver). The loop asks `next_wait` how long it may sleep in
// glfwWaitEvents[Timeout] and `should_draw` whether the wake-up deserves a frame.
#include <algorithm>

namespace htc::app {

class FramePacer {
  public:
    static constexpr int kFramesAfterActivity = 3;
    static constexpr double kAnimationInterval = 0.1;  // ~10 fps while something moves

    // Something happened (input, a worker result, a changed snapshot).
    void note_activity() { frames_left_ = kFramesAfterActivity; }
    void set_animating(bool animating) { animating_ = animating; }
    // A moment to wake up at without input (a toast expiring); < 0 = none.
    void set_deadline(double t) { deadline_ = t; }
    bool animating() const { return animating_; }

    // Seconds to wait for events: < 0 = forever, 0 = do not wait.
    double next_wait(double now) const {
        if (frames_left_ > 0) return 0.0;
        double wait = -1.0;
        if (animating_) wait = std::max(0.0, last_frame_ + kAnimationInterval - now);
        if (deadline_ >= 0) {
            double until = std::max(0.0, deadline_ - now);
            wait = wait < 0 ? until : std::min(wait, until);
        }
        return wait;
    }
    bool should_draw(double now) const {
        if (frames_left_ > 0) return true;
        // A small tolerance: a timed wait may return a hair early.
        return animating_ && now >= last_frame_ + kAnimationInterval - 0.005;
    }
    void frame_drawn(double now) {
        last_frame_ = now;
        if (frames_left_ > 0) --frames_left_;
    }
    int frames_left() const { return frames_left_; }

  private:
    int frames_left_ = kFramesAfterActivity;  // the first frames after start
    bool animating_ = false;
    double deadline_ = -1;
    double last_frame_ = -1e9;
};

}  // namespace htc::app

#include "app/stop_signals.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>

namespace htc::app {

namespace {

// SIGUSR2 only ever comes from ~StopSignals (pthread_kill), to end the waiting thread.
sigset_t waited_set() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGUSR2);
    return set;
}

}  // namespace

void StopSignals::block() {
    sigset_t set = waited_set();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

StopSignals::StopSignals(std::function<void()> wake) : wake_(std::move(wake)) {
    block();
    thread_ = std::thread([this] {
        sigset_t set = waited_set();
        for (;;) {
            int sig = 0;
            if (sigwait(&set, &sig) != 0) continue;
            if (quitting_.load()) return;
            if (sig == SIGUSR2) continue;
            if (requested_.exchange(true)) {
                static const char msg[] = "htc-trainer: second signal, exiting now\n";
                (void)!::write(STDERR_FILENO, msg, sizeof msg - 1);
                std::_Exit(130);
            }
            signal_.store(sig);
            static const char msg[] =
                "htc-trainer: closing the window (a running job goes back to the queue; a second "
                "Ctrl-C exits at once)\n";
            (void)!::write(STDERR_FILENO, msg, sizeof msg - 1);
            if (wake_) wake_();
        }
    });
}

StopSignals::~StopSignals() {
    quitting_.store(true);
    if (thread_.joinable()) {
        pthread_kill(thread_.native_handle(), SIGUSR2);
        thread_.join();
    }
}

}  // namespace htc::app

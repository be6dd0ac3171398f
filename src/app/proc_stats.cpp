#include "app/proc_stats.h"

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace htc::app {

ProcSample read_proc_self() {
    ProcSample s;
    std::ifstream stat("/proc/self/stat");
    std::string line;
    if (!std::getline(stat, line)) return s;
    // The command name is in parentheses and may hold spaces: parse after the last ')'.
    auto close = line.rfind(')');
    if (close == std::string::npos) return s;
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    // Fields after the name start at 3 (state); utime is 14, stime 15.
    for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14) utime = std::stoull(field);
        if (i == 15) stime = std::stoull(field);
    }
    long ticks = sysconf(_SC_CLK_TCK);
    if (ticks <= 0) ticks = 100;
    s.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(ticks);
    std::ifstream statm("/proc/self/statm");
    unsigned long long size = 0, resident = 0;
    if (statm >> size >> resident) {
        s.rss_bytes = resident * static_cast<unsigned long long>(sysconf(_SC_PAGESIZE));
    }
    s.ok = true;
    return s;
}

bool ProcMonitor::update(double now) {
    if (last_time_ >= 0 && now - last_time_ < 1.0) return false;
    ProcSample s = read_proc_self();
    if (!s.ok) return false;
    if (last_time_ >= 0 && now > last_time_) {
        cpu_percent_ = 100.0 * (s.cpu_seconds - last_cpu_) / (now - last_time_);
        have_previous_ = true;
    }
    last_time_ = now;
    last_cpu_ = s.cpu_seconds;
    rss_bytes_ = s.rss_bytes;
    return true;
}

}  // namespace htc::app

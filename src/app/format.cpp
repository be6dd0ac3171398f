#include "app/format.h"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <string>

#include "jobs/job.h"

namespace htc::app {

std::string format_file_size(std::uint64_t bytes) {
    if (bytes == 0) return "0 Bytes";
    static const char* const kUnits[] = {"Bytes", "KB", "MB", "GB", "TB"};
    int unit = 0;
    double value = static_cast<double>(bytes);
    while (value >= 1024.0 && unit < 4) {
        value /= 1024.0;
        ++unit;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f", value);
    std::string s = buf;
    // parseFloat(x.toFixed(2)) drops trailing zeros and a bare dot.
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
    return s + " " + kUnits[unit];
}

std::string short_job_id(const std::string& job_id) {
    if (job_id.size() <= 8) return job_id;
    return job_id.substr(0, 8) + "...";
}

std::string format_duration(double seconds) {
    if (!(seconds >= 0)) return "-";
    char buf[64];
    long s = std::lround(seconds);
    if (seconds < 10 && seconds != std::floor(seconds)) {
        std::snprintf(buf, sizeof buf, "%.1f s", seconds);
    } else if (s < 60) {
        std::snprintf(buf, sizeof buf, "%ld s", s);
    } else if (s < 3600) {
        std::snprintf(buf, sizeof buf, "%ld min %02ld s", s / 60, s % 60);
    } else {
        std::snprintf(buf, sizeof buf, "%ld h %02ld min", s / 3600, (s % 3600) / 60);
    }
    return buf;
}

double iso_to_epoch(const std::string& iso) {
    auto ms = jobs::parse_iso8601(iso);
    return ms ? static_cast<double>(*ms) / 1000.0 : -1.0;
}

std::string iso_to_local(const std::string& iso) {
    double epoch = iso_to_epoch(iso);
    if (epoch < 0) return iso;
    time_t t = static_cast<time_t>(std::floor(epoch));
    std::tm local{};
    localtime_r(&t, &local);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &local);
    return buf;
}

std::string base_name(const std::string& path) {
    std::string p = path;
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    auto slash = p.find_last_of('/');
    return slash == std::string::npos ? p : p.substr(slash + 1);
}

std::string file_type_label(const std::string& path, bool is_folder) {
    if (is_folder) return "Folder";
    std::string name = base_name(path);
    auto dot = name.find_last_of('.');
    if (dot == std::string::npos || dot == 0 || dot + 1 == name.size()) return "?";
    std::string ext = name.substr(dot + 1);
    for (char& c : ext) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return ext;
}

std::string truncate_utf8(const std::string& s, std::size_t max_chars) {
    std::size_t chars = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
            if (chars == max_chars) return s.substr(0, i) + "...";
            ++chars;
        }
    }
    return s;
}

}  // namespace htc::app

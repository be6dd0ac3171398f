#include "jobs/config.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "ingest/ingest.h"

namespace htc::jobs {

namespace {

std::string trim(const std::string& s) {
    std::size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return s.substr(b, e - b);
}

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

[[noreturn]] void bad(const std::string& what, const std::string& value, const std::string& why) {
    throw ConfigError(what + "='" + value + "': " + why);
}

// Reads a leading decimal number ("1.5") at `pos`; returns false when there is none.
bool read_number(const std::string& s, std::size_t& pos, double& out) {
    std::size_t start = pos;
    bool digits = false, dot = false;
    while (pos < s.size()) {
        char c = s[pos];
        if (c >= '0' && c <= '9') {
            digits = true;
        } else if (c == '.' && !dot) {
            dot = true;
        } else {
            break;
        }
        ++pos;
    }
    if (!digits) {
        pos = start;
        return false;
    }
    out = std::strtod(s.substr(start, pos - start).c_str(), nullptr);
    return true;
}

}  // namespace

std::string Retention::describe() const {
    switch (kind) {
        case Days:
            return std::to_string(value) + " days";
        case Count:
            return "newest " + std::to_string(value) + " jobs";
        default:
            return "keep all";
    }
}

std::string JobsConfig::store_path() const {
    return (std::filesystem::path(log_dir) / "jobs.sqlite3").string();
}

bool JobsConfig::extension_allowed(const std::string& ext) const {
    return std::find(allowed_extensions.begin(), allowed_extensions.end(), ext) !=
           allowed_extensions.end();
}

EnvLookup process_environment() {
    return [](const char* name) -> const char* { return std::getenv(name); };
}

std::uint64_t parse_size(const std::string& value, const std::string& what) {
    std::string s = lower(trim(value));
    std::size_t pos = 0;
    double n = 0;
    if (!read_number(s, pos, n))
        bad(what, value, "expected a size such as 100MB, 1.5GB or 1048576");
    std::string unit = trim(s.substr(pos));
    double mult;
    if (unit.empty() || unit == "b" || unit == "bytes") {
        mult = 1;
    } else if (unit == "k" || unit == "kb" || unit == "kib") {
        mult = 1024.0;
    } else if (unit == "m" || unit == "mb" || unit == "mib") {
        mult = 1024.0 * 1024;
    } else if (unit == "g" || unit == "gb" || unit == "gib") {
        mult = 1024.0 * 1024 * 1024;
    } else if (unit == "t" || unit == "tb" || unit == "tib") {
        mult = 1024.0 * 1024 * 1024 * 1024;
    } else {
        bad(what, value, "unknown unit '" + unit + "' (use bytes, KB, MB, GB, TB or KiB, MiB ...)");
    }
    double bytes = std::floor(n * mult);
    if (!(bytes >= 1)) bad(what, value, "the size must be at least 1 byte");
    if (bytes > 9.0e18) bad(what, value, "the size is too large");
    return static_cast<std::uint64_t>(bytes);
}

double parse_duration_seconds(const std::string& value, const std::string& what) {
    std::string s = lower(trim(value));
    if (s == "none" || s == "off" || s == "0") return 0;
    if (s.empty()) bad(what, value, "expected seconds or a duration such as 30m, 2h, 1h30m");
    double total = 0;
    std::size_t pos = 0;
    while (pos < s.size()) {
        double n;
        if (!read_number(s, pos, n))
            bad(what, value, "expected seconds or a duration such as 30m, 2h, 1h30m");
        while (pos < s.size() && s[pos] == ' ') ++pos;
        std::size_t ustart = pos;
        while (pos < s.size() && std::isalpha(static_cast<unsigned char>(s[pos]))) ++pos;
        std::string unit = s.substr(ustart, pos - ustart);
        while (pos < s.size() && s[pos] == ' ') ++pos;
        double mult;
        if (unit.empty() || unit == "s" || unit == "sec" || unit == "secs" || unit == "seconds") {
            mult = 1;
        } else if (unit == "m" || unit == "min" || unit == "mins" || unit == "minutes") {
            mult = 60;
        } else if (unit == "h" || unit == "hour" || unit == "hours") {
            mult = 3600;
        } else if (unit == "d" || unit == "day" || unit == "days") {
            mult = 86400;
        } else {
            bad(what, value, "unknown unit '" + unit + "' (use s, m, h or d)");
        }
        if (unit.empty() && pos < s.size())
            bad(what, value, "a number without a unit must come last");
        total += n * mult;
    }
    if (!(total > 0)) return 0;
    return total;
}

Retention parse_retention(const std::string& value, const std::string& what) {
    std::string s = lower(trim(value));
    Retention r;
    if (s.empty() || s == "all" || s == "keep-all" || s == "forever") return r;
    std::size_t pos = 0;
    double n;
    if (!read_number(s, pos, n) || n != std::floor(n))
        bad(what, value, "expected days such as 90d, a job count such as 1000, or 'all'");
    std::string unit = trim(s.substr(pos));
    if (n < 1) bad(what, value, "must keep at least 1 day or 1 job (use 'all' to keep everything)");
    if (unit.empty() || unit == "jobs") {
        r.kind = Retention::Count;
        r.value = static_cast<std::int64_t>(n);
    } else if (unit == "d" || unit == "day" || unit == "days") {
        r.kind = Retention::Days;
        r.value = static_cast<std::int64_t>(n);
    } else if (unit == "w" || unit == "week" || unit == "weeks") {
        r.kind = Retention::Days;
        r.value = static_cast<std::int64_t>(n) * 7;
    } else {
        bad(what, value, "unknown unit '" + unit + "' (use d for days, w for weeks, or a count)");
    }
    return r;
}

std::vector<std::string> parse_extensions(const std::string& value, const std::string& what) {
    std::vector<std::string> out;
    const auto& supported = supported_extensions();
    std::size_t start = 0;
    std::string s = value;
    while (start <= s.size()) {
        std::size_t end = s.find_first_of(",;", start);
        if (end == std::string::npos) end = s.size();
        std::string ext = lower(trim(s.substr(start, end - start)));
        start = end + 1;
        if (ext.empty()) continue;
        if (ext.front() != '.') ext.insert(ext.begin(), '.');
        bool clean = ext.size() > 1 && std::all_of(ext.begin() + 1, ext.end(), [](char c) {
                         return std::isalnum(static_cast<unsigned char>(c)) != 0;
                     });
        if (!clean) bad(what, value, "'" + ext + "' is not a file extension");
        if (std::find(supported.begin(), supported.end(), ext) == supported.end()) {
            std::string list;
            for (const auto& e : supported) list += (list.empty() ? "" : ",") + e;
            bad(what, value, "no reader for '" + ext + "' files (supported: " + list + ")");
        }
        if (std::find(out.begin(), out.end(), ext) == out.end()) out.push_back(ext);
    }
    if (out.empty()) bad(what, value, "no extension given (e.g. .csv,.json,.txt)");
    return out;
}

int parse_positive_int(const std::string& value, const std::string& what) {
    std::string s = trim(value);
    if (s.empty() || s.size() > 6 ||
        !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
        bad(what, value, "expected a whole number from 1 to 64");
    int n = std::stoi(s);
    if (n < 1 || n > 64) bad(what, value, "expected a whole number from 1 to 64");
    return n;
}

JobsConfig load_config(const ConfigOverrides& flags, const EnvLookup& env) {
    JobsConfig c;
    // The flag wins, then the variable; `name` is what an error message shows.
    auto pick = [&](const std::string& flag, const char* flag_name, const char* var,
                    std::string& name) -> std::optional<std::string> {
        if (!flag.empty()) {
            name = flag_name;
            return flag;
        }
        const char* v = env ? env(var) : nullptr;
        if (v && *v) {
            name = var;
            return std::string(v);
        }
        return std::nullopt;
    };
    std::string name;
    if (auto v = pick(flags.data_dir, "--data-dir", "HTC_DATA_DIR", name)) c.data_dir = *v;
    namespace fs = std::filesystem;
    c.upload_dir = (fs::path(c.data_dir) / "htc_uploads").string();
    c.log_dir = (fs::path(c.data_dir) / "htc_logs").string();
    if (auto v = pick(flags.upload_dir, "--upload-dir", "HTC_UPLOAD_DIR", name)) c.upload_dir = *v;
    if (auto v = pick(flags.log_dir, "--log-dir", "HTC_LOG_DIR", name)) c.log_dir = *v;
    if (auto v = pick(flags.max_file_size, "--max-file-size", "HTC_MAX_FILE_SIZE", name))
        c.max_file_size = parse_size(*v, name);
    if (auto v =
            pick(flags.allowed_extensions, "--allowed-extensions", "HTC_ALLOWED_EXTENSIONS", name))
        c.allowed_extensions = parse_extensions(*v, name);
    if (auto v = pick(flags.max_concurrent_jobs, "--max-concurrent-jobs", "HTC_MAX_CONCURRENT_JOBS",
                      name))
        c.max_concurrent_jobs = parse_positive_int(*v, name);
    if (auto v = pick(flags.job_timeout, "--job-timeout", "HTC_JOB_TIMEOUT", name))
        c.job_timeout_seconds = parse_duration_seconds(*v, name);
    if (auto v =
            pick(flags.history_retention, "--history-retention", "HTC_HISTORY_RETENTION", name))
        c.retention = parse_retention(*v, name);
    return c;
}

std::string format_size(std::uint64_t b) {
    const char* units[] = {"bytes", "KB", "MB", "GB", "TB"};
    double v = static_cast<double>(b);
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        ++u;
    }
    char buf[48];
    if (u == 0)
        std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(b));
    else
        std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
    return buf;
}

void check_writable_folder(const std::string& dir, const std::string& role,
                           const std::string& how_to_change) {
    namespace fs = std::filesystem;
    const std::string advice = " (choose a writable folder with " + how_to_change + ")";
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw ConfigError("cannot create the " + role + " '" + dir + "': " + ec.message() + advice);
    if (!fs::is_directory(dir, ec))
        throw ConfigError("the " + role + " '" + dir + "' is not a folder" + advice);
    const std::string probe =
        (fs::path(dir) / (".htc-write-test-" + std::to_string(::getpid()))).string();
    int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int err = fd < 0 ? errno : 0;
    if (fd >= 0) {
        if (::write(fd, "x", 1) != 1) err = errno;
        if (::close(fd) != 0 && err == 0) err = errno;
        ::unlink(probe.c_str());
    }
    if (err != 0)
        throw ConfigError("the " + role + " '" + dir + "' is not writable: " + std::strerror(err) +
                          advice);
}

void check_writable_folders(const JobsConfig& c) {
    check_writable_folder(c.data_dir, "data folder", "--data-dir or HTC_DATA_DIR");
    check_writable_folder(c.log_dir.empty() ? c.data_dir + "/htc_logs" : c.log_dir,
                          "job store folder", "--log-dir or HTC_LOG_DIR");
    check_writable_folder(c.upload_dir.empty() ? c.data_dir + "/htc_uploads" : c.upload_dir,
                          "upload folder", "--upload-dir or HTC_UPLOAD_DIR");
}

}  // namespace htc::jobs

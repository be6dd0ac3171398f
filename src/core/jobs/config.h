#pragma once
// Job system settings from the environment (the seed's variable names and units), overridable
// by command-line flags. Units:
//   sizes      plain bytes, or a number with KB/MB/GB/TB (= 1024^n, the convention the seed's
//              UI and this product use when showing sizes) or KiB/MiB/GiB/TiB (also 1024^n);
//              "100MB", "1.5GB", "512 KiB", "1048576". Case-insensitive; must be > 0.
//   durations  plain seconds, or numbers with s/m/h/d, combinable: "90", "30m", "2h", "1h30m".
//              "0", "none" or "off" disable the limit.
//   retention  "90d" (days, also "12w"), a plain count "1000" (newest jobs kept), or
//              "all" / "" (keep everything, the default).
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace htc::jobs {

// A bad setting. The message names the variable (or flag) and the bad value.
struct ConfigError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct Retention {
    enum Kind { KeepAll, Days, Count } kind = KeepAll;
    std::int64_t value = 0;
    std::string describe() const;  // "keep all", "90 days", "newest 1000 jobs"
};

struct JobsConfig {
    std::string data_dir = "./db";
    std::string upload_dir;                      // default <data>/htc_uploads
    std::string log_dir;                         // job store folder, default <data>/htc_logs
    std::uint64_t max_file_size = 100ull << 20;  // 100 MB
    std::vector<std::string> allowed_extensions = {".pdf",  ".csv", ".txt",
                                                   ".json", ".tsv", ".jsonl"};
    int max_concurrent_jobs = 1;
    double job_timeout_seconds = 2 * 3600;  // 0 = no limit
    Retention retention;

    std::string store_path() const;  // <log dir>/jobs.sqlite3
    bool extension_allowed(const std::string& ext_lower_with_dot) const;
};

// Values given on the command line; empty/unset ones fall back to the environment, then to
// the defaults. Flags use the same syntax as the variables.
struct ConfigOverrides {
    std::string data_dir, upload_dir, log_dir, max_file_size, allowed_extensions,
        max_concurrent_jobs, job_timeout, history_retention;
};

// Looks up an environment variable; returns nullptr when unset.
using EnvLookup = std::function<const char*(const char*)>;
EnvLookup process_environment();

// Throws ConfigError naming the variable or flag and the bad value.
JobsConfig load_config(const ConfigOverrides& flags = {},
                       const EnvLookup& env = process_environment());

// Parsers (the `what` argument names the variable in error messages).
std::uint64_t parse_size(const std::string& value, const std::string& what);
double parse_duration_seconds(const std::string& value, const std::string& what);
Retention parse_retention(const std::string& value, const std::string& what);
std::vector<std::string> parse_extensions(const std::string& value, const std::string& what);
int parse_positive_int(const std::string& value, const std::string& what);

std::string format_size(std::uint64_t bytes);  // 1536 -> "1.5 KB" (1024^n, as parsed)

// Start-up check of a folder the product writes to: creates it when missing, then creates and
// removes a probe file in it. Throws ConfigError naming the folder, what it is for (`role`,
// e.g. "data folder") and the system's reason ("Read-only file system", "Permission denied",
// "No space left on device"), with the setting that chooses another folder (`how_to_change`).
void check_writable_folder(const std::string& dir, const std::string& role,
                           const std::string& how_to_change);
// The data, upload and job store folders of a configuration.
void check_writable_folders(const JobsConfig& config);

}  // namespace htc::jobs

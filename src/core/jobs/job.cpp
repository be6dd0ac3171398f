#include "jobs/job.h"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <stdexcept>

#include "text/encoding.h"

namespace htc::jobs {

namespace {

const char* const kStatusNames[] = {"queued", "running",   "completed",
                                    "failed", "cancelled", "interrupted"};

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string str_or(const nlohmann::json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) return {};
    return it->get<std::string>();
}

double num_or(const nlohmann::json& j, const char* key, double def) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number()) return def;
    return it->get<double>();
}

std::int64_t int_or(const nlohmann::json& j, const char* key, std::int64_t def) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number()) return def;
    return it->get<std::int64_t>();
}

std::vector<std::string> strings_of(const nlohmann::json& j, const char* key) {
    std::vector<std::string> out;
    auto it = j.find(key);
    if (it == j.end() || !it->is_array()) return out;
    for (const auto& v : *it)
        if (v.is_string()) out.push_back(display_text(v.get<std::string>()));
    return out;
}

nlohmann::json display_strings(const std::vector<std::string>& v) {
    auto a = nlohmann::json::array();
    for (const auto& s : v) a.push_back(display_text(s));
    return a;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm); avoids
// timegm, whose behaviour with out-of-range fields differs between libcs.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool read_digits(std::string_view s, std::size_t& pos, std::size_t n, int& out) {
    if (pos + n > s.size()) return false;
    int v = 0;
    for (std::size_t i = 0; i < n; ++i) {
        char c = s[pos + i];
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
    }
    pos += n;
    out = v;
    return true;
}

}  // namespace

std::string to_string(JobStatus s) { return kStatusNames[static_cast<int>(s)]; }

std::optional<JobStatus> parse_job_status(std::string_view s) {
    std::string l = lower(s);
    for (int i = 0; i < 6; ++i)
        if (l == kStatusNames[i]) return static_cast<JobStatus>(i);
    if (l == "canceled") return JobStatus::Cancelled;
    return std::nullopt;
}

// ---- JobFile ----

nlohmann::json JobFile::to_json() const {
    nlohmann::json j = {{"original_name", display_text(original_name)},
                        {"stored_name", display_text(stored_name)},
                        {"size_bytes", size_bytes},
                        {"format", display_text(format)},
                        {"skipped", skipped},
                        {"skip_reasons", display_strings(skip_reasons)},
                        {"warnings", display_strings(warnings)},
                        {"error", display_text(error)}};
    j["records"] = records >= 0 ? nlohmann::json(records) : nlohmann::json();
    j["labelled"] = labelled >= 0 ? nlohmann::json(labelled) : nlohmann::json();
    return j;
}

JobFile JobFile::from_json(const nlohmann::json& j) {
    JobFile f;
    if (!j.is_object()) return f;
    f.original_name = display_text(str_or(j, "original_name"));
    f.stored_name = str_or(j, "stored_name");
    f.size_bytes =
        static_cast<std::uint64_t>(std::max<std::int64_t>(0, int_or(j, "size_bytes", 0)));
    f.format = str_or(j, "format");
    f.records = int_or(j, "records", -1);
    f.labelled = int_or(j, "labelled", -1);
    f.skipped = int_or(j, "skipped", 0);
    f.skip_reasons = strings_of(j, "skip_reasons");
    f.warnings = strings_of(j, "warnings");
    f.error = display_text(str_or(j, "error"));
    return f;
}

// ---- Job ----

double Job::duration_seconds() const {
    auto s = parse_iso8601(started), f = parse_iso8601(finished);
    if (!s || !f || *f < *s) return -1;
    return static_cast<double>(*f - *s) / 1000.0;
}

nlohmann::json Job::to_json(bool with_curve_and_log) const {
    nlohmann::json j = seed_record();
    j["created"] = created;
    j["started"] = started.empty() ? nlohmann::json() : nlohmann::json(started);
    j["finished"] = finished.empty() ? nlohmann::json() : nlohmann::json(finished);
    j["stage"] = display_text(stage);
    j["progress"] = json_number(progress);
    j["eta_seconds"] = eta_seconds >= 0 ? json_number(eta_seconds) : nlohmann::json();
    auto files_json = nlohmann::json::array();
    for (const auto& f : files) files_json.push_back(f.to_json());
    j["files"] = std::move(files_json);
    j["parameters"] = parameters;
    j["model_version"] = model_version > 0 ? nlohmann::json(model_version) : nlohmann::json();
    j["metrics"] = metrics;
    j["result"] = result;
    j["error"] = display_text(error);
    j["attempts"] = attempts;
    if (owner.empty()) {
        j["owner"] = nlohmann::json();
    } else {
        j["owner"] = {{"pid", owner.pid},
                      {"host", display_text(owner.host)},
                      {"start_ticks", owner.start_ticks}};
    }
    j["cancel_requested"] = cancel_requested;
    j["source"] = source;
    if (with_curve_and_log) {
        auto c = nlohmann::json::array();
        for (const auto& p : curve)
            c.push_back({{"fraction", json_number(p.fraction)},
                         {"value", json_number(p.value)},
                         {"metric", display_text(p.metric)}});
        j["curve"] = std::move(c);
        auto l = nlohmann::json::array();
        for (const auto& line : log)
            l.push_back({{"time", line.time}, {"message", display_text(line.message)}});
        j["log"] = std::move(l);
    }
    return j;
}

Job Job::from_json(const nlohmann::json& j) {
    Job job;
    if (!j.is_object()) throw std::invalid_argument("a job record must be a JSON object");
    job.id = str_or(j, "job_id");
    if (job.id.empty()) job.id = str_or(j, "id");
    if (!looks_like_job_id(job.id)) throw std::invalid_argument("job record without a valid id");
    auto status = parse_job_status(str_or(j, "status"));
    if (!status) throw std::invalid_argument("unknown status '" + str_or(j, "status") + "'");
    job.status = *status;
    job.created = str_or(j, "created");
    if (job.created.empty()) job.created = str_or(j, "timestamp");
    job.started = str_or(j, "started");
    job.finished = str_or(j, "finished");
    job.stage = str_or(j, "stage");
    job.progress = num_or(j, "progress", 0);
    job.eta_seconds = num_or(j, "eta_seconds", -1);
    job.details = display_text(str_or(j, "details"));
    if (auto it = j.find("files"); it != j.end() && it->is_array())
        for (const auto& f : *it) job.files.push_back(JobFile::from_json(f));
    if (auto it = j.find("parameters"); it != j.end() && it->is_object()) job.parameters = *it;
    job.model_version = static_cast<int>(int_or(j, "model_version", 0));
    if (auto it = j.find("metrics"); it != j.end()) job.metrics = *it;
    if (auto it = j.find("result"); it != j.end()) job.result = *it;
    job.error = display_text(str_or(j, "error"));
    job.attempts = static_cast<int>(int_or(j, "attempts", 0));
    if (auto it = j.find("owner"); it != j.end() && it->is_object()) {
        job.owner.pid = int_or(*it, "pid", 0);
        job.owner.host = str_or(*it, "host");
        job.owner.start_ticks = int_or(*it, "start_ticks", 0);
    }
    if (auto it = j.find("cancel_requested"); it != j.end() && it->is_boolean())
        job.cancel_requested = it->get<bool>();
    job.source = str_or(j, "source");
    if (job.source.empty()) job.source = "submit";
    if (auto it = j.find("curve"); it != j.end() && it->is_array())
        for (const auto& p : *it)
            if (p.is_object())
                job.curve.push_back(
                    {num_or(p, "fraction", 0), num_or(p, "value", 0), str_or(p, "metric")});
    if (auto it = j.find("log"); it != j.end() && it->is_array())
        for (const auto& l : *it)
            if (l.is_object()) job.log.push_back({str_or(l, "time"), str_or(l, "message")});
    return job;
}

nlohmann::json Job::seed_record() const {
    return {{"job_id", id},
            {"timestamp", created},
            {"status", to_string(status)},
            {"details", display_text(details)}};
}

// ---- ids and time ----

std::string new_job_id() {
    unsigned char b[16];
    std::size_t got = 0;
    while (got < sizeof b) {
        ssize_t n = ::getrandom(b + got, sizeof b - got, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            break;
        }
        got += static_cast<std::size_t>(n);
    }
    if (got < sizeof b) {
        int fd = ::open("/dev/urandom", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            throw std::runtime_error("no random source for job ids (getrandom, /dev/urandom)");
        while (got < sizeof b) {
            ssize_t n = ::read(fd, b + got, sizeof b - got);
            if (n <= 0) {
                ::close(fd);
                throw std::runtime_error("cannot read /dev/urandom for a job id");
            }
            got += static_cast<std::size_t>(n);
        }
        ::close(fd);
    }
    b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);  // version 4
    b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
    char out[37];
    std::snprintf(out, sizeof out,
                  "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
                  b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
                  b[14], b[15]);
    return out;
}

bool looks_like_job_id(std::string_view s) {
    if (s.empty() || s.size() > 64) return false;
    for (char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.'))
            return false;
    return s != "." && s != "..";
}

std::int64_t now_epoch_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

std::string format_iso8601_utc(std::int64_t ms) {
    std::int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    int frac = static_cast<int>(ms - secs * 1000);
    std::time_t t = static_cast<std::time_t>(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char out[64];
    std::snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d.%03d+00:00", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
    return out;
}

std::optional<std::int64_t> parse_iso8601(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    std::size_t p = 0;
    int Y, M, D, h, m, sec = 0;
    if (!read_digits(s, p, 4, Y) || p >= s.size() || s[p++] != '-') return std::nullopt;
    if (!read_digits(s, p, 2, M) || p >= s.size() || s[p++] != '-') return std::nullopt;
    if (!read_digits(s, p, 2, D)) return std::nullopt;
    if (p >= s.size() || (s[p] != 'T' && s[p] != 't' && s[p] != ' ')) return std::nullopt;
    ++p;
    if (!read_digits(s, p, 2, h) || p >= s.size() || s[p++] != ':') return std::nullopt;
    if (!read_digits(s, p, 2, m)) return std::nullopt;
    if (p < s.size() && s[p] == ':') {
        ++p;
        if (!read_digits(s, p, 2, sec)) return std::nullopt;
    }
    int millis = 0;
    if (p < s.size() && (s[p] == '.' || s[p] == ',')) {
        ++p;
        int digits = 0;
        while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
            if (digits < 3) millis = millis * 10 + (s[p] - '0');
            ++digits;
            ++p;
        }
        if (digits == 0) return std::nullopt;
        for (int i = digits; i < 3; ++i) millis *= 10;
    }
    if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60) return std::nullopt;
    std::int64_t local_secs =
        days_from_civil(Y, static_cast<unsigned>(M), static_cast<unsigned>(D)) * 86400 + h * 3600 +
        m * 60 + sec;
    if (p == s.size()) {
        // No offset: the writer's local time. mktime resolves the zone (and DST) here.
        std::tm tm{};
        tm.tm_year = Y - 1900;
        tm.tm_mon = M - 1;
        tm.tm_mday = D;
        tm.tm_hour = h;
        tm.tm_min = m;
        tm.tm_sec = sec;
        tm.tm_isdst = -1;
        std::time_t t = std::mktime(&tm);
        if (t == static_cast<std::time_t>(-1)) return std::nullopt;
        return static_cast<std::int64_t>(t) * 1000 + millis;
    }
    int offset = 0;
    if (s[p] == 'Z' || s[p] == 'z') {
        ++p;
    } else if (s[p] == '+' || s[p] == '-') {
        int sign = s[p] == '-' ? -1 : 1;
        ++p;
        int oh, om = 0;
        if (!read_digits(s, p, 2, oh)) return std::nullopt;
        if (p < s.size() && s[p] == ':') ++p;
        if (p < s.size() && !read_digits(s, p, 2, om)) return std::nullopt;
        if (oh > 23 || om > 59) return std::nullopt;
        offset = sign * (oh * 3600 + om * 60);
    } else {
        return std::nullopt;
    }
    if (p != s.size()) return std::nullopt;
    return (local_secs - offset) * 1000 + millis;
}

std::string local_date_string(std::int64_t ms) {
    std::time_t t = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    localtime_r(&t, &tm);
    char out[48];
    std::snprintf(out, sizeof out, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    return out;
}

std::string display_text(std::string_view s) {
    if (is_valid_utf8(s)) return std::string(s);
    return utf8_replace_invalid(s);
}

nlohmann::json json_number(double v) {
    if (!std::isfinite(v)) return nlohmann::json();
    return v;
}

}  // namespace htc::jobs

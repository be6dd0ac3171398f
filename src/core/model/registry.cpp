#include "model/registry.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace htc {

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path + ": " + std::strerror(errno));
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void fsync_dir(const std::string& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

std::string padded(int version) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "v%04d", version);
    return buf;
}

std::uint64_t dir_size_without_corpus(const fs::path& dir) {
    std::uint64_t total = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        if (!e.is_regular_file()) continue;
        auto name = e.path().filename().string();
        if (name == "corpus.jsonl" || name == "meta.json") continue;
        total += e.file_size(ec);
    }
    return total;
}

}  // namespace

std::string now_iso8601_utc() {
    using namespace std::chrono;
    auto now = system_clock::now();
    auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
    std::time_t t = system_clock::to_time_t(now);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    char out[80];
    std::snprintf(out, sizeof out, "%s.%03d+00:00", buf, static_cast<int>(ms));
    return out;
}

void write_file_atomic(const std::string& path, const std::string& content) {
    fs::path p(path);
    std::string tmp = (p.parent_path() / ("." + p.filename().string() + ".tmp-" +
                                          std::to_string(::getpid())))
                          .string();
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
    const char* data = content.data();
    std::size_t left = content.size();
    while (left > 0) {
        ssize_t n = ::write(fd, data, left);
        if (n < 0) {
            if (errno == EINTR) continue;
            int err = errno;
            ::close(fd);
            ::unlink(tmp.c_str());
            throw std::runtime_error("cannot write " + path + ": " + std::strerror(err));
        }
        data += n;
        left -= static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        throw std::runtime_error("cannot write " + path + ": " + std::strerror(err));
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        throw std::runtime_error("cannot write " + path + ": " + std::strerror(err));
    }
    fsync_dir(p.parent_path().empty() ? "." : p.parent_path().string());
}

std::string version_name(int version) { return "v" + std::to_string(version); }

int parse_version(const std::string& s) {
    std::string t = s;
    if (!t.empty() && (t[0] == 'v' || t[0] == 'V')) t.erase(0, 1);
    if (t.empty() || t.size() > 9 || t.find_first_not_of("0123456789") != std::string::npos)
        throw std::invalid_argument("not a model version: '" + s + "' (expected e.g. v3 or 3)");
    int v = std::stoi(t);
    if (v <= 0) throw std::invalid_argument("not a model version: '" + s + "'");
    return v;
}

nlohmann::json ModelInfo::to_json() const {
    return {{"version", version},       {"name", version_name(version)},
            {"created", created},       {"parent", parent},
            {"engine", engine},         {"job_id", job_id},
            {"params", params},         {"metrics", metrics},
            {"data", data},             {"curve", curve},
            {"train_seconds", train_seconds}, {"size_bytes", size_bytes}};
}

ModelInfo ModelInfo::from_json(const nlohmann::json& j) {
    ModelInfo m;
    m.version = j.value("version", 0);
    m.created = j.value("created", "");
    m.parent = j.value("parent", 0);
    m.engine = j.value("engine", "");
    m.job_id = j.value("job_id", "");
    m.params = j.value("params", nlohmann::json::object());
    m.metrics = j.value("metrics", nlohmann::json::object());
    m.data = j.value("data", nlohmann::json::object());
    m.curve = j.value("curve", nlohmann::json::array());
    m.train_seconds = j.value("train_seconds", 0.0);
    m.size_bytes = j.value("size_bytes", std::uint64_t{0});
    return m;
}

Registry::Registry(std::string data_dir) : data_dir_(std::move(data_dir)) {}

std::string Registry::models_dir() const { return (fs::path(data_dir_) / "models").string(); }

std::string Registry::version_dir(int version) const {
    return (fs::path(models_dir()) / padded(version)).string();
}

std::vector<ModelInfo> Registry::list() const {
    std::vector<ModelInfo> out;
    std::error_code ec;
    if (!fs::is_directory(models_dir(), ec)) return out;
    for (const auto& e : fs::directory_iterator(models_dir(), ec)) {
        auto name = e.path().filename().string();
        if (!e.is_directory() || name.size() < 2 || name[0] != 'v') continue;
        int v = 0;
        try {
            v = parse_version(name);
        } catch (...) {
            continue;
        }
        if (auto i = info(v)) out.push_back(std::move(*i));
    }
    std::sort(out.begin(), out.end(),
              [](const ModelInfo& a, const ModelInfo& b) { return a.version < b.version; });
    return out;
}

std::optional<ModelInfo> Registry::info(int version) const {
    auto meta = fs::path(version_dir(version)) / "meta.json";
    std::error_code ec;
    if (!fs::exists(meta, ec)) return std::nullopt;
    try {
        return ModelInfo::from_json(nlohmann::json::parse(read_file(meta.string())));
    } catch (const std::exception&) {
        return std::nullopt;  // a damaged meta.json hides the version rather than failing lists
    }
}

std::optional<int> Registry::active() const {
    auto p = fs::path(models_dir()) / "ACTIVE";
    std::error_code ec;
    if (!fs::exists(p, ec)) return std::nullopt;
    try {
        std::string s = read_file(p.string());
        while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
        int v = parse_version(s);
        if (!info(v)) return std::nullopt;
        return v;
    } catch (...) {
        return std::nullopt;
    }
}

std::shared_ptr<const Model> Registry::load(int version) const {
    if (!info(version))
        throw std::runtime_error("model " + version_name(version) + " does not exist in " +
                                 models_dir());
    return Model::load(version_dir(version));
}

std::shared_ptr<const Model> Registry::load_active() const {
    auto v = active();
    if (!v) return nullptr;
    return load(*v);
}

int Registry::reserve_version() const {
    std::error_code ec;
    fs::create_directories(models_dir(), ec);
    if (ec) throw std::runtime_error("cannot create " + models_dir() + ": " + ec.message());
    int next = 1;
    for (const auto& e : fs::directory_iterator(models_dir(), ec)) {
        auto name = e.path().filename().string();
        if (name.size() > 1 && name[0] == 'v') {
            try {
                next = std::max(next, parse_version(name) + 1);
            } catch (...) {
            }
        }
    }
    // mkdir is atomic: two processes reserving at once get different numbers.
    for (int v = next;; ++v) {
        if (::mkdir(version_dir(v).c_str(), 0755) == 0) return v;
        if (errno != EEXIST)
            throw std::runtime_error("cannot create " + version_dir(v) + ": " +
                                     std::strerror(errno));
    }
}

void Registry::commit(const ModelInfo& info) const {
    ModelInfo m = info;
    m.size_bytes = dir_size_without_corpus(version_dir(m.version));
    write_file_atomic((fs::path(version_dir(m.version)) / "meta.json").string(),
                      m.to_json().dump(2));
}

void Registry::discard(int version) const {
    std::error_code ec;
    fs::remove_all(version_dir(version), ec);
}

void Registry::set_active(int version, const std::string& reason) const {
    if (!info(version))
        throw std::runtime_error("model " + version_name(version) + " does not exist");
    auto prev = active();
    write_file_atomic((fs::path(models_dir()) / "ACTIVE").string(),
                      std::to_string(version) + "\n");
    nlohmann::json line = {{"time", now_iso8601_utc()},
                           {"version", version},
                           {"previous", prev ? *prev : 0},
                           {"reason", reason}};
    // Appends of one short line with O_APPEND are atomic between processes.
    auto log = (fs::path(models_dir()) / "activations.jsonl").string();
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
        std::string s = line.dump() + "\n";
        ssize_t n = ::write(fd, s.data(), s.size());
        (void)n;
        ::fsync(fd);
        ::close(fd);
    }
}

std::vector<nlohmann::json> Registry::activations() const {
    std::vector<nlohmann::json> out;
    std::ifstream in((fs::path(models_dir()) / "activations.jsonl").string());
    std::string line;
    while (std::getline(in, line)) {
        try {
            out.push_back(nlohmann::json::parse(line));
        } catch (...) {
            // a torn last line after a crash is ignored
        }
    }
    return out;
}

std::optional<int> Registry::previous_active() const {
    auto cur = active();
    if (!cur) return std::nullopt;
    auto acts = activations();
    // Walk back to the activation that made the current version active; its "previous" is the
    // version to go back to (skipping versions deleted since).
    for (auto it = acts.rbegin(); it != acts.rend(); ++it) {
        if (it->value("version", 0) != *cur) continue;
        int prev = it->value("previous", 0);
        if (prev == *cur) continue;  // re-activation of the same version
        if (prev > 0 && info(prev)) return prev;
        break;
    }
    // Otherwise the newest older version.
    auto all = list();
    for (auto it = all.rbegin(); it != all.rend(); ++it)
        if (it->version < *cur) return it->version;
    return std::nullopt;
}

void Registry::remove(int version) const {
    auto cur = active();
    if (cur && *cur == version)
        throw std::runtime_error("model " + version_name(version) +
                                 " is active; promote another version before deleting it");
    if (!info(version))
        throw std::runtime_error("model " + version_name(version) + " does not exist");
    // Rename first so a half-deleted folder never looks like a version.
    auto trash = version_dir(version) + ".deleting";
    std::error_code ec;
    fs::rename(version_dir(version), trash, ec);
    if (ec) throw std::runtime_error("cannot delete " + version_dir(version) + ": " + ec.message());
    fs::remove_all(trash, ec);
}

}  // namespace htc

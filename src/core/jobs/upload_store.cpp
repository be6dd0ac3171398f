#include "jobs/upload_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <stdexcept>

#include "jobs/config.h"
#include "text/encoding.h"

namespace fs = std::filesystem;

namespace htc::jobs {

namespace {

constexpr std::size_t kMaxNameBytes = 180;
// Present in a job's upload folder from the first copy until the job is in the store.
constexpr const char* kPendingMarker = ".pending";
// Rejected files listed one by one per dropped folder; the rest are summed up in one line so a
// folder of 10 000 images does not flood the job record.
constexpr std::size_t kMaxRejectedListedPerFolder = 200;

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

bool is_windows_device_name(const std::string& base) {
    static const std::set<std::string> names = {
        "con",  "prn",  "aux",  "nul",  "com1", "com2", "com3", "com4", "com5", "com6", "com7",
        "com8", "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9"};
    return names.count(lower(base)) > 0;
}

// Length of the valid UTF-8 sequence starting at s[i], 0 when invalid.
std::size_t utf8_seq_len(std::string_view s, std::size_t i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return 0;
    if (n > 1 && !is_valid_utf8(s.substr(i, n))) return 0;
    return n;
}

// Cuts to at most `max` bytes without splitting a UTF-8 sequence.
std::string utf8_prefix(const std::string& s, std::size_t max) {
    if (s.size() <= max) return s;
    std::size_t i = 0;
    while (i < s.size()) {
        std::size_t n = utf8_seq_len(s, i);
        if (n == 0) n = 1;
        if (i + n > max) break;
        i += n;
    }
    return s.substr(0, i);
}

// A component found by walking a real folder: kept as it is (it is a label path segment)
// unless it could not be recreated safely.
std::string safe_component(const std::string& c) {
    bool ok = !c.empty() && c != "." && c != ".." && c.size() <= kMaxNameBytes &&
              is_valid_utf8(c) && std::none_of(c.begin(), c.end(), [](char ch) {
                  unsigned char u = static_cast<unsigned char>(ch);
                  return u < 0x20 || u == 0x7f || ch == '\\' || ch == '/';
              });
    return ok ? c : safe_file_name(c);
}

// The stored name of a top-level file: safe, and still ending in the extension that was
// checked (".._.csv" must not become "csv", which no reader would recognise).
std::string stored_file_name(const std::string& name) {
    std::string s = safe_file_name(name);
    std::string ext = extension_of(name);
    if (!ext.empty() && extension_of(s) != ext) s += ext;
    return s;
}

std::string with_suffix(const std::string& name, int n) {
    std::string ext = extension_of(name);
    std::string stem = name.substr(0, name.size() - ext.size());
    return stem + "-" + std::to_string(n) + name.substr(name.size() - ext.size());
}

// Gives `name` a "-2", "-3" ... suffix until its lower-cased form is not in `used` (so that
// names differing only in case do not collide on case-insensitive file systems either).
std::string unique_in(const std::string& dir_rel, const std::string& name,
                      std::set<std::string>& used) {
    std::string candidate = name;
    for (int n = 2;; ++n) {
        std::string key = lower(dir_rel.empty() ? candidate : dir_rel + "/" + candidate);
        if (used.insert(key).second) return candidate;
        candidate = with_suffix(name, n);
    }
}

void fsync_dir(const fs::path& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

// Copies `src` to `dst` through a temporary name in the same folder, fsync and rename.
// Returns "" on success, else the reason.
// `storage_failed` is set when the destination could not be written (as opposed to a problem
// with the source file).
std::string copy_file_atomic(const std::string& src, const fs::path& dst, std::uint64_t max_size,
                             std::uint64_t& copied_total, std::uint64_t total,
                             const UploadStore::CopyProgress& progress, bool& storage_failed) {
    storage_failed = false;
    int in = ::open(src.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) return std::string("cannot read: ") + std::strerror(errno);
    struct stat st {};
    if (::fstat(in, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(in);
        return "not a regular file";
    }
    fs::path tmp = dst.parent_path() / ("." + dst.filename().string() + ".part-" + new_job_id());
    int out = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (out < 0) {
        int err = errno;
        ::close(in);
        storage_failed = true;
        return std::string("cannot write the upload copy: ") + std::strerror(err);
    }
    std::string reason;
    std::vector<char> buf(1 << 20);
    std::uint64_t copied = 0;
    for (;;) {
        ssize_t n = ::read(in, buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            reason = std::string("read error: ") + std::strerror(errno);
            break;
        }
        if (n == 0) break;
        copied += static_cast<std::uint64_t>(n);
        if (copied > max_size) {
            reason =
                "larger than the limit of " + format_size(max_size) + " (it grew while copying)";
            break;
        }
        const char* p = buf.data();
        std::size_t left = static_cast<std::size_t>(n);
        while (left > 0 && reason.empty()) {
            ssize_t w = ::write(out, p, left);
            if (w < 0) {
                if (errno == EINTR) continue;
                reason = std::string("cannot write the upload copy: ") + std::strerror(errno);
                storage_failed = true;
                break;
            }
            p += w;
            left -= static_cast<std::size_t>(w);
        }
        if (!reason.empty()) break;
        copied_total += static_cast<std::uint64_t>(n);
        if (progress) progress(copied_total, total);
    }
    ::close(in);
    if (reason.empty() && ::fsync(out) != 0) {
        reason = std::string("cannot write the upload copy: ") + std::strerror(errno);
        storage_failed = true;
    }
    if (::close(out) != 0 && reason.empty()) {
        reason = std::string("cannot write the upload copy: ") + std::strerror(errno);
        storage_failed = true;
    }
    if (reason.empty() && ::rename(tmp.c_str(), dst.c_str()) != 0) {
        reason = std::string("cannot store the upload copy: ") + std::strerror(errno);
        storage_failed = true;
    }
    if (!reason.empty()) ::unlink(tmp.c_str());
    return reason;
}

}  // namespace

std::string extension_of(std::string_view name) {
    std::size_t slash = name.find_last_of("/\\");
    std::string_view base = slash == std::string_view::npos ? name : name.substr(slash + 1);
    std::size_t dot = base.rfind('.');
    if (dot == std::string_view::npos || dot == 0) return {};
    return lower(std::string(base.substr(dot)));
}

namespace {

std::string safe_file_name_once(std::string_view untrusted) {
    std::size_t cut = untrusted.find_last_of("/\\");
    std::string_view last = cut == std::string_view::npos ? untrusted : untrusted.substr(cut + 1);
    std::string out;
    for (std::size_t i = 0; i < last.size();) {
        std::size_t n = utf8_seq_len(last, i);
        if (n == 0) {
            out += '_';
            ++i;
            continue;
        }
        unsigned char c = static_cast<unsigned char>(last[i]);
        if (n == 1 && (c < 0x20 || c == 0x7f || std::strchr("<>:\"|?*", c) != nullptr))
            out += '_';
        else
            out.append(last.substr(i, n));
        i += n;
    }
    std::size_t b = 0;
    while (b < out.size() && (out[b] == '.' || out[b] == ' ')) ++b;
    out.erase(0, b);
    while (!out.empty() && (out.back() == '.' || out.back() == ' ')) out.pop_back();
    if (out.empty()) return "upload";
    std::string ext = extension_of(out);
    std::string base = out.substr(0, out.size() - ext.size());
    if (is_windows_device_name(base)) out = "_" + out;
    if (out.size() > kMaxNameBytes) {
        std::string keep_ext = ext.size() < 20 ? out.substr(out.size() - ext.size()) : "";
        std::string cut_base = utf8_prefix(out.substr(0, out.size() - keep_ext.size()),
                                           kMaxNameBytes - keep_ext.size());
        // The cut may end on a dot or a space, which Windows drops from names.
        while (!cut_base.empty() && (cut_base.back() == '.' || cut_base.back() == ' '))
            cut_base.pop_back();
        if (cut_base.empty()) cut_base = "upload";
        out = cut_base + keep_ext;
    }
    return out;
}

}  // namespace

std::string safe_file_name(std::string_view untrusted) {
    // One pass can leave something a second pass would change (a cut that makes a device name
    // such as "CON", an extension that moved): repeat until the name is stable.
    std::string out = safe_file_name_once(untrusted);
    for (int pass = 0; pass < 4; ++pass) {
        std::string again = safe_file_name_once(out);
        if (again == out) break;
        out = std::move(again);
    }
    return out;
}

std::size_t UploadPlan::accepted() const {
    return static_cast<std::size_t>(std::count_if(
        items.begin(), items.end(), [](const UploadItem& i) { return i.rejected.empty(); }));
}

std::uint64_t UploadPlan::accepted_bytes() const {
    std::uint64_t total = 0;
    for (const auto& i : items)
        if (i.rejected.empty()) total += i.size;
    return total;
}

std::vector<JobFile> UploadPlan::job_files() const {
    std::vector<JobFile> out;
    out.reserve(items.size());
    for (const auto& i : items) {
        JobFile f;
        f.original_name = display_text(i.display);
        f.size_bytes = i.size;
        if (i.rejected.empty())
            f.stored_name = i.stored_rel;
        else
            f.error = i.rejected;
        out.push_back(std::move(f));
    }
    return out;
}

UploadStore::UploadStore(std::string root, std::vector<std::string> allowed,
                         std::uint64_t max_file_size)
    : root_(std::move(root)), allowed_(std::move(allowed)), max_size_(max_file_size) {}

std::string UploadStore::job_dir(const std::string& job_id) const {
    if (!looks_like_job_id(job_id)) throw std::invalid_argument("invalid job id '" + job_id + "'");
    return (fs::path(root_) / job_id).string();
}

UploadPlan UploadStore::plan(const std::vector<std::string>& paths) const {
    std::vector<UploadSource> sources;
    for (const auto& p : paths) sources.push_back({p, ""});
    return plan(sources);
}

UploadPlan UploadStore::plan(const std::vector<UploadSource>& sources) const {
    UploadPlan plan;
    std::set<std::string> used;  // lower-cased stored paths
    std::string allowed_list;
    for (const auto& e : allowed_) allowed_list += (allowed_list.empty() ? "" : ", ") + e;

    // Type and size checks; returns the reason or "".
    auto check = [&](const std::string& name, std::uint64_t size) -> std::string {
        std::string ext = extension_of(name);
        if (std::find(allowed_.begin(), allowed_.end(), ext) == allowed_.end())
            return (ext.empty() ? std::string("no file extension")
                                : "type " + ext + " not allowed") +
                   " (allowed: " + allowed_list + ")";
        if (size > max_size_)
            return format_size(size) + " is larger than the limit of " + format_size(max_size_) +
                   " (HTC_MAX_FILE_SIZE, --max-file-size)";
        return {};
    };

    for (const auto& src : sources) {
        std::string name = src.name;
        if (name.empty()) {
            fs::path p(src.path);
            name = p.filename().string();
            if (name.empty() || name == "." || name == "..") {
                std::error_code ec;
                name = fs::weakly_canonical(fs::absolute(p, ec), ec).filename().string();
            }
            if (name.empty()) name = src.path;
        }
        UploadItem item;
        item.source = src.path;
        item.display = display_text(name);
        if (src.path.find("://") != std::string::npos) {
            item.rejected = "a URL, not a file: download it first, then add the file";
            plan.items.push_back(std::move(item));
            continue;
        }
        std::error_code ec;
        auto st = fs::status(src.path, ec);
        if (ec || !fs::exists(st)) {
            item.rejected = "no such file or folder";
            plan.items.push_back(std::move(item));
            continue;
        }
        if (fs::is_regular_file(st)) {
            item.size = fs::file_size(src.path, ec);
            if (ec) {
                item.rejected = "cannot read its size: " + ec.message();
            } else {
                item.rejected = check(name, item.size);
            }
            if (item.rejected.empty()) {
                item.stored_rel = unique_in("", stored_file_name(name), used);
                plan.inputs.push_back(item.stored_rel);
            }
            plan.items.push_back(std::move(item));
            continue;
        }
        if (!fs::is_directory(st)) {
            item.rejected = "not a regular file or folder";
            plan.items.push_back(std::move(item));
            continue;
        }
        // A folder: its sub-folder path is the label of files without labels, so it is kept.
        std::string top = unique_in("", safe_file_name(name), used);
        std::vector<fs::path> files;
        std::size_t rejected_listed = 0, rejected_more = 0;
        auto reject_in_folder = [&](UploadItem&& it) {
            if (rejected_listed < kMaxRejectedListedPerFolder) {
                ++rejected_listed;
                plan.items.push_back(std::move(it));
            } else {
                ++rejected_more;
            }
        };
        fs::recursive_directory_iterator walk(src.path,
                                              fs::directory_options::skip_permission_denied, ec),
            end;
        if (ec) {
            item.rejected = "cannot read the folder: " + ec.message();
            plan.items.push_back(std::move(item));
            continue;
        }
        for (; walk != end; walk.increment(ec)) {
            if (ec) break;
            const auto& entry = *walk;
            std::string fname = entry.path().filename().string();
            if (!fname.empty() && fname[0] == '.') {
                UploadItem hidden;
                hidden.source = entry.path().string();
                hidden.display = display_text(
                    name + "/" + entry.path().lexically_relative(src.path).generic_string());
                hidden.rejected = "hidden file or folder, not taken";
                if (entry.is_directory(ec)) walk.disable_recursion_pending();
                reject_in_folder(std::move(hidden));
                continue;
            }
            if (entry.is_symlink(ec) && entry.is_regular_file(ec)) {
                // A link may point anywhere on the disk; only files inside the dropped folder
                // are taken, so dropping a folder never uploads more than that folder.
                std::error_code lec;
                const fs::path target = fs::canonical(entry.path(), lec);
                const fs::path base = fs::canonical(src.path, lec);
                const auto inside = target.lexically_relative(base);
                if (lec || inside.empty() || *inside.begin() == "..") {
                    UploadItem link;
                    link.source = entry.path().string();
                    link.display =
                        display_text(name + "/" + entry.path().lexically_relative(src.path).generic_string());
                    link.rejected = "symbolic link to a file outside the folder, not taken";
                    reject_in_folder(std::move(link));
                    continue;
                }
            }
            if (entry.is_regular_file(ec)) files.push_back(entry.path());
        }
        if (ec) {
            UploadItem err;
            err.source = src.path;
            err.display = item.display;
            err.rejected = "the folder could not be read completely: " + ec.message();
            plan.items.push_back(std::move(err));
        }
        std::sort(files.begin(), files.end());
        std::size_t taken = 0;
        for (const auto& f : files) {
            // Lexical: a symbolic link keeps its own name and place in the folder.
            fs::path rel = f.lexically_relative(src.path);
            UploadItem it;
            it.source = f.string();
            it.display = display_text(name + "/" + rel.generic_string());
            it.size = fs::file_size(f, ec);
            if (ec) {
                it.rejected = "cannot read its size: " + ec.message();
            } else {
                it.rejected = check(f.filename().string(), it.size);
            }
            if (!it.rejected.empty()) {
                reject_in_folder(std::move(it));
                continue;
            }
            std::string dir_rel = top;
            for (auto part = rel.begin(); part != rel.end(); ++part) {
                if (std::next(part) == rel.end()) break;
                dir_rel += "/" + safe_component(part->string());
            }
            std::string leaf = unique_in(dir_rel, safe_component(rel.filename().string()), used);
            it.stored_rel = dir_rel + "/" + leaf;
            plan.items.push_back(std::move(it));
            ++taken;
        }
        if (rejected_more > 0) {
            UploadItem more;
            more.source = src.path;
            more.display = item.display;
            more.rejected = std::to_string(rejected_more) +
                            " more files not taken (hidden, other types or too large)";
            plan.items.push_back(std::move(more));
        }
        if (taken == 0) {
            item.rejected = "no file of an allowed type (" + allowed_list + ") in this folder";
            plan.items.push_back(std::move(item));
        } else {
            plan.inputs.push_back(top);
        }
    }
    return plan;
}

void UploadStore::copy(const std::string& job_id, UploadPlan& plan,
                       const CopyProgress& progress) const {
    fs::path dir = job_dir(job_id);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
        remove_job(job_id);
        throw UploadError("cannot create the upload folder " + dir.string() + ": " + ec.message());
    }
    {
        std::ofstream marker(dir / kPendingMarker);
        marker.put('\n');
        marker.flush();
        if (!marker) {
            remove_job(job_id);
            throw UploadError("cannot write in the upload folder " + dir.string());
        }
    }
    fs::path dir_canon = fs::canonical(dir, ec);
    if (ec) throw UploadError("cannot create the upload folder " + dir.string());
    std::uint64_t total = plan.accepted_bytes(), copied = 0;
    std::set<fs::path> touched{dir};
    for (auto& item : plan.items) {
        if (!item.rejected.empty()) continue;
        fs::path dst = dir / fs::path(item.stored_rel);
        fs::create_directories(dst.parent_path(), ec);
        // Defence in depth: whatever a name looked like, the copy must land inside the folder.
        fs::path parent = fs::canonical(dst.parent_path(), ec);
        auto rel = parent.lexically_relative(dir_canon);
        if (ec || rel.empty() || *rel.begin() == "..") {
            item.rejected = "stored name would leave the upload folder";
            item.stored_rel.clear();
            continue;
        }
        bool storage_failed = false;
        std::string reason =
            copy_file_atomic(item.source, dst, max_size_, copied, total, progress, storage_failed);
        if (storage_failed) {
            remove_job(job_id);
            throw UploadError("cannot store the uploaded files in " + root_ + ": " + reason +
                              " (while copying " + item.display + ")");
        }
        if (!reason.empty()) {
            item.rejected = reason;
            item.stored_rel.clear();
            continue;
        }
        for (fs::path p = dst.parent_path(); p.string().size() >= dir.string().size();
             p = p.parent_path()) {
            touched.insert(p);
            if (p == dir) break;
        }
    }
    // A top-level input whose files all failed to copy is no longer an input.
    std::vector<std::string> inputs;
    for (const auto& in : plan.inputs) {
        bool any = std::any_of(plan.items.begin(), plan.items.end(), [&](const UploadItem& i) {
            return i.rejected.empty() &&
                   (i.stored_rel == in || i.stored_rel.rfind(in + "/", 0) == 0);
        });
        if (any) inputs.push_back(in);
    }
    plan.inputs = std::move(inputs);
    for (const auto& d : touched) fsync_dir(d);
    fsync_dir(dir.parent_path());
}

void UploadStore::remove_job(const std::string& job_id) const {
    std::error_code ec;
    fs::remove_all(job_dir(job_id), ec);
}

void UploadStore::mark_queued(const std::string& job_id) const {
    std::error_code ec;
    fs::remove(fs::path(job_dir(job_id)) / kPendingMarker, ec);
}

std::size_t UploadStore::remove_orphans(const std::function<bool(const std::string&)>& job_exists,
                                        double min_age_seconds) const {
    std::size_t removed = 0;
    std::error_code ec;
    if (!fs::is_directory(root_, ec)) return 0;
    auto now = fs::file_time_type::clock::now();
    for (const auto& entry : fs::directory_iterator(root_, ec)) {
        if (!entry.is_directory(ec)) continue;
        std::string id = entry.path().filename().string();
        // Only folders named like the job ids this store creates (the seed's flat
        // "<id>__name" files and anything else a user put here are left alone).
        if (id.size() != 36 || id[8] != '-' || !looks_like_job_id(id)) continue;
        fs::path marker = entry.path() / kPendingMarker;
        if (!fs::exists(marker, ec)) continue;
        auto age = std::chrono::duration<double>(now - fs::last_write_time(marker, ec)).count();
        if (ec || age < min_age_seconds || job_exists(id)) continue;
        fs::remove_all(entry.path(), ec);
        if (!ec) ++removed;
    }
    return removed;
}

}  // namespace htc::jobs

#include "model/fasttext_engine.h"

#include <fasttext/fasttext.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <thread>

#include "model/registry.h"  // write_file_atomic

namespace fs = std::filesystem;

namespace htc {

// Gives access to fastText's own header check and the final training loss, both protected.
class FastTextEngine::Model : public fasttext::FastText {
public:
    bool check_header(std::istream& in) { return checkModel(in); }
    float loss() const { return loss_; }
};

namespace {

const std::string kLabelPrefix = "__label__";
constexpr char kMagic[8] = {'H', 'T', 'C', 'F', 'T', 'X', 'T', '\x1a'};
constexpr std::uint32_t kFormatVersion = 1;
constexpr std::size_t kHeaderSize = 8 + 4 + 4 + 8 + 8;
// fastText's log-probabilities are log(p + 1e-5); a class it never saw gets the same floor.
const float kUnseenClassScore = std::log(1e-5f);

std::uint64_t fnv1a64(const char* data, std::size_t n) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (std::size_t i = 0; i < n; ++i) {
        h ^= static_cast<unsigned char>(data[i]);
        h *= 0x100000001b3ull;
    }
    return h;
}

void put_le(std::string& out, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

std::uint64_t get_le(const char* p, int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= std::uint64_t(static_cast<unsigned char>(p[i])) << (8 * i);
    return v;
}

bool is_fasttext_space(char c) {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f' || c == '\0';
}

// One document as one fastText line: every byte fastText splits on becomes a space, and a
// token that starts with the label prefix gets a leading '_' so no text can carry a label.
// Calls on_token for each resulting token.
template <class OnToken>
void append_document(std::string& out, std::string_view text, OnToken&& on_token) {
    std::size_t i = 0;
    const std::size_t n = text.size();
    while (i < n) {
        while (i < n && is_fasttext_space(text[i])) ++i;
        if (i >= n) break;
        std::size_t j = i;
        while (j < n && !is_fasttext_space(text[j])) ++j;
        std::string_view token = text.substr(i, j - i);
        out += ' ';
        if (token.compare(0, kLabelPrefix.size(), kLabelPrefix) == 0) out += '_';
        out.append(token.data(), token.size());
        on_token(token);
        i = j;
    }
}

// Distinct-bigram estimate by linear counting on a 2^23-bit map (1 MB): accurate well past
// the point where the bucket count is capped, at constant memory on any corpus size.
class DistinctCounter {
public:
    DistinctCounter() : bits_(kBits / 64, 0) {}
    void add(std::uint64_t h) {
        h ^= h >> 33;
        h *= 0xff51afd7ed558ccdull;
        h ^= h >> 33;
        std::uint64_t b = h & (kBits - 1);
        bits_[b >> 6] |= 1ull << (b & 63);
    }
    std::uint64_t estimate() const {
        std::uint64_t zeros = 0;
        for (auto w : bits_) zeros += 64 - __builtin_popcountll(w);
        if (zeros == 0) return kBits * 8;  // saturated: far beyond any bucket cap
        return static_cast<std::uint64_t>(-double(kBits) * std::log(double(zeros) / kBits));
    }

private:
    static constexpr std::uint64_t kBits = 1ull << 23;
    std::vector<std::uint64_t> bits_;
};

// Removes the training file however train() ends.
struct TempFile {
    std::string path;
    ~TempFile() {
        if (!path.empty()) {
            std::error_code ec;
            fs::remove(path, ec);
        }
    }
};

std::string unique_temp_path(const fs::path& dir, const std::string& stem) {
    static std::atomic<unsigned> counter{0};
    std::random_device rd;
    return (dir / (stem + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
                   std::to_string(rd())))
        .string();
}

// A process killed during training (kill -9, power loss) cannot remove its training file.
// Such files hold corpus text, so the next training removes those whose process is gone.
void remove_orphaned_training_files(const fs::path& dir, const std::string& stem) {
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.rfind(stem, 0) != 0) continue;
        const std::string rest = name.substr(stem.size());
        const auto dash = rest.find('-');
        if (dash == std::string::npos || dash == 0) continue;
        if (rest.find_first_not_of("0123456789") != dash) continue;
        const long pid = std::strtol(rest.substr(0, dash).c_str(), nullptr, 10);
        if (pid <= 0 || pid == ::getpid()) continue;
        if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM) continue;  // still alive
        std::error_code rm;
        fs::remove(it->path(), rm);
    }
}

std::string slurp_binary(const std::string& path, const char* what) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(std::string("cannot open ") + what + " " + path);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw std::runtime_error(std::string("cannot read ") + what + " " + path);
    return data;
}

// Read-only stream over bytes already in memory (no copy).
struct MemoryBuffer : std::streambuf {
    MemoryBuffer(char* begin, char* end) { setg(begin, begin, end); }
};

}  // namespace

FastTextEngine::FastTextEngine() = default;
FastTextEngine::~FastTextEngine() = default;

int FastTextEngine::bucket_for(std::uint64_t distinct_ngrams) {
    // fastText's own default is 2M buckets (800 MB of float embeddings at dim 100). One bucket
    // per distinct n-gram costs no measurable accuracy on DBpedia (collisions mostly merge
    // n-grams seen once) and keeps the model proportional to the corpus.
    constexpr std::uint64_t kMin = 10000, kMax = 2000000;
    return static_cast<int>(std::clamp<std::uint64_t>(distinct_ngrams, kMin, kMax));
}

int FastTextEngine::dim_for(std::size_t num_docs) { return num_docs < 50000 ? 50 : 100; }

std::vector<int> FastTextEngine::index_labels(const fasttext::FastText& ft, int num_classes) {
    auto dict = ft.getDictionary();
    std::vector<int> class_of_label(dict->nlabels(), -1);
    std::vector<bool> seen(num_classes, false);
    for (int32_t i = 0; i < dict->nlabels(); ++i) {
        const std::string label = dict->getLabel(i);
        const std::string digits = label.compare(0, kLabelPrefix.size(), kLabelPrefix) == 0
                                       ? label.substr(kLabelPrefix.size())
                                       : std::string();
        if (digits.empty() || digits.size() > 9 ||
            !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; }))
            throw std::runtime_error("unexpected fastText label '" + label + "'");
        int id = std::stoi(digits);
        if (id >= num_classes || seen[id])
            throw std::runtime_error("fastText label '" + label + "' is out of range or repeated");
        seen[id] = true;
        class_of_label[i] = id;
    }
    return class_of_label;
}

void FastTextEngine::train(const std::vector<std::string>& texts, const std::vector<int>& labels,
                           int num_classes, const EngineParams& params,
                           const ProgressFn& progress, const std::atomic<bool>* cancel) {
    using Clock = std::chrono::steady_clock;
    if (texts.size() != labels.size())
        throw std::invalid_argument("fasttext engine: " + std::to_string(texts.size()) +
                                    " texts but " + std::to_string(labels.size()) + " labels");
    if (texts.empty()) throw std::invalid_argument("fasttext engine: no training documents");
    if (num_classes < 1) throw std::invalid_argument("fasttext engine: no classes");
    for (std::size_t i = 0; i < labels.size(); ++i)
        if (labels[i] < 0 || labels[i] >= num_classes)
            throw std::invalid_argument("fasttext engine: label " + std::to_string(labels[i]) +
                                        " of document " + std::to_string(i) + " is not in [0, " +
                                        std::to_string(num_classes) + ")");
    if (params.epochs < 0 || params.lr < 0 || params.dim < 0 || !std::isfinite(params.lr))
        throw std::invalid_argument("fasttext engine: epochs, lr and dim must not be negative");

    auto report = [&](double fraction, double eta, double loss, const std::string& message) {
        if (!progress) return;
        Progress p;
        p.stage = "train";
        p.fraction = fraction;
        p.eta_seconds = eta;
        if (loss >= 0) {
            p.metric = loss;
            p.metric_name = "loss";
        }
        p.message = message;
        progress(p);
    };
    report(0.0, -1, -1, "writing " + std::to_string(texts.size()) + " documents for fastText");

    // Training input: "__label__<class id> text" per line (class ids, never label text).
    TempFile input;
    static const std::string kTrainStem = "htc-fasttext-train-";
    remove_orphaned_training_files(fs::temp_directory_path(), kTrainStem);
    input.path = unique_temp_path(fs::temp_directory_path(), kTrainStem);
    DistinctCounter bigrams;
    {
        // Readable by this user only: the file holds the corpus text.
        const int fd = ::open(input.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
            throw std::runtime_error("cannot create fastText training file " + input.path + ": " +
                                     std::strerror(errno));
        ::close(fd);
        std::ofstream out(input.path, std::ios::binary | std::ios::trunc);
        if (!out) throw std::runtime_error("cannot write fastText training file " + input.path);
        std::string line;
        for (std::size_t d = 0; d < texts.size(); ++d) {
            if (d % 1024 == 0) throw_if_cancelled(cancel);
            line = kLabelPrefix + std::to_string(labels[d]);
            std::uint64_t prev = 0;
            bool has_prev = false;
            append_document(line, texts[d], [&](std::string_view token) {
                std::uint64_t h = std::hash<std::string_view>{}(token);
                if (has_prev) bigrams.add(prev * 0x9e3779b97f4a7c15ull ^ h);
                prev = h;
                has_prev = true;
            });
            line += '\n';
            out.write(line.data(), static_cast<std::streamsize>(line.size()));
        }
        out.close();
        if (!out) throw std::runtime_error("cannot write fastText training file " + input.path);
    }

    fasttext::Args args;
    args.input = input.path;
    args.model = fasttext::model_name::sup;
    args.loss = fasttext::loss_name::softmax;
    args.minCount = 1;
    args.minCountLabel = 0;
    args.minn = 0;
    args.maxn = 0;
    args.wordNgrams = kWordNgrams;
    args.bucket = bucket_for(bigrams.estimate());
    args.dim = params.dim > 0 ? params.dim : dim_for(texts.size());
    args.epoch = params.epochs > 0 ? params.epochs : kDefaultEpochs;
    args.lr = params.lr > 0 ? params.lr : kDefaultLr;
    int threads = params.threads > 0 ? params.threads
                                     : static_cast<int>(std::thread::hardware_concurrency());
    args.thread = std::max(1, threads);
    args.seed = params.seed;
    args.verbose = 0;

    auto model = std::make_unique<Model>();
    // fastText calls back from each of its threads; only atomics are touched there. The
    // calling thread reports progress and forwards cancellation through abort().
    std::atomic<float> fraction{0.0f};
    std::atomic<bool> finished{false};
    std::exception_ptr error;
    const auto start = Clock::now();
    std::thread runner([&] {
        try {
            // fastText passes its loss here too, but publishes it only when training ends.
            model->train(args, [&](float p, float, double, double, int64_t) {
                float prev = fraction.load(std::memory_order_relaxed);
                while (p > prev && !fraction.compare_exchange_weak(prev, p)) {
                }
            });
        } catch (...) {
            error = std::current_exception();
        }
        finished = true;
    });
    bool aborted = false;
    float reported = 0.0f;
    auto reported_at = start;
    while (!finished) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        if (cancel && cancel->load(std::memory_order_relaxed)) {
            // Repeated: an abort() before fastText starts its threads is reset by them.
            model->abort();
            aborted = true;
            continue;
        }
        float f = std::min(1.0f, fraction.load());
        const auto now = Clock::now();
        if (f >= reported + 0.005f || (f > reported && now - reported_at > std::chrono::seconds(1))) {
            reported = f;
            reported_at = now;
            double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
            report(f, f > 0 ? elapsed * (1 - f) / f : -1, -1,
                   "epoch " + std::to_string(std::min(args.epoch, int(f * args.epoch) + 1)) +
                       " of " + std::to_string(args.epoch));
        }
    }
    runner.join();
    if (error) {
        try {
            std::rethrow_exception(error);
        } catch (const fasttext::FastText::AbortError&) {
            throw Cancelled();
        } catch (const fasttext::DenseMatrix::EncounteredNaNError&) {
            std::ostringstream msg;
            msg << "training diverged (loss is NaN) at learning rate " << args.lr
                << "; retry with a lower lr";
            throw std::runtime_error(msg.str());
        } catch (const Cancelled&) {
            throw;
        } catch (const std::exception& e) {
            throw std::runtime_error(std::string("fastText training failed: ") + e.what());
        }
    }
    if (aborted) throw Cancelled();

    class_of_label_ = index_labels(*model, num_classes);
    ft_ = std::move(model);
    num_classes_ = num_classes;
    final_loss_ = ft_->loss();  // thread 0's mean loss over the run, as fastText prints it
    report(1.0, 0.0, final_loss_, "epoch " + std::to_string(args.epoch) + " of " +
                                      std::to_string(args.epoch));
}

std::vector<float> FastTextEngine::scores(const std::string& text) const {
    if (!ft_) throw std::logic_error("fasttext engine: scores() before train() or load()");
    std::vector<float> out(num_classes_, kUnseenClassScore);
    std::string line;
    line.reserve(text.size() + 2);
    append_document(line, text, [](std::string_view) {});
    line += '\n';
    MemoryBuffer buffer(line.data(), line.data() + line.size());
    std::istream in(&buffer);
    std::vector<int32_t> words, labels;
    ft_->getDictionary()->getLine(in, words, labels);
    fasttext::Predictions predictions;
    ft_->predict(static_cast<int32_t>(class_of_label_.size()), words, predictions, 0.0f);
    if (predictions.empty()) {  // nothing fastText could read: no preference
        std::fill(out.begin(), out.end(), -std::log(float(num_classes_)));
        return out;
    }
    for (const auto& p : predictions) out[class_of_label_[p.second]] = p.first;
    return out;
}

void FastTextEngine::save(const std::string& path) const {
    if (!ft_) throw std::logic_error("fasttext engine: save() before train()");
    fs::path target(path);
    fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
    TempFile raw;
    raw.path = unique_temp_path(dir, "." + target.filename().string() + ".fasttext-");
    try {
        ft_->saveModel(raw.path);
    } catch (const std::exception& e) {
        throw std::runtime_error("cannot write fastText model " + path + ": " + e.what());
    }
    std::string payload = slurp_binary(raw.path, "fastText model");
    std::string file;
    file.reserve(kHeaderSize + payload.size());
    file.append(kMagic, sizeof kMagic);
    put_le(file, kFormatVersion, 4);
    put_le(file, static_cast<std::uint64_t>(num_classes_), 4);
    put_le(file, payload.size(), 8);
    put_le(file, fnv1a64(payload.data(), payload.size()), 8);
    file += payload;
    payload.clear();
    payload.shrink_to_fit();
    write_file_atomic(path, file);
}

void FastTextEngine::load(const std::string& path) {
    std::string data = slurp_binary(path, "fastText model");
    auto damaged = [&](const std::string& what) {
        return std::runtime_error("fastText model " + path + " is damaged: " + what);
    };
    if (data.size() < kHeaderSize || std::memcmp(data.data(), kMagic, sizeof kMagic) != 0)
        throw std::runtime_error(path + " is not a fasttext engine model (wrong magic bytes)");
    std::uint32_t version = static_cast<std::uint32_t>(get_le(data.data() + 8, 4));
    if (version != kFormatVersion)
        throw std::runtime_error("fastText model " + path + " has format version " +
                                 std::to_string(version) + "; this build reads version " +
                                 std::to_string(kFormatVersion));
    std::uint32_t num_classes = static_cast<std::uint32_t>(get_le(data.data() + 12, 4));
    std::uint64_t payload_size = get_le(data.data() + 16, 8);
    std::uint64_t checksum = get_le(data.data() + 24, 8);
    if (payload_size != data.size() - kHeaderSize)
        throw damaged("size " + std::to_string(data.size()) + " bytes, header expects " +
                      std::to_string(payload_size + kHeaderSize));
    char* payload = data.data() + kHeaderSize;
    if (fnv1a64(payload, payload_size) != checksum) throw damaged("checksum mismatch");
    if (num_classes < 1 || num_classes > (1u << 24)) throw damaged("implausible class count");

    auto model = std::make_unique<Model>();
    MemoryBuffer buffer(payload, payload + payload_size);
    std::istream in(&buffer);
    try {
        if (!model->check_header(in))
            throw damaged("not a fastText model this library version can read");
        model->loadModel(in);
    } catch (const std::runtime_error&) {
        throw;
    } catch (const std::exception& e) {
        throw damaged(e.what());
    }
    if (!in || in.peek() != std::char_traits<char>::eof())
        throw damaged("the fastText data does not end where the file does");
    if (model->getArgs().model != fasttext::model_name::sup)
        throw damaged("not a supervised fastText model");

    std::vector<int> class_of_label;
    try {
        class_of_label = index_labels(*model, static_cast<int>(num_classes));
    } catch (const std::exception& e) {
        throw damaged(e.what());
    }
    ft_ = std::move(model);
    num_classes_ = static_cast<int>(num_classes);
    class_of_label_ = std::move(class_of_label);
    final_loss_ = -1;
}

nlohmann::json FastTextEngine::info() const {
    nlohmann::json j = {{"engine", "fasttext"}, {"classes", num_classes_}};
    if (!ft_) return j;
    auto args = ft_->getArgs();
    auto dict = ft_->getDictionary();
    j["dim"] = args.dim;
    j["bucket"] = args.bucket;
    j["words"] = dict->nwords();
    j["labels_seen"] = dict->nlabels();
    j["epochs"] = args.epoch;
    j["lr"] = args.lr;
    j["word_ngrams"] = args.wordNgrams;
    j["quantized"] = ft_->isQuant();
    if (final_loss_ >= 0) j["average_loss"] = final_loss_;
    return j;
}

}  // namespace htc

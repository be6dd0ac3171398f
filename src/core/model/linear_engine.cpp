#include "model/linear_engine.h"

#include <linear.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <fstream>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "model/registry.h"  // write_file_atomic

namespace htc {

namespace {

// Score of a class that had no training document: below the -1 margin that trained classes
// give their negatives, so it never wins against a trained class.
constexpr float kUntrainedClassScore = -2.0f;

void silence_liblinear() {
    static std::once_flag once;
    std::call_once(once, [] { set_print_string_function([](const char*) {}); });
}

// ---- compact little-endian binary encoding with bounds-checked decoding

constexpr char kMagic[8] = {'H', 'T', 'C', 'L', 'I', 'N', 'R', '\x1a'};
constexpr std::uint32_t kFormatVersion = 1;
constexpr std::size_t kHeaderSize = 8 + 4 + 8 + 8;  // magic, version, payload size, checksum

std::uint64_t fnv1a64(const char* data, std::size_t n) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (std::size_t i = 0; i < n; ++i) {
        h ^= static_cast<unsigned char>(data[i]);
        h *= 0x100000001b3ull;
    }
    return h;
}

struct Writer {
    std::string out;
    void u32(std::uint32_t v) {
        for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
    }
    void u64(std::uint64_t v) {
        for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
    }
    void f32(float f) {
        std::uint32_t v;
        std::memcpy(&v, &f, 4);
        u32(v);
    }
    void f64(double d) {
        std::uint64_t v;
        std::memcpy(&v, &d, 8);
        u64(v);
    }
    void varint(std::uint64_t v) {
        while (v >= 0x80) {
            out += static_cast<char>((v & 0x7f) | 0x80);
            v >>= 7;
        }
        out += static_cast<char>(v);
    }
    void bytes(const char* p, std::size_t n) { out.append(p, n); }
};

struct Reader {
    const char* p;
    const char* end;
    const std::string& path;
    [[noreturn]] void fail(const std::string& what) const {
        throw std::runtime_error("linear model " + path + " is damaged: " + what);
    }
    void need(std::size_t n, const char* what) const {
        if (static_cast<std::size_t>(end - p) < n) fail(std::string("truncated ") + what);
    }
    std::uint32_t u32(const char* what) {
        need(4, what);
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i) v |= std::uint32_t(static_cast<unsigned char>(p[i])) << (8 * i);
        p += 4;
        return v;
    }
    std::uint64_t u64(const char* what) {
        need(8, what);
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i) v |= std::uint64_t(static_cast<unsigned char>(p[i])) << (8 * i);
        p += 8;
        return v;
    }
    float f32(const char* what) {
        std::uint32_t v = u32(what);
        float f;
        std::memcpy(&f, &v, 4);
        return f;
    }
    double f64(const char* what) {
        std::uint64_t v = u64(what);
        double d;
        std::memcpy(&d, &v, 8);
        return d;
    }
    std::uint64_t varint(const char* what) {
        std::uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            need(1, what);
            auto b = static_cast<unsigned char>(*p++);
            v |= std::uint64_t(b & 0x7f) << shift;
            if (!(b & 0x80)) return v;
        }
        fail(std::string("malformed number in ") + what);
    }
    // A count that must fit in what is left of the file at `min_bytes_each` bytes per item,
    // so a damaged count cannot trigger a huge allocation.
    std::uint64_t count(const char* what, std::size_t min_bytes_each) {
        std::uint64_t v = varint(what);
        if (min_bytes_each > 0 && v > static_cast<std::uint64_t>(end - p) / min_bytes_each)
            fail(std::string("implausible ") + what);
        return v;
    }
};

}  // namespace

void LinearEngine::train(const std::vector<std::string>& texts, const std::vector<int>& labels,
                         int num_classes, const EngineParams& params, const ProgressFn& progress,
                         const std::atomic<bool>* cancel) {
    using Clock = std::chrono::steady_clock;
    if (texts.size() != labels.size())
        throw std::invalid_argument("linear engine: " + std::to_string(texts.size()) +
                                    " texts but " + std::to_string(labels.size()) + " labels");
    if (texts.empty()) throw std::invalid_argument("linear engine: no training documents");
    if (num_classes < 1) throw std::invalid_argument("linear engine: no classes");
    if (texts.size() > static_cast<std::size_t>(INT32_MAX / 2))
        throw std::invalid_argument("linear engine: too many documents for LIBLINEAR");
    for (std::size_t i = 0; i < labels.size(); ++i)
        if (labels[i] < 0 || labels[i] >= num_classes)
            throw std::invalid_argument("linear engine: label " + std::to_string(labels[i]) +
                                        " of document " + std::to_string(i) + " is not in [0, " +
                                        std::to_string(num_classes) + ")");
    if (!(params.C > 0) || !std::isfinite(params.C))
        throw std::invalid_argument("linear engine: C must be a positive number");
    silence_liblinear();

    auto report = [&](double fraction, double eta, const std::string& message,
                      double loss = -1) {
        if (!progress) return;
        Progress p;
        p.stage = "train";
        p.fraction = fraction;
        p.eta_seconds = eta;
        p.message = message;
        if (loss >= 0) {
            p.metric = loss;
            p.metric_name = "squared hinge loss";
        }
        progress(p);
    };
    report(0.0, -1, "vectorizing " + std::to_string(texts.size()) + " documents");
    throw_if_cancelled(cancel);

    const int min_df = params.min_df > 0 ? params.min_df : default_min_df(texts.size());
    TfidfVectorizer vectorizer;
    std::vector<SparseVector> rows =
        vectorizer.fit_transform(texts, {params.max_ngram, min_df}, cancel);
    const int n_features = static_cast<int>(vectorizer.num_features());
    const int n_docs = static_cast<int>(rows.size());

    // One feature_node copy of the matrix (1-based indices, bias node, terminator) shared
    // read-only by every class's problem.
    std::size_t total_nodes = 0;
    for (const auto& r : rows) total_nodes += r.size() + 2;
    std::vector<feature_node> nodes;
    nodes.reserve(total_nodes);
    std::vector<feature_node*> x(rows.size());
    std::vector<std::size_t> starts(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        starts[i] = nodes.size();
        for (const auto& t : rows[i]) nodes.push_back({t.feature + 1, double(t.value)});
        nodes.push_back({n_features + 1, 1.0});  // bias feature (sklearn intercept_scaling=1)
        nodes.push_back({-1, 0.0});
        SparseVector().swap(rows[i]);
    }
    for (std::size_t i = 0; i < rows.size(); ++i) x[i] = &nodes[starts[i]];
    std::vector<std::size_t>().swap(starts);
    throw_if_cancelled(cancel);

    parameter param{};
    param.solver_type = L2R_L2LOSS_SVC_DUAL;
    param.eps = kTolerance;
    param.C = params.C;
    param.nr_weight = 0;
    param.weight_label = nullptr;
    param.weight = nullptr;
    param.p = 0.1;
    param.init_sol = nullptr;

    std::vector<int> class_size(num_classes, 0);
    for (int l : labels) ++class_size[l];

    const double threshold = params.prune_threshold > 0   ? params.prune_threshold
                             : params.prune_threshold < 0 ? 0.0
                                                          : kDefaultPruneThreshold;
    struct ClassWeights {
        std::vector<std::pair<std::int32_t, float>> w;  // (feature, weight)
        float bias = 0;
        std::uint64_t dense_nonzeros = 0;
        double loss = -1;  // mean squared hinge loss on the training documents (< 0: none)
    };
    std::vector<ClassWeights> per_class(num_classes);

    std::mutex mu;
    std::condition_variable cv;
    int next_class = 0, done = 0;
    double loss_sum = 0;
    int loss_count = 0;
    bool stop = false;
    std::exception_ptr error;

    auto train_class = [&](int c, std::vector<double>& y) {
        ClassWeights& out = per_class[c];
        if (class_size[c] == 0) {
            out.bias = kUntrainedClassScore;
            return;
        }
        if (class_size[c] == n_docs) {  // a single class: everything is positive
            out.bias = 1.0f;
            return;
        }
        for (int i = 0; i < n_docs; ++i) y[i] = labels[i] == c ? +1.0 : -1.0;
        problem prob{};
        prob.l = n_docs;
        prob.n = n_features + 1;
        prob.y = y.data();
        prob.x = x.data();
        prob.bias = 1.0;
        if (const char* err = check_parameter(&prob, &param))
            throw std::runtime_error(std::string("LIBLINEAR refused the parameters: ") + err);
        model* m = ::train(&prob, &param);
        if (!m) throw std::runtime_error("LIBLINEAR failed to train class " + std::to_string(c));
        // w belongs to label[0]; LIBLINEAR puts +1 first for -1/+1 data, but check.
        const double sign = m->label[0] == 1 ? 1.0 : -1.0;
        for (int f = 0; f < n_features; ++f) {
            double v = sign * m->w[f];
            if (v == 0) continue;
            ++out.dense_nonzeros;
            if (std::fabs(v) >= threshold) out.w.push_back({f, static_cast<float>(v)});
        }
        out.bias = static_cast<float>(sign * m->w[n_features] * prob.bias);
        // The live curve: mean over the classes trained so far of this loss, the quantity
        // the solver minimises besides the regulariser (the bias node is part of x).
        double loss = 0;
        for (int i = 0; i < n_docs; ++i) {
            double margin = 0;
            for (const feature_node* n = x[i]; n->index != -1; ++n)
                margin += m->w[n->index - 1] * n->value;
            double slack = 1.0 - y[i] * sign * margin;
            if (slack > 0) loss += slack * slack;
        }
        out.loss = loss / n_docs;
        free_and_destroy_model(&m);
    };

    auto worker = [&] {
        std::vector<double> y(n_docs);
        for (;;) {
            int c;
            {
                std::lock_guard<std::mutex> lock(mu);
                if (stop || next_class >= num_classes) return;
                c = next_class++;
            }
            try {
                train_class(c, y);
            } catch (...) {
                std::lock_guard<std::mutex> lock(mu);
                if (!error) error = std::current_exception();
                stop = true;
                cv.notify_all();
                return;
            }
            std::lock_guard<std::mutex> lock(mu);
            ++done;
            if (per_class[c].loss >= 0) {
                loss_sum += per_class[c].loss;
                ++loss_count;
            }
            cv.notify_all();
        }
    };

    int n_threads = params.threads > 0 ? params.threads
                                       : static_cast<int>(std::thread::hardware_concurrency());
    n_threads = std::max(1, std::min(n_threads, num_classes));
    const auto start = Clock::now();
    report(0.0, -1,
           "training " + std::to_string(num_classes) + " classes on " +
               std::to_string(n_features) + " features");
    std::vector<std::thread> pool;
    pool.reserve(n_threads);
    for (int t = 0; t < n_threads; ++t) pool.emplace_back(worker);

    // The calling thread only watches: progress and cancellation stay on the caller's thread.
    bool cancelled = false;
    {
        std::unique_lock<std::mutex> lock(mu);
        int reported = 0;
        while (done < num_classes && !(stop && error)) {
            cv.wait_for(lock, std::chrono::milliseconds(100));
            if (cancel && cancel->load(std::memory_order_relaxed) && !stop) {
                stop = true;
                cancelled = true;
            }
            if (stop && (cancelled || error)) break;
            if (done != reported && done < num_classes) {
                reported = done;
                double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
                double eta = elapsed / done * (num_classes - done);
                int d = done;
                double loss = loss_count > 0 ? loss_sum / loss_count : -1;
                lock.unlock();
                report(double(d) / num_classes, eta,
                       std::to_string(d) + " of " + std::to_string(num_classes) + " classes",
                       loss);
                lock.lock();
            }
        }
    }
    for (auto& t : pool) t.join();
    if (error) std::rethrow_exception(error);
    if (cancelled) throw Cancelled();
    throw_if_cancelled(cancel);

    // Feature-major layout for scoring.
    std::vector<std::uint64_t> offsets(static_cast<std::size_t>(n_features) + 1, 0);
    std::uint64_t dense_nonzeros = 0;
    for (const auto& cw : per_class) {
        dense_nonzeros += cw.dense_nonzeros;
        for (const auto& fw : cw.w) ++offsets[fw.first + 1];
    }
    for (int f = 0; f < n_features; ++f) offsets[f + 1] += offsets[f];
    std::vector<std::uint32_t> weight_class(offsets.back());
    std::vector<float> weights(offsets.back());
    std::vector<std::uint64_t> fill(offsets.begin(), offsets.end() - 1);
    std::vector<float> bias(num_classes);
    for (int c = 0; c < num_classes; ++c) {
        for (const auto& fw : per_class[c].w) {
            auto k = fill[fw.first]++;
            weight_class[k] = static_cast<std::uint32_t>(c);
            weights[k] = fw.second;
        }
        bias[c] = per_class[c].bias;
    }

    vectorizer_ = std::move(vectorizer);
    num_classes_ = num_classes;
    offsets_ = std::move(offsets);
    weight_class_ = std::move(weight_class);
    weights_ = std::move(weights);
    bias_ = std::move(bias);
    C_ = params.C;
    prune_threshold_ = threshold;
    min_df_ = min_df;
    dense_nonzeros_ = dense_nonzeros;
    report(1.0, 0.0, std::to_string(num_classes) + " of " + std::to_string(num_classes) +
                         " classes");
}

std::vector<float> LinearEngine::scores(const std::string& text) const {
    if (num_classes_ == 0) throw std::logic_error("linear engine: scores() before train() or load()");
    std::vector<float> s(bias_);
    for (const auto& t : vectorizer_.transform(text)) {
        for (auto k = offsets_[t.feature]; k < offsets_[t.feature + 1]; ++k)
            s[weight_class_[k]] += t.value * weights_[k];
    }
    return s;
}

void LinearEngine::save(const std::string& path) const {
    if (num_classes_ == 0) throw std::logic_error("linear engine: save() before train()");
    Writer w;
    const std::uint64_t n_features = vectorizer_.num_features();
    w.varint(static_cast<std::uint64_t>(num_classes_));
    w.varint(static_cast<std::uint64_t>(vectorizer_.max_ngram()));
    w.varint(n_features);
    w.f64(C_);
    w.f64(prune_threshold_);
    w.varint(static_cast<std::uint64_t>(min_df_));
    w.varint(dense_nonzeros_);
    // Terms are stored front-coded: sorted n-grams share long prefixes ("new york", "new
    // zealand").
    std::string prev;
    for (const auto& term : vectorizer_.terms()) {
        std::size_t common = 0;
        while (common < prev.size() && common < term.size() && prev[common] == term[common])
            ++common;
        w.varint(common);
        w.varint(term.size() - common);
        w.bytes(term.data() + common, term.size() - common);
        prev = term;
    }
    for (float v : vectorizer_.idf()) w.f32(v);
    // Per feature: the number of weights, then class ids as increasing deltas.
    for (std::uint64_t f = 0; f < n_features; ++f) {
        w.varint(offsets_[f + 1] - offsets_[f]);
        std::uint32_t last = 0;
        for (auto k = offsets_[f]; k < offsets_[f + 1]; ++k) {
            w.varint(weight_class_[k] - last);
            last = weight_class_[k];
        }
    }
    for (float v : weights_) w.f32(v);
    for (float v : bias_) w.f32(v);

    Writer file;
    file.bytes(kMagic, sizeof kMagic);
    file.u32(kFormatVersion);
    file.u64(w.out.size());
    file.u64(fnv1a64(w.out.data(), w.out.size()));
    file.out += w.out;
    write_file_atomic(path, file.out);
}

void LinearEngine::load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open linear model " + path);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw std::runtime_error("cannot read linear model " + path);
    Reader r{data.data(), data.data() + data.size(), path};
    r.need(kHeaderSize, "header");
    if (std::memcmp(r.p, kMagic, sizeof kMagic) != 0)
        throw std::runtime_error(path + " is not a linear engine model (wrong magic bytes)");
    r.p += sizeof kMagic;
    std::uint32_t version = r.u32("header");
    if (version != kFormatVersion)
        throw std::runtime_error("linear model " + path + " has format version " +
                                 std::to_string(version) + "; this build reads version " +
                                 std::to_string(kFormatVersion));
    std::uint64_t payload_size = r.u64("header");
    std::uint64_t checksum = r.u64("header");
    if (payload_size != static_cast<std::uint64_t>(r.end - r.p))
        r.fail("size " + std::to_string(data.size()) + " bytes, header expects " +
               std::to_string(payload_size + kHeaderSize));
    if (fnv1a64(r.p, payload_size) != checksum) r.fail("checksum mismatch");

    const std::uint64_t num_classes = r.varint("class count");
    const std::uint64_t max_ngram = r.varint("n-gram size");
    const std::uint64_t n_features = r.count("feature count", 2 + 4);
    if (num_classes < 1 || num_classes > (1u << 24)) r.fail("implausible class count");
    if (max_ngram < 1 || max_ngram > 5) r.fail("n-gram size out of range");
    const double C = r.f64("parameters");
    const double prune_threshold = r.f64("parameters");
    const std::uint64_t min_df = r.varint("parameters");
    const std::uint64_t dense_nonzeros = r.varint("parameters");

    std::vector<std::string> terms(n_features);
    std::string prev;
    for (std::uint64_t f = 0; f < n_features; ++f) {
        std::uint64_t common = r.varint("vocabulary");
        std::uint64_t tail = r.varint("vocabulary");
        if (common > prev.size()) r.fail("vocabulary prefix out of range");
        r.need(tail, "vocabulary");
        terms[f].reserve(common + tail);
        terms[f].assign(prev, 0, common);
        terms[f].append(r.p, tail);
        r.p += tail;
        prev = terms[f];
    }
    std::vector<float> idf(n_features);
    for (auto& v : idf) v = r.f32("idf");
    std::vector<std::uint64_t> offsets(n_features + 1, 0);
    std::vector<std::uint32_t> weight_class;
    for (std::uint64_t f = 0; f < n_features; ++f) {
        std::uint64_t n = r.count("weight count", 1);
        if (n > num_classes) r.fail("feature " + std::to_string(f) + " has too many weights");
        offsets[f + 1] = offsets[f] + n;
        std::uint64_t cls = 0;
        for (std::uint64_t k = 0; k < n; ++k) {
            std::uint64_t delta = r.varint("class ids");
            cls += delta;
            if ((k > 0 && delta == 0) || cls >= num_classes)
                r.fail("class id out of range at feature " + std::to_string(f));
            weight_class.push_back(static_cast<std::uint32_t>(cls));
        }
    }
    const std::uint64_t nnz = offsets.back();
    r.need(nnz * 4 + num_classes * 4, "weights");
    std::vector<float> weights(nnz);
    for (auto& v : weights) v = r.f32("weights");
    std::vector<float> bias(num_classes);
    for (auto& v : bias) v = r.f32("bias");
    if (r.p != r.end) r.fail("unexpected bytes after the weights");
    for (float v : weights)
        if (!std::isfinite(v)) r.fail("a weight is not a finite number");
    for (float v : bias)
        if (!std::isfinite(v)) r.fail("a bias is not a finite number");

    TfidfVectorizer vectorizer;
    try {
        vectorizer.assign(std::move(terms), std::move(idf), static_cast<int>(max_ngram));
    } catch (const std::invalid_argument& e) {
        r.fail(e.what());
    }
    vectorizer_ = std::move(vectorizer);
    num_classes_ = static_cast<int>(num_classes);
    offsets_ = std::move(offsets);
    weight_class_ = std::move(weight_class);
    weights_ = std::move(weights);
    bias_ = std::move(bias);
    C_ = C;
    prune_threshold_ = prune_threshold;
    min_df_ = static_cast<int>(std::min<std::uint64_t>(min_df, INT32_MAX));
    dense_nonzeros_ = dense_nonzeros;
}

nlohmann::json LinearEngine::info() const {
    return {{"engine", "linear"},
            {"classes", num_classes_},
            {"features", vectorizer_.num_features()},
            {"max_ngram", vectorizer_.max_ngram()},
            {"nonzeros", weights_.size()},
            {"nonzeros_before_pruning", dense_nonzeros_},
            {"prune_threshold", prune_threshold_},
            {"min_df", min_df_},
            {"C", C_}};
}

}  // namespace htc

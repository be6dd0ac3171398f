#include "model/tfidf.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <utf8proc.h>

#include "progress.h"

namespace htc {

namespace {

bool is_ascii_word_byte(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_';
}

// Python's \w is letters, numbers and '_'; marks are added so that scripts with combining
// vowel signs (Devanagari, Thai ...) are not cut inside words.
bool is_word_code_point(utf8proc_int32_t cp) {
    switch (utf8proc_category(cp)) {
        case UTF8PROC_CATEGORY_LU:
        case UTF8PROC_CATEGORY_LL:
        case UTF8PROC_CATEGORY_LT:
        case UTF8PROC_CATEGORY_LM:
        case UTF8PROC_CATEGORY_LO:
        case UTF8PROC_CATEGORY_MN:
        case UTF8PROC_CATEGORY_MC:
        case UTF8PROC_CATEGORY_ME:
        case UTF8PROC_CATEGORY_ND:
        case UTF8PROC_CATEGORY_NL:
        case UTF8PROC_CATEGORY_NO:
        case UTF8PROC_CATEGORY_PC:
            return true;
        default:
            return false;
    }
}

}  // namespace

std::vector<std::string_view> tokenize_words(std::string_view text) {
    std::vector<std::string_view> tokens;
    const auto* data = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
    const std::size_t n = text.size();
    std::size_t i = 0;
    std::size_t start = 0;  // start of the current word
    int chars = 0;          // characters in the current word
    auto close_word = [&](std::size_t end) {
        if (chars >= 2) tokens.emplace_back(text.data() + start, end - start);
        chars = 0;
    };
    while (i < n) {
        unsigned char c = data[i];
        std::size_t len = 1;
        bool word;
        if (c < 0x80) {
            word = is_ascii_word_byte(c);
        } else {
            utf8proc_int32_t cp = -1;
            auto r = utf8proc_iterate(data + i, static_cast<utf8proc_ssize_t>(n - i), &cp);
            if (r > 0) {
                len = static_cast<std::size_t>(r);
                word = is_word_code_point(cp);
            } else {
                word = true;  // an invalid byte: keep it inside the word, one byte at a time
            }
        }
        if (word) {
            if (chars == 0) start = i;
            ++chars;
        } else {
            close_word(i);
        }
        i += len;
    }
    close_word(n);
    return tokens;
}

template <class Fn>
void TfidfVectorizer::for_each_ngram(const std::vector<std::string_view>& tokens,
                                     std::string& buffer, Fn&& fn) const {
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        buffer.assign(tokens[i].data(), tokens[i].size());
        fn(buffer);
        for (int k = 1; k < max_ngram_ && i + k < tokens.size(); ++k) {
            buffer += ' ';
            buffer.append(tokens[i + k].data(), tokens[i + k].size());
            fn(buffer);
        }
    }
}

// counts: (feature, term count) pairs, any order, features may repeat.
SparseVector TfidfVectorizer::weigh(std::vector<std::pair<std::int32_t, int>>& counts) const {
    std::sort(counts.begin(), counts.end());
    SparseVector row;
    double norm2 = 0;
    for (std::size_t i = 0; i < counts.size();) {
        std::int32_t f = counts[i].first;
        int tf = 0;
        for (; i < counts.size() && counts[i].first == f; ++i) tf += counts[i].second;
        double v = (1.0 + std::log(static_cast<double>(tf))) * idf_[f];
        norm2 += v * v;
        row.push_back({f, static_cast<float>(v)});
    }
    if (norm2 > 0) {
        double inv = 1.0 / std::sqrt(norm2);
        for (auto& t : row) t.value = static_cast<float>(t.value * inv);
    }
    return row;
}

std::vector<SparseVector> TfidfVectorizer::fit_transform(const std::vector<std::string>& texts,
                                                         const Options& options,
                                                         const std::atomic<bool>* cancel) {
    if (options.max_ngram < 1 || options.max_ngram > 5)
        throw std::invalid_argument("max_ngram must be between 1 and 5, got " +
                                    std::to_string(options.max_ngram));
    if (options.min_df < 1)
        throw std::invalid_argument("min_df must be at least 1, got " +
                                    std::to_string(options.min_df));
    max_ngram_ = options.max_ngram;
    vocabulary_.clear();
    idf_.clear();

    // Pass 1: provisional ids in order of first appearance, document frequencies, and each
    // document's term counts (so the texts are tokenized once).
    std::unordered_map<std::string, std::int32_t> seen;
    std::vector<int> df;
    std::vector<std::vector<std::pair<std::int32_t, int>>> doc_counts(texts.size());
    std::string buffer;
    for (std::size_t d = 0; d < texts.size(); ++d) {
        if (d % 256 == 0) throw_if_cancelled(cancel);
        auto tokens = tokenize_words(texts[d]);
        auto& counts = doc_counts[d];
        counts.reserve(tokens.size() * max_ngram_);
        for_each_ngram(tokens, buffer, [&](const std::string& ngram) {
            auto it = seen.find(ngram);
            if (it == seen.end()) {
                it = seen.emplace(ngram, static_cast<std::int32_t>(df.size())).first;
                df.push_back(0);
            }
            counts.push_back({it->second, 1});
        });
        std::sort(counts.begin(), counts.end());
        std::size_t out = 0;
        for (std::size_t i = 0; i < counts.size();) {
            std::int32_t id = counts[i].first;
            int tf = 0;
            for (; i < counts.size() && counts[i].first == id; ++i) ++tf;
            counts[out++] = {id, tf};
            ++df[id];
        }
        counts.resize(out);
        counts.shrink_to_fit();
    }
    throw_if_cancelled(cancel);

    // Final ids follow the sorted n-gram text, as sklearn's do, so the feature order does not
    // depend on hash-table internals.
    std::vector<const std::string*> term_of(df.size());
    for (const auto& kv : seen) term_of[kv.second] = &kv.first;
    std::vector<std::int32_t> kept;
    for (std::int32_t id = 0; id < static_cast<std::int32_t>(df.size()); ++id)
        if (df[id] >= options.min_df) kept.push_back(id);
    std::sort(kept.begin(), kept.end(),
              [&](std::int32_t a, std::int32_t b) { return *term_of[a] < *term_of[b]; });
    std::vector<std::int32_t> final_id(df.size(), -1);
    const double n_docs = static_cast<double>(texts.size());
    idf_.resize(kept.size());
    for (std::size_t f = 0; f < kept.size(); ++f) {
        final_id[kept[f]] = static_cast<std::int32_t>(f);
        idf_[f] = static_cast<float>(std::log((1.0 + n_docs) / (1.0 + df[kept[f]])) + 1.0);
    }
    for (auto it = seen.begin(); it != seen.end();) {
        std::int32_t f = final_id[it->second];
        if (f < 0) {
            it = seen.erase(it);
        } else {
            it->second = f;
            ++it;
        }
    }
    vocabulary_ = std::move(seen);

    std::vector<SparseVector> rows(texts.size());
    for (std::size_t d = 0; d < texts.size(); ++d) {
        if (d % 1024 == 0) throw_if_cancelled(cancel);
        auto& counts = doc_counts[d];
        std::size_t out = 0;
        for (const auto& c : counts)
            if (final_id[c.first] >= 0) counts[out++] = {final_id[c.first], c.second};
        counts.resize(out);
        rows[d] = weigh(counts);
        std::vector<std::pair<std::int32_t, int>>().swap(counts);
    }
    return rows;
}

SparseVector TfidfVectorizer::transform(std::string_view text) const {
    auto tokens = tokenize_words(text);
    std::vector<std::pair<std::int32_t, int>> counts;
    counts.reserve(tokens.size() * max_ngram_);
    std::string buffer;
    for_each_ngram(tokens, buffer, [&](const std::string& ngram) {
        auto it = vocabulary_.find(ngram);
        if (it != vocabulary_.end()) counts.push_back({it->second, 1});
    });
    return weigh(counts);
}

std::int32_t TfidfVectorizer::feature_of(const std::string& ngram) const {
    auto it = vocabulary_.find(ngram);
    return it == vocabulary_.end() ? -1 : it->second;
}

std::vector<std::string> TfidfVectorizer::terms() const {
    std::vector<std::string> out(idf_.size());
    for (const auto& kv : vocabulary_) out[kv.second] = kv.first;
    return out;
}

void TfidfVectorizer::assign(std::vector<std::string> terms, std::vector<float> idf,
                             int max_ngram) {
    if (terms.size() != idf.size())
        throw std::invalid_argument("vocabulary and idf sizes differ");
    if (max_ngram < 1 || max_ngram > 5)
        throw std::invalid_argument("max_ngram out of range: " + std::to_string(max_ngram));
    std::unordered_map<std::string, std::int32_t> vocabulary;
    vocabulary.reserve(terms.size());
    for (std::size_t i = 0; i < terms.size(); ++i) {
        if (!(idf[i] > 0) || !std::isfinite(idf[i]))
            throw std::invalid_argument("idf of feature " + std::to_string(i) +
                                        " is not a positive number");
        if (!vocabulary.emplace(std::move(terms[i]), static_cast<std::int32_t>(i)).second)
            throw std::invalid_argument("feature " + std::to_string(i) + " is a duplicate term");
    }
    vocabulary_ = std::move(vocabulary);
    idf_ = std::move(idf);
    max_ngram_ = max_ngram;
}

}  // namespace htc

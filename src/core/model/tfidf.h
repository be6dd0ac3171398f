#pragma once
// Word n-gram TF-IDF features, computed like scikit-learn's
// TfidfVectorizer(ngram_range=(1, n), sublinear_tf=True) so that figures measured with the
// Python reference carry over: tf' = 1 + ln(tf), idf = ln((1 + N) / (1 + df)) + 1, rows
// L2-normalised.
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace htc {

// Splits text into word tokens of at least two characters, like sklearn's default
// token_pattern \b\w\w+\b: word characters are ASCII letters, digits and '_', and non-ASCII
// code points that are letters, marks, numbers or connector punctuation (utf8proc categories),
// so that punctuation such as "–" or curly quotes separates words as it does in Python.
// Invalid UTF-8 bytes count as word characters. The text is not case-folded here: the
// sanitizer already did it (or the user chose not to).
std::vector<std::string_view> tokenize_words(std::string_view text);

struct TermWeight {
    std::int32_t feature;
    float value;
};
using SparseVector = std::vector<TermWeight>;  // sorted by feature, L2 norm 1 (or empty)

class TfidfVectorizer {
public:
    struct Options {
        int max_ngram = 2;  // 1 = words only, 2 = words and bigrams ...
        int min_df = 1;     // n-grams in fewer training documents are dropped
    };

    // Learns the vocabulary and idf from `texts` and returns their feature rows. Throws
    // Cancelled when *cancel becomes true.
    std::vector<SparseVector> fit_transform(const std::vector<std::string>& texts,
                                            const Options& options,
                                            const std::atomic<bool>* cancel = nullptr);
    SparseVector transform(std::string_view text) const;

    std::size_t num_features() const { return idf_.size(); }
    int max_ngram() const { return max_ngram_; }
    const std::vector<float>& idf() const { return idf_; }
    // Feature index of an n-gram (words joined by one space), or -1.
    std::int32_t feature_of(const std::string& ngram) const;
    // The n-grams in feature order (index i is feature i).
    std::vector<std::string> terms() const;

    // Rebuilds a vectorizer from stored parts; throws std::invalid_argument when they are
    // inconsistent (duplicate terms, size mismatch, non-positive idf).
    void assign(std::vector<std::string> terms, std::vector<float> idf, int max_ngram);

private:
    // Calls fn(ngram) for every n-gram of `tokens` up to max_ngram_; `buffer` is reused.
    template <class Fn>
    void for_each_ngram(const std::vector<std::string_view>& tokens, std::string& buffer,
                        Fn&& fn) const;
    SparseVector weigh(std::vector<std::pair<std::int32_t, int>>& counts) const;

    int max_ngram_ = 2;
    std::unordered_map<std::string, std::int32_t> vocabulary_;
    std::vector<float> idf_;
};

}  // namespace htc

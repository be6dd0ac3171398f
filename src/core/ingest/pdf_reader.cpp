// PDF reader (poppler-cpp).
//
// Accepted format and rules (quoted in the README):
// - One PDF file is one document: the text of all pages in reading order, pages separated by a
//   blank line; its label is the folder path (pdf/humanities/poetry/x.pdf -> humanities/poetry).
// - The file must start with a `%PDF-` header (within its first 1024 bytes, as the spec allows):
//   an empty file, an HTML page saved as .pdf, or other bytes get a clear per-file error.
// - A PDF that needs a user password is refused as "encrypted PDF"; the lock is checked before
//   any page is touched. A PDF with only an owner password ("no copy") is read.
// - A damaged file that poppler can repair (a missing xref table) is read; one that is cut off
//   (no %%EOF) and yields no text is refused as damaged or truncated.
// - No text layer (scanned images): warning "no extractable text" and no record; not an error.
// - Limits: max_pdf_pages (checked before extraction) and max_pdf_seconds (checked after each
//   page; a single page cannot be interrupted).
// - poppler's own diagnostics never reach stderr: they are collected and the first one is
//   quoted in this file's error message when the file is refused.
#include <poppler-document.h>
#include <poppler-global.h>
#include <poppler-page.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>

#include "ingest/readers.h"
#include "text/encoding.h"

namespace htc::ingest_detail {
namespace {

// poppler's debug/error callback is process-wide; messages go to the reading thread's sink.
thread_local std::vector<std::string>* t_poppler_messages = nullptr;

void collect_poppler_message(const std::string& msg, void*) {
    if (t_poppler_messages && t_poppler_messages->size() < 20) t_poppler_messages->push_back(msg);
}

void install_poppler_sink() {
    static std::once_flag once;
    std::call_once(once,
                   [] { poppler::set_debug_error_function(collect_poppler_message, nullptr); });
}

struct MessageScope {
    std::vector<std::string> messages;
    MessageScope() { t_poppler_messages = &messages; }
    ~MessageScope() { t_poppler_messages = nullptr; }
    std::string first() const {
        if (messages.empty()) return "";
        std::string m = messages.front();
        for (char& c : m) {
            if (c == '\n' || c == '\r') c = ' ';
        }
        return " (poppler: " + utf8_replace_invalid(m) + ")";
    }
};

bool has_visible_text(const std::string& s) {
    for (unsigned char c : s) {
        if (c > ' ') return true;
    }
    return false;
}

// Compared on the manuals in shared/data/pdf: the physical layout keeps each visual line
// together (a table row's term next to its command, a code line next to its comment), while
// the default (non-raw, non-physical) layout splits tables into separate column blocks, so
// labels and values end up pages apart. raw_order follows the content stream and breaks words
// of TeX output. Physical pads with spaces, which sanitizing collapses.
constexpr auto kLayout = poppler::page::physical_layout;

}  // namespace

void read_pdf(std::string_view bytes, ReadContext& ctx) {
    ctx.set_format("pdf");
    if (bytes.empty()) {
        ctx.fail("empty file (0 bytes), not a PDF");
        return;
    }
    std::string_view head = bytes.substr(0, 1024);
    if (head.find("%PDF-") == std::string_view::npos) {
        std::string_view t = trim(head);
        bool html = !t.empty() && t[0] == '<';
        ctx.fail(html ? "not a PDF: the file is an HTML page (no %PDF header)"
                      : "not a PDF (no %PDF header at the start of the file)");
        return;
    }
    const bool has_eof =
        bytes.substr(bytes.size() > 2048 ? bytes.size() - 2048 : 0).find("%%EOF") !=
        std::string_view::npos;

    install_poppler_sink();
    MessageScope scope;
    std::unique_ptr<poppler::document> doc(
        poppler::document::load_from_raw_data(bytes.data(), static_cast<int>(bytes.size())));
    if (!doc) {
        ctx.fail(std::string("cannot open the PDF: damaged or truncated") + scope.first());
        return;
    }
    // poppler-cpp crashes on pages() of a locked document: nothing else may be called first.
    if (doc->is_locked()) {
        ctx.fail("encrypted PDF: it needs a user password to open");
        return;
    }
    const int pages = doc->pages();
    if (pages <= 0) {
        ctx.fail(std::string("the PDF has no readable pages (damaged or truncated)") +
                 scope.first());
        return;
    }
    if (static_cast<std::size_t>(pages) > ctx.opts.max_pdf_pages) {
        ctx.fail("the PDF has " + std::to_string(pages) + " pages, more than the limit of " +
                 std::to_string(ctx.opts.max_pdf_pages) + " (max_pdf_pages)");
        return;
    }

    ctx.set_mapping("one document per PDF, " + std::to_string(pages) + " page(s)");
    const auto started = std::chrono::steady_clock::now();
    std::string text;
    std::size_t first_text_page = 0, unreadable = 0;
    for (int i = 0; i < pages; ++i) {
        std::unique_ptr<poppler::page> page(doc->create_page(i));
        if (!page) {
            ++unreadable;
            continue;
        }
        poppler::byte_array utf8 = page->text(poppler::rectf(), kLayout).to_utf8();
        std::string page_text(utf8.begin(), utf8.end());
        if (has_visible_text(page_text)) {
            if (!first_text_page) first_text_page = static_cast<std::size_t>(i) + 1;
            if (!text.empty()) text += "\n\n";
            text += page_text;
        }
        double elapsed =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        if (elapsed > ctx.opts.max_pdf_seconds && i + 1 < pages) {
            ctx.fail("text extraction took longer than " +
                     std::to_string(static_cast<long long>(ctx.opts.max_pdf_seconds)) +
                     " s (max_pdf_seconds); stopped after page " + std::to_string(i + 1) + " of " +
                     std::to_string(pages));
            return;
        }
    }
    if (text.size() > ctx.opts.max_field_bytes) {
        ctx.fail("extracted text is " + format_bytes(text.size()) + ", over the limit of " +
                 format_bytes(ctx.opts.max_field_bytes) + " (max_field_bytes)");
        return;
    }
    if (!has_eof && text.empty()) {
        ctx.fail(std::string("damaged or truncated PDF (no %%EOF marker and no readable text)") +
                 scope.first());
        return;
    }
    if (unreadable) {
        ctx.warn(std::to_string(unreadable) + " of " + std::to_string(pages) +
                 " page(s) could not be read");
    }
    if (text.empty()) {
        ctx.warn("no extractable text (a scanned or image-only PDF?); the file adds no record");
        return;
    }
    if (!has_eof) ctx.warn("the PDF looks truncated (no %%EOF marker); text read after repair");
    while (!text.empty() && static_cast<unsigned char>(text.back()) <= ' ') text.pop_back();
    ctx.add(utf8_replace_invalid(text), "", first_text_page);
}

}  // namespace htc::ingest_detail

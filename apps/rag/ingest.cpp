// ingest.cpp — see ingest.h. HTML through libxml2's HTML parser, PDF through poppler-cpp.
#include "rag/ingest.h"

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <poppler-document.h>
#include <poppler-global.h>
#include <poppler-page.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <memory>

#include "core/error.h"
#include "core/file.h"

namespace sotto::rag {

namespace {

std::string lower_ext(const std::string& path) {
  std::string e = std::filesystem::path(path).extension().string();
  for (char& c : e) c = char(std::tolower(static_cast<unsigned char>(c)));
  return e;
}

bool blank(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

bool has_word(const std::string& s) {
  return std::any_of(s.begin(), s.end(), [](char c) { return !blank(static_cast<unsigned char>(c)); });
}

// Offset of the first byte that is not valid UTF-8, or npos.
size_t invalid_utf8_at(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || (n == 2 && c < 0xC2) || (n == 4 && c > 0xF4) || i + n > s.size()) return i;
    for (size_t k = 1; k < n; k++)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 2) return i;
    i += n;
  }
  return std::string::npos;
}

// The HTML walker's output: text with blanks collapsed, block elements ending lines.
struct TextOut {
  std::string s;
  bool space = false;
  void text(const char* t) {
    for (; *t; t++) {
      if (blank(static_cast<unsigned char>(*t))) {
        space = true;
        continue;
      }
      if (space && !s.empty() && s.back() != '\n') s += ' ';
      space = false;
      s += *t;
    }
  }
  void line() {
    if (!s.empty() && s.back() != '\n') s += '\n';
    space = false;
  }
};

bool is_block(const char* n) {
  static const char* const kBlocks[] = {"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
                                        "tr", "table", "section", "article", "header", "footer", "nav", "aside",
                                        "blockquote", "pre", "hr", "dl", "dt", "dd", "figure", "figcaption",
                                        "main", "form", "title", "td", "th"};
  for (const char* b : kBlocks)
    if (std::strcmp(n, b) == 0) return true;
  return false;
}

void walk(xmlNode* node, TextOut& out) {
  for (xmlNode* n = node; n; n = n->next) {
    if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
      if (n->content) out.text(reinterpret_cast<const char*>(n->content));
    } else if (n->type == XML_ELEMENT_NODE) {
      const char* name = reinterpret_cast<const char*>(n->name);
      if (!std::strcmp(name, "script") || !std::strcmp(name, "style") || !std::strcmp(name, "head") ||
          !std::strcmp(name, "noscript") || !std::strcmp(name, "template"))
        continue;
      const bool block = is_block(name);
      if (block) out.line();
      walk(n->children, out);
      if (block) out.line();
    }
  }
}

void quiet_poppler(const std::string&, void*) {}

}  // namespace

std::string document_kind(const std::string& path) {
  const std::string e = lower_ext(path);
  if (e == ".txt" || e == ".text") return "text";
  if (e == ".md" || e == ".markdown") return "markdown";
  if (e == ".html" || e == ".htm") return "html";
  if (e == ".pdf") return "pdf";
  return "";
}

std::string html_text(const std::string& html, const std::string& name) {
  const int opts = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
                   HTML_PARSE_NOBLANKS;
  // Bytes without a <meta charset> are read as UTF-8 (libxml2 would otherwise guess Latin-1).
  std::unique_ptr<xmlDoc, void (*)(xmlDocPtr)> doc(
      htmlReadMemory(html.data(), int(html.size()), name.c_str(), "UTF-8", opts), xmlFreeDoc);
  if (!doc) fail(name, ": not readable as HTML");
  TextOut out;
  walk(xmlDocGetRootElement(doc.get()), out);
  while (!out.s.empty() && out.s.back() == '\n') out.s.pop_back();
  return out.s;
}

std::vector<PageText> pdf_pages(const std::string& bytes, const std::string& name) {
  poppler::set_debug_error_function(quiet_poppler, nullptr);
  if (bytes.compare(0, 5, "%PDF-") != 0) fail(name, ": not a PDF (no %PDF- header)");
  std::unique_ptr<poppler::document> doc(poppler::document::load_from_raw_data(bytes.data(), int(bytes.size())));
  if (!doc) fail(name, ": corrupt PDF (poppler cannot read it)");
  if (doc->is_locked()) fail(name, ": encrypted PDF (needs a password); decrypt it first");
  std::vector<PageText> pages;
  const int n = doc->pages();
  for (int i = 0; i < n; i++) {
    std::unique_ptr<poppler::page> p(doc->create_page(i));
    PageText t;
    t.page = i + 1;
    if (p) {
      const poppler::byte_array u = p->text().to_utf8();
      t.text.assign(u.begin(), u.end());
    }
    pages.push_back(std::move(t));
  }
  return pages;
}

Document parse_document(const std::string& path, const std::string& bytes) {
  Document d;
  d.path = path;
  d.kind = document_kind(path);
  if (d.kind.empty())
    fail(path, ": unsupported file type '", lower_ext(path), "' (index reads .txt, .md, .html, .htm, .pdf)");
  if (bytes.empty()) fail(path, ": empty file");
  if (d.kind == "pdf") {
    d.pages = pdf_pages(bytes, path);
    if (std::none_of(d.pages.begin(), d.pages.end(), [](const PageText& p) { return has_word(p.text); }))
      fail(path, ": no text layer in its ", std::to_string(d.pages.size()),
           " page(s) (a scanned PDF? run OCR on it first)");
    return d;
  }
  if (std::memchr(bytes.data(), 0, bytes.size())) fail(path, ": binary data (a NUL byte), not text");
  if (const size_t at = invalid_utf8_at(bytes); at != std::string::npos)
    fail(path, ": not UTF-8 text (invalid byte at offset ", std::to_string(at), ")");
  d.pages.push_back({1, d.kind == "html" ? html_text(bytes, path) : bytes});
  if (!has_word(d.pages[0].text)) fail(path, ": no text in it");
  return d;
}

Document read_document(const std::string& path) {
  if (document_kind(path).empty())
    fail(path, ": unsupported file type '", lower_ext(path), "' (index reads .txt, .md, .html, .htm, .pdf)");
  return parse_document(path, read_file(path));
}

std::vector<Chunk> chunk_document(const Document& d, const ChunkOptions& o) {
  const int max_tokens = std::max(1, o.max_tokens);
  const int overlap = std::clamp(o.overlap, 0, max_tokens - 1);
  std::vector<Chunk> chunks;
  for (const PageText& p : d.pages) {
    const std::string& s = p.text;
    struct Word {
      size_t begin, end;
      int tokens;
    };
    std::vector<Word> words;
    for (size_t i = 0; i < s.size();) {
      while (i < s.size() && blank(static_cast<unsigned char>(s[i]))) i++;
      const size_t b = i;
      while (i < s.size() && !blank(static_cast<unsigned char>(s[i]))) i++;
      if (i > b) {
        const std::string_view w(s.data() + b, i - b);
        const int t = o.word_tokens ? o.word_tokens(w) : int((w.size() + 3) / 4);
        words.push_back({b, i, std::max(1, t)});
      }
    }
    size_t start = 0;
    while (start < words.size()) {
      size_t end = start;
      int sum = 0;
      while (end < words.size() && (end == start || sum + words[end].tokens <= max_tokens)) sum += words[end++].tokens;
      Chunk c;
      c.page = p.page;
      c.begin = words[start].begin;
      c.end = words[end - 1].end;
      c.text = s.substr(c.begin, c.end - c.begin);
      chunks.push_back(std::move(c));
      if (end == words.size()) break;
      // Step back over the last words that fit in the overlap, always moving forward.
      size_t next = end;
      int kept = 0;
      while (next - 1 > start && kept + words[next - 1].tokens <= overlap) kept += words[--next].tokens;
      start = next;
    }
  }
  return chunks;
}

}  // namespace sotto::rag

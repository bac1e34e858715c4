// ingest.h — documents -> page texts -> chunks: the ingestion half of private retrieval (issue 21, point 2).
// Formats, chosen by the file's extension:
//   .txt .text        UTF-8 text, as it is (one page);
//   .md .markdown     the Markdown source as it is, markup included (one page), so offsets point into the file;
//   .html .htm        the text content through libxml2's HTML parser (Debian's libxml2): <script>, <style>,
//                     <head> dropped, block elements end a line, entities decoded, runs of blanks collapsed (one page);
//   .pdf              the text layer through poppler-cpp (Debian's poppler), page by page (pages 1..n).
// Chunks are passages of about max_tokens tokens that overlap by about `overlap` tokens, cut at word boundaries;
// each keeps its page and its byte offsets [begin, end) into that page's text, and its text is exactly that slice.
// Errors are one line naming the file: unreadable, unsupported extension, not UTF-8/binary, corrupt or encrypted PDF,
// no text (empty file, a PDF without a text layer).
// Does not: OCR scanned pages, read Office formats, embed or store anything (index.h does).
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace sotto::rag {

struct PageText {
  int page = 1;      // 1-based; text formats are one page
  std::string text;  // UTF-8
};

struct Document {
  std::string path;
  std::string kind;  // "text", "markdown", "html", "pdf"
  std::vector<PageText> pages;
};

// The kind a path's extension names, or "" when it is not one of the formats above.
std::string document_kind(const std::string& path);
// Reads and parses one file (bytes: its content, already read); throws a one-line Error naming `path`.
Document parse_document(const std::string& path, const std::string& bytes);
Document read_document(const std::string& path);

// Text content of an HTML document (libxml2's HTML parser; tolerant of broken markup).
std::string html_text(const std::string& html, const std::string& name);
// The text layer of a PDF, page by page (poppler-cpp).
std::vector<PageText> pdf_pages(const std::string& bytes, const std::string& name);

struct Chunk {
  int page = 1;
  size_t begin = 0, end = 0;  // bytes into the page's text
  std::string text;           // page.text.substr(begin, end - begin)
};

struct ChunkOptions {
  int max_tokens = 200;
  int overlap = 40;
  // Tokens of one whitespace-delimited word (the embedder's tokenizer); default: one per 4 bytes, at least 1.
  std::function<int(std::string_view)> word_tokens;
};

// Chunks of each page; pages without a word give none.
std::vector<Chunk> chunk_document(const Document& d, const ChunkOptions& o);

}  // namespace sotto::rag

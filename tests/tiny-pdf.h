// tiny-pdf.h — test helper: writes a small valid PDF (PDF 1.4, one Helvetica text line per "\n"-separated line of
// each page, a correct xref table) so the ingestion tests need no committed binary fixture and no PDF tool; and
// variants: encrypted (a Standard security handler whose /U matches no empty password) and without a text layer.
// Text must be printable ASCII without ( ) or backslash.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

namespace tiny_pdf {

inline std::string make(const std::vector<std::string>& pages, bool encrypted = false) {
  std::vector<std::string> objs;
  const size_t n = pages.size();
  std::string kids;
  for (size_t i = 0; i < n; i++) kids += (i ? " " : "") + std::to_string(3 + 2 * i) + " 0 R";
  objs.push_back("<< /Type /Catalog /Pages 2 0 R >>");
  objs.push_back("<< /Type /Pages /Kids [" + kids + "] /Count " + std::to_string(n) + " >>");
  for (size_t i = 0; i < n; i++) {
    objs.push_back("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 " +
                   std::to_string(3 + 2 * n) + " 0 R >> >> /Contents " + std::to_string(4 + 2 * i) + " 0 R >>");
    std::string body = "BT /F1 12 Tf 72 720 Td 14 TL";
    size_t at = 0;
    while (at <= pages[i].size() && !pages[i].empty()) {
      size_t nl = pages[i].find('\n', at);
      if (nl == std::string::npos) nl = pages[i].size();
      body += " (" + pages[i].substr(at, nl - at) + ") '";
      at = nl + 1;
    }
    body += " ET";
    objs.push_back("<< /Length " + std::to_string(body.size()) + " >>\nstream\n" + body + "\nendstream");
  }
  objs.push_back("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>");
  std::string out = "%PDF-1.4\n";
  std::vector<size_t> offs;
  for (size_t i = 0; i < objs.size(); i++) {
    offs.push_back(out.size());
    out += std::to_string(i + 1) + " 0 obj\n" + objs[i] + "\nendobj\n";
  }
  const size_t xref = out.size();
  out += "xref\n0 " + std::to_string(objs.size() + 1) + "\n0000000000 65535 f \n";
  for (size_t o : offs) {
    char line[32];
    std::snprintf(line, sizeof line, "%010zu 00000 n \n", o);
    out += line;
  }
  out += "trailer\n<< /Size " + std::to_string(objs.size() + 1) + " /Root 1 0 R";
  if (encrypted)
    out += " /Encrypt << /Filter /Standard /V 1 /R 2 /O <" + std::string(64, '1') + "> /U <" + std::string(64, '2') +
           "> /P -4 >> /ID [<" + std::string(32, '3') + "><" + std::string(32, '3') + ">]";
  out += " >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
  return out;
}

}  // namespace tiny_pdf

// rag-pdf.mjs — test helper of rag.test.mjs: writes small valid PDFs (PDF 1.4, a computed xref table) so the PDF
// tests need no committed binary fixture and no PDF tool, as tests/tiny-pdf.h does for the native tests, but with
// text placed anywhere: makePdf(pages, {encrypted}) -> Buffer, pages: [[{x, y, size, font, text, kern}]]
//   font: 'F1' Helvetica (the default), 'F2' Helvetica-Bold, 'F3' Times-Roman, all WinAnsiEncoding, so Latin-1
//   letters (é, ü) are one byte each; kern: a TJ array instead of Tj, the text split at '|' with that adjustment
//   between the parts (thousandths of the font size). encrypted: a Standard security handler whose /U matches no
//   empty password (a reader must ask for one).
const FONTS = { F1: 'Helvetica', F2: 'Helvetica-Bold', F3: 'Times-Roman' };

function pdfString(s) {
  let out = '(';
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (c > 255) throw new Error(`rag-pdf: '${ch}' is not in WinAnsiEncoding here`);
    if (ch === '(' || ch === ')' || ch === '\\') out += `\\${ch}`;
    else if (c < 32 || c > 126) out += `\\${c.toString(8).padStart(3, '0')}`;
    else out += ch;
  }
  return `${out})`;
}

export function makePdf(pages, { encrypted = false } = {}) {
  const n = pages.length;
  const fontObj = 3 + 2 * n;  // F1, F2, F3 follow the pages
  const objs = ['<< /Type /Catalog /Pages 2 0 R >>',
                `<< /Type /Pages /Kids [${pages.map((_, i) => `${3 + 2 * i} 0 R`).join(' ')}] /Count ${n} >>`];
  pages.forEach((runs, i) => {
    const fonts = Object.keys(FONTS).map((f, k) => `/${f} ${fontObj + k} 0 R`).join(' ');
    objs.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << ${fonts} >> >> /Contents ${4 + 2 * i} 0 R >>`);
    let body = '';
    for (const r of runs) {
      const show = r.kern === undefined ? `${pdfString(r.text)} Tj`
        : `[${r.text.split('|').map(pdfString).join(` ${-r.kern} `)}] TJ`;
      body += `BT /${r.font ?? 'F1'} ${r.size ?? 11} Tf ${r.x} ${r.y} Td ${show} ET\n`;
    }
    const bytes = Buffer.from(body, 'latin1');
    objs.push(`<< /Length ${bytes.length} >>\nstream\n${body}endstream`);
  });
  for (const base of Object.values(FONTS)) objs.push(`<< /Type /Font /Subtype /Type1 /BaseFont /${base} /Encoding /WinAnsiEncoding >>`);
  let out = '%PDF-1.4\n';
  const offs = [];
  objs.forEach((o, i) => {
    offs.push(Buffer.byteLength(out, 'latin1'));
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out, 'latin1');
  out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n${offs.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R`;
  if (encrypted) {
    out += ` /Encrypt << /Filter /Standard /V 1 /R 2 /O <${'1'.repeat(64)}> /U <${'2'.repeat(64)}> /P -4 >> /ID [<${'3'.repeat(32)}><${'3'.repeat(32)}>]`;
  }
  out += ` >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

// Lines of text from the top of a page, one run each: [{text, x, size, font, gap}] -> runs (gap: extra points above).
export function linesAt(lines, { top = 720, leading = 14 } = {}) {
  let y = top + leading;
  return lines.map((l) => {
    y -= leading + (l.gap ?? 0);
    return { x: 72, size: 11, ...l, y };
  });
}

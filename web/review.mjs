// review.mjs — what an approval records and what every export carries, as plain functions of the review (no
// page state): the reviewer's changes to the model's draft, the review and encounter as text lines, the
// Markdown and FHIR forms, an audit entry as a line. web/app.js keeps the state and calls these.
// Does not: touch the page, the engine or storage.

// Leaf values that differ between the model's note and the approved one: [{path, from, to}].
export function noteDiff(a, b, path = '') {
  const obj = (v) => v && typeof v === 'object';
  if (obj(a) || obj(b)) {
    const keys = new Set([...Object.keys(obj(a) ? a : {}), ...Object.keys(obj(b) ? b : {})]);
    return [...keys].flatMap((k) => noteDiff(obj(a) ? a[k] : undefined, obj(b) ? b[k] : undefined, `${path}/${k}`));
  }
  return a === b ? [] : [{ path, from: a ?? null, to: b ?? null }];
}

// The encounter as text lines (patient, visit date, author).
export function encounterLines(e) {
  return [e.patient || e.patient_id ? `Patient: ${e.patient || '(no name)'}${e.patient_id ? ` (identifier ${e.patient_id})` : ''}` : 'Patient: not given',
          `Visit date: ${e.visit_date || 'not given'}`, `Author: ${e.author || 'not given'}`];
}

// The review state every export carries, as text lines.
export function reviewLines(r) {
  const lines = [`Approved by ${r.approver} on ${r.time}.`];
  for (const a of r.acknowledged) lines.push(`Flagged and accepted by the approver: ${a.path} "${a.value}" (not in the transcript: ${a.unsupported.join(', ')})`);
  for (const n of r.not_checked) lines.push(`Not checked (no evidence either way): ${n.path} "${n.value}" (${n.why})`);
  if (r.edits) lines.push(r.edits.length ? `Changed by the reviewer from the model's draft: ${r.edits.map((e) => e.path).join(', ')}` : 'Not changed from the model\'s draft.');
  lines.push(`Model: ${r.model?.name ?? 'unknown'} (sha256 ${r.model?.sha256 ?? '?'}); template ${r.template} (sha256 ${r.template_sha256}); transcript sha256 ${r.transcript_sha256}.`);
  return lines;
}

// The Markdown export: the check's Markdown (title first) with the encounter after the title and the review at the end.
export function reviewMarkdown(markdown, review, head) {
  const [title, ...body] = markdown.split('\n');
  return `${[title, '', ...encounterLines(review.encounter).map((l) => `- ${l}`), ...body].join('\n').replace(/\n*$/, '\n')}` +
    `\n## Review\n\n${reviewLines(review).map((l) => `- ${l}`).join('\n')}\n- Audit log head: ${head}\n`;
}

// The FHIR Bundle (apps/scribe/fhir.cpp) with the approval as FHIR has it: status final, Composition.attester
// (legal), the patient and the visit as the reviewer gave them (logical references: no Patient resource is
// made), and the review as a narrative section.
export function reviewFhir(bundle, review, approvedIso, head) {
  const c = bundle.entry[0].resource;
  c.status = 'final';
  const enc = review.encounter;
  if (enc.patient || enc.patient_id) {
    c.subject = { ...(enc.patient_id ? { identifier: { value: enc.patient_id } } : {}), ...(enc.patient ? { display: enc.patient } : {}) };
  }
  if (enc.visit_date) c.encounter = { display: `Visit on ${enc.visit_date}` };
  c.attester = [{ mode: 'legal', time: approvedIso, party: { display: review.approver } }];
  const esc = (t) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  c.section.push({ title: 'Review', text: { status: 'generated', div: `<div xmlns="http://www.w3.org/1999/xhtml">${
    [...reviewLines(review), `Audit log head: ${head}`].map((l) => `<p>${esc(l)}</p>`).join('')}</div>` } });
  return bundle;
}

// One audit entry as a line of the log's list.
export function auditLine(e) {
  const when = new Date(e.time).toLocaleString();
  if (e.action === 'export') {
    return `${when} — exported ${e.format.toUpperCase()} (${e.template}, ${e.bytes} bytes, sha256 ${e.sha256})${e.note ? `: ${e.note}` : ''}`;
  }
  if (e.action === 'approve' && e.approver) {
    return `${when} — approved by ${e.approver} (${e.template}; model ${e.model?.name ?? '?'} sha256 ${e.model?.sha256 ?? '?'}; ` +
      `transcript sha256 ${e.transcript_sha256}; ${e.edits ? `${e.edits.length} value${e.edits.length === 1 ? '' : 's'} changed from the draft` : 'no model draft'}` +
      `${e.acknowledged?.length ? `; ${e.acknowledged.length} flagged value${e.acknowledged.length > 1 ? 's' : ''} accepted` : ''})`;
  }
  return `${when} — ${e.action} (${e.template})`;
}

// schema-form.test.mjs — the review form of web/schema-form.mjs on the product's templates, in headless Chromium
// (Debian's /usr/bin/chromium through playwright-core; no engine, no server): a null value (the model abstained)
// shows "Not stated" ticked with its control empty and disabled; unticking gives an empty value to type, ticking
// makes the value null again; an enum never offers "null"; the follow-up takes a date or the words as said.
// Usage: node tests/web/schema-form.test.mjs
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

import { launchChromium } from './page-helpers.mjs';
import { Tally } from '../harness.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const formSource = readFileSync(join(root, 'web', 'schema-form.mjs'), 'utf8');
const schema = (name) => JSON.parse(readFileSync(join(root, 'templates', `${name}.schema.json`), 'utf8'));

const browser = await launchChromium(chromium);
const page = await browser.newPage();
await page.setContent('<div id="form"></div>');
await page.addScriptTag({ type: 'module', content: `${formSource}\nwindow.renderForm = renderForm;` });
await page.waitForFunction(() => typeof window.renderForm === 'function');

const render = (s, note) => page.evaluate(([s, note]) => {
  window.note = note;
  window.changes = [];
  window.renderForm(document.getElementById('form'), s, note,
                    { onChange: (path) => window.changes.push(path), onFocus: () => {} });
}, [s, note]);
const control = (path) => page.evaluate((path) => {
  const el = document.querySelector(`[data-path="${path}"]`);
  const box = el.parentElement.querySelector('.not-stated input');
  return { tag: el.tagName, type: el.type, value: el.value, checked: el.checked, disabled: el.disabled,
           notStated: el.dataset.notStated ?? null, box: box ? box.checked : null,
           options: el.tagName === 'SELECT' ? [...el.options].map((o) => o.value) : null,
           selected: el.tagName === 'SELECT' ? el.selectedIndex : null };
}, path);
const toggle = (path) => page.evaluate((path) => {
  document.querySelector(`[data-path="${path}"]`).parentElement.querySelector('.not-stated input').click();
}, path);
const note = () => page.evaluate(() => window.note);

const tally = new Tally();
await tally.test('SOAP: null facts show "Not stated", the follow-up as said', async () => {
  await render(schema('soap'), {
    subjective: 'cough for a week', objective: null, assessment: null, plan: 'rest',
    medications: [{ name: 'paracetamol', dose: null, frequency: 'as needed' }], follow_up: 'in two weeks' });
  const obj = await control('/objective');
  assert.deepEqual([obj.tag, obj.value, obj.disabled, obj.notStated, obj.box], ['TEXTAREA', '', true, '1', true]);
  const subj = await control('/subjective');
  assert.deepEqual([subj.value, subj.disabled, subj.notStated, subj.box], ['cough for a week', false, '0', false]);
  const dose = await control('/medications/0/dose');
  assert.deepEqual([dose.disabled, dose.box], [true, true]);
  const name = await control('/medications/0/name');
  assert.equal(name.box, null, 'a required non-null field has no "Not stated"');
  const fu = await control('/follow_up');
  assert.deepEqual([fu.tag, fu.type, fu.value, fu.box], ['INPUT', 'text', 'in two weeks', false]);
});

await tally.test('SOAP: unticking gives an empty value to type; ticking makes it null', async () => {
  await toggle('/objective');
  let n = await note();
  assert.equal(n.objective, '');
  assert.equal((await control('/objective')).disabled, false);
  await page.fill('[data-path="/objective"]', 'chest clear');
  assert.equal((await note()).objective, 'chest clear');
  await toggle('/subjective');
  n = await note();
  assert.equal(n.subjective, null);
  const subj = await control('/subjective');
  assert.deepEqual([subj.value, subj.disabled, subj.notStated], ['', true, '1']);
  assert.ok((await page.evaluate(() => window.changes)).includes('/subjective'));
});

await tally.test('finance: a null enum and boolean; no "null" option', async () => {
  await render(schema('finance'), {
    client: 'Ann Lee', meeting_date: null, objectives: 'retirement', risk_profile: null, current_holdings: null,
    recommendations: [], fees_disclosed: null, next_review: '2027-06-06' });
  const risk = await control('/risk_profile');
  assert.deepEqual([risk.selected, risk.disabled, risk.box], [-1, true, true]);
  assert.deepEqual(risk.options, ['cautious', 'balanced', 'growth', 'adventurous', 'not discussed']);
  const fees = await control('/fees_disclosed');
  assert.deepEqual([fees.type, fees.checked, fees.disabled, fees.box], ['checkbox', false, true, true]);
  const date = await control('/meeting_date');
  assert.deepEqual([date.type, date.value, date.disabled], ['date', '', true]);
  await toggle('/risk_profile');
  await toggle('/fees_disclosed');
  const n = await note();
  assert.deepEqual([n.risk_profile, n.fees_disclosed], ['cautious', false]);
  assert.equal((await control('/next_review')).value, '2027-06-06');
});

await browser.close();
process.exitCode = tally.summary();

// schema-form.mjs — an editable form generated from a note template's JSON Schema, bound to a note value.
//   renderForm(container, schema, note, {onChange(path, note), onFocus(path)})
// strings: a textarea (maxLength kept), or <input type=date> for format "date", or a <select> for enum;
// integers and numbers: <input type=number>; booleans: a checkbox; objects: a fieldset per property in
// schema order; arrays: a fieldset of items with Remove buttons and an Add button. Every control carries
// data-path, the JSON Pointer of its value ("/medications/0/dose"), which the support highlighting uses.
// A nullable field (type ["string", "null"], or an anyOf with a {"type": "null"} branch) also gets a
// "Not stated" checkbox: a null value (the model abstained) shows it ticked, the control empty and disabled,
// and the control's data-not-stated="1"; unticking restores an empty value to type. An anyOf of strings
// (a date, or the words as said: "in two weeks") is one text input.
// Does not: validate beyond what the controls enforce (the engine's grammar made the note valid; the
// user's edits are kept as typed), $ref, oneOf, anyOf of other shapes.

export function heading(key) {
  const h = key.replace(/_/g, ' ');
  return h.charAt(0).toUpperCase() + h.slice(1);
}

// The field's type other than null: "string" for ["string", "null"] and for an anyOf of strings and null.
function baseType(schema) {
  if (Array.isArray(schema.type)) return schema.type.find((t) => t !== 'null') ?? 'null';
  if (schema.anyOf) return schema.anyOf.map((b) => b.type).find((t) => t && t !== 'null') ?? 'string';
  return schema.type;
}

function nullable(schema) {
  if (Array.isArray(schema.type)) return schema.type.includes('null');
  return !!schema.anyOf?.some((b) => b.type === 'null');
}

function emptyValue(schema) {
  switch (baseType(schema)) {
    case 'object': return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, s]) => [k, emptyValue(s)]));
    case 'array': return [];
    case 'integer': case 'number': return schema.minimum ?? 0;
    case 'boolean': return false;
    default: return schema.enum ? schema.enum.find((x) => x !== null) : '';
  }
}

function getAt(note, path) {
  let v = note;
  for (const k of path.split('/').slice(1)) v = v?.[k];
  return v;
}

function setAt(note, path, value) {
  const keys = path.split('/').slice(1);
  let v = note;
  for (const k of keys.slice(0, -1)) v = v[k];
  v[keys.at(-1)] = value;
}

let uid = 0;

export function renderForm(container, schema, note, handlers) {
  container.replaceChildren(renderObject(schema, note, '', null, handlers, note));
}

function renderObject(schema, value, path, label, h, root) {
  const fs = document.createElement(label ? 'fieldset' : 'div');
  fs.className = label ? 'obj' : 'note-fields';
  if (label) {
    const lg = document.createElement('legend');
    lg.textContent = label;
    fs.append(lg);
  }
  for (const [key, sub] of Object.entries(schema.properties ?? {})) {
    if (value[key] === undefined) value[key] = emptyValue(sub);
    fs.append(renderField(sub, value[key], `${path}/${key}`, heading(key), h, root));
  }
  return fs;
}

function renderArray(schema, value, path, label, h, root) {
  const fs = document.createElement('fieldset');
  fs.className = 'arr';
  fs.dataset.path = path;
  const lg = document.createElement('legend');
  lg.textContent = label;
  fs.append(lg);
  const itemSchema = schema.items ?? { type: 'string' };
  value.forEach((item, i) => {
    const row = document.createElement('div');
    row.className = 'arr-item';
    row.append(renderField(itemSchema, item, `${path}/${i}`, `${label.replace(/s$/, '')} ${i + 1}`, h, root));
    const rm = document.createElement('button');
    rm.type = 'button';
    rm.className = 'small';
    rm.textContent = 'Remove';
    rm.setAttribute('aria-label', `Remove ${label} ${i + 1}`);
    rm.onclick = () => { value.splice(i, 1); h.onChange(path, root, true); };
    row.append(rm);
    fs.append(row);
  });
  if (!value.length) {
    const p = document.createElement('p');
    p.className = 'muted';
    p.textContent = 'None.';
    fs.append(p);
  }
  const add = document.createElement('button');
  add.type = 'button';
  add.className = 'small';
  add.textContent = `Add ${label.toLowerCase().replace(/s$/, '')}`;
  add.disabled = schema.maxItems !== undefined && value.length >= schema.maxItems;
  add.onclick = () => { value.push(emptyValue(itemSchema)); h.onChange(path, root, true); };
  fs.append(add);
  return fs;
}

function renderField(schema, value, path, label, h, root) {
  const type = baseType(schema);
  if (type === 'object' && value !== null) return renderObject(schema, value, path, label, h, root);
  if (type === 'array' && value !== null) return renderArray(schema, value, path, label, h, root);
  const wrap = document.createElement('div');
  wrap.className = 'field';
  const id = `f${++uid}`;
  const lab = document.createElement('label');
  lab.htmlFor = id;
  lab.textContent = label;
  let input;
  const shown = value ?? '';
  if (type === 'boolean') {
    input = document.createElement('input');
    input.type = 'checkbox';
    input.checked = !!value;
  } else if (type === 'integer' || type === 'number') {
    input = document.createElement('input');
    input.type = 'number';
    if (type === 'integer') input.step = '1';
    if (schema.minimum !== undefined) input.min = schema.minimum;
    if (schema.maximum !== undefined) input.max = schema.maximum;
    input.value = shown;
  } else if (schema.enum) {
    input = document.createElement('select');
    for (const opt of schema.enum) {
      if (opt !== null) input.append(new Option(String(opt), String(opt), false, opt === value));
    }
    if (value === null) input.selectedIndex = -1;
  } else if (schema.format === 'date') {
    input = document.createElement('input');
    input.type = 'date';
    input.value = shown;
  } else if (schema.anyOf) {
    input = document.createElement('input');
    input.type = 'text';
    input.placeholder = 'YYYY-MM-DD, or as said ("in two weeks")';
    input.value = shown;
  } else {
    input = document.createElement('textarea');
    input.rows = Math.min(6, Math.max(1, Math.ceil((schema.maxLength ?? 80) / 120)));
    if (schema.maxLength) input.maxLength = schema.maxLength;
    input.value = shown;
  }
  input.id = id;
  input.dataset.path = path;
  if (schema.description) input.title = schema.description;
  const read = () => {
    if (type === 'boolean') return input.checked;
    if (type === 'integer') return Number.parseInt(input.value || '0', 10);
    if (type === 'number') return Number(input.value || 0);
    return input.value;
  };
  input.addEventListener(type === 'boolean' || schema.enum ? 'change' : 'input', () => {
    setAt(root, path, read());
    h.onChange(path, root, false);
  });
  input.addEventListener('focus', () => h.onFocus(path));
  const badge = document.createElement('span');
  badge.className = 'support';
  badge.dataset.supportFor = path;
  badge.id = `${id}-support`;
  input.setAttribute('aria-describedby', badge.id);
  wrap.append(lab, input);
  if (nullable(schema)) {  // abstention: "not stated" is a value of its own, not an empty string
    const ns = document.createElement('label');
    ns.className = 'not-stated';
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.checked = value === null;
    box.setAttribute('aria-label', `${label}: not stated`);
    ns.append(box, ' Not stated');
    const show = () => {
      input.disabled = box.checked;
      input.dataset.notStated = box.checked ? '1' : '0';
    };
    show();
    box.addEventListener('change', () => {
      if (box.checked) {
        if (input.type === 'checkbox') input.checked = false;
        else if (input.tagName === 'SELECT') input.selectedIndex = -1;
        else input.value = '';
      }
      else if (input.tagName === 'SELECT') input.selectedIndex = 0;  // a choice again: the first option
      show();
      setAt(root, path, box.checked ? null : read());
      h.onChange(path, root, false);
    });
    wrap.append(ns);
  }
  wrap.append(badge);
  return wrap;
}

export { getAt };

// panel.mjs — the factory control panel's state and what each action of web/voice/factory.json does to it (plain data,
// no DOM: the page draws it, the tests can run it in Node):
//   const state = newPanel();
//   const { state: next, said } = apply(state, action, now)   action: {command, slots} as the matcher gives it; now: ms
//       said: one line telling what changed ("Line 2 speed 75 %"), or why nothing did (a command the panel has no
//       control for: a set other than factory.json)
//   describeAction(action) -> 'set_speed line=2 speed=75' (the log's text);  confirmQuestion(action) -> the question
//       a confirm: true command asks before it acts
// apply() never mutates its input: a cancelled confirmation leaves the panel as it was by not calling it.
export const LINES = 4;
export const AREAS = ['assembly hall', 'loading bay', 'warehouse', 'office'];

export function newPanel() {
  return {
    lines: Array.from({ length: LINES }, (_, i) => ({ line: i + 1, running: true, speed: 60 })),
    lights: Object.fromEntries(AREAS.map((a) => [a, false])),
    timers: [],   // {id, minutes, ends (ms)}
    defects: [],  // {at (ms), line, defect}
    nextTimer: 1,
  };
}

const clone = (s) => ({ ...s, lines: s.lines.map((l) => ({ ...l })), lights: { ...s.lights }, timers: [...s.timers],
                        defects: [...s.defects] });
const fmt = (n) => String(Math.round(n * 100) / 100);

export function describeAction(a) {
  const slots = Object.entries(a.slots ?? {}).map(([k, v]) => `${k}=${v}`).join(' ');
  return slots ? `${a.command} ${slots}` : a.command;
}

export function confirmQuestion(a) {
  const s = a.slots ?? {};
  if (a.command === 'stop_line') return `Stop line ${s.line}? The line halts until someone starts it again.`;
  if (a.command === 'clear_defects') return 'Clear the defect log? The logged defects are deleted.';
  return `Run ${describeAction(a)}? It was marked as needing confirmation.`;
}

export function status(s) {
  const lines = s.lines.map((l) => `line ${l.line} ${l.running ? `running at ${l.speed} %` : 'stopped'}`).join(', ');
  const on = AREAS.filter((a) => s.lights[a]);
  return `${lines}; lights on: ${on.length ? on.join(', ') : 'none'}; ${s.timers.length} timer(s); ${s.defects.length} defect(s)`;
}

export function apply(state, a, now = Date.now()) {
  const s = clone(state), v = a.slots ?? {};
  const line = s.lines[v.line - 1] ?? null;
  const noControl = { state, said: `The panel has no control for ${describeAction(a)}` };
  if (['set_speed', 'start_line', 'stop_line', 'log_defect'].includes(a.command) && !line) return noControl;
  switch (a.command) {
    case 'set_speed':
      line.speed = v.speed;
      return { state: s, said: `Line ${v.line} speed ${v.speed} %${line.running ? '' : ' (stopped: it runs at this speed when started)'}` };
    case 'start_line':
      line.running = true;
      return { state: s, said: `Line ${v.line} started at ${line.speed} %` };
    case 'stop_line':
      line.running = false;
      return { state: s, said: `Line ${v.line} stopped` };
    case 'log_defect':
      s.defects.push({ at: now, line: v.line, defect: v.defect });
      return { state: s, said: `Defect logged: ${v.defect} on line ${v.line}` };
    case 'clear_defects':
      s.defects = [];
      return { state: s, said: 'Defect log cleared' };
    case 'start_timer':
      s.timers.push({ id: s.nextTimer++, minutes: v.minutes, ends: now + v.minutes * 60000 });
      return { state: s, said: `Timer ${s.nextTimer - 1} started: ${fmt(v.minutes)} min` };
    case 'cancel_timers':
      s.timers = [];
      return { state: s, said: state.timers.length ? `${state.timers.length} timer(s) cancelled` : 'No timer was running' };
    case 'lights_on': case 'lights_off':
      if (!(v.area in s.lights)) break;
      s.lights[v.area] = a.command === 'lights_on';
      return { state: s, said: `Lights ${a.command === 'lights_on' ? 'on' : 'off'}: ${v.area}` };
    case 'status':
      return { state: s, said: `Status: ${status(s)}` };
  }
  return noControl;
}

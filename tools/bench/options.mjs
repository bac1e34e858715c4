// options.mjs — the command-line parser of the tools/bench scripts: `--name value` for every key of the
// defaults (a number where the default is a number), `--name` alone for a boolean; an unknown option throws.
//   const opt = parseOptions({ arch: 'qwen25', reps: 3, fallback: false });
export function parseOptions(defaults, argv = process.argv.slice(2)) {
  const opt = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i].replace(/^--/, '');
    if (!(k in opt)) throw new Error(`unknown option --${k}`);
    if (typeof opt[k] === 'boolean') opt[k] = true;
    else opt[k] = typeof opt[k] === 'number' ? Number(argv[++i]) : argv[++i];
  }
  return opt;
}

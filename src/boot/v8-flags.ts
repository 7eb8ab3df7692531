// V8 flags per command. `kiln jobs` and `kiln lint` load one pipeline and exit: measured on the 1000-job bench file,
// V8's optimizing compiler (TurboFan) spends more time compiling and deoptimizing the YAML parser than its code
// saves before the process ends (the cold lexer pass: ~25 ms without it, 40-150 ms with it on this 2-core machine,
// slower still under load), and a 5000-job file is still faster without it. Commands that run for long (run,
// publish, abi, deb) keep V8's defaults, and so does a node started with its own choice about the JIT tiers.
//
// `kiln run` keeps V8's young generation at its start size (no semi-space growth). It allocates in bursts while
// saving and restoring thousands of files (stats, records, manifests), and left alone V8 doubles the young
// generation up to 2 x 16 MiB: measured on the 9-job / 50 MB cache bench pipeline, peak RSS 82-90 MB with
// growth, 72-74 MB without, at the same wall time. The heap's maximum cannot be changed once node runs, but the
// growth factor is read each time the young generation would grow.
import { commandOf } from './bundle.js';

const ONE_SHOT = new Set(['jobs', 'lint']);
const JIT_FLAGS = /--(?:no-)?(?:opt|turbofan|jitless|max-opt)\b/;
const YOUNG_GEN_FLAGS = /--(?:max-)?semi-space|--semi-space-growth-factor|--min-semi-space/;

/**
 * The flags to set while the command in `argv` runs and those that put V8's defaults back afterwards, or undefined.
 * `nodeFlags`: the node's own flags (execArgv and NODE_OPTIONS).
 */
export function v8FlagsFor(argv: readonly string[], nodeFlags: string): { set: string; reset: string } | undefined {
  const command = commandOf(argv);
  if (command === 'run')
    return YOUNG_GEN_FLAGS.test(nodeFlags)
      ? undefined
      : { set: '--semi-space-growth-factor=1', reset: '--semi-space-growth-factor=2' };
  if (JIT_FLAGS.test(nodeFlags)) return undefined;
  return command !== undefined && ONE_SHOT.has(command) ? { set: '--no-opt', reset: '--opt' } : undefined;
}

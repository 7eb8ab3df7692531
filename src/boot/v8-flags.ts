// V8 flags per command. `kiln jobs` and `kiln lint` load one pipeline and exit: measured on the 1000-job bench file,
// V8's optimizing compiler (TurboFan) spends more time compiling and deoptimizing the YAML parser than its code
// saves before the process ends (the cold lexer pass: ~25 ms without it, 40-150 ms with it on this 2-core machine,
// slower still under load), and a 5000-job file is still faster without it. Commands that run for long (run,
// publish, abi, deb) keep V8's defaults.
const ONE_SHOT = new Set(['jobs', 'lint']);

/** The flags to set while the command runs and the ones that restore V8's defaults after it, or undefined. */
export function v8FlagsFor(argv: readonly string[]): { set: string; reset: string } | undefined {
  const command = argv.slice(2).find((a) => !a.startsWith('-'));
  return command !== undefined && ONE_SHOT.has(command) ? { set: '--no-opt', reset: '--opt' } : undefined;
}

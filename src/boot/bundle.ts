// Which bundle runs a command. `kiln jobs` and `kiln lint` only load a pipeline: dist/kiln-plan.cjs holds just
// that code (src/cli/main-plan.ts), so they read and deserialize a smaller file and code cache. Every other
// command, and `kiln` with no command or `kiln help`, runs dist/kiln.cjs (src/cli/main.ts). Both bundles give the
// same output for jobs and lint: they register the same command modules. KILN_FULL_BUNDLE=1 runs the full bundle
// for every command (the build uses it to make the full bundle's code cache from a `kiln jobs` run).
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const FULL_BUNDLE = 'kiln.cjs';
export const PLAN_BUNDLE = 'kiln-plan.cjs';
const PLAN_COMMANDS = new Set(['jobs', 'lint']);

/** The command word of a process.argv: the first argument after the script that is not an option. */
export function commandOf(argv: readonly string[]): string | undefined {
  return argv.slice(2).find((a) => !a.startsWith('-'));
}

/** The bundle file name (under dist/) for `argv`; the full bundle when the plan bundle is not there. */
export function bundleFor(distDir: string, argv: readonly string[], env: NodeJS.ProcessEnv): string {
  const command = commandOf(argv);
  if (env.KILN_FULL_BUNDLE || command === undefined || !PLAN_COMMANDS.has(command)) return FULL_BUNDLE;
  return existsSync(join(distDir, PLAN_BUNDLE)) ? PLAN_BUNDLE : FULL_BUNDLE;
}

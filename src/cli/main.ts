// kiln's command line with every command (dist/kiln.cjs). `kiln jobs` and `kiln lint` start from main-plan.ts
// instead (dist/kiln-plan.cjs), a bundle without the code of the other commands; see src/boot/bundle.ts.
import { runProgram } from './program.js';
import { commandModules } from './registry.js';

export { buildProgram, reportError } from './program.js';

export async function main(argv: string[]): Promise<void> {
  await runProgram(argv, commandModules);
}

// `kiln jobs` and `kiln lint` (dist/kiln-plan.cjs): the same commands, options and output as main.ts, in a bundle
// that leaves out run, image, publish, runner and the other commands' code, so the two commands run most often
// read and deserialize about 40 % less before they start. src/boot/bundle.ts picks the bundle from the command.
import { runProgram } from './program.js';
import { planCommandModules } from './registry-plan.js';

export async function main(argv: string[]): Promise<void> {
  await runProgram(argv, planCommandModules);
}

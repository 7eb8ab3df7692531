// The commands of the plan bundle (main-plan.ts): those that only load a pipeline and print it. registry.ts lists
// them with every other command for the full bundle.
import type { Command } from 'commander';
import { register as lintCommand } from './commands/lint.js';
import { register as jobsCommand } from './commands/jobs.js';

export type RegisterCommand = (program: Command) => void;

export const planCommandModules: RegisterCommand[] = [lintCommand, jobsCommand];

// The list of command modules. Each module exports `register(program)` and keeps its imports light:
// heavy libraries are loaded inside the action so `kiln jobs` does not pay for `kiln publish`.
import type { Command } from 'commander';

export type RegisterCommand = (program: Command) => void;

export const commandModules: RegisterCommand[] = [];

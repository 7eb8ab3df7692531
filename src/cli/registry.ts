// The list of command modules. Each module exports `register(program)` and keeps its imports light:
// heavy libraries are loaded inside the action so `kiln jobs` does not pay for `kiln publish`.
import { planCommandModules, type RegisterCommand } from './registry-plan.js';
import { register as configCommand } from './commands/config.js';
import { register as imageCommand } from './commands/image.js';
import { register as pruneCommand } from './commands/prune.js';
import { register as debCommand } from './commands/deb.js';
import { register as publishCommand } from './commands/publish.js';
import { register as runCommand } from './commands/run.js';
import { register as logsCommand } from './commands/logs.js';
import { register as abiCommand } from './commands/abi.js';
import { register as storeCommand } from './commands/store.js';
import { register as vendorCommand } from './commands/vendor.js';
import { register as artifactsCommand } from './commands/artifacts.js';
import { register as runnerCommand } from './commands/runner.js';

export type { RegisterCommand };

export const commandModules: RegisterCommand[] = [
  ...planCommandModules,
  runCommand,
  logsCommand,
  configCommand,
  imageCommand,
  pruneCommand,
  abiCommand,
  debCommand,
  publishCommand,
  storeCommand,
  artifactsCommand,
  runnerCommand,
  vendorCommand,
];

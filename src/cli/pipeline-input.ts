// The pipeline context every command builds from the shared flags (commands/pipeline-flags.ts): variables files
// are read here, in the CLI layer, then the flags become LoadOptions.
import { resolve } from 'node:path';
import type { LoadOptions } from '../pipeline/load.js';
import type { Variables } from '../pipeline/model.js';
import { loadOptionsFromFlags, type PipelineFlags } from '../pipeline/options.js';
import { readVariablesFile } from './variables-file.js';

export async function pipelineOptions(flags: PipelineFlags): Promise<LoadOptions> {
  const fromFiles: Variables = Object.create(null);
  for (const f of flags.variablesFile ?? []) Object.assign(fromFiles, await readVariablesFile(resolve(f)));
  return loadOptionsFromFlags(flags, fromFiles);
}

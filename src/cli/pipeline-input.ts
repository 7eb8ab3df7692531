// The pipeline context every command builds from the shared flags (commands/pipeline-flags.ts): variables files
// are read here, in the CLI layer, then the flags become LoadOptions.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { LoadOptions } from '../pipeline/load.js';
import type { Variables } from '../pipeline/model.js';
import { loadOptionsFromFlags, type PipelineFlags } from '../pipeline/options.js';
import { configureParseCache } from '../pipeline/yaml/parse-cache.js';
import { readVariablesFile } from './variables-file.js';

export async function pipelineOptions(flags: PipelineFlags): Promise<LoadOptions> {
  configureParseCache(parseCacheDir(process.env));
  const fromFiles: Variables = Object.create(null);
  for (const f of flags.variablesFile ?? []) Object.assign(fromFiles, await readVariablesFile(resolve(f)));
  return loadOptionsFromFlags(flags, fromFiles);
}

/**
 * Where parsed YAML files are kept (pipeline/yaml/parse-cache.ts): $XDG_CACHE_HOME/kiln/parsed, else
 * ~/.cache/kiln/parsed; KILN_NO_PARSE_CACHE=1 turns the cache off.
 */
export function parseCacheDir(env: NodeJS.ProcessEnv): string | undefined {
  if (env.KILN_NO_PARSE_CACHE) return undefined;
  if (env.XDG_CACHE_HOME?.startsWith('/')) return join(env.XDG_CACHE_HOME, 'kiln', 'parsed');
  const home = env.HOME || homedir();
  return home ? join(home, '.cache', 'kiln', 'parsed') : undefined;
}

// `default:` (and the older top-level image/services/cache/before_script/after_script) applied to each job that
// does not set the key itself, unless the job opts out with `inherit: default: false | [keys]`.
import { ConfigError } from '../../errors.js';
import { checkKeys, type Problems } from '../keywords/check.js';
import { readInheritValue } from '../keywords/job.js';
import { readImage, readServices } from '../keywords/fields.js';
import { newMap, type YEntry, type YMap } from '../yaml/node.js';
import { specifiedEntries } from './unspecified.js';

export const DEFAULT_KEYS = [
  'after_script',
  'artifacts',
  'before_script',
  'cache',
  'hooks',
  'id_tokens',
  'image',
  'interruptible',
  'retry',
  'services',
  'tags',
  'timeout',
] as const;

/** Top-level keys that GitLab still reads as defaults for every job. */
const LEGACY_GLOBAL_DEFAULTS = ['image', 'services', 'cache', 'before_script', 'after_script'];

/** The effective defaults: `default:` wins over the legacy top-level keys. */
export function collectDefaults(root: YMap, p: Problems): Map<string, YEntry> {
  const out = new Map<string, YEntry>();
  for (const k of LEGACY_GLOBAL_DEFAULTS) {
    const e = root.entries.get(k);
    if (e && !(e.value.kind === 'scalar' && e.value.value === null)) out.set(k, e);
  }
  const d = root.entries.get('default');
  if (d) {
    if (d.value.kind !== 'map') {
      if (!(d.value.kind === 'scalar' && d.value.value === null)) {
        p.push(new ConfigError('should be a hash', d.value.pos, ['default']));
      }
    } else {
      checkKeys(p, d.value, ['default'], DEFAULT_KEYS);
      // A null default is no default (see unspecified.ts).
      for (const e of specifiedEntries(d.value)) out.set(e.key, e);
    }
  }
  // Checked here once, under their own key, even when every job overrides them (GitLab rejects the file either way).
  const image = out.get('image');
  if (image)
    readImage(p, image.value, d && out.get('image') !== root.entries.get('image') ? ['default', 'image'] : ['image']);
  const services = out.get('services');
  if (services)
    readServices(
      p,
      services.value,
      d && services !== root.entries.get('services') ? ['default', 'services'] : ['services'],
    );
  return out;
}

export function applyDefaults(job: YMap, defaults: Map<string, YEntry>, p: Problems, path: string[]): YMap {
  if (defaults.size === 0) return job;
  let inherit: boolean | string[] = true;
  const inh = job.entries.get('inherit')?.value;
  if (inh?.kind === 'map') {
    const d = inh.entries.get('default')?.value;
    if (d) inherit = readInheritValue(p, d, [...path, 'inherit', 'default']);
  }
  if (inherit === false) return job;
  const out = newMap(job.pos, job.entries.values());
  for (const [k, e] of defaults) {
    if (out.entries.has(k)) continue;
    if (Array.isArray(inherit) && !inherit.includes(k)) continue;
    out.entries.set(k, e);
  }
  return out;
}

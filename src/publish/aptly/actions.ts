// Flag handling and output for `kiln publish aptly`.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { UsageError } from '../../errors.js';
import { mapLimit } from '../../util/map-limit.js';
import { readDebControl } from '../deb/read.js';
import { getField } from '../deb/control.js';
import { AptlyHttp } from './http.js';
import { publishToAptly, type AptlyPublishResult } from './publish.js';

export interface AptlyFlags {
  url: string;
  repo: string;
  distribution: string;
  prefix?: string;
  component?: string;
  signKey?: string;
  skipSigning?: boolean;
  gpgPassphraseEnv?: string;
  forceReplace?: boolean;
  retries?: string;
  header?: string[];
}

export async function runPublishAptly(files: string[], f: AptlyFlags): Promise<AptlyPublishResult> {
  if (f.signKey && f.skipSigning) throw new UsageError('use either --sign-key or --skip-signing, not both');
  if (!/^https?:\/\//.test(f.url)) throw new UsageError(`--url "${f.url}": expected http://host:port or https://...`);
  const retries = Number(f.retries ?? 4);
  if (!Number.isInteger(retries) || retries < 0) throw new UsageError('--retries must be a whole number >= 0');
  const headers: Record<string, string> = {};
  for (const h of f.header ?? []) {
    const i = h.indexOf(':');
    if (i <= 0) throw new UsageError(`--header "${h}": expected "Name: value"`);
    headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
  }
  let passphrase: string | undefined;
  if (f.gpgPassphraseEnv) {
    passphrase = process.env[f.gpgPassphraseEnv];
    if (passphrase === undefined) throw new UsageError(`--gpg-passphrase-env: $${f.gpgPassphraseEnv} is not set`);
  }
  const debs = await mapLimit(files, 64, async (file) => {
    const { control } = await readDebControl(file);
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
    return {
      file,
      name: getField(control, 'Package')!,
      version: getField(control, 'Version')!,
      arch: getField(control, 'Architecture')!,
      sha256: hash.digest('hex'),
    };
  });
  return publishToAptly({
    http: new AptlyHttp({ baseUrl: f.url, headers, retries }),
    repo: f.repo,
    distribution: f.distribution,
    prefix: f.prefix,
    component: f.component,
    signKey: f.signKey,
    skipSigning: f.skipSigning,
    passphrase,
    forceReplace: f.forceReplace,
    debs,
  });
}

export function formatAptlyResult(r: AptlyPublishResult): string {
  const lines = [
    ...(r.repoCreated ? ['created aptly repo'] : []),
    ...r.added,
    ...r.unchanged.map((u) => `${u} already in the repo with the same content`),
    ...r.warnings.map((w) => `warning: ${w}`),
    `${r.published} publication ${r.prefix}/${r.distribution}${r.signed ? '' : ' (unsigned)'}` +
      (r.uploadDir ? `; upload dir ${r.uploadDir} removed` : '; nothing uploaded'),
  ];
  return lines.join('\n') + '\n';
}

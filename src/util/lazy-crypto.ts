// node:crypto loaded on first use. Loading it costs a few milliseconds (a dozen internal modules), which `kiln
// jobs` and `kiln lint` would pay at start-up for a hash they compute only when a pipeline uses include:integrity.
// In the bundle `require` is the bundle's own; from the TypeScript sources (ES modules) there is none.
import { createRequire } from 'node:module';

type Crypto = typeof import('node:crypto');
let crypto: Crypto | undefined;

export function lazyCrypto(): Crypto {
  crypto ??= (
    typeof require === 'function' ? require('node:crypto') : createRequire(import.meta.url)('node:crypto')
  ) as Crypto;
  return crypto;
}

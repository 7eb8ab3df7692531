// Signs apt Release files with openpgp.js (no gpg needed): InRelease is a cleartext-signed copy, Release.gpg
// a detached armored signature over the exact bytes. The key comes from an armored file or from an
// environment variable holding the armored key; the passphrase from an environment variable.
import { readFile } from 'node:fs/promises';
import { SigningError } from '../errors.js';
import { UsageError } from '../../errors.js';

type OpenPgp = typeof import('openpgp');
type PrivateKey = import('openpgp').PrivateKey;

export interface SigningKeySource {
  /** Path of an armored private key. */
  file?: string;
  /** Name of an environment variable holding the armored private key (default KILN_SIGNING_KEY). */
  keyEnv?: string;
  /** Name of an environment variable holding the passphrase (default KILN_SIGNING_PASSPHRASE). */
  passphraseEnv?: string;
}

export interface Signer {
  fingerprint: string;
  /** When the signing (sub)key expires, or undefined if it does not. */
  expires?: Date;
  sign(text: string, now: Date): Promise<{ inRelease: string; releaseGpg: string }>;
  /** The public half of the key: an armored block, or binary packets (a keyring file apt's signed-by and gpgv read). */
  publicKey(format: 'armored' | 'binary'): string | Uint8Array;
}

let lib: OpenPgp | undefined;
async function openpgp(): Promise<OpenPgp> {
  lib ??= await import('openpgp');
  return lib;
}

export async function loadSigner(src: SigningKeySource, now: Date): Promise<Signer> {
  const keyEnv = src.keyEnv ?? 'KILN_SIGNING_KEY';
  const passEnv = src.passphraseEnv ?? 'KILN_SIGNING_PASSPHRASE';
  let armored: string;
  let where: string;
  if (src.file) {
    where = src.file;
    armored = await readFile(src.file, 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new UsageError(`--sign-key ${src.file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
    });
  } else {
    const v = process.env[keyEnv];
    if (!v) throw new UsageError(`no signing key: pass --sign-key FILE or set ${keyEnv} (or use --unsigned)`);
    where = `$${keyEnv}`;
    armored = v;
  }
  const pgp = await openpgp();
  let key: PrivateKey;
  try {
    key = await pgp.readPrivateKey({ armoredKey: armored });
  } catch (e) {
    throw new SigningError(`${where}: not an armored OpenPGP private key (${(e as Error).message})`);
  }
  if (!key.isDecrypted()) {
    const passphrase = process.env[passEnv];
    if (!passphrase) throw new SigningError(`${where}: the key is protected; set the passphrase in $${passEnv}`);
    try {
      key = await pgp.decryptKey({ privateKey: key, passphrase });
    } catch (e) {
      throw new SigningError(
        `${where}: cannot unlock the key with the passphrase from $${passEnv} (${(e as Error).message})`,
      );
    }
  }
  const fingerprint = key.getFingerprint().toUpperCase();
  let signingKey;
  try {
    signingKey = await key.getSigningKey(undefined, now);
  } catch (e) {
    const exp = await key.getExpirationTime().catch(() => null);
    if (exp instanceof Date && exp.getTime() <= now.getTime()) {
      throw new SigningError(
        `${where}: signing key ${fingerprint} expired on ${exp.toISOString()}; extend or replace it`,
      );
    }
    throw new SigningError(`${where}: key ${fingerprint} cannot sign at ${now.toISOString()}: ${(e as Error).message}`);
  }
  const exp = await signingKey.getExpirationTime().catch(() => null);
  const expires = exp instanceof Date ? exp : undefined;
  return {
    fingerprint,
    expires,
    async sign(text, date) {
      const cleartext = await pgp.createCleartextMessage({ text });
      // openpgp.js writes the cleartext body with CRLF; the signature covers the canonical (CRLF) form anyway,
      // so LF line ends — what Debian archives serve and apt expects — verify the same.
      const inRelease = (await pgp.sign({ message: cleartext, signingKeys: key, date })).replace(/\r\n/g, '\n');
      const message = await pgp.createMessage({ binary: Buffer.from(text, 'utf8') });
      const releaseGpg = await pgp.sign({ message, signingKeys: key, detached: true, date, format: 'armored' });
      return { inRelease, releaseGpg };
    },
    publicKey(format) {
      const pub = key.toPublic();
      return format === 'armored' ? pub.armor() : pub.write();
    },
  };
}

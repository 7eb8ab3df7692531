// Typed errors of the ELF reader and the portability checker. Every ElfError names the file it is about.
import { KilnError } from '../errors.js';

/** A file that claims to be ELF but is malformed, truncated or cannot be read. */
export class ElfError extends KilnError {
  readonly file: string;
  readonly detail: string;
  constructor(file: string, detail: string, options?: { cause?: unknown }) {
    super(`${file}: ${detail}`, 'E_ELF', 2, options);
    this.file = file;
    this.detail = detail;
  }
}

/** A bad target database row, an unknown target name or a bad user target in kiln.toml. */
export class AbiTargetError extends KilnError {
  constructor(message: string) {
    super(message, 'E_ABI_TARGET', 2);
  }
}

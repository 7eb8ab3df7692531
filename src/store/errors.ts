import { KilnError } from '../errors.js';

/** The store could not save or read an entry (disk full, unreadable entry, missing blob). */
export class StoreError extends KilnError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 'E_STORE', 1, options);
  }
}

/** A store entry whose content is gone or does not match its hashes: it should be dropped, not retried. */
export class StoreDamagedError extends StoreError {}

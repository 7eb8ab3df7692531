// Typed errors for packaging and publishing. Each names the file (and line/key where there is one).
import { ConfigError, KilnError, type SourcePosition } from '../errors.js';

/** A file that is not a valid .deb archive (bad ar magic, missing members, unreadable tar). */
export class DebFormatError extends KilnError {
  constructor(file: string, detail: string) {
    super(`${file}: not a valid .deb: ${detail}`, 'E_DEB_FORMAT', 1);
  }
}

/** A control file (DEBIAN/control, Packages, Release) with a syntax or field error. */
export class ControlFileError extends ConfigError {
  constructor(detail: string, position?: SourcePosition, field?: string) {
    super(detail, position, field ? [field] : [], 'E_CONTROL');
  }
}

/** The repository already has name+version+arch with different content. */
export class DuplicatePackageError extends KilnError {
  constructor(message: string) {
    super(message, 'E_DUPLICATE', 1);
  }
}

/** Another publish holds the repository lock. */
export class RepoLockedError extends KilnError {
  constructor(message: string) {
    super(message, 'E_LOCKED', 4);
  }
}

/** Signing key problems: unreadable, wrong passphrase, expired, revoked, cannot sign. */
export class SigningError extends KilnError {
  constructor(message: string) {
    super(message, 'E_SIGNING', 1);
  }
}

/** An expiration policy file with a bad field. */
export class PolicyError extends ConfigError {
  constructor(detail: string, file: string, key?: string, at: { line: number; col: number } = { line: 1, col: 1 }) {
    super(detail, { file, line: at.line, col: at.col }, key ? [key] : [], 'E_POLICY');
  }
}

/** The aptly API refused a request or could not be reached. */
export class AptlyError extends KilnError {
  readonly status?: number;
  readonly body?: string;
  /** What the failed publish had already changed on the server (for the message and --json). */
  changes: string[] = [];
  constructor(message: string, status?: number, body?: string) {
    super(message, 'E_APTLY', 5);
    this.status = status;
    this.body = body;
  }
}

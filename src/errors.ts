// Typed errors shared by every part of kiln. The CLI prints `message` (no stack) unless --debug is given.

/** A place in a source file (1-based line and column). */
export interface SourcePosition {
  file: string;
  line: number;
  col: number;
}

export class KilnError extends Error {
  /** Stable machine-readable code, e.g. "E_CONFIG". */
  readonly code: string;
  /** Process exit code the CLI uses when this error ends a command. */
  readonly exitCode: number;

  constructor(message: string, code = 'E_KILN', exitCode = 2, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** Bad user input in a file kiln reads (.gitlab-ci.yml, kiln.toml, variables files...). */
export class ConfigError extends KilnError {
  readonly position?: SourcePosition;
  /** Path of keys inside the document, e.g. ["jobs", "build", "needs"]. */
  readonly keyPath: string[];
  /** The message without the position/key prefix. */
  readonly detail: string;

  constructor(detail: string, position?: SourcePosition, keyPath: string[] = [], code = 'E_CONFIG') {
    super(formatLocated(detail, position, keyPath), code, 1);
    this.position = position;
    this.keyPath = keyPath;
    this.detail = detail;
  }
}

/** Several ConfigErrors found in one pass (lint reports them all). */
export class ConfigErrors extends KilnError {
  readonly errors: ConfigError[];
  constructor(errors: ConfigError[]) {
    super(errors.map((e) => e.message).join('\n'), 'E_CONFIG', 1);
    this.errors = errors;
  }
}

/** Bad command-line usage (unknown flag values, missing arguments). */
export class UsageError extends KilnError {
  constructor(message: string) {
    super(message, 'E_USAGE', 2);
  }
}

/** A required external tool or service is missing (gpg, mmdebstrap, Docker...). */
export class EnvironmentError extends KilnError {
  constructor(message: string, code = 'E_ENV') {
    super(message, code, 3);
  }
}

export function formatLocated(detail: string, position?: SourcePosition, keyPath: string[] = []): string {
  const where = position ? `${position.file}:${position.line}:${position.col}: ` : '';
  const key = keyPath.length ? `${keyPath.join(':')}: ` : '';
  return `${where}${key}${detail}`;
}

/** `kiln vendor` could not fetch or verify an include (network, HTTP status, integrity, size). */
export class VendorError extends KilnError {
  constructor(message: string, code = 'E_VENDOR') {
    super(message, code, 1);
  }
}

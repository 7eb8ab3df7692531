// Typed errors of runner mode (kiln runner register / run / verify / unregister).
import { KilnError } from '../errors.js';

/** The coordinator could not be reached or answered something unusable. */
export class RunnerError extends KilnError {
  constructor(message: string, code = 'E_RUNNER', exitCode = 1) {
    super(message, code, exitCode);
  }
}

/** The coordinator refused the runner token (403 on verify / jobs request). */
export class RunnerForbiddenError extends RunnerError {
  constructor(message: string) {
    super(message, 'E_RUNNER_FORBIDDEN', 1);
  }
}

// The typed error of workspace preparation (snapshot, clones, the snapshot's git index).
import { KilnError } from '../errors.js';

export class WorkspaceError extends KilnError {
  constructor(message: string) {
    super(message, 'E_WORKSPACE', 1);
  }
}

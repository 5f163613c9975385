/**
 * The one error a filter or sort expression can fail with: malformed text, an unknown or forbidden
 * identifier, a limit exceeded. Its message is meant for the client (`Invalid filter: …`), so it
 * names the problem and, for syntax errors, where it is.
 */
export class FilterError extends Error {
  /** 0-based character offset the message points at, when the problem has a place. */
  readonly position: number | undefined;

  constructor(message: string, position?: number) {
    super(message);
    this.name = 'FilterError';
    this.position = position;
  }
}

/** A syntax error at `position`, phrased the same way everywhere. */
export function syntaxError(problem: string, position: number): FilterError {
  return new FilterError(`Invalid filter: ${problem} at position ${position}.`, position);
}

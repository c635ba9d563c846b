/**
 * The message of any thrown value: an `Error`'s `message`, else the value as text. May quote item
 * values: for error texts that go to the caller, not for logs.
 */
export const errorMessage = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

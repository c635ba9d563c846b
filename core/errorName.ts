/**
 * The `name` of a thrown value (`ExpiredIteratorException`, `ThrottlingException`, ...), or `Error`
 * when it has none. Safe to log: never the message, which may quote item values.
 * @example
 * errorName(new TypeError('x')) // 'TypeError'
 * errorName('boom')             // 'Error'
 */
export const errorName = (error: unknown): string =>
  typeof error === 'object' && error !== null && 'name' in error && typeof error.name === 'string'
    ? error.name
    : 'Error';

/**
 * The subset of Lambda event filtering (EventBridge pattern syntax) that dynasync's patterns use,
 * to test them against real stream records without AWS:
 *
 * - a pattern is an object; every field it names must match (AND);
 * - an object value matches the event's nested object at that field;
 * - an array value lists leaf matchers, any of which may match (OR): an exact value (string, number,
 *   boolean, null) or `{ "exists": true | false }`;
 * - a record is delivered when *any* pattern of the mapping matches (OR across filters);
 * - no filters: every record is delivered.
 *
 * Exists matching only applies to leaves: a field that holds an object is not a leaf, so
 * `{ "exists": true }` does not match it, as in Lambda.
 *
 * Anything else (prefix, numeric, anything-but, ...) throws, so a pattern this matcher does not
 * understand cannot pass a test by accident.
 */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isLeaf = (value: unknown): boolean => value !== undefined && !isObject(value);

const matchLeaf = (matcher: unknown, value: unknown): boolean => {
  if (isObject(matcher)) {
    const keys = Object.keys(matcher);
    if (keys.length === 1 && keys[0] === 'exists' && typeof matcher.exists === 'boolean')
      return matcher.exists ? isLeaf(value) : !isLeaf(value);
    throw new Error(`eventFilter: unsupported matcher ${JSON.stringify(matcher)}`);
  }
  if (Array.isArray(value)) return value.some((item) => matchLeaf(matcher, item));
  return matcher === value;
};

const matchObject = (pattern: Record<string, unknown>, event: unknown): boolean =>
  Object.entries(pattern).every(([field, expected]) => {
    const value = isObject(event) ? event[field] : undefined;
    if (Array.isArray(expected)) {
      if (expected.length === 0) throw new Error(`eventFilter: empty matcher list at "${field}"`);
      return expected.some((matcher) => matchLeaf(matcher, value));
    }
    if (isObject(expected)) return matchObject(expected, value);
    throw new Error(
      `eventFilter: a pattern field holds an object or an array, got ${JSON.stringify(expected)}`,
    );
  });

/** True when `event` matches one filter pattern. */
export const matchesPattern = (pattern: Json | object, event: unknown): boolean => {
  if (!isObject(pattern)) throw new Error('eventFilter: a pattern is an object');
  return matchObject(pattern, event);
};

/** True when Lambda would deliver `event` to the function through a mapping with these filter patterns. */
export const delivered = (patterns: readonly object[], event: unknown): boolean =>
  patterns.length === 0 || patterns.some((pattern) => matchesPattern(pattern, event));

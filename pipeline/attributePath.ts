import { ATTRIBUTE_PATH } from '../core/config/pipelineSchema.js';
import { DynasyncError, ErrorCodes } from '../core/errors.js';
import type { AttributeValue, Item } from '../core/types.js';

/** One step of an attribute path. */
export type PathSegment =
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'anyName' }
  | { readonly kind: 'index'; readonly index: number }
  | { readonly kind: 'anyIndex' };

/**
 * Parses `contacts[*].email`, `address.*`, `tags[0]` into segments.
 * @throws DynasyncError `config.invalidField` on a malformed path.
 */
export const parsePath = (path: string): readonly PathSegment[] => {
  if (!ATTRIBUTE_PATH.test(path))
    throw new DynasyncError(ErrorCodes.config.invalidField, `attribute path "${path}" is malformed`, {
      payload: { path },
    });
  const segments: PathSegment[] = [];
  for (const match of path.matchAll(/\[(\d+|\*)\]|([^.[\]]+)/g)) {
    if (match[1] !== undefined)
      segments.push(match[1] === '*' ? { kind: 'anyIndex' } : { kind: 'index', index: Number(match[1]) });
    else segments.push(match[2] === '*' ? { kind: 'anyName' } : { kind: 'name', name: match[2]! });
  }
  return segments;
};

/** Replacement of a matched value: a new value, or `undefined` to remove it. */
export type Rewrite = (value: AttributeValue, at: string) => AttributeValue | undefined;

const rewriteMap = (
  map: Item,
  segments: readonly PathSegment[],
  depth: number,
  at: string,
  fn: Rewrite,
): Item => {
  const segment = segments[depth]!;
  if (segment.kind === 'index' || segment.kind === 'anyIndex') return map;
  const names = segment.kind === 'name' ? [segment.name] : Object.keys(map);
  let out: Record<string, AttributeValue> | undefined;
  for (const name of names) {
    const value = map[name];
    if (value === undefined) continue;
    const next = rewriteValue(value, segments, depth + 1, at === '' ? name : `${at}.${name}`, fn);
    if (next === value) continue;
    out ??= { ...map };
    if (next === undefined) delete out[name];
    else out[name] = next;
  }
  return out ?? map;
};

const rewriteValue = (
  value: AttributeValue,
  segments: readonly PathSegment[],
  depth: number,
  at: string,
  fn: Rewrite,
): AttributeValue | undefined => {
  if (depth === segments.length) return fn(value, at);
  const segment = segments[depth]!;
  if ('M' in value) {
    const next = rewriteMap(value.M, segments, depth, at, fn);
    return next === value.M ? value : { M: next };
  }
  if ('L' in value && (segment.kind === 'index' || segment.kind === 'anyIndex')) {
    const indexes = segment.kind === 'index' ? [segment.index] : value.L.map((_, index) => index);
    let out: Array<AttributeValue | undefined> | undefined;
    for (const index of indexes) {
      const element = value.L[index];
      if (element === undefined) continue;
      const next = rewriteValue(element, segments, depth + 1, `${at}[${index}]`, fn);
      if (next === element) continue;
      out ??= [...value.L];
      out[index] = next;
    }
    return out === undefined ? value : { L: out.filter((element) => element !== undefined) };
  }
  return value;
};

/**
 * Rewrites every value an attribute path matches, immutably: unmatched attributes keep their
 * identity, and an item with no match is returned as it is. `fn` returning `undefined` removes the
 * attribute (or the list element).
 */
export const rewritePath = (item: Item, segments: readonly PathSegment[], fn: Rewrite): Item =>
  rewriteMap(item, segments, 0, '', fn);

/** The values an attribute path matches (for filter conditions). */
export const valuesAt = (item: Item, segments: readonly PathSegment[]): AttributeValue[] => {
  const found: AttributeValue[] = [];
  rewritePath(item, segments, (value) => {
    found.push(value);
    return value;
  });
  return found;
};

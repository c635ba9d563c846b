import { DynasyncError, ErrorCodes } from './errors.js';
import { assertValidNumber, canonicalNumber } from './number.js';
import type { AttributeValue, Item, WireAttributeValue, WireItem } from './types.js';

/**
 * How deep maps and lists may nest inside an item: DynamoDB's limit is 32 levels and counts the item
 * itself as the first, so at most 31 containers (measured against DynamoDB Local: 31 nested maps or
 * lists are accepted, 32 are rejected with "Nesting Levels have exceeded supported limits").
 *
 * ```
 * item ─ a:{M} ─ a:{M} ─ … ─ a:{M} (31st) ─ a:{S}    accepted
 * item ─ a:{M} ─ a:{M} ─ … ─ a:{M} (32nd)            rejected, even when empty
 * ```
 */
export const MAX_DEPTH = 31;

const TYPE_TAGS = ['S', 'N', 'B', 'SS', 'NS', 'BS', 'M', 'L', 'NULL', 'BOOL'] as const;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const invalid = (path: string, reason: string): DynasyncError =>
  new DynasyncError(ErrorCodes.codec.invalidValue, `${path}: ${reason}`, { payload: { path } });

const tooDeep = (path: string): DynasyncError =>
  invalid(
    path,
    `maps and lists nested more than ${MAX_DEPTH} deep; DynamoDB allows 32 levels, the item counting as one`,
  );

const childPath = (path: string, name: string): string => (path === '' ? name : `${path}.${name}`);

const decodeBinary = (value: unknown, path: string): Uint8Array => {
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (typeof value === 'string') {
    if (!BASE64.test(value)) throw invalid(path, 'binary must be base64 text or bytes');
    return new Uint8Array(Buffer.from(value, 'base64'));
  }
  throw invalid(path, 'binary must be base64 text or bytes');
};

const stringList = (value: unknown, path: string, tag: string): string[] => {
  if (!Array.isArray(value)) throw invalid(path, `${tag} must be a list of strings`);
  for (const member of value) {
    if (typeof member !== 'string') throw invalid(path, `${tag} must be a list of strings`);
  }
  if (value.length === 0) {
    throw new DynasyncError(
      ErrorCodes.codec.emptySet,
      `${path}: empty ${tag}; DynamoDB sets need at least one member (remove the attribute instead)`,
      {
        payload: { path },
      },
    );
  }
  return value as string[];
};

const assertUnique = (keys: readonly string[], path: string, tag: string): void => {
  if (new Set(keys).size !== keys.length) {
    throw new DynasyncError(
      ErrorCodes.codec.duplicateSetMember,
      `${path}: ${tag} holds the same member twice; DynamoDB rejects it`,
      {
        payload: { path },
      },
    );
  }
};

/**
 * Decodes one AttributeValue from a Lambda event, a stream API response, a file or an SDK call,
 * checking every DynamoDB rule. Numbers stay strings, binary becomes `Uint8Array`.
 * @throws DynasyncError `codec.*` with the dotted attribute path at fault.
 */
export const decodeAttributeValue = (value: unknown, path: string, depth = 0): AttributeValue => {
  if (depth > MAX_DEPTH) throw tooDeep(path);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(path, 'expected an AttributeValue object such as {"S":"text"}');
  }
  const tags = Object.keys(value).filter((tag) => (value as Record<string, unknown>)[tag] !== undefined);
  const [tag] = tags;
  if (tags.length !== 1 || tag === undefined || !(TYPE_TAGS as readonly string[]).includes(tag)) {
    throw invalid(
      path,
      `expected exactly one of ${TYPE_TAGS.join(', ')}; found ${tags.length === 0 ? 'none' : tags.join(', ')}`,
    );
  }
  const inner = (value as Record<string, unknown>)[tag];
  switch (tag) {
    case 'S':
      if (typeof inner !== 'string') throw invalid(path, 'S must be a string');
      return { S: inner };
    case 'N':
      if (typeof inner !== 'string') {
        throw new DynasyncError(
          ErrorCodes.codec.invalidNumber,
          `${path}: N must be a decimal string such as "12.5", never a JS number`,
          {
            payload: { path },
          },
        );
      }
      return { N: assertValidNumber(inner, path) };
    case 'B':
      return { B: decodeBinary(inner, path) };
    case 'SS': {
      const members = stringList(inner, path, 'SS');
      assertUnique(members, path, 'SS');
      return { SS: [...members] };
    }
    case 'NS': {
      const members = stringList(inner, path, 'NS');
      for (const [index, member] of members.entries()) assertValidNumber(member, `${path}[${index}]`);
      assertUnique(members.map(canonicalNumber), path, 'NS');
      return { NS: [...members] };
    }
    case 'BS': {
      if (!Array.isArray(inner)) throw invalid(path, 'BS must be a list of binaries');
      if (inner.length === 0) {
        throw new DynasyncError(
          ErrorCodes.codec.emptySet,
          `${path}: BS must be a non-empty list of binaries`,
          { payload: { path } },
        );
      }
      const members = inner.map((member: unknown, index) => decodeBinary(member, `${path}[${index}]`));
      assertUnique(
        members.map((member) => Buffer.from(member).toString('base64')),
        path,
        'BS',
      );
      return { BS: members };
    }
    case 'M':
      if (depth >= MAX_DEPTH) throw tooDeep(path);
      if (typeof inner !== 'object' || inner === null || Array.isArray(inner))
        throw invalid(path, 'M must be a map');
      return { M: decodeMap(inner as Record<string, unknown>, path, depth + 1) };
    case 'L':
      if (depth >= MAX_DEPTH) throw tooDeep(path);
      if (!Array.isArray(inner)) throw invalid(path, 'L must be a list');
      return {
        L: inner.map((member: unknown, index) =>
          decodeAttributeValue(member, `${path}[${index}]`, depth + 1),
        ),
      };
    case 'NULL':
      if (inner !== true) throw invalid(path, 'NULL must be true');
      return { NULL: true };
    default:
      if (typeof inner !== 'boolean') throw invalid(path, 'BOOL must be true or false');
      return { BOOL: inner };
  }
};

const decodeMap = (value: Record<string, unknown>, path: string, depth: number): Item => {
  // Object.fromEntries, not item[name] = …: an attribute may be called "__proto__".
  return Object.fromEntries(
    Object.entries(value).map(([name, member]) => {
      if (name === '') throw invalid(path, 'attribute names must not be empty');
      return [name, decodeAttributeValue(member, childPath(path, name), depth)];
    }),
  );
};

/**
 * Decodes and validates a whole item (or key) from any of its forms.
 * @param where prefix for error paths, e.g. `NewImage`.
 * @example
 * decodeItem({ pk: { S: 'a' }, n: { N: '12345678901234567890123456789012345678' } }, 'NewImage')
 */
export const decodeItem = (value: unknown, where = ''): Item => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(where || 'item', 'expected a map of attribute names to AttributeValues');
  }
  return decodeMap(value as Record<string, unknown>, where, 0);
};

/** Encodes one AttributeValue to its JSON wire form (binary as base64). Exact: numbers are untouched. */
export const encodeAttributeValue = (value: AttributeValue): WireAttributeValue => {
  if ('S' in value) return { S: value.S };
  if ('N' in value) return { N: value.N };
  if ('B' in value) return { B: Buffer.from(value.B).toString('base64') };
  if ('SS' in value) return { SS: [...value.SS] };
  if ('NS' in value) return { NS: [...value.NS] };
  if ('BS' in value) return { BS: value.BS.map((member) => Buffer.from(member).toString('base64')) };
  if ('M' in value) return { M: encodeItem(value.M) };
  if ('L' in value) return { L: value.L.map(encodeAttributeValue) };
  if ('NULL' in value) return { NULL: true };
  return { BOOL: value.BOOL };
};

/** Encodes an item to its JSON wire form, e.g. for a dead-letter file or a checkpoint. */
export const encodeItem = (item: Item): WireItem =>
  Object.fromEntries(Object.entries(item).map(([name, value]) => [name, encodeAttributeValue(value)]));

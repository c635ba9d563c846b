import { canonicalNumber } from './number.js';
import type { Item } from './types.js';

/**
 * Canonical text of a key: attribute names sorted, numbers by value (`1.0` and `1` are the same
 * DynamoDB key), binary as base64. Equal keys give equal texts.
 */
export const keyIdOf = (keys: Item): string =>
  JSON.stringify(
    Object.keys(keys)
      .sort()
      .map((name) => {
        const value = keys[name]!;
        if ('S' in value) return [name, 'S', value.S];
        if ('N' in value) return [name, 'N', canonicalNumber(value.N)];
        if ('B' in value) return [name, 'B', Buffer.from(value.B).toString('base64')];
        return [name, '?', JSON.stringify(value)];
      }),
  );

import { canonicalNumber } from '../../core/number.js';
import type { Item } from '../../core/types.js';

/** Canonical text of a key: equal keys (numbers by value) give equal texts. */
export const keyText = (key: Item): string =>
  JSON.stringify(
    Object.keys(key)
      .sort()
      .map((name) => {
        const value = key[name]!;
        if ('S' in value) return [name, 'S', value.S];
        if ('N' in value) return [name, 'N', canonicalNumber(value.N)];
        if ('B' in value) return [name, 'B', Buffer.from(value.B).toString('base64')];
        return [name, '?', JSON.stringify(value)];
      }),
  );

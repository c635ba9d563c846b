import type { MergeNames } from '../../../conflict/merge/types.js';
import type { Item } from '../../../core/types.js';

/**
 * What a conditional merge put expects to find at the peer: the stored item's vector clock and
 * version (either may be missing), or no item at all (`'absent'`).
 */
export type Expectation =
  | { readonly clock: string | undefined; readonly version: string | undefined }
  | 'absent';

/** The {@link Expectation} of a put made on `item` (the stored item, or the source's old image). */
export const expectationOf = (item: Item | undefined, names: MergeNames): Expectation => {
  if (item === undefined) return 'absent';
  const clock = item[names.clock];
  const version = item[names.version];
  return {
    clock: clock !== undefined && 'S' in clock ? clock.S : undefined,
    version: version !== undefined && 'S' in version ? version.S : undefined,
  };
};

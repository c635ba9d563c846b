import { DynasyncError, ErrorCodes } from '../../../core/errors.js';
import { decryptText } from '../../../pipeline/maskingCrypto.js';
import type { KeyProvider } from '../../../pipeline/types.js';
import type { DeadLetter } from '../../deadLetter/types.js';

/**
 * Opens a sealed record.
 * @throws DynasyncError `pipeline.decryptFailed` naming the letter when it does not open (tampered,
 *   another key) or does not hold a record.
 */
export const openSealed = async (
  id: string,
  sealed: string,
  keys: KeyProvider,
): Promise<DeadLetter['record']> => {
  const text = decryptText(sealed, await keys.resolve());
  try {
    const record = JSON.parse(text) as unknown;
    if (typeof record !== 'object' || record === null) throw new Error('not an object');
    return record as DeadLetter['record'];
  } catch (cause) {
    throw new DynasyncError(
      ErrorCodes.pipeline.decryptFailed,
      `the sealed record of letter ${id} opens, but holds no stream record`,
      { payload: { letter: id }, cause },
    );
  }
};

import { decodeItem } from '../../core/codec.js';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import { itemSize, MAX_ITEM_BYTES } from '../../core/itemSize.js';
import type { AttributeValue, Item } from '../../core/types.js';
import { METADATA_MARGIN_BYTES } from '../constants.js';

const typeOf = (value: AttributeValue): string => Object.keys(value)[0] ?? '?';

/**
 * Checks one output item: valid AttributeValues (when a map stage could have made anything), the
 * target's key attributes present as non-empty S, N or B of the input's type, and the 400 KB limit
 * with room for dynasync's metadata. Messages name attributes and sizes, never values.
 */
export const checkOutput = (
  output: unknown,
  input: Item,
  targetKey: readonly string[],
  peer: string,
  validate: boolean,
): Item => {
  let item: Item;
  if (validate) {
    try {
      item = decodeItem(output, 'output');
    } catch (cause) {
      const path = cause instanceof DynasyncError ? String(cause.payload.path ?? 'output') : 'output';
      throw new DynasyncError(
        ErrorCodes.pipelineInvalidOutput,
        `pipeline for ${peer}: a map stage returned an invalid item at ${path} (${cause instanceof DynasyncError ? cause.code : 'not an item'})`,
        { payload: { peer, path } },
      );
    }
  } else item = output as Item;
  for (const name of targetKey) {
    const value = item[name];
    const problem =
      value === undefined
        ? 'is missing'
        : !('S' in value || 'N' in value || 'B' in value)
          ? `is of type ${typeOf(value)}, not S, N or B`
          : ('S' in value && value.S === '') || ('B' in value && value.B.length === 0)
            ? 'is empty'
            : input[name] !== undefined && typeOf(input[name]!) !== typeOf(value)
              ? `changed type from ${typeOf(input[name]!)} to ${typeOf(value)}`
              : undefined;
    if (problem !== undefined)
      throw new DynasyncError(
        ErrorCodes.pipelineKeySchema,
        `pipeline for ${peer}: key attribute "${name}" of the output ${problem}; the target table's key is (${targetKey.join(', ')})`,
        { payload: { peer, attribute: name } },
      );
  }
  const size = itemSize(item);
  if (size + METADATA_MARGIN_BYTES > MAX_ITEM_BYTES)
    throw new DynasyncError(
      ErrorCodes.pipelineItemTooLarge,
      `pipeline for ${peer}: the output item is ${size} bytes; with dynasync's metadata it would exceed DynamoDB's ${MAX_ITEM_BYTES}. Drop or shorten attributes for this peer`,
      { payload: { peer, size } },
    );
  return item;
};

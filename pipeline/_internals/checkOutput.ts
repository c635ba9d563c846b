import { decodeItem } from '../../core/codec.js';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import { itemSize, MAX_ITEM_BYTES } from '../../core/itemSize.js';
import type { AttributeValue, Item } from '../../core/types.js';
import { METADATA_MARGIN_BYTES } from '../constants.js';

const typeOf = (value: AttributeValue): string => Object.keys(value)[0] ?? '?';

/** An upper bound of `attributeValueSize`: no UTF-8 encoding, no number parsing. */
const valueSizeBound = (value: AttributeValue): number => {
  // A UTF-16 code unit is at most 3 bytes of UTF-8 (a surrogate pair, 2 units, is 4).
  if ('S' in value) return 3 * value.S.length;
  // ceil(digits / 2) + 1, and the significant digits are never more than the characters.
  if ('N' in value) return value.N.length + 1;
  if ('B' in value) return value.B.byteLength;
  let sum = 0;
  if ('SS' in value) for (const member of value.SS) sum += 3 * member.length;
  else if ('NS' in value) for (const member of value.NS) sum += member.length + 1;
  else if ('BS' in value) for (const member of value.BS) sum += member.byteLength;
  else if ('M' in value) {
    sum = 3;
    for (const name of Object.keys(value.M)) sum += 3 * name.length + valueSizeBound(value.M[name]!) + 1;
  } else if ('L' in value) {
    sum = 3;
    for (const member of value.L) sum += valueSizeBound(member) + 1;
  } else sum = 1;
  return sum;
};

/**
 * An upper bound of {@link itemSize}, several times cheaper: when it is below the limit (nearly
 * always, by far), the exact size need not be computed.
 */
export const itemSizeBound = (item: Item): number => {
  let sum = 0;
  for (const name of Object.keys(item)) sum += 3 * name.length + valueSizeBound(item[name]!);
  return sum;
};

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
        ErrorCodes.pipeline.invalidOutput,
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
        ErrorCodes.pipeline.keySchemaViolation,
        `pipeline for ${peer}: key attribute "${name}" of the output ${problem}; the target table's key is (${targetKey.join(', ')})`,
        { payload: { peer, attribute: name } },
      );
  }
  if (itemSizeBound(item) + METADATA_MARGIN_BYTES <= MAX_ITEM_BYTES) return item;
  const size = itemSize(item);
  if (size + METADATA_MARGIN_BYTES > MAX_ITEM_BYTES)
    throw new DynasyncError(
      ErrorCodes.pipeline.itemTooLarge,
      `pipeline for ${peer}: the output item is ${size} bytes; with dynasync's metadata it would exceed DynamoDB's ${MAX_ITEM_BYTES}. Drop or shorten attributes for this peer`,
      { payload: { peer, size } },
    );
  return item;
};

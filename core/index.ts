export { decodeAttributeValue, decodeItem, encodeAttributeValue, encodeItem, MAX_DEPTH } from './codec.js';
export * from './config/index.js';
export { attributeValuesEqual, differingAttributes, itemsEqual } from './equality.js';
export type {
  AreaErrorCode,
  ErrorArea,
  ErrorCode,
  ErrorCodePrefix,
  ErrorPayload,
  MatchedErrorCode,
} from './errors.js';
export { DynasyncError, ErrorCodes, isDynasyncError } from './errors.js';
export { attributeValueSize, itemSize, MAX_ITEM_BYTES } from './itemSize.js';
export type { ParsedNumber } from './number.js';
export { assertValidNumber, canonicalNumber, parseNumber } from './number.js';
export type { AttributeValue, Item, WireAttributeValue, WireItem } from './types.js';

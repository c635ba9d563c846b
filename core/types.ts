/**
 * A DynamoDB AttributeValue, structurally the same as the SDK's `AttributeValue`
 * but with no dependency on `@aws-sdk/*`, so the pure folders (`conflict/`, `pipeline/`)
 * can use it. Numbers are decimal strings and are never converted to JS `number`;
 * binary is always a `Uint8Array` in memory (base64 only on the wire).
 */
export type AttributeValue =
  | { readonly S: string }
  | { readonly N: string }
  | { readonly B: Uint8Array }
  | { readonly SS: readonly string[] }
  | { readonly NS: readonly string[] }
  | { readonly BS: readonly Uint8Array[] }
  | { readonly M: Item }
  | { readonly L: readonly AttributeValue[] }
  | { readonly NULL: true }
  | { readonly BOOL: boolean };

/** An item (or key): attribute name to value. */
export type Item = { readonly [name: string]: AttributeValue };

/** The JSON wire form of an AttributeValue: as in a Lambda event, binary as base64 strings. */
export type WireAttributeValue =
  | { S: string }
  | { N: string }
  | { B: string }
  | { SS: string[] }
  | { NS: string[] }
  | { BS: string[] }
  | { M: WireItem }
  | { L: WireAttributeValue[] }
  | { NULL: true }
  | { BOOL: boolean };

/** An item in its JSON wire form. */
export type WireItem = { [name: string]: WireAttributeValue };

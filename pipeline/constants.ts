/** Stage types of a pipeline. */
export const StageTypes = { filter: 'filter', mask: 'mask', map: 'map' } as const;

/** Masking actions. Only `tokenize` and `hash` may touch key attributes (deterministic and injective). */
export const MaskActions = {
  drop: 'drop',
  redact: 'redact',
  hash: 'hash',
  tokenize: 'tokenize',
  encrypt: 'encrypt',
  partial: 'partial',
} as const;
export type MaskAction = (typeof MaskActions)[keyof typeof MaskActions];

/** Formats of masked values (version 1). */
export const MaskFormats = {
  /** Prefix of a string token: `tk1_` + base64url(HMAC-SHA-256), 47 characters. */
  tokenPrefix: 'tk1_',
  /** Prefix of a string hash: `h1_` + base64url(SHA-256(salt ‖ value)), 46 characters. */
  hashPrefix: 'h1_',
  /** Prefix of a ciphertext: `dsenc1.<key id>.<base64url(iv ‖ ciphertext ‖ tag)>`. */
  cipherPrefix: 'dsenc1',
  /** Marker that replaces redacted strings. */
  defaultRedactMarker: '[REDACTED]',
} as const;

/** Room kept for dynasync's metadata when checking an output item against DynamoDB's 400 KB. */
export const METADATA_MARGIN_BYTES = 128;

import { decodeAttributeValue, encodeAttributeValue } from '../../core/codec.js';
import type { Config } from '../../core/config/types.js';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import { createKeyProvider } from '../../keys/createKeyProvider.js';
import { createMaskingCrypto } from '../../pipeline/maskingCrypto.js';
import { maskValue } from '../../pipeline/maskValue.js';
import type { KeyProvider } from '../../pipeline/types.js';

/** Options of {@link runTokenize}. */
export interface TokenizeOptions {
  readonly config: Config;
  /** The region whose key provider to use (every region computes the same tokens). */
  readonly region: string;
  /** The clear value as DynamoDB JSON (`{"S":"ada@example.com"}`), or a bare string taken as `S`. */
  readonly value: string;
  /** @default the provider the config's `keys` asks for */
  readonly keys?: KeyProvider;
  /** @default process.stdout */
  readonly print?: (line: string) => void;
}

/**
 * `dynasync tokenize`: the token the `tokenize` action gives a value, for lookups and joins on a
 * masked replica (find the item of `ada@example.com` by its token). Prints it as DynamoDB JSON.
 * @example
 * await runTokenize({ config, region: 'us-east-1', value: 'ada@example.com' }); // {"S":"tk1_…"}
 */
export const runTokenize = async (options: TokenizeOptions): Promise<void> => {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  let parsed: unknown;
  try {
    parsed = options.value.trim().startsWith('{') ? JSON.parse(options.value) : { S: options.value };
  } catch {
    throw new DynasyncError(
      ErrorCodes.config.invalidField,
      'dynasync tokenize: the value is neither DynamoDB JSON (like {"S":"…"}) nor a plain string',
      {},
    );
  }
  const value = decodeAttributeValue(parsed, 'value');
  const ring = await (options.keys ?? createKeyProvider(options.config, options.region)).resolve();
  const token = maskValue(
    value,
    { action: 'tokenize' },
    { crypto: createMaskingCrypto(ring), hashSalt: '' },
  )!;
  print(JSON.stringify(encodeAttributeValue(token)));
};

import { readFileSync } from 'node:fs';
import { DynasyncError, ErrorCodes } from '../core/errors.js';
import { createKeyRing } from '../pipeline/maskingCrypto.js';
import type { KeyProvider, KeyRing } from '../pipeline/types.js';

/** Environment variable the local key provider reads when the config names no file or variable. */
export const DEFAULT_KEY_ENV = 'DYNASYNC_MASKING_KEY';

/** Where one local key is: a file or an environment variable holding 32 bytes as base64 or hex. */
export type LocalKeySource = { readonly file: string } | { readonly env: string };

/** Options of {@link LocalKeyProvider}. */
export interface LocalKeyProviderProps {
  /** The current key. */
  readonly source: LocalKeySource;
  /** Older keys: they only decrypt. @default [] */
  readonly previous?: readonly LocalKeySource[];
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

const describe = (source: LocalKeySource): string =>
  'file' in source ? `file ${source.file}` : `environment variable ${source.env}`;

/**
 * Parses key text: 64 hex digits or base64 of 32 bytes (surrounding whitespace ignored).
 * @throws DynasyncError `pipeline.keyUnavailable` (the message never quotes the text).
 */
export const parseKeyText = (text: string, where: string): Uint8Array => {
  const trimmed = text.trim();
  const bytes = /^[0-9a-fA-F]{64}$/.test(trimmed)
    ? Buffer.from(trimmed, 'hex')
    : /^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)
      ? Buffer.from(trimmed, trimmed.includes('-') || trimmed.includes('_') ? 'base64url' : 'base64')
      : undefined;
  if (bytes === undefined || bytes.length !== 32)
    throw new DynasyncError(
      ErrorCodes.pipeline.keyUnavailable,
      `the masking key in ${where} is not 32 bytes as base64 or 64 hex digits; make one with "openssl rand -base64 32"`,
      { payload: { where } },
    );
  return new Uint8Array(bytes);
};

/**
 * Masking keys from a file or an environment variable, for `dynasync run`, the demo and tests: no
 * AWS account needed. Every region must be given the same key to compute the same tokens.
 * @example
 * const keys = new LocalKeyProvider({ source: { file: '.dynasync/masking.key' } });
 */
export class LocalKeyProvider implements KeyProvider {
  readonly #props: LocalKeyProviderProps;
  #ring: KeyRing | undefined;

  public constructor(props: LocalKeyProviderProps) {
    this.#props = props;
  }

  #read(source: LocalKeySource): Uint8Array {
    const env = this.#props.env ?? process.env;
    let text: string | undefined;
    if ('file' in source) {
      try {
        text = readFileSync(source.file, 'utf8');
      } catch (cause) {
        throw new DynasyncError(
          ErrorCodes.pipeline.keyUnavailable,
          `cannot read the masking key file ${source.file} (${(cause as NodeJS.ErrnoException).code ?? 'error'})`,
          { payload: { file: source.file } },
        );
      }
    } else {
      text = env[source.env];
      if (text === undefined || text.trim() === '')
        throw new DynasyncError(
          ErrorCodes.pipeline.keyUnavailable,
          `environment variable ${source.env} holds no masking key; set it to 32 random bytes as base64 ("openssl rand -base64 32")`,
          { payload: { env: source.env } },
        );
    }
    return parseKeyText(text, describe(source));
  }

  /** Reads the keys once; later calls return the same ring. */
  public async resolve(): Promise<KeyRing> {
    this.#ring ??= createKeyRing(
      this.#read(this.#props.source),
      (this.#props.previous ?? []).map((source) => this.#read(source)),
    );
    return this.#ring;
  }
}

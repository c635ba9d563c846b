import { DecryptCommand, type KMSClient } from '@aws-sdk/client-kms';
import { DynasyncError, ErrorCodes } from '../core/errors.js';
import { createKeyRing } from '../pipeline/maskingCrypto.js';
import type { KeyProvider, KeyRing } from '../pipeline/types.js';

/** Options of {@link KmsKeyProvider}. */
export interface KmsKeyProviderProps {
  /** An injected KMS client (region and credentials are its business). */
  readonly client: KMSClient;
  /** The KMS key (ARN or alias) the data key is encrypted under; KMS checks it matches. */
  readonly keyId: string;
  /** Base64 ciphertext of the 256-bit data key (`GenerateDataKey(WithoutPlaintext)` output). */
  readonly dataKeyCiphertext: string;
  /** Encryption context the data key was made with. @default {} */
  readonly encryptionContext?: Readonly<Record<string, string>>;
  /** Ciphertexts of older data keys (decrypt only). @default [] */
  readonly previous?: readonly string[];
}

/**
 * Masking keys protected by KMS: the data key's ciphertext is decrypted once (per cold start) and
 * the plaintext kept in memory only. With a multi-Region key every region decrypts the same
 * ciphertext to the same data key, so every region computes the same tokens.
 *
 * The key id recorded with every dynasync ciphertext is a fingerprint of the data key (not the KMS
 * key ARN, which differs between a multi-Region key's copies).
 */
export class KmsKeyProvider implements KeyProvider {
  readonly #props: KmsKeyProviderProps;
  #ring: Promise<KeyRing> | undefined;

  public constructor(props: KmsKeyProviderProps) {
    this.#props = props;
  }

  async #decrypt(ciphertext: string, which: string): Promise<Uint8Array> {
    const { client, keyId, encryptionContext } = this.#props;
    try {
      const out = await client.send(
        new DecryptCommand({
          KeyId: keyId,
          CiphertextBlob: Buffer.from(ciphertext, 'base64'),
          ...(encryptionContext === undefined ? {} : { EncryptionContext: { ...encryptionContext } }),
        }),
      );
      if (out.Plaintext === undefined) throw new Error('KMS returned no plaintext');
      return out.Plaintext;
    } catch (cause) {
      throw new DynasyncError(
        ErrorCodes.pipeline.keyUnavailable,
        `KMS could not decrypt the ${which} data key with ${keyId} (${cause instanceof Error ? cause.name : 'error'}); check kms:Decrypt on the key and the encryption context`,
        { payload: { keyId, which }, cause },
      );
    }
  }

  /** Decrypts the data keys on first use; later calls share the result. A failure is not cached. */
  public resolve(): Promise<KeyRing> {
    if (this.#ring === undefined) {
      const ring = (async () => {
        const current = await this.#decrypt(this.#props.dataKeyCiphertext, 'current');
        const previous = await Promise.all(
          (this.#props.previous ?? []).map((ciphertext, index) =>
            this.#decrypt(ciphertext, `previous[${index}]`),
          ),
        );
        return createKeyRing(current, previous);
      })();
      this.#ring = ring;
      ring.catch(() => {
        if (this.#ring === ring) this.#ring = undefined;
      });
    }
    return this.#ring;
  }
}

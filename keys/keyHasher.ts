import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../core/config/types.js';
import { DynasyncError, ErrorCodes } from '../core/errors.js';
import { writePrivateFile } from '../core/privateFile.js';
import type { KeyProvider } from '../pipeline/types.js';
import { createKeyProvider } from './createKeyProvider.js';

/**
 * The `keyHash` of a canonical key text, as audits, logs, errors and `verify` show it: the first 12
 * hex digits of HMAC-SHA-256 under the deployment's key-hash key. Without that key it cannot be
 * reversed by hashing guessed keys (an unsalted hash of an email can be).
 */
export type KeyHasher = (keyId: string) => string;

/** The salt file's name, under `replicator.checkpointDir`, for deployments without a masking key. */
export const KEY_HASH_SALT_FILE = 'key-hash.salt';

/** A hasher under secret material: the HMAC key is derived with HKDF-SHA-256 (info `dynasync/key-hash/v1`). */
export const keyHasherOf = (material: Uint8Array): KeyHasher => {
  const key = Buffer.from(hkdfSync('sha256', material, 'dynasync', 'dynasync/key-hash/v1', 32));
  return (keyId) => createHmac('sha256', key).update(keyId, 'utf8').digest('hex').slice(0, 12);
};

/**
 * A hasher under a random key of this process only: hashes are stable within the process, not
 * across runs. For when no deployment key can be had (no masking key, no writable state folder).
 */
export const processKeyHasher = (): KeyHasher => keyHasherOf(randomBytes(32));

const saltOf = (text: string, path: string): Buffer => {
  const salt = Buffer.from(text.trim(), 'base64');
  if (salt.length !== 32)
    throw new DynasyncError(
      ErrorCodes.config.invalidField,
      `the key-hash salt ${path} does not hold 32 bytes as base64; remove it and a new one is made (key hashes then change)`,
      { payload: { file: path } },
    );
  return salt;
};

/**
 * Reads the local key-hash salt, creating it on first use: 32 random bytes, base64, mode 0600. Two
 * processes creating it at once agree: the salt is written to a temporary file and linked into
 * place, which fails for the second, who reads the first's.
 */
export const readOrCreateSalt = async (path: string, dir: string): Promise<Buffer> => {
  try {
    return saltOf(await readFile(path, 'utf8'), path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dir, { recursive: true });
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writePrivateFile(temporary, `${randomBytes(32).toString('base64')}\n`, { flush: true });
    await link(temporary, path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  } finally {
    await rm(temporary, { force: true });
  }
  return saltOf(await readFile(path, 'utf8'), path);
};

/** Where {@link resolveKeyHasher} finds its key. */
export interface KeyHasherSetup {
  /** The masking keys. @default the provider the config's `keys` asks for, when it has `keys` */
  readonly keys?: KeyProvider;
  /** Folder of the salt file. @default `replicator.checkpointDir` */
  readonly saltDir?: string;
}

/**
 * The deployment's key hasher: under the masking key where the config has one (every region holds
 * the same data key, so every region computes the same hashes), else under a local salt file
 * (`<replicator.checkpointDir>/key-hash.salt`, mode 0600, created on first use).
 * @throws DynasyncError when the masking key cannot be had, or the salt file is not one.
 */
export const resolveKeyHasher = async (
  config: Pick<Config, 'keys' | 'regions' | 'name' | 'replicator'>,
  region: string,
  setup: KeyHasherSetup = {},
): Promise<KeyHasher> => {
  if (setup.keys !== undefined || config.keys !== undefined) {
    const ring = await (setup.keys ?? createKeyProvider(config, region)).resolve();
    return keyHasherOf(ring.current.material);
  }
  const dir = setup.saltDir ?? config.replicator.checkpointDir;
  return keyHasherOf(await readOrCreateSalt(join(dir, KEY_HASH_SALT_FILE), dir));
};

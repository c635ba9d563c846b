import { dirname, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Item } from '../../core/types.js';
import type { KeyHasher } from '../../keys/keyHasher.js';
import { canonicalKeyId } from '../verify/digest.js';
import type { MigrateTransform } from './deriveChange.js';
import { MigrateErrorCodes, migrateError } from './errors.js';

/** What a transform module exports. */
export interface TransformModule {
  /** One legacy item → the items of the new model (numbers stay strings, binary `Uint8Array`). */
  readonly transform: MigrateTransform;
  /** Optional: the legacy key an item of the new model came from (verify re-reads it). */
  readonly sourceKeyOf?: (targetKey: Item) => Item | undefined;
}

/**
 * Loads the user's transform module: `migrate.transform`, relative to the config file. It must export
 * `transform(oldItem) → newItems[]` (named or as the default export's `transform`), and may export
 * `sourceKeyOf(targetKey) → legacyKey`.
 * @throws DynasyncError `migrate.transformLoadFailed` naming the path and what is missing.
 * @example
 * const { transform } = await loadTransform('./transform.mjs', '/etc/dynasync/dynasync.json');
 */
export const loadTransform = async (modulePath: string, configFile: string): Promise<TransformModule> => {
  const path = isAbsolute(modulePath) ? modulePath : resolve(dirname(resolve(configFile)), modulePath);
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (cause) {
    throw migrateError(
      MigrateErrorCodes.transformLoadFailed,
      `migrate: cannot load the transform module ${path} (${(cause as Error).message}); migrate.transform is relative to the config file`,
      { path },
      cause,
    );
  }
  const source = (typeof loaded.transform === 'function' ? loaded : loaded.default) as
    | Record<string, unknown>
    | undefined;
  if (typeof source?.transform !== 'function')
    throw migrateError(
      MigrateErrorCodes.transformLoadFailed,
      `migrate: ${path} exports no function "transform"; export function transform(oldItem) { return [newItem, …]; }`,
      { path },
    );
  return {
    transform: source.transform as MigrateTransform,
    ...(typeof source.sourceKeyOf === 'function'
      ? { sourceKeyOf: source.sourceKeyOf as (targetKey: Item) => Item | undefined }
      : {}),
  };
};

/**
 * Wraps a transform so that a throw, or an output that is not a list of items holding every key
 * attribute of the target, is a clear `migrate.transformFailed` naming the source key's hash (never values).
 */
export const checkedTransform =
  (
    transform: MigrateTransform,
    sourceKeyNames: readonly string[],
    targetKeyNames: readonly string[],
    keyHashOf: KeyHasher,
  ): MigrateTransform =>
  (item) => {
    const where = () => keyHashOf(canonicalKeyId(item, sourceKeyNames));
    let outputs: readonly Item[];
    try {
      outputs = transform(item);
    } catch (cause) {
      throw migrateError(
        MigrateErrorCodes.transformFailed,
        `migrate: the transform threw for the source item with key hash ${where()}: ${(cause as Error).message}`,
        { keyHash: where() },
        cause,
      );
    }
    if (!Array.isArray(outputs))
      throw migrateError(
        MigrateErrorCodes.transformFailed,
        `migrate: the transform must return a list of items (key hash ${where()})`,
        {
          keyHash: where(),
        },
      );
    for (const output of outputs)
      for (const name of targetKeyNames)
        if (typeof output !== 'object' || output === null || output[name] === undefined)
          throw migrateError(
            MigrateErrorCodes.transformFailed,
            `migrate: an item the transform returned lacks the target key attribute "${name}" (source key hash ${where()})`,
            { keyHash: where(), attribute: name },
          );
    return outputs;
  };

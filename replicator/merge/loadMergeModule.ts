import { pathToFileURL } from 'node:url';
import type { MergeFunction } from '../../conflict/merge/types.js';
import type { Config } from '../../core/config/types.js';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';

/**
 * Imports a user merge module (`conflict.module`) and returns its `merge` export.
 * @throws DynasyncError `conflict.invalidMergeModule` when the module cannot be imported or exports no `merge` function.
 */
export const loadMergeModule = async (path: string): Promise<MergeFunction> => {
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (cause) {
    throw new DynasyncError(
      ErrorCodes.conflict.invalidMergeModule,
      `cannot import merge module ${path}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { payload: { path: 'conflict.module', module: path }, cause },
    );
  }
  const merge = loaded.merge ?? (loaded.default as Record<string, unknown> | undefined)?.merge;
  if (typeof merge !== 'function')
    throw new DynasyncError(
      ErrorCodes.conflict.invalidMergeModule,
      `merge module ${path} exports no function "merge"; export merge(local, remote, context) returning the merged item`,
      { payload: { path: 'conflict.module', module: path } },
    );
  return merge as MergeFunction;
};

/**
 * Loads and checks the config's `conflict.module` at start-up (`dynasync run` before it touches a
 * table, the Lambda function during its init), so a missing, throwing or wrong module stops the
 * start instead of being found at the first conflict. The loaded merge goes to `createReplicator`.
 * @returns the user merge, or undefined when the config names none (last-writer-wins, built-in merges)
 * @throws DynasyncError `conflict.invalidMergeModule` naming `conflict.module` and the reason
 * @example
 * const merge = await loadConfiguredMerge(config);
 * const replicator = createReplicator({ config, region, ...(merge === undefined ? {} : { merge }) });
 */
export const loadConfiguredMerge = async (
  config: Pick<Config, 'conflict'>,
): Promise<MergeFunction | undefined> => {
  const { conflict } = config;
  if (conflict.strategy !== 'merge' || conflict.module === undefined) return undefined;
  try {
    return await loadMergeModule(conflict.module);
  } catch (error) {
    if (!(error instanceof DynasyncError)) throw error;
    throw new DynasyncError(
      error.code,
      `conflict.module: ${error.message}; fix the module or the path (a relative path is resolved against the config file's folder)`,
      { payload: { path: 'conflict.module', module: conflict.module }, cause: error },
    );
  }
};

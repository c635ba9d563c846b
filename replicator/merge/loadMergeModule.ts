import { pathToFileURL } from 'node:url';
import type { MergeFunction } from '../../conflict/merge/types.js';
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
      ErrorCodes.mergeModuleInvalid,
      `cannot import merge module ${path}: ${cause instanceof Error ? cause.message : String(cause)}`,
      { payload: { path: 'conflict.module', module: path }, cause },
    );
  }
  const merge = loaded.merge ?? (loaded.default as Record<string, unknown> | undefined)?.merge;
  if (typeof merge !== 'function')
    throw new DynasyncError(
      ErrorCodes.mergeModuleInvalid,
      `merge module ${path} exports no function "merge"; export merge(local, remote, context) returning the merged item`,
      { payload: { path: 'conflict.module', module: path } },
    );
  return merge as MergeFunction;
};

import type { StageConfig } from '../core/config/types.js';
import { DynasyncError, ErrorCodes } from '../core/errors.js';
import type { Item } from '../core/types.js';
import type { CompiledStage, TransformFunction } from './types.js';

type MapConfig = Extract<StageConfig, { type: 'map' }>;

/** A map: the user's transform; its outputs are checked by the pipeline. */
export const compileMap = (stage: MapConfig, transform: TransformFunction): CompiledStage => ({
  id: stage.id,
  type: 'map',
  run: (item, context) => {
    let result: ReturnType<TransformFunction>;
    try {
      result = transform(item, { ...context, stageId: stage.id });
    } catch (cause) {
      // Never the message: a user transform's error text may quote the item.
      throw new DynasyncError(
        ErrorCodes.pipeline.mapFailed,
        `map stage "${stage.id}" (${stage.module}#${stage.export}) threw ${cause instanceof Error ? cause.name : typeof cause}; test the transform on this record's key`,
        { payload: { stage: stage.id } },
      );
    }
    if (result === null || result === undefined) return [];
    if (typeof (result as unknown as PromiseLike<unknown>).then === 'function')
      throw new DynasyncError(
        ErrorCodes.pipeline.mapFailed,
        `map stage "${stage.id}": the transform returned a promise; transforms must be synchronous`,
        { payload: { stage: stage.id } },
      );
    return Array.isArray(result) ? (result as readonly Item[]) : [result as Item];
  },
});

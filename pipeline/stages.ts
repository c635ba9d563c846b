import { decodeAttributeValue } from '../core/codec.js';
import type { PipelineConfig, StageConfig } from '../core/config/types.js';
import { attributeValuesEqual } from '../core/equality.js';
import { DynasyncError, ErrorCodes } from '../core/errors.js';
import type { AttributeValue, Item } from '../core/types.js';
import { parsePath, rewritePath, valuesAt } from './attributePath.js';
import { type MaskEnvironment, maskValue } from './maskValue.js';
import type { PipelineContext, TransformFunction } from './types.js';

/** A compiled stage: one item in, zero or more out. */
export interface CompiledStage {
  readonly id: string;
  readonly type: StageConfig['type'];
  run(item: Item, context: PipelineContext): readonly Item[];
}

type FilterConfig = Extract<StageConfig, { type: 'filter' }>;
type MaskConfig = Extract<StageConfig, { type: 'mask' }>;
type MapConfig = Extract<StageConfig, { type: 'map' }>;

/** A filter: keeps (or, with `mode: drop`, drops) the items that match every condition. */
export const compileFilter = (stage: FilterConfig, pipeline: Pick<PipelineConfig, 'key'>): CompiledStage => {
  const partitionKey = pipeline.key[0]!;
  const conditions = stage.where.map((condition) => {
    const segments = parsePath(condition.path);
    if (condition.op === 'exists') return (item: Item) => valuesAt(item, segments).length > 0;
    if (condition.op === 'notExists') return (item: Item) => valuesAt(item, segments).length === 0;
    if (condition.op === 'beginsWith') {
      const prefix = condition.value;
      return (item: Item) =>
        valuesAt(item, segments).some((value) => 'S' in value && value.S.startsWith(prefix));
    }
    const expected = decodeAttributeValue(condition.value, 'value');
    const equal = (item: Item) =>
      valuesAt(item, segments).some((value) => attributeValuesEqual(value, expected));
    return condition.op === 'equals' ? equal : (item: Item) => !equal(item);
  });
  const events = stage.events === undefined ? undefined : new Set<string>(stage.events);
  const matches = (item: Item, context: PipelineContext): boolean => {
    if (events !== undefined && context.eventName !== undefined && !events.has(context.eventName))
      return false;
    if (stage.keyPrefix !== undefined) {
      const pk: AttributeValue | undefined = item[partitionKey];
      if (pk === undefined || !('S' in pk) || !pk.S.startsWith(stage.keyPrefix)) return false;
    }
    return conditions.every((condition) => condition(item));
  };
  const keep = stage.mode === 'keep';
  return {
    id: stage.id,
    type: 'filter',
    run: (item, context) => (matches(item, context) === keep ? [item] : []),
  };
};

/** A mask: applies its rules in order, each to every value its path matches. */
export const compileMask = (stage: MaskConfig, env: MaskEnvironment): CompiledStage => {
  const rules = stage.rules.map((rule) => ({ rule, segments: parsePath(rule.path) }));
  return {
    id: stage.id,
    type: 'mask',
    run: (item) => {
      // One shallow copy for the rules on top-level attributes (most rules); nested paths rewrite immutably.
      let out: Record<string, AttributeValue> = { ...item };
      for (const { rule, segments } of rules) {
        try {
          const only = segments.length === 1 ? segments[0]! : undefined;
          if (only?.kind === 'name') {
            const value = out[only.name];
            if (value === undefined) continue;
            const masked = maskValue(value, rule, env);
            if (masked === undefined) delete out[only.name];
            else out[only.name] = masked;
          } else {
            const next = rewritePath(out, segments, (value) => maskValue(value, rule, env));
            if (next !== out) out = { ...next };
          }
        } catch (cause) {
          // The cause may quote the value: keep its name only.
          throw new DynasyncError(
            ErrorCodes.pipelineMaskFailed,
            `mask stage "${stage.id}": ${rule.action} of "${rule.path}" failed (${cause instanceof Error ? cause.name : typeof cause})`,
            { payload: { stage: stage.id, path: rule.path, action: rule.action } },
          );
        }
      }
      return [out];
    },
  };
};

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
        ErrorCodes.pipelineMapFailed,
        `map stage "${stage.id}" (${stage.module}#${stage.export}) threw ${cause instanceof Error ? cause.name : typeof cause}; test the transform on this record's key`,
        { payload: { stage: stage.id } },
      );
    }
    if (result === null || result === undefined) return [];
    if (typeof (result as unknown as PromiseLike<unknown>).then === 'function')
      throw new DynasyncError(
        ErrorCodes.pipelineMapFailed,
        `map stage "${stage.id}": the transform returned a promise; transforms must be synchronous`,
        { payload: { stage: stage.id } },
      );
    return Array.isArray(result) ? (result as readonly Item[]) : [result as Item];
  },
});

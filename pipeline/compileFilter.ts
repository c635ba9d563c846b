import { decodeAttributeValue } from '../core/codec.js';
import type { PipelineConfig, StageConfig } from '../core/config/types.js';
import { attributeValuesEqual } from '../core/equality.js';
import type { AttributeValue, Item } from '../core/types.js';
import { parsePath, valuesAt } from './attributePath.js';
import type { CompiledStage, PipelineContext } from './types.js';

type FilterConfig = Extract<StageConfig, { type: 'filter' }>;

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

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Config, PipelineConfig } from '../core/config/types.js';
import { DynasyncError, ErrorCodes } from '../core/errors.js';
import type { Item } from '../core/types.js';
import { checkOutput } from './_internals/checkOutput.js';
import { compileFilter } from './compileFilter.js';
import { compileMap } from './compileMap.js';
import { compileMask } from './compileMask.js';
import { createMaskingCrypto, type MaskingCrypto } from './maskingCrypto.js';
import type {
  CompiledStage,
  CreatePipelineOptions,
  ModuleLoader,
  Pipeline,
  PipelineContext,
  TransformFunction,
} from './types.js';

const defaultLoader: ModuleLoader = (specifier) => import(pathToFileURL(resolve(specifier)).href);

/** True when a pipeline needs masking keys: a `tokenize` or `encrypt` rule, or encrypted dead letters. */
export const needsKeys = (pipeline: PipelineConfig): boolean =>
  pipeline.deadLetterRecord === 'encrypted' ||
  pipeline.stages.some(
    (stage) =>
      stage.type === 'mask' &&
      stage.rules.some((rule) => rule.action === 'tokenize' || rule.action === 'encrypt'),
  );

const noKeys = (peer: string): DynasyncError =>
  new DynasyncError(
    ErrorCodes.pipeline.keyUnavailable,
    `pipeline for ${peer}: no masking key; tokenize, encrypt and encrypted dead letters need one (set "keys" in the config)`,
    { payload: { peer } },
  );

/**
 * Builds the pipeline of one peer region: resolves the masking keys and loads map modules once;
 * `apply` is then synchronous and pure. A peer without a configured pipeline gets the identity
 * (every item as it is, `key` empty).
 *
 * Metadata attributes (`<prefix>…`) never reach a stage: they are set aside and put back on every
 * output, so stream images and scanned items alike keep their versions.
 *
 * ```
 * item ─► strip metadata ─► filter ─► mask ─► map ─► check key schema / 400 KB ─► + metadata ─► items
 * ```
 * @throws DynasyncError `pipeline.keyUnavailable`, `pipeline.moduleInvalid` (at creation, not per record).
 * @example
 * const pipeline = await createPipeline(config, 'us-east-1', { keys: new LocalKeyProvider({ env: 'DYNASYNC_MASKING_KEY' }) });
 * pipeline.apply(item, { eventName: 'INSERT', sourceRegion: 'eu-west-1', targetRegion: 'us-east-1' });
 */
export const createPipeline = async (
  config: Pick<Config, 'pipelines' | 'metadata' | 'name'>,
  peerRegion: string,
  options: CreatePipelineOptions = {},
): Promise<Pipeline> => {
  const prefix = config.metadata.prefix;
  const pipelineConfig: PipelineConfig = config.pipelines[peerRegion] ?? {
    key: [],
    deadLetterRecord: 'omit',
    stages: [],
  };
  const targetKey = pipelineConfig.targetKey ?? pipelineConfig.key;
  let crypto: MaskingCrypto | undefined;
  if (needsKeys(pipelineConfig)) {
    if (options.keys === undefined) throw noKeys(peerRegion);
    crypto = createMaskingCrypto(await options.keys.resolve());
  }
  const loadModule = options.loadModule ?? defaultLoader;
  const stages: CompiledStage[] = [];
  for (const stage of pipelineConfig.stages) {
    if (stage.type === 'filter') stages.push(compileFilter(stage, pipelineConfig));
    else if (stage.type === 'mask')
      stages.push(compileMask(stage, { crypto, hashSalt: stage.hashSalt ?? config.name }));
    else {
      let loaded: unknown;
      try {
        loaded = await loadModule(stage.module);
      } catch (cause) {
        throw new DynasyncError(
          ErrorCodes.pipeline.moduleInvalid,
          `pipelines.${peerRegion}: map stage "${stage.id}" cannot load module "${stage.module}": ${cause instanceof Error ? cause.message : String(cause)}`,
          { payload: { peer: peerRegion, stage: stage.id }, cause },
        );
      }
      const transform = (loaded as Record<string, unknown> | null)?.[stage.export];
      if (typeof transform !== 'function')
        throw new DynasyncError(
          ErrorCodes.pipeline.moduleInvalid,
          `pipelines.${peerRegion}: map stage "${stage.id}": module "${stage.module}" exports no function "${stage.export}"`,
          { payload: { peer: peerRegion, stage: stage.id } },
        );
      stages.push(compileMap(stage, transform as TransformFunction));
    }
  }
  const mapped = stages.some((stage) => stage.type === 'map');
  const identity = stages.length === 0;

  const apply = (item: Item, context: PipelineContext): readonly Item[] => {
    if (identity) return [item];
    // Stages never change their input, so an item without metadata (the usual case) goes in as it is.
    const names = Object.keys(item);
    let data: Item = item;
    let metadata: Record<string, Item[string]> | undefined;
    if (names.some((name) => name.startsWith(prefix))) {
      const stripped: Record<string, Item[string]> = {};
      metadata = {};
      for (const name of names) {
        if (name.startsWith(prefix)) metadata[name] = item[name]!;
        else stripped[name] = item[name]!;
      }
      data = stripped;
    }
    let items: readonly Item[] = [data];
    for (const stage of stages) {
      if (items.length === 0) break;
      items =
        items.length === 1 ? stage.run(items[0]!, context) : items.flatMap((one) => stage.run(one, context));
    }
    return items.map((output) => {
      const checked = checkOutput(output, data, targetKey, peerRegion, mapped);
      return metadata === undefined ? checked : { ...checked, ...metadata };
    });
  };

  const keyOf = (item: Item): Item => {
    const key: Record<string, Item[string]> = {};
    for (const name of targetKey) {
      const value = item[name];
      if (value !== undefined) key[name] = value;
    }
    return key;
  };

  return {
    peerRegion,
    stageIds: pipelineConfig.stages.map((stage) => stage.id),
    key: pipelineConfig.key,
    targetKey,
    reshapes: mapped,
    masks: pipelineConfig.stages.some((stage) => stage.type === 'mask'),
    deadLetterRecord: pipelineConfig.deadLetterRecord,
    apply,
    keyOf,
    seal: (text) => {
      if (crypto === undefined) throw noKeys(peerRegion);
      return crypto.encryptText(text);
    },
  };
};

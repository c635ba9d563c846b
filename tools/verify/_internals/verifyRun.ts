import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { abortableDelay } from '../../../core/async/abortableDelay.js';
import { type MetadataNames, metadataNames } from '../../../core/config/topology.js';
import type { Item } from '../../../core/types.js';
import { type KeyHasher, resolveKeyHasher } from '../../../keys/keyHasher.js';
import { createReadClients } from '../../_shared/createReadClients.js';
import { TokenBucket } from '../../_shared/TokenBucket.js';
import { DEFAULT_RETRY, type RetryPolicy } from '../../_shared/withRetries.js';
import { type AnyItem, type ComparisonRules, canonicalKeyId, comparisonRules } from '../digest.js';
import { VerifyErrorCodes, verifyError } from '../errors.js';
import { identityTransform, type SourceTransform, type VerifyProgress } from '../types.js';
import type { VerifyOptions, VerifySettings } from '../verify.js';
import { isPipelineRejection } from './pageSpiller.js';

/**
 * The peer's pipeline as verify applies it to re-read source items: an item the pipeline rejects
 * (too large, a map that threw…) has no output, so the target is expected to hold nothing for it.
 * The identity is returned as it is (the spiller reads pages without parsing them then).
 */
export const rejectingTransform = (given: SourceTransform): SourceTransform =>
  given === identityTransform
    ? given
    : (item) => {
        try {
          return given(item);
        } catch (error) {
          if (isPipelineRejection(error)) return [];
          throw error;
        }
      };

/** The attributes `names` of an item (in either form); `undefined` when one is missing. */
export const project = <T extends AnyItem>(item: T, names: readonly string[]): T | undefined => {
  const key: Record<string, unknown> = {};
  for (const name of names) {
    const value = (item as Record<string, unknown>)[name];
    if (value === undefined) return undefined;
    key[name] = value;
  }
  return key as T;
};

/** Everything one verify run resolves from its options before it reads: tables, clients, rules, limits. */
export interface VerifyRun {
  readonly options: VerifyOptions;
  readonly settings: VerifySettings;
  readonly keyHashOf: KeyHasher;
  readonly now: () => number;
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly retry: RetryPolicy;
  /** The transform as given (the spiller parses source pages only when it is not the identity). */
  readonly given: SourceTransform;
  /** {@link rejectingTransform} of `given`, for re-reads. */
  readonly transform: SourceTransform;
  readonly names: MetadataNames;
  readonly rules: ComparisonRules;
  readonly sourceTable: string;
  readonly targetTable: string;
  readonly clients: Readonly<Record<string, DynamoDBClient>>;
  /** True when the run created `clients` (it destroys them at the end). */
  readonly ownClients: boolean;
  readonly sourceClient: DynamoDBClient;
  readonly targetClient: DynamoDBClient;
  readonly limiters: { readonly source: TokenBucket | undefined; readonly target: TokenBucket | undefined };
  readonly progress: (progress: VerifyProgress) => void;
  /** Items the pipeline rejected, by code, and the `onRejected` calls still to await. */
  readonly rejected: { readonly counts: Record<string, number>; readonly calls: Array<void | Promise<void>> };
}

/** Resolves a run's context; creates the clients unless given (see {@link VerifyRun.ownClients}). */
export const openVerifyRun = async (options: VerifyOptions, settings: VerifySettings): Promise<VerifyRun> => {
  const { config, from, to } = options;
  const keyHashOf = options.keyHasher ?? (await resolveKeyHasher(config, from));
  const given = options.transform ?? identityTransform;
  const names = metadataNames(config);
  const sourceTable = config.regions[from]?.table;
  const targetTable = config.regions[to]?.table;
  const clients = options.clients ?? createReadClients(config);
  const sourceClient = clients[from];
  const targetClient = clients[to];
  if (
    sourceClient === undefined ||
    targetClient === undefined ||
    sourceTable === undefined ||
    targetTable === undefined
  )
    throw verifyError(
      VerifyErrorCodes.invalidOption,
      `verify: no DynamoDB client for region ${sourceClient === undefined ? from : to}`,
      { option: 'clients' },
    );
  const limiter = () =>
    settings.maxRps === undefined ? undefined : new TokenBucket({ ratePerSecond: settings.maxRps });
  return {
    options,
    settings,
    keyHashOf,
    now: options.now ?? Date.now,
    sleep: options.sleep ?? abortableDelay,
    retry: { ...DEFAULT_RETRY, ...options.retry },
    given,
    transform: rejectingTransform(given),
    names,
    rules: comparisonRules(config, names),
    sourceTable,
    targetTable,
    clients,
    ownClients: options.clients === undefined,
    sourceClient,
    targetClient,
    limiters: { source: limiter(), target: limiter() },
    progress: options.onProgress ?? (() => undefined),
    rejected: { counts: {}, calls: [] },
  };
};

/** Counts a live source item the pipeline rejected and tells `onRejected` (by key hash, never a value). */
export const recordRejection = (
  run: VerifyRun,
  sourceKeyNames: readonly string[],
  code: string,
  sourceItem: Item,
): void => {
  run.rejected.counts[code] = (run.rejected.counts[code] ?? 0) + 1;
  const sourceKey = project(sourceItem, sourceKeyNames) ?? sourceItem;
  const call = run.options.onRejected?.({
    kind: 'pipelineRejected',
    code,
    sourceKey,
    keyHash: run.keyHashOf(canonicalKeyId(sourceKey, sourceKeyNames)),
  });
  if (call !== undefined) run.rejected.calls.push(call);
};

import { type MergeFunction, mergeNamesFor } from '../../conflict/merge/types.js';
import type { MergeConflictConfig } from '../../core/config/conflictSchema.js';
import type { Config } from '../../core/config/types.js';
import { type KeyHasher, processKeyHasher, resolveKeyHasher } from '../../keys/keyHasher.js';
import type { KeyProvider } from '../../pipeline/types.js';
import type { PeerWriterOptions } from '../PeerWriter.js';
import type { ReplicatorLogger } from '../processBatch.js';
import { type ConflictAuditSink, FileConflictAuditSink } from './conflictAudit.js';
import { loadMergeModule } from './loadMergeModule.js';
import { MergePeerWriter } from './MergePeerWriter.js';

/** What {@link createMergeWriter} needs besides the config. */
export interface MergeWriterSetup {
  readonly config: Config;
  readonly conflict: MergeConflictConfig;
  readonly region: string;
  readonly logger: ReplicatorLogger;
  /** The writer options LWW would use (peers, concurrency, backoff). */
  readonly writerOptions: PeerWriterOptions;
  /** @default a JSON-lines file when `conflict.audit` asks for one, else none */
  readonly audit?: ConflictAuditSink;
  /**
   * The user merge of `conflict.module`, loaded and checked at start-up (`loadConfiguredMerge`).
   * @default imported on first use, when the config names a module
   */
  readonly merge?: MergeFunction;
  /** Keys of the conflicts' key hashes. @default the deployment's (`resolveKeyHasher`), on the first conflict */
  readonly keyHasher?: KeyHasher;
  /** The masking keys, for the key hasher. @default the provider the config's `keys` asks for */
  readonly keys?: KeyProvider;
}

/**
 * The merge strategy's writer for a region: built-in merges from `conflict.attributes`/`default`, or the
 * user module (loaded at start-up and passed in, else imported once, on first use); each conflict is logged without values and written to
 * the audit sink.
 */
export const createMergeWriter = (setup: MergeWriterSetup): MergePeerWriter => {
  const { conflict, config, logger } = setup;
  const names = mergeNamesFor(config.metadata.prefix);
  const audit =
    setup.audit ??
    (conflict.audit === undefined ? undefined : new FileConflictAuditSink(conflict.audit.dir, setup.region));
  let merge: MergeFunction | Promise<MergeFunction> | undefined = setup.merge;
  if (merge === undefined && conflict.module !== undefined) {
    const loading = loadMergeModule(conflict.module);
    // Reported when a conflict awaits it; this only keeps an early failure from being "unhandled".
    loading.catch(() => undefined);
    merge = loading;
  }
  let hasher: Promise<KeyHasher> | undefined;
  const keyHasher = (): Promise<KeyHasher> => {
    hasher ??=
      setup.keyHasher !== undefined
        ? Promise.resolve(setup.keyHasher)
        : resolveKeyHasher(config, setup.region, setup.keys === undefined ? {} : { keys: setup.keys }).catch(
            (error: unknown) => {
              // Never unsalted: a key of this process still hides the keys, its hashes just do not compare across runs.
              logger.warn('conflict key hashes use a key of this process only', {
                code: (error as { code?: string }).code ?? 'unknown',
              });
              return processKeyHasher();
            },
          );
    return hasher;
  };
  // Resolved now, so a conflict is audited as soon as it is merged (the promise never rejects).
  void keyHasher();
  return new MergePeerWriter({
    ...setup.writerOptions,
    keyHasher,
    names,
    spec: { attributes: conflict.attributes, default: conflict.default },
    maxAttempts: conflict.maxAttempts,
    sourceRegion: setup.region,
    ...(merge === undefined ? {} : { merge }),
    onConflict: async (entry) => {
      // Keys as hashes, regions, clocks, versions, attribute names: never values.
      logger.info('conflict', { ...entry });
      await audit?.write([entry]);
    },
  });
};

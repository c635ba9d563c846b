import type { StageConfig } from '../core/config/types.js';
import type { Item } from '../core/types.js';

/** What a stage knows about the change it sees. Scanned items (verify, backfill) have no `eventName`. */
export interface PipelineContext {
  /** The stream event, when the item comes from a stream record. */
  readonly eventName?: 'INSERT' | 'MODIFY' | 'REMOVE';
  /** Region of the source table. */
  readonly sourceRegion: string;
  /** The peer region the output is for. */
  readonly targetRegion: string;
}

/** A 256-bit data key and its id (a fingerprint, recorded with every ciphertext so keys can rotate). */
export interface DataKey {
  readonly id: string;
  readonly material: Uint8Array;
}

/** The resolved masking keys: the current one (tokens, hashes, new ciphertexts) and every one that may decrypt. */
export interface KeyRing {
  readonly current: DataKey;
  /** Every key, the current one first: older ones only decrypt. */
  readonly all: readonly DataKey[];
}

/**
 * Where masking keys come from. Resolved once (per cold start); the stages then run synchronously.
 * Implementations: `LocalKeyProvider` (file or environment variable) and `KmsKeyProvider`
 * (a data key decrypted by KMS), both in `keys/` (the edge; `pipeline/` imports no AWS SDK).
 */
export interface KeyProvider {
  resolve(): Promise<KeyRing>;
}

/**
 * A user transform of a `map` stage: zero, one or many items per item (`null`/`undefined` = none).
 * It must be pure and deterministic (the same item gives the same output in every region and on
 * every retry), and derive different keys for different source items.
 */
export type TransformFunction = (
  item: Item,
  context: PipelineContext & { readonly stageId: string },
) => Item | readonly Item[] | null | undefined;

/** Loads a map stage's module; the default imports the path relative to the working directory. */
export type ModuleLoader = (specifier: string) => Promise<unknown>;

/** Options of `createPipeline`. */
export interface CreatePipelineOptions {
  /** The masking keys; needed only when a stage masks with hash, tokenize or encrypt. */
  readonly keys?: KeyProvider;
  /** @default `import()` of the path resolved against the working directory */
  readonly loadModule?: ModuleLoader;
}

/** The compiled stages of one peer: pure and synchronous once created. */
export interface Pipeline {
  readonly peerRegion: string;
  /** Stage ids, in order. */
  readonly stageIds: readonly string[];
  /** Key attribute names of the items the pipeline receives. */
  readonly key: readonly string[];
  /** Key attribute names of the items it outputs (the peer table's key). */
  readonly targetKey: readonly string[];
  /**
   * True when a map stage may change keys or the number of items. Without one, an item yields at
   * most one output, at its own (masked) key, so `deriveChange` need not run the old image.
   */
  readonly reshapes: boolean;
  /** True when a mask stage is configured: dead letters for this peer then keep no clear record. */
  readonly masks: boolean;
  /** What a dead letter for this peer keeps of the record (see the config's `deadLetterRecord`). */
  readonly deadLetterRecord: 'omit' | 'encrypted';
  /**
   * Runs every stage on one item: zero, one or many output items, each checked against the
   * target's key schema and the 400 KB limit.
   * @throws DynasyncError `pipeline.*` whose message names the stage and attribute path, never a value.
   */
  apply(item: Item, context: PipelineContext): readonly Item[];
  /** The target key of an output item. */
  keyOf(item: Item): Item;
  /**
   * Encrypts text under the current masking key (the `encrypt` action's format), e.g. a dead-lettered
   * record. @throws DynasyncError `pipeline.keyUnavailable` when the pipeline has no keys.
   */
  seal(text: string): string;
}

/** What a change of one source item means for one peer: items to put and keys to delete. */
export interface DerivedChange {
  readonly puts: readonly Item[];
  readonly deletes: readonly Item[];
}

/** A compiled stage: one item in, zero or more out. */
export interface CompiledStage {
  readonly id: string;
  readonly type: StageConfig['type'];
  run(item: Item, context: PipelineContext): readonly Item[];
}

import { decodeItem } from '../../../core/codec.js';
import { metadataNamesFor } from '../../../core/config/topology.js';
import { DynasyncError, ErrorCodes } from '../../../core/errors.js';
import type { Item, WireItem } from '../../../core/types.js';
import { type ComparisonRules, canonicalKeyId, isDeleteMarker } from '../digest.js';
import { VerifyErrorCodes, verifyError } from '../errors.js';
import type { SourceTransform } from '../types.js';
import { createDigestQueue } from './digestQueue.js';
import { partitionOf } from './partitionOf.js';
import { entryOf, readScanPage, type ScannedEntry, type ScanPageRules } from './readScanPage.js';
import { SpillFiles } from './SpillFiles.js';
import { formatEntryLine } from './spillLine.js';

/** Everything a page spiller needs. */
export interface PageSpillerOptions {
  /** Folder of the spill files (`source-<n>.tsv`, `target-<n>.tsv`). */
  readonly dir: string;
  readonly partitions: number;
  /** `metadata.prefix`. */
  readonly prefix: string;
  /** See `ComparisonRules.compareVersions`. */
  readonly compareVersions: boolean;
  readonly targetKeyNames: readonly string[];
  readonly sourceKeyNames: readonly string[];
  /** The source key is the target key (identity transform, same key attributes): not spilled twice. */
  readonly sameKeys: boolean;
  /** For error messages. */
  readonly targetTable: string;
  readonly to: string;
  /**
   * Called for a live source item the transform rejected with a per-item pipeline error (see
   * {@link isPipelineRejection}): the replicator dead-letters it, so the target holds nothing for it.
   * Without it, such an error fails the scan.
   */
  readonly onRejected?: (code: string, sourceItem: Item) => void;
}

/** Per-item pipeline errors: the replicator dead-letters the record; the peer never gets the item. */
const REJECTION_CODES: ReadonlySet<string> = new Set([
  ErrorCodes.pipeline.filterFailed,
  ErrorCodes.pipeline.maskFailed,
  ErrorCodes.pipeline.mapFailed,
  ErrorCodes.pipeline.invalidOutput,
  ErrorCodes.pipeline.keySchemaViolation,
  ErrorCodes.pipeline.itemTooLarge,
]);

/**
 * True when an error of the peer's pipeline rejects one item (too large, a map that threw, an output
 * off the key schema, …), as opposed to one that stops every item (keys unavailable): the first kind
 * is counted by `verify` as `pipelineRejected`, the second fails the run.
 */
export const isPipelineRejection = (error: unknown): error is DynasyncError =>
  error instanceof DynasyncError && REJECTION_CODES.has(error.code);

/** Parsed items that may wait to be digested before a scan waits (a few pages). */
const MAX_QUEUED_ITEMS = 2_000;

/** Which table a page comes from. */
export type Side = 'source' | 'target';

/** What the spills hold once closed. */
export interface SpillTotals {
  readonly live: Readonly<Record<Side, number>>;
  readonly tombstones: Readonly<Record<Side, number>>;
  /** Lines per partition and side (the compare step splits partitions by these). */
  readonly counts: Readonly<Record<Side, readonly number[]>>;
  readonly bytes: number;
}

/** Turns scan pages into spill lines (see `spillLine.ts`), one file per partition and side. */
export interface PageSpiller {
  /**
   * Handles one Scan response body: parses it and resolves with the document without `Items` (for the
   * next request) while its items are digested and spilled after; waits when too many are queued.
   */
  page(side: Side, body: Uint8Array): Promise<Record<string, unknown>>;
  /** Writes everything and closes the files. */
  close(): Promise<SpillTotals>;
  /** Stops at once, writing nothing more (after a failed or aborted scan); safe to call after close. */
  destroy(): Promise<void>;
}

/** The spill file names of a side. */
export const spillName = (side: Side): string => side;

/** What {@link spillTransformed} writes to and counts in. */
interface TransformSpill {
  readonly options: PageSpillerOptions;
  readonly names: ReturnType<typeof metadataNamesFor>;
  /** A transform's outputs are keyed like the target; the source key is the scanned item's. */
  readonly outputRules: ScanPageRules;
  readonly spill: SpillFiles;
  readonly live: Record<Side, number>;
  readonly tombstones: Record<Side, number>;
}

/** Digests a page of source items through the peer's pipeline: each output spilled, rejections counted. */
const spillTransformed = (into: TransformSpill, items: readonly WireItem[], apply: SourceTransform): void => {
  const { options, names } = into;
  for (const item of items) {
    const tombstone = isDeleteMarker(item, names);
    if (tombstone) into.tombstones.source += 1;
    else into.live.source += 1;
    const sourceKey = options.sameKeys ? '-' : canonicalKeyId(item, options.sourceKeyNames);
    const decoded = decodeItem(item, 'source item');
    let outputs: readonly Item[];
    try {
      outputs = apply(decoded);
    } catch (error) {
      if (options.onRejected === undefined || !isPipelineRejection(error)) throw error;
      // A rejected tombstone leaves nothing to expect either way; a live item is counted.
      if (!tombstone) options.onRejected(error.code, decoded);
      continue;
    }
    for (const output of outputs) {
      const entry = entryOf(output, into.outputRules);
      into.spill.add(
        partitionOf(entry.keyId, 0, options.partitions),
        formatEntryLine({ ...entry, sourceKey }),
      );
    }
  }
};

/**
 * The spiller of one verify run, in this thread. Pages are reduced to spill lines straight from their
 * text (`readScanPage`: no item is built as an object), except a source page under a `transform` (the
 * peer's pipeline), whose items are parsed and decoded for it. Those are digested in the order they
 * arrive, behind the parse: a segment's next request is already out while its last page is
 * digested, so the tables' servers and this process work at the same time.
 *
 * ```
 * segment 0  req ─ resp ─ parse ─ req ─ resp ─ parse ─ …
 * digest            └──── page 1 ────┘    └──── page 2 ──── …   (≤ 2,000 items queued)
 * ```
 */
export const createPageSpiller = (options: PageSpillerOptions, transform?: SourceTransform): PageSpiller => {
  const names = metadataNamesFor(options.prefix);
  const rules: ComparisonRules = { names, compareVersions: options.compareVersions };
  const spills: Record<Side, SpillFiles> = {
    source: SpillFiles.create(options.dir, spillName('source'), options.partitions),
    target: SpillFiles.create(options.dir, spillName('target'), options.partitions),
  };
  const live: Record<Side, number> = { source: 0, target: 0 };
  const tombstones: Record<Side, number> = { source: 0, target: 0 };
  const checkKey = (present: (name: string) => boolean, side: Side): void => {
    const missing = options.targetKeyNames.filter((name) => !present(name));
    if (missing.length > 0)
      throw verifyError(
        VerifyErrorCodes.keySchemaMismatch,
        `verify: a ${side} item has no ${missing.join(', ')}, a key attribute of ${options.targetTable} in ${options.to}; the tables' key schemas differ (and no transform maps them)`,
        { side, table: options.targetTable, keyNames: options.targetKeyNames },
      );
  };
  const pageRules = (side: Side, withSourceKey: boolean): ScanPageRules => ({
    rules,
    keyNames: options.targetKeyNames,
    ...(withSourceKey ? { sourceKeyNames: options.sourceKeyNames } : {}),
    checkKey: (present) => checkKey(present, side),
  });
  const rulesOf: Record<Side, ScanPageRules> = {
    source: pageRules('source', !options.sameKeys),
    target: pageRules('target', false),
  };
  const spillEntry = (side: Side, entry: ScannedEntry): void => {
    if (entry.tombstone) tombstones[side] += 1;
    else live[side] += 1;
    spills[side].add(partitionOf(entry.keyId, 0, options.partitions), formatEntryLine(entry));
  };
  // A transform's outputs are keyed like the target; the source key is the scanned item's.
  const outputRules = pageRules('source', false);
  // Source pages under a transform: parsed, then digested behind the next request.
  const queue =
    transform === undefined
      ? undefined
      : createDigestQueue(async (items) => {
          spillTransformed(
            { options, names, outputRules, spill: spills.source, live, tombstones },
            items,
            transform,
          );
          await spills.source.flush();
        }, MAX_QUEUED_ITEMS);
  let failure: unknown;
  const failureOf = () => failure ?? queue?.failure;
  return {
    page: async (side, body) => {
      const failed = failureOf();
      if (failed !== undefined) throw failed;
      const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
      if (side === 'target' || queue === undefined) {
        try {
          const rest = readScanPage(text, rulesOf[side], (entry) => spillEntry(side, entry));
          await spills[side].flush();
          return rest;
        } catch (error) {
          failure ??= error;
          throw error;
        }
      }
      const document = JSON.parse(text) as { Items?: WireItem[] } & Record<string, unknown>;
      const items = document.Items ?? [];
      delete document.Items;
      // Back-pressure: at most MAX_QUEUED_ITEMS parsed items wait to be digested.
      await queue.push(items);
      return document;
    },
    destroy: async () => {
      failure ??= new Error('verify: the spiller was stopped');
      queue?.fail(failure);
      await queue?.drained();
      await Promise.all([spills.source.close(), spills.target.close()]).catch(() => undefined);
    },
    close: async () => {
      await queue?.drained();
      const failed = failureOf();
      if (failed !== undefined) throw failed;
      await Promise.all([spills.source.close(), spills.target.close()]);
      return {
        live,
        tombstones,
        counts: { source: [...spills.source.counts], target: [...spills.target.counts] },
        bytes: spills.source.bytes + spills.target.bytes,
      };
    },
  };
};

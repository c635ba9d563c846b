import { decodeItem } from '../../../core/codec.js';
import { metadataNamesFor } from '../../../core/config/topology.js';
import type { WireItem } from '../../../core/types.js';
import { type AnyItem, type ComparisonRules, canonicalKeyId, isDeleteMarker, observe } from '../digest.js';
import { VerifyErrorCodes, verifyError } from '../errors.js';
import type { SourceTransform } from '../types.js';
import { partitionOf } from './partitionOf.js';
import { SpillFiles } from './SpillFiles.js';
import { formatSpillLine } from './spillLine.js';

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
}

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
  page(side: Side, body: Uint8Array | string): Promise<Record<string, unknown>>;
  /** Writes everything and closes the files. */
  close(): Promise<SpillTotals>;
  /** Stops at once, writing nothing more (after a failed or aborted scan); safe to call after close. */
  destroy(): Promise<void>;
}

/** The spill file names of a side. */
export const spillName = (side: Side): string => side;

/**
 * The spiller of one verify run, in this thread. `transform` (the peer's pipeline) gets each source
 * item decoded; without one the wire form goes straight to the digest. Pages are digested in the
 * order they arrive, behind the parse: a segment's next request is already out while its last page
 * is digested, so the tables' servers and this process work at the same time.
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
  const checkKey = (item: AnyItem, side: Side): void => {
    const values = item as Record<string, unknown>;
    if (options.targetKeyNames.some((name) => values[name] === undefined))
      throw verifyError(
        VerifyErrorCodes.keySchemaMismatch,
        `verify: a ${side} item has no ${options.targetKeyNames.filter((name) => (item as Record<string, unknown>)[name] === undefined).join(', ')}, a key attribute of ${options.targetTable} in ${options.to}; the tables' key schemas differ (and no transform maps them)`,
        { side, table: options.targetTable, keyNames: options.targetKeyNames },
      );
  };
  const spill = (side: Side, item: AnyItem, sourceKey: string): void => {
    checkKey(item, side);
    const keyId = canonicalKeyId(item, options.targetKeyNames);
    spills[side].add(
      partitionOf(keyId, 0, options.partitions),
      formatSpillLine(keyId, observe(item, rules), sourceKey),
    );
  };
  // Pages parsed but not yet spilled: the scan's next request goes out while a page is digested.
  const queue: Array<{ readonly side: Side; readonly items: readonly WireItem[] }> = [];
  let queuedItems = 0;
  let draining: Promise<void> | undefined;
  let failure: unknown;
  const waiters: Array<() => void> = [];
  const spillPage = (side: Side, items: readonly WireItem[]): void => {
    for (const item of items) {
      if (isDeleteMarker(item, names)) tombstones[side] += 1;
      else live[side] += 1;
      if (side === 'target') {
        spill(side, item, '-');
        continue;
      }
      const sourceKey = options.sameKeys ? '-' : canonicalKeyId(item, options.sourceKeyNames);
      if (transform === undefined) spill(side, item, sourceKey);
      else for (const output of transform(decodeItem(item, 'source item'))) spill(side, output, sourceKey);
    }
  };
  const drain = async (): Promise<void> => {
    try {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
        try {
          spillPage(next.side, next.items);
          await spills[next.side].flush();
        } finally {
          queuedItems -= next.items.length;
          for (const wake of waiters.splice(0)) wake();
        }
        // Let the responses that arrived meanwhile be read before the next page is digested.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } catch (error) {
      failure ??= error;
      queue.length = 0;
      queuedItems = 0;
      for (const wake of waiters.splice(0)) wake();
    } finally {
      draining = undefined;
    }
  };
  return {
    page: async (side, body) => {
      if (failure !== undefined) throw failure;
      const document = JSON.parse(
        typeof body === 'string'
          ? body
          : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'),
      ) as {
        Items?: WireItem[];
      } & Record<string, unknown>;
      const items = document.Items ?? [];
      document.Items = undefined;
      queue.push({ side, items });
      queuedItems += items.length;
      draining ??= drain();
      // Back-pressure: at most MAX_QUEUED_ITEMS parsed items wait to be digested.
      while (queuedItems > MAX_QUEUED_ITEMS && failure === undefined)
        await new Promise<void>((resolve) => waiters.push(resolve));
      if (failure !== undefined) throw failure;
      return document;
    },
    destroy: async () => {
      failure ??= new Error('verify: the spiller was stopped');
      while (draining !== undefined) await draining;
      await Promise.all([spills.source.close(), spills.target.close()]).catch(() => undefined);
    },
    close: async () => {
      while (draining !== undefined) await draining;
      if (failure !== undefined) throw failure;
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

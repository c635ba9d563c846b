import type { MetadataNames } from '../../core/config/topology.js';
import type { Config } from '../../core/config/types.js';
import type { Item, WireItem } from '../../core/types.js';
import {
  type BackfillWrite,
  type WriteCounts,
  type WriteTarget,
  writeBatches,
  writeConditional,
} from '../_shared/writeItems/writeItems.js';
import type { SourceTransform } from '../verify/types.js';
import { planBackfillPage } from './planBackfill.js';
import { type WritePath, WritePaths } from './types.js';

/**
 * Pages of one segment written at once: the next pages' writes start while earlier ones finish;
 * checkpoints still advance page by page, in order.
 */
export const PAGES_IN_FLIGHT = 4;

/** What a page planner needs: the run's config, regions and target key. */
export interface PagePlannerInput {
  readonly config: Config;
  readonly names: MetadataNames;
  readonly from: string;
  readonly targetKeyNames: readonly string[];
  readonly transform?: SourceTransform;
}

/**
 * Plans a page's writes ({@link planBackfillPage}) and adds the items skipped as unsafe to
 * `skipCodes` (by code).
 */
export const pagePlanner =
  (input: PagePlannerInput, skipCodes: Record<string, number>) =>
  (items: readonly Item[]): BackfillWrite[] => {
    const planned = planBackfillPage(items, {
      names: input.names,
      compareVersions: input.config.topology.type === 'active-active',
      from: input.from,
      tombstoneRetentionSeconds: input.config.tombstones.retentionDays * 86_400,
      targetKeyNames: input.targetKeyNames,
      ...(input.transform === undefined ? {} : { transform: input.transform }),
    });
    for (const [code, count] of Object.entries(planned.skipped))
      skipCodes[code] = (skipCodes[code] ?? 0) + count;
    return planned.writes;
  };

/** The write function of a path. */
export const writerOf = (path: WritePath) => (path === WritePaths.batch ? writeBatches : writeConditional);

/** Counts of no writes. */
export const emptyCounts = (): WriteCounts => ({
  written: 0,
  stale: 0,
  failed: 0,
  throttles: 0,
  consumedUnits: 0,
});

/** Adds `page`'s counts to `total`. */
export const addCounts = (total: WriteCounts, page: WriteCounts): void => {
  total.written += page.written;
  total.stale += page.stale;
  total.failed += page.failed;
  total.throttles += page.throttles;
  total.consumedUnits += page.consumedUnits;
  if (page.estimatedUnits === true) total.estimatedUnits = true;
};

/** Options of {@link createPageWriter}. */
export interface PageWriterOptions {
  readonly segments: number;
  readonly path: WritePath;
  readonly target: WriteTarget;
  readonly plan: (items: readonly Item[]) => BackfillWrite[];
  /**
   * Called once a page and every earlier page of its segment are written, in scan order per
   * segment (the checkpoint step): it never runs ahead of the target. `counts` are that page's
   * writes alone, so a checkpoint holds the counts of exactly the pages it covers.
   */
  readonly onWritten: (
    segment: number,
    items: number,
    lastKey: WireItem | undefined,
    counts: WriteCounts,
  ) => Promise<void>;
}

/** Writes scanned pages, up to {@link PAGES_IN_FLIGHT} per segment at once. */
export interface PageWriter {
  /** Starts a page's writes; resolves once it may be handed the next page (back-pressure). */
  add(segment: number, items: readonly Item[], lastKey: WireItem | undefined): Promise<void>;
  /** Resolves once every page added is written and checkpointed; rejects with the first failure. */
  drain(): Promise<void>;
  /** Waits for every page added, failed or not. */
  settled(): Promise<void>;
}

/**
 * The write phase: each page is planned, written on the run's path, then handed to `onWritten`.
 *
 * ```
 * segment s: page 1 ─ write ─────────┐
 *            page 2 ─ write ──────┐  ├─► onWritten(1) ─► onWritten(2) ─► … (in order)
 *            page 5 waits until page 1's onWritten is done (at most PAGES_IN_FLIGHT in flight)
 * ```
 */
export const createPageWriter = (options: PageWriterOptions): PageWriter => {
  const write = writerOf(options.path);
  // Per segment, the pages not yet checkpointed, oldest first: each settles once its writes and
  // every earlier page's are done and its checkpoint is saved (so a failure stops the chain there).
  const chains: Array<Array<Promise<void>>> = Array.from({ length: options.segments }, () => []);
  return {
    add: async (segment, items, lastKey) => {
      const chain = chains[segment]!;
      if (chain.length >= PAGES_IN_FLIGHT) await chain[0]; // back-pressure
      while (chain.length >= PAGES_IN_FLIGHT) chain.shift();
      const previous = chain.at(-1) ?? Promise.resolve();
      const counts = emptyCounts();
      const written = write(options.plan(items), options.target, counts);
      const done = Promise.all([previous, written]).then(() =>
        options.onWritten(segment, items.length, lastKey, counts),
      );
      done.catch(() => undefined); // awaited by a later page or at the end
      chain.push(done);
    },
    drain: async () => {
      await Promise.all(chains.map((chain) => chain.at(-1)));
    },
    settled: async () => {
      await Promise.allSettled(chains.flat());
    },
  };
};

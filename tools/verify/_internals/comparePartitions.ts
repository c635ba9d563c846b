import { rm } from 'node:fs/promises';
import { VerifyErrorCodes, verifyError } from '../errors.js';
import { partitionOf } from './partitionOf.js';
import { readLineChunks, SpillFiles } from './SpillFiles.js';
import { keyIdOfLine, sameObservation } from './spillLine.js';

/** Sub-partitions of a partition that is too large to hold. */
export const SPLIT_FANOUT = 16;
/** Split levels before a partition is compared whatever its size (unreachable in practice: 64 × 16⁸ partitions). */
export const MAX_SPLIT_LEVEL = 8;

/** Closed spill files: where each partition is and how many lines it holds. */
export interface SpillSet {
  readonly partitions: number;
  readonly counts: readonly number[];
  path(partition: number): string;
}

/** Options of {@link comparePartitions}. */
export interface ComparePartitionsOptions {
  /** Folder for the files of split partitions. */
  readonly dir: string;
  /** The closed spill files of both scans, partitioned alike (level 0). */
  readonly source: SpillSet;
  readonly target: SpillSet;
  /** Most source entries held at once; a larger partition is split {@link SPLIT_FANOUT} ways first. */
  readonly maxEntriesInMemory: number;
  /** Called for each key whose lines differ (either may be missing); it decides whether it is a candidate. */
  readonly onDifferent: (sourceLine: string | undefined, targetLine: string | undefined) => void;
  /** Back-pressure of whatever `onDifferent` writes to: awaited after each chunk of lines read. */
  readonly flush: () => Promise<void>;
  readonly onPartition?: (done: number, total: number) => void;
  readonly signal?: AbortSignal;
}

/** How the comparison went: the figures behind the memory bound. */
export interface CompareStats {
  /** Partitions split again because they held more than `maxEntriesInMemory` source entries. */
  splits: number;
  /** Most source entries held in memory at once. */
  peakEntries: number;
  /** Bytes written by splits. */
  spilledBytes: number;
}

/**
 * Compares two scans' spill files partition by partition, holding only one partition's source
 * entries in memory (a Map by key id) while the target's are streamed past them; what is left in the
 * Map afterwards is on the source side only. A partition with more than `maxEntriesInMemory` source
 * entries is first split {@link SPLIT_FANOUT} ways, both sides alike, by the next level of the key
 * hash, so memory stays bounded whatever the table size. Files are removed as they are compared.
 *
 * ```
 * source-7.tsv ──► Map(keyId → line)        ≤ maxEntriesInMemory entries
 * target-7.tsv ──► stream: look up, delete   same line → nothing; else onDifferent(source?, target)
 * left in Map   ──► onDifferent(source, undefined)
 * ```
 */
export const comparePartitions = async (options: ComparePartitionsOptions): Promise<CompareStats> => {
  const stats: CompareStats = { splits: 0, peakEntries: 0, spilledBytes: 0 };
  const compare = async (sourcePath: string, targetPath: string, sourceCount: number, level: number) => {
    if (sourceCount > options.maxEntriesInMemory && level < MAX_SPLIT_LEVEL) {
      stats.splits += 1;
      const parts = {
        source: SpillFiles.create(options.dir, `split-${level + 1}-${stats.splits}-s`, SPLIT_FANOUT),
        target: SpillFiles.create(options.dir, `split-${level + 1}-${stats.splits}-t`, SPLIT_FANOUT),
      };
      for (const [side, path] of [
        ['source', sourcePath],
        ['target', targetPath],
      ] as const) {
        for await (const lines of readLineChunks(path)) {
          for (const line of lines)
            parts[side].add(partitionOf(keyIdOfLine(line), level + 1, SPLIT_FANOUT), line);
          await parts[side].flush();
        }
        await parts[side].close();
        await rm(path, { force: true });
      }
      stats.spilledBytes += parts.source.bytes + parts.target.bytes;
      for (let part = 0; part < SPLIT_FANOUT; part += 1)
        await compare(
          parts.source.path(part),
          parts.target.path(part),
          parts.source.counts[part]!,
          level + 1,
        );
      return;
    }
    const held = new Map<string, string>();
    for await (const lines of readLineChunks(sourcePath)) {
      for (const line of lines) held.set(keyIdOfLine(line), line);
      if (held.size > stats.peakEntries) stats.peakEntries = held.size;
    }
    for await (const lines of readLineChunks(targetPath)) {
      for (const line of lines) {
        const keyId = keyIdOfLine(line);
        const sourceLine = held.get(keyId);
        if (sourceLine !== undefined) held.delete(keyId);
        if (sourceLine === undefined || !sameObservation(sourceLine, line))
          options.onDifferent(sourceLine, line);
      }
      await options.flush();
    }
    for (const sourceLine of held.values()) options.onDifferent(sourceLine, undefined);
    held.clear();
    await options.flush();
    await Promise.all([rm(sourcePath, { force: true }), rm(targetPath, { force: true })]);
  };
  const total = options.source.partitions;
  for (let partition = 0; partition < total; partition += 1) {
    if (options.signal?.aborted === true)
      throw verifyError(VerifyErrorCodes.aborted, 'verify: interrupted while comparing');
    await compare(
      options.source.path(partition),
      options.target.path(partition),
      options.source.counts[partition]!,
      0,
    );
    options.onPartition?.(partition + 1, total);
  }
  return stats;
};

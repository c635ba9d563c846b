import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeClock, type VectorClock } from '../../conflict/vectorClock.js';
import { openPrivate } from '../../core/privateFile.js';

/** What became of a detected conflict (concurrent writes). */
export const ConflictOutcomes = {
  /** Merged and written. */
  merged: 'merged',
  /** The merge threw or returned no item: both versions went to the dead-letter sink. */
  mergeFailed: 'mergeFailed',
  /** Lost the race to concurrent writers `maxAttempts` times: dead-lettered. */
  contended: 'contended',
  /** Not written before the time budget ran out: the stream redelivers it. */
  unfinished: 'unfinished',
} as const;
export type ConflictOutcome = (typeof ConflictOutcomes)[keyof typeof ConflictOutcomes];

/**
 * One conflict, as logged and audited: never attribute values. The key appears as a hash (the
 * deployment's keyed hash of the canonical key, the same as `dynasync verify`'s: see `KeyHasher`),
 * since keys may be personal data.
 */
export interface ConflictAuditEntry {
  readonly at: string;
  readonly keyHash: string;
  /** Region the incoming write came from (the stream's region). */
  readonly sourceRegion: string;
  /** Region where the conflict was found and merged (the peer). */
  readonly targetRegion: string;
  /** Vector clocks as canonical text: the stored item's, the incoming one's, and the merged one's. */
  readonly localClock: string;
  readonly remoteClock: string;
  readonly mergedClock: string | undefined;
  readonly localVersion: string | undefined;
  readonly remoteVersion: string | undefined;
  readonly outcome: ConflictOutcome;
  /** Read-merge-write attempts. */
  readonly attempts: number;
  /** Names of the attributes the merge changed in the stored item (names only; values are masked). */
  readonly changedAttributes: readonly string[];
}

/** Builds an audit entry; pure apart from the time given. */
export const conflictAuditEntry = (fields: {
  readonly at: Date;
  /** The key's hash by the deployment's `KeyHasher`. */
  readonly keyHash: string;
  readonly sourceRegion: string;
  readonly targetRegion: string;
  readonly localClock: VectorClock;
  readonly remoteClock: VectorClock;
  readonly mergedClock?: VectorClock;
  readonly localVersion: string | undefined;
  readonly remoteVersion: string | undefined;
  readonly outcome: ConflictOutcome;
  readonly attempts: number;
  readonly changedAttributes?: readonly string[];
}): ConflictAuditEntry => ({
  at: fields.at.toISOString(),
  keyHash: fields.keyHash,
  sourceRegion: fields.sourceRegion,
  targetRegion: fields.targetRegion,
  localClock: encodeClock(fields.localClock),
  remoteClock: encodeClock(fields.remoteClock),
  mergedClock: fields.mergedClock === undefined ? undefined : encodeClock(fields.mergedClock),
  localVersion: fields.localVersion,
  remoteVersion: fields.remoteVersion,
  outcome: fields.outcome,
  attempts: fields.attempts,
  changedAttributes: [...(fields.changedAttributes ?? [])].sort(),
});

/** Where conflict audit entries go besides the log line. `write` resolves once the entries are stored. */
export interface ConflictAuditSink {
  write(entries: readonly ConflictAuditEntry[]): Promise<void>;
}

/**
 * A JSON-lines file per region, `<dir>/conflicts-<region>.jsonl`, one entry per line. Entries hold
 * keys as hashes, regions, clocks, versions and attribute names; never values.
 */
export class FileConflictAuditSink implements ConflictAuditSink {
  public readonly path: string;

  public constructor(dir: string, region: string) {
    this.path = join(dir, `conflicts-${region}.jsonl`);
  }

  public async write(entries: readonly ConflictAuditEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await mkdir(join(this.path, '..'), { recursive: true });
    const file = await openPrivate(this.path, 'a');
    try {
      await file.appendFile(entries.map((entry) => `${JSON.stringify(entry)}\n`).join(''), 'utf8');
    } finally {
      await file.close();
    }
  }
}

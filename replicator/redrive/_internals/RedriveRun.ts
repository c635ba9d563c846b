import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Config } from '../../../core/config/types.js';
import type { KeyProvider } from '../../../pipeline/types.js';
import { protectMessage } from '../../deadLetter/protectLetter.js';
import type { DeadLetter } from '../../deadLetter/types.js';
import type { PeerWrites } from '../../PeerWrites.js';
import type { PlanContext } from '../../planBatch.js';
import {
  type DeadLetterSource,
  type RedriveOutcome,
  RedriveOutcomes,
  type RedriveReport,
  type StoredDeadLetter,
} from '../types.js';
import { letterLine } from './redriveLines.js';

/** What one redrive works with while it replays letters, and the report it fills. */
export interface RedriveRun {
  readonly config: Config;
  readonly region: string;
  readonly dryRun: boolean;
  /** Time budget of one letter's writes, ms. */
  readonly letterTimeoutMs: number;
  readonly print: (line: string) => void;
  readonly clients: Readonly<Record<string, DynamoDBClient>>;
  readonly currentPeers: ReadonlySet<string>;
  readonly keys: KeyProvider | undefined;
  /** The plan context of every letter, but its peers (the letter's targets still in the topology). */
  readonly planContext: Omit<PlanContext, 'peers'>;
  readonly writer: PeerWrites;
  readonly source: DeadLetterSource;
  readonly report: RedriveReport;
}

/** A report with nothing counted yet. */
export const emptyReport = (): RedriveReport => ({
  replayed: 0,
  stale: 0,
  failedAgain: 0,
  skipped: 0,
  duplicates: 0,
  unreadable: 0,
  onFailureBatches: 0,
  notReplayed: [],
  entries: [],
});

/** Records a letter's outcome in the report and prints its line. */
export const note = (
  run: RedriveRun,
  letter: StoredDeadLetter,
  outcome: RedriveOutcome,
  targetRegions: string[],
  code?: string,
): void => {
  const sequenceNumber = letter.record.dynamodb?.SequenceNumber;
  run.report.entries.push({
    id: letter.id,
    sequenceNumber,
    outcome,
    targetRegions,
    ...(code === undefined ? {} : { code }),
  });
  run.print(letterLine(letter.id, sequenceNumber, outcome, targetRegions, code));
};

/**
 * A letter that fails again: kept in the store with its attempts, time and error updated (a dry run
 * only counts it as `wouldFail`).
 */
export const failAgain = async (
  run: RedriveRun,
  letter: StoredDeadLetter,
  code: DeadLetter['error']['code'],
  message: string,
  targets: string[],
): Promise<void> => {
  const now = new Date().toISOString();
  if (run.dryRun) {
    run.report.skipped += 1;
    note(run, letter, RedriveOutcomes.wouldFail, targets, code);
    return;
  }
  run.report.failedAgain += 1;
  note(run, letter, RedriveOutcomes.failedAgain, targets, code);
  await run.source.keep(letter, {
    ...letter,
    targetRegions: targets,
    // A letter of a masking peer keeps no values or map keys in its message either.
    error: { code, message: letter.recordRedacted === true ? protectMessage(message) : message },
    attempts: letter.attempts + 1,
    lastFailureAt: now,
  });
};

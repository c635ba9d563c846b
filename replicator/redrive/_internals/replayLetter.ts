import type { DeadLetter } from '../../deadLetter/types.js';
import { oversizeError } from '../../PeerWriter.js';
import { planBatch } from '../../planBatch.js';
import { WriteOutcomes, type WritePlan } from '../../types.js';
import { RedriveOutcomes, type StoredDeadLetter } from '../types.js';
import { openSealed } from './openSealed.js';
import { failAgain, note, type RedriveRun } from './RedriveRun.js';
import { targetIsNewer } from './targetIsNewer.js';

/**
 * The stream record a letter replays; `undefined` (after failing the letter again) when it keeps
 * none: too large for the queue message, or redacted without a sealed copy or keys to open it.
 */
const recordOf = async (
  run: RedriveRun,
  letter: StoredDeadLetter,
): Promise<DeadLetter['record'] | undefined> => {
  if (letter.recordOmitted !== undefined) {
    await failAgain(
      run,
      letter,
      'replicator.deadLetterFailed',
      'the record was too large for the queue message; replay it from the overflow file (deadLetter.overflowDir)',
      [...letter.targetRegions],
    );
    return undefined;
  }
  if (letter.recordRedacted !== true) return letter.record;
  if (letter.sealedRecord === undefined || run.keys === undefined) {
    await failAgain(
      run,
      letter,
      'replicator.deadLetterFailed',
      'the letter keeps no record (a masking pipeline with deadLetterRecord "omit"); write the item again at the source to replicate it',
      [...letter.targetRegions],
    );
    return undefined;
  }
  return openSealed(letter.id, letter.sealedRecord, run.keys);
};

/** A letter with its plan and the targets it is planned for. */
interface PlannedLetter {
  readonly letter: StoredDeadLetter;
  readonly plan: WritePlan;
  readonly targets: string[];
}

/** Dry run: what the plan's writes would do (fail as too large, skip as stale, or apply); nothing written. */
const dryRunPlan = async (run: RedriveRun, { letter, plan, targets }: PlannedLetter): Promise<void> => {
  const tooLarge = plan.writes.map(oversizeError).find((error) => error !== undefined);
  if (tooLarge !== undefined) {
    await failAgain(run, letter, tooLarge.code, tooLarge.message, targets);
    return;
  }
  const newer = await Promise.all(plan.writes.map((write) => targetIsNewer(run.clients, run.config, write)));
  run.report.skipped += 1;
  note(run, letter, newer.every(Boolean) ? RedriveOutcomes.wouldSkip : RedriveOutcomes.wouldApply, targets);
};

/** Sends the plan's writes; the letter leaves the store once every target took it (applied or stale). */
const writePlan = async (run: RedriveRun, { letter, plan, targets }: PlannedLetter): Promise<void> => {
  const results = await run.writer.sendAll(plan.writes, Date.now() + run.letterTimeoutMs);
  const failed = results.filter(
    (result) => result.outcome === WriteOutcomes.permanent || result.outcome === WriteOutcomes.unfinished,
  );
  if (failed.length > 0) {
    const error = failed[0]!.error!;
    await failAgain(
      run,
      letter,
      error.code,
      error.message,
      failed.map((result) => result.write.peer),
    );
    return;
  }
  const applied = results.some((result) => result.outcome === WriteOutcomes.applied);
  if (applied) run.report.replayed += 1;
  else run.report.stale += 1;
  note(run, letter, applied ? RedriveOutcomes.replayed : RedriveOutcomes.stale, targets);
  await run.source.remove(letter);
};

/**
 * Replays one letter through the current config: plans its record for the targets still in the
 * topology, then writes it (or, in a dry run, says what would happen), and settles the letter.
 */
export const replayLetter = async (run: RedriveRun, letter: StoredDeadLetter): Promise<void> => {
  const record = await recordOf(run, letter);
  if (record === undefined) return;
  const targets = letter.targetRegions.filter((target) => run.currentPeers.has(target));
  const plan = planBatch([record], { ...run.planContext, peers: targets });
  const rejection = plan.rejected[0];
  if (rejection !== undefined) {
    await failAgain(run, letter, rejection.error.code, rejection.error.message, targets);
    return;
  }
  if (plan.writes.length === 0) {
    // Nothing left to write (the target left the topology, or the record needs no write): done.
    run.report.stale += 1;
    note(run, letter, RedriveOutcomes.stale, targets);
    if (!run.dryRun) await run.source.remove(letter);
    return;
  }
  if (run.dryRun) await dryRunPlan(run, { letter, plan, targets });
  else await writePlan(run, { letter, plan, targets });
};

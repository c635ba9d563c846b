import { describe, expect, it } from 'vitest';
import { CheckpointWriter } from '../../../replicator/poller/_internals/CheckpointWriter.js';
import type { CheckpointStore, Checkpoints } from '../../../replicator/poller/CheckpointStore.js';
import { recordingLogger } from './pollerHarness.js';

/** A store whose saves wait until the test releases them, one by one. */
const gatedStore = () => {
  const saves: Checkpoints[] = [];
  const gates: Array<() => void> = [];
  let inFlight = 0;
  let overlaps = 0;
  let failNext = false;
  const store: CheckpointStore = {
    load: async () => ({ shards: {} }),
    save: async (checkpoints) => {
      inFlight += 1;
      if (inFlight > 1) overlaps += 1;
      saves.push(structuredClone(checkpoints));
      await new Promise<void>((resolve) => gates.push(resolve));
      inFlight -= 1;
      if (failNext) {
        failNext = false;
        throw new Error('disk full');
      }
    },
  };
  const releaseNext = async (): Promise<void> => {
    // A few turns of the event loop for the save to reach the store; counted, never timed.
    for (let turn = 0; gates.length === 0 && turn < 50; turn += 1)
      await new Promise((resolve) => setImmediate(resolve));
    const gate = gates.shift();
    if (gate === undefined) throw new Error('gatedStore: no save is waiting');
    gate();
  };
  return { store, saves, releaseNext, overlaps: () => overlaps, failNextSave: () => (failNext = true) };
};

describe('CheckpointWriter', () => {
  it('never overlaps saves, and every call made during a save shares the next one, with the newest positions', async () => {
    // Prepare
    const gated = gatedStore();
    let position = 1;
    const writer = new CheckpointWriter({
      store: gated.store,
      snapshot: () => ({ shards: { s: { sequenceNumber: String(position), finished: false } } }),
      logger: recordingLogger(),
      region: 'eu-west-1',
    });

    // Act: one save runs; three calls come in while it does, the positions move on meanwhile.
    const first = writer.save();
    await new Promise((resolve) => setImmediate(resolve));
    position = 2;
    const queued = [writer.save(), writer.save()];
    position = 3;
    queued.push(writer.save());
    await gated.releaseNext();
    await first;
    await gated.releaseNext();
    await Promise.all(queued);

    // Assess
    expect(queued[0]).toBe(queued[1]);
    expect(queued[1]).toBe(queued[2]);
    expect(gated.overlaps()).toBe(0);
    expect(gated.saves.map((saved) => saved.shards.s?.sequenceNumber)).toEqual(['1', '3']);
  });

  it('saveOrLog logs a failed save instead of throwing, and the next save runs', async () => {
    // Prepare
    const gated = gatedStore();
    const logger = recordingLogger();
    const writer = new CheckpointWriter({
      store: gated.store,
      snapshot: () => ({ shards: {} }),
      logger,
      region: 'eu-west-1',
    });
    gated.failNextSave();

    // Act
    const failed = writer.saveOrLog();
    await gated.releaseNext();
    await failed;
    const next = writer.save();
    await gated.releaseNext();
    await next;

    // Assess
    expect(logger.lines.filter((line) => line.level === 'error')).toHaveLength(1);
    expect(gated.saves).toHaveLength(2);
  });
});

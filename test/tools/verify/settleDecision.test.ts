import { describe, expect, it } from 'vitest';
import { compareObservations } from '../../../tools/verify/compareObservations.js';
import { type SettleInput, settleDecision } from '../../../tools/verify/settleDecision.js';
import type { Observation } from '../../../tools/verify/types.js';

const v = (ms: number, logical = 0) =>
  `${String(ms).padStart(15, '0')}.${String(logical).padStart(6, '0')}.eu-west-1`;
const live = (digest: string, version: string): Observation => ({ state: 'live', digest, version });
const gone: Observation = { state: 'absent', digest: '', version: '' };
const dead = (version: string): Observation => ({ state: 'tombstone', digest: '', version });

const decide = (input: Partial<SettleInput> & Pick<SettleInput, 'scanned' | 'current'>) =>
  settleDecision({ previous: input.scanned, round: 1, maxRounds: 3, compareVersions: true, ...input });

describe('compareObservations', () => {
  it('treats tombstones as absent and compares live items by digest', () => {
    expect(compareObservations(live('a', v(1)), gone)).toBe('missing');
    expect(compareObservations(live('a', v(1)), dead(v(2)))).toBe('missing');
    expect(compareObservations(gone, live('a', v(1)))).toBe('extra');
    expect(compareObservations(dead(v(1)), live('a', v(1)))).toBe('extra');
    expect(compareObservations(live('a', v(1)), live('b', v(1)))).toBe('different');
    expect(compareObservations(live('a', v(1)), live('a', v(1)))).toBeUndefined();
    expect(compareObservations(dead(v(1)), gone)).toBeUndefined();
    expect(compareObservations(dead(v(1)), dead(v(7)))).toBeUndefined();
  });
});

describe('settleDecision', () => {
  it('settles a difference that is gone on the re-read', () => {
    expect(
      decide({
        scanned: { source: live('a5', v(5)), target: live('a4', v(4)) },
        current: { source: live('a5', v(5)), target: live('a5', v(5)) },
      }),
    ).toEqual({ type: 'settled' });
  });

  it('settles when the target received the scanned state and a newer change is in flight', () => {
    const scanned = { source: live('a5', v(5)), target: live('a4', v(4)) };
    expect(decide({ scanned, current: { source: live('a7', v(7)), target: live('a5', v(5)) } })).toEqual({
      type: 'settled',
    });
    expect(decide({ scanned, current: { source: live('a7', v(7)), target: live('a6', v(6)) } })).toEqual({
      type: 'settled',
    });
  });

  it('settles a change made in the target region that reached the source (active-active)', () => {
    const scanned = { source: live('a4', v(4)), target: live('a5', v(5)) };
    expect(decide({ scanned, current: { source: live('a5', v(5)), target: live('a6', v(6)) } })).toEqual({
      type: 'settled',
    });
  });

  it('reports a difference that did not move for a whole grace period as drift, by its current state', () => {
    expect(
      decide({
        scanned: { source: live('a', v(5)), target: live('b', v(5)) },
        current: { source: live('a', v(5)), target: live('b', v(5)) },
      }),
    ).toEqual({ type: 'drift', kind: 'different' });
    expect(
      decide({
        scanned: { source: live('a', v(5)), target: gone },
        current: { source: live('a', v(5)), target: gone },
      }),
    ).toEqual({ type: 'drift', kind: 'missing' });
    // A static target newer than the source is drift too: its change never reached the source.
    expect(
      decide({
        scanned: { source: live('a', v(5)), target: live('b', v(9)) },
        current: { source: live('a', v(5)), target: live('b', v(9)) },
      }),
    ).toEqual({ type: 'drift', kind: 'different' });
  });

  it('re-checks a key that keeps changing while the target has not caught up, then calls it drift after the last round', () => {
    const scanned = { source: live('a5', v(5)), target: live('a1', v(1)) };
    const current = { source: live('a6', v(6)), target: live('a1', v(1)) };
    expect(decide({ scanned, current, round: 1 })).toEqual({ type: 'recheck' });
    expect(
      decide({ scanned, previous: { source: live('a5', v(5)), target: scanned.target }, current, round: 3 }),
    ).toEqual({ type: 'drift', kind: 'different' });
  });

  it('one-way: compares content only, and settles once the replica moved to a newer version', () => {
    const oneWay = { compareVersions: false };
    const scanned = { source: live('s5', ''), target: live('s4', v(4)) };
    // Same content as the scanned source: delivered.
    expect(
      decide({ ...oneWay, scanned, current: { source: live('s6', ''), target: live('s5', v(5)) } }),
    ).toEqual({ type: 'settled' });
    // A newer replica version with other content: replication delivered a later whole item.
    expect(
      decide({ ...oneWay, scanned, current: { source: live('s8', ''), target: live('s7', v(7)) } }),
    ).toEqual({ type: 'settled' });
    // The replica never moved: the source's changes do not arrive.
    expect(
      decide({ ...oneWay, scanned, current: { source: live('s5', ''), target: live('s4', v(4)) } }),
    ).toEqual({ type: 'drift', kind: 'different' });
  });
});

import { compareVersions, type Version } from './version.js';

/** What last-writer-wins does with an incoming change. */
export const LwwDecisions = { apply: 'apply', stale: 'stale' } as const;
export type LwwDecision = (typeof LwwDecisions)[keyof typeof LwwDecisions];

/**
 * Last-writer-wins: an incoming version applies only when strictly newer than the stored one
 * (an item with no version, or no item, is older than every version). Older or equal is stale:
 * duplicates, retries and out-of-order deliveries are skipped, never errors.
 */
export const resolveLww = (incoming: Version, stored: Version | undefined): LwwDecision =>
  stored === undefined || compareVersions(incoming, stored) > 0 ? LwwDecisions.apply : LwwDecisions.stale;

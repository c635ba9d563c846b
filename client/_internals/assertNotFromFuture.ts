import type { Version } from '../../conflict/version.js';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';

/** Default of the client helpers' `maxClockSkewMs`, as `replicator.maxClockSkewMs`: five minutes. */
export const DEFAULT_CLIENT_MAX_CLOCK_SKEW_MS = 300_000;

/**
 * Refuses a version more than `maxClockSkewMs` ahead of the wall clock, before anything is written:
 * the replicator would dead-letter it (`replicator.versionFromFuture`), and stamping past a stored
 * far-future version would only carry that version on.
 *
 * ```
 * wall ───── wall + maxClockSkewMs ───── version      → client.versionFromFuture, nothing written
 * ```
 * @throws DynasyncError `client.versionFromFuture`
 */
export const assertNotFromFuture = (
  version: Version,
  wallMs: number,
  maxClockSkewMs: number,
  region: string,
  what: 'stored' | 'stamp',
): void => {
  const aheadMs = version.physicalMs - wallMs;
  if (aheadMs <= maxClockSkewMs) return;
  const which =
    what === 'stored' ? 'the stored item keeps a version' : "this client's clock would stamp a version";
  throw new DynasyncError(
    ErrorCodes.client.versionFromFuture,
    `${which} ${aheadMs} ms ahead of the wall clock, more than maxClockSkewMs (${maxClockSkewMs}); ` +
      'the replicator refuses such versions (replicator.versionFromFuture). Fix the clock that made it, then write the item again',
    { payload: { region, aheadMs, maxClockSkewMs, what } },
  );
};

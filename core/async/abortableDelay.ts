import { setTimeout as delay } from 'node:timers/promises';

/**
 * Waits `ms`, and rejects (an `AbortError`) as soon as `signal` aborts: the wait of the tools'
 * retries, so an aborted scan or repair sends no further request. The replicator's waits use
 * `sleep`, which resolves early instead.
 */
export const abortableDelay = (ms: number, signal?: AbortSignal): Promise<void> =>
  delay(ms, undefined, signal === undefined ? undefined : { signal });

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Config } from '../../../core/config/types.js';
import { DynasyncError, ErrorCodes } from '../../../core/errors.js';
import type { Pipeline } from '../../../pipeline/types.js';
import { createPipelines } from '../../createPipelines.js';
import { checkTables } from '../checkTables.js';
import { abortOnSignals, type RunUntilSignalOptions } from '../runUntilSignal.js';

/** What {@link startUp} needs besides the config and clients. */
export interface StartUpOptions {
  readonly region: string;
  readonly signals: RunUntilSignalOptions | undefined;
  /** How long the table check retries transient failures. @default checkTables' default */
  readonly retryBudgetMs: number | undefined;
}

/**
 * The start-up of `dynasync run` under a signal guard: checks every region's table, then resolves
 * the peers' pipelines. A signal aborts the calls in flight; one received during start-up throws.
 * The guard is released before this returns (runUntilSignal takes the signals over next).
 * @throws DynasyncError `poller.interrupted` (a signal during start-up), and what `checkTables` and
 *   `createPipelines` throw.
 */
export const startUp = async (
  config: Config,
  clients: Readonly<Record<string, DynamoDBClient>>,
  options: StartUpOptions,
): Promise<Readonly<Record<string, Pipeline>>> => {
  const startup = abortOnSignals(options.signals);
  let pipelines: Readonly<Record<string, Pipeline>>;
  try {
    await checkTables(config, clients, {
      signal: startup.signal,
      ...(options.retryBudgetMs === undefined ? {} : { retryBudgetMs: options.retryBudgetMs }),
    });
    pipelines = await createPipelines(config, options.region);
  } finally {
    startup.dispose();
  }
  const received = startup.received();
  if (received !== undefined)
    throw new DynasyncError(
      ErrorCodes.poller.interrupted,
      `interrupted by ${received} during start-up; nothing was replicated`,
      { payload: { region: options.region, signal: received } },
    );
  return pipelines;
};

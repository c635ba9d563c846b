import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { SQSClient } from '@aws-sdk/client-sqs';
import { sleep as coreSleep } from '../../core/async/sleep.js';
import { peersOf } from '../../core/config/topology.js';
import type { Config } from '../../core/config/types.js';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import { accountCredentials } from '../../replicator/clients.js';
import { collectRegion, type StatusClients } from './collectStatus.js';
import { deriveReport } from './deriveHealth.js';
import { formatStatus } from './formatStatus.js';
import type { StatusReport, StatusThresholds } from './types.js';

/** Exit codes of `dynasync status`. */
export const StatusExitCodes = {
  healthy: 0,
  /** Lag over the limit, dead letters waiting, a stale or missing status file, a stopped poller. */
  unhealthy: 1,
  /** Bad options or config, a file or AWS read that failed. */
  error: 2,
} as const;

/** Options of {@link runStatus}. */
export interface RunStatusOptions extends StatusThresholds {
  readonly config: Config;
  /** Source regions to inspect. @default every region that ships to a peer */
  readonly regions?: readonly string[];
  /** Replicator function per region, for CloudWatch `IteratorAge`. @default none: not read */
  readonly functionNames?: Readonly<Record<string, string>>;
  /** @default false: text */
  readonly json?: boolean;
  /** Refresh every this many ms until `signal` aborts. @default undefined: one round */
  readonly watchIntervalMs?: number;
}

/** Where `runStatus` writes and what it may be given instead of creating it. */
export interface RunStatusIo {
  /** @default process.stdout */
  readonly print?: (text: string) => void;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default setTimeout, cut short by `signal` */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Ends `--watch`. @default SIGINT */
  readonly signal?: AbortSignal;
  readonly clients?: StatusClients;
  /** Clear the screen between `--watch` rounds (text on a TTY). @default process.stdout.isTTY */
  readonly clearScreen?: boolean;
}

/** The regions to inspect; a region that ships nothing has no replication to report. */
export const statusRegions = (config: Config, asked: readonly string[] | undefined): string[] => {
  const regions =
    asked !== undefined
      ? [...asked]
      : Object.keys(config.regions).filter((region) => peersOf(config, region).length > 0);
  for (const region of regions) {
    if (config.regions[region] === undefined) {
      throw new DynasyncError(
        ErrorCodes.config.invalidField,
        `--region ${region} is not a key of "regions" (${Object.keys(config.regions).join(', ')})`,
        { payload: { path: 'regions', region } },
      );
    }
  }
  return regions;
};

/** One round: read every region, judge it. */
export const checkStatus = async (
  options: RunStatusOptions,
  io: Pick<RunStatusIo, 'clients'> & { readonly now: () => number },
): Promise<StatusReport> => {
  const regions = statusRegions(options.config, options.regions);
  const readings = await Promise.all(
    regions.map((region) =>
      collectRegion({
        config: options.config,
        region,
        functionName: options.functionNames?.[region],
        nowMs: io.now(),
        ...(io.clients === undefined ? {} : { clients: io.clients }),
      }),
    ),
  );
  return deriveReport(readings, options, io.now());
};

/**
 * `dynasync status`: prints the replication health of each source region and returns the exit
 * code of the last round (0 healthy, 1 unhealthy). With `watchIntervalMs`, refreshes until `signal`.
 * @throws DynasyncError `config.invalidField` for an unknown region; I/O errors (the command exits 2).
 */
export const runStatus = async (options: RunStatusOptions, io: RunStatusIo = {}): Promise<number> => {
  const print = io.print ?? ((text: string) => void process.stdout.write(text));
  const now = io.now ?? Date.now;
  const sleep = io.sleep ?? coreSleep;
  const owned: Array<{ destroy(): void }> = [];
  const memo = <T extends { destroy(): void }>(create: (region: string) => T) => {
    const made = new Map<string, T>();
    return (region: string): T => {
      let client = made.get(region);
      if (client === undefined) {
        client = create(region);
        made.set(region, client);
        owned.push(client);
      }
      return client;
    };
  };
  const awsRegion = (region: string) => options.config.regions[region]?.awsRegion ?? region;
  const clients: StatusClients = {
    sqs:
      io.clients?.sqs ??
      memo((region) => {
        const regionConfig = options.config.regions[region];
        const credentials = regionConfig === undefined ? undefined : accountCredentials(region, regionConfig);
        return new SQSClient({
          region: awsRegion(region),
          ...(credentials === undefined ? {} : { credentials }),
        });
      }),
    cloudWatch:
      io.clients?.cloudWatch ?? memo((region) => new CloudWatchClient({ region: awsRegion(region) })),
  };
  const watching = options.watchIntervalMs !== undefined;
  const clear = io.clearScreen ?? process.stdout.isTTY === true;
  const controller = io.signal === undefined && watching ? new AbortController() : undefined;
  const onSigint = () => controller?.abort();
  if (controller !== undefined) process.once('SIGINT', onSigint);
  const signal = io.signal ?? controller?.signal ?? new AbortController().signal;
  try {
    let code: number = StatusExitCodes.healthy;
    do {
      const report = await checkStatus(options, { clients, now });
      code = report.healthy ? StatusExitCodes.healthy : StatusExitCodes.unhealthy;
      if (options.json) print(`${watching ? JSON.stringify(report) : JSON.stringify(report, null, 2)}\n`);
      else print(`${watching && clear ? '\x1b[2J\x1b[H' : ''}${formatStatus(report)}`);
      if (!watching || signal.aborted) break;
      await sleep(options.watchIntervalMs ?? 0, signal);
    } while (!signal.aborted);
    return code;
  } finally {
    process.off('SIGINT', onSigint);
    for (const client of owned) client.destroy();
  }
};

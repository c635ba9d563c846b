import type { PollerStatus } from '../../replicator/poller/StatusFile.js';

/** Where a region's dead letters are counted, and how many wait there. */
export type DeadLetterReading =
  | {
      readonly source: 'file';
      readonly path: string;
      readonly waiting: number;
      readonly unreadableLines: number;
    }
  | { readonly source: 'sqs'; readonly queueUrl: string; readonly waiting: number }
  | { readonly source: 'none'; readonly reason: string };

/** What `dynasync status` read for one region (the I/O step); no judgement yet. */
export interface RegionReadings {
  readonly region: string;
  readonly statusPath: string;
  /** The poller's status file; undefined when there is none. */
  readonly status: PollerStatus | undefined;
  /** Why the status file could not be used (`poller.statusCorrupt`). */
  readonly statusError?: { readonly code: string; readonly message: string };
  readonly checkpointPath: string;
  /** `savedAt` of the checkpoint file; undefined when there is none. */
  readonly checkpointSavedAt: string | undefined;
  readonly deadLetters: DeadLetterReading;
  /** The replicator function whose iterator age was read (AWS deployments). */
  readonly functionName?: string | undefined;
  /** Newest CloudWatch `IteratorAge` (Maximum, ms); null when CloudWatch has no datapoint in the window. */
  readonly iteratorAgeMs?: number | null | undefined;
  /**
   * `--endpoint-url` flags of the config's local endpoints, for suggested commands (see
   * `localEndpointFlags`); empty or absent for AWS endpoints.
   */
  readonly endpointFlags?: string;
}

/** Limits of a healthy region. */
export interface StatusThresholds {
  /** Largest healthy lag (version-time lag, exact stream lag, or iterator age), ms. */
  readonly maxLagMs: number;
  /** A running poller's status file older than this is stale. @default 3 stats intervals, at least 30 s */
  readonly staleAfterMs?: number;
}

/** Why a region is unhealthy. */
export const StatusProblems = {
  lag: 'status.lagOverThreshold',
  iteratorAge: 'status.iteratorAgeOverThreshold',
  deadLetters: 'status.deadLettersWaiting',
  statusMissing: 'status.statusFileMissing',
  statusStale: 'status.statusFileStale',
  statusCorrupt: 'status.statusFileCorrupt',
  stopped: 'status.pollerStopped',
} as const;
export type StatusProblem = (typeof StatusProblems)[keyof typeof StatusProblems];

/** Replication to one peer. */
export interface PeerHealth {
  readonly peer: string;
  readonly applied: number;
  readonly stale: number;
  readonly lastAppliedVersionAt: string | undefined;
  /** How long ago that version was written, ms. */
  readonly lastAppliedVersionAgeMs: number | undefined;
}

/** The health of one source region. */
export interface RegionHealth {
  readonly region: string;
  readonly healthy: boolean;
  readonly problems: ReadonlyArray<{ readonly code: StatusProblem; readonly message: string }>;
  /** `run`: a status file was found; `lambda`: none, but a function to ask CloudWatch about. */
  readonly mode: 'run' | 'lambda' | 'unknown';
  readonly state: PollerStatus['state'] | undefined;
  readonly statusAgeMs: number | undefined;
  readonly totals: PollerStatus['totals'] | undefined;
  readonly lastAppliedVersionAt: string | undefined;
  readonly lastAppliedVersionAgeMs: number | undefined;
  /** True lag of the last applied batch, from version times, ms. */
  readonly lagMs: number | undefined;
  /** Lag of the same batch from stream times, ms; approximate, and coarse when `streamLagCoarse`. */
  readonly streamLagMs: number | undefined;
  readonly streamLagCoarse: boolean;
  readonly peers: readonly PeerHealth[];
  readonly deadLetters: DeadLetterReading;
  readonly checkpointAgeMs: number | undefined;
  readonly functionName: string | undefined;
  readonly iteratorAgeMs: number | null | undefined;
}

/** The result of one `dynasync status` round. */
export interface StatusReport {
  readonly checkedAt: string;
  readonly healthy: boolean;
  readonly maxLagMs: number;
  readonly regions: readonly RegionHealth[];
}

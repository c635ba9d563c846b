import { randomUUID } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { Config } from '../../core/config/types.js';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import type { TotalsSnapshot } from './_internals/BatchStats.js';

/** Version of the status file layout. */
const FORMAT = 1;

const count = z.number().int().min(0);
const time = z.iso.datetime();

const statusSchema = z.strictObject({
  format: z.literal(FORMAT),
  region: z.string().min(1),
  state: z.enum(['running', 'stopped']),
  startedAt: time,
  updatedAt: time,
  /** How often the poller rewrites the file, ms; a reader calls the file stale after a few missed updates. */
  statsIntervalMs: count,
  /** True when stream times are coarse (DynamoDB Local rounds them to whole minutes). */
  coarseStreamTimes: z.boolean(),
  totals: z.strictObject({
    batches: count,
    records: count,
    applied: count,
    stale: count,
    deadLettered: count,
    unfinished: count,
    skipped: count,
  }),
  peers: z.record(
    z.string().min(1),
    z.strictObject({ applied: count, stale: count, lastAppliedVersionAt: time.optional() }),
  ),
  lastAppliedVersionAt: time.optional(),
  lastAppliedAt: time.optional(),
  versionLagMs: count.optional(),
  streamLagMs: count.optional(),
});

/**
 * What `dynasync run` tells `dynasync status`: running totals since start and the last applied
 * version time. Counts, times and region names only: no keys, no values.
 */
export type PollerStatus = z.infer<typeof statusSchema>;

/** The status file of a region, next to its checkpoint: `<replicator.checkpointDir>/status-<region>.json`. */
export const statusPath = (config: Pick<Config, 'replicator'>, region: string): string =>
  join(config.replicator.checkpointDir, `status-${region}.json`);

const iso = (ms: number | undefined): string | undefined =>
  ms === undefined ? undefined : new Date(ms).toISOString();

/** Builds the status document from a totals snapshot (pure). */
export const toPollerStatus = (input: {
  readonly region: string;
  readonly state: PollerStatus['state'];
  readonly startedAtMs: number;
  readonly nowMs: number;
  readonly statsIntervalMs: number;
  readonly coarseStreamTimes: boolean;
  readonly totals: TotalsSnapshot;
}): PollerStatus => {
  const { totals } = input;
  const optional = <K extends string, V>(key: K, value: V | undefined) =>
    (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;
  return {
    format: FORMAT,
    region: input.region,
    state: input.state,
    startedAt: new Date(input.startedAtMs).toISOString(),
    updatedAt: new Date(input.nowMs).toISOString(),
    statsIntervalMs: input.statsIntervalMs,
    coarseStreamTimes: input.coarseStreamTimes,
    totals: {
      batches: totals.batches,
      records: totals.records,
      applied: totals.applied,
      stale: totals.stale,
      deadLettered: totals.deadLettered,
      unfinished: totals.unfinished,
      skipped: totals.skipped,
    },
    peers: Object.fromEntries(
      Object.entries(totals.peers).map(([peer, p]) => [
        peer,
        {
          applied: p.applied,
          stale: p.stale,
          ...optional('lastAppliedVersionAt', iso(p.lastAppliedVersionMs)),
        },
      ]),
    ),
    ...optional('lastAppliedVersionAt', iso(totals.lastAppliedVersionMs)),
    ...optional('lastAppliedAt', iso(totals.lastAppliedAtMs)),
    ...optional('versionLagMs', totals.versionLagMs),
    ...optional('streamLagMs', totals.streamLagMs),
  };
};

/**
 * Replaces the status file atomically (write a temporary file next to it, rename it over), mode 0600.
 * No fsync: a status lost in a crash is rewritten at the next stats interval.
 */
export const writeStatusFile = async (path: string, status: PollerStatus): Promise<void> => {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.${randomUUID().slice(0, 8)}.tmp`;
  try {
    const file = await open(temporary, 'wx', 0o600);
    try {
      await file.writeFile(`${JSON.stringify(status, null, 2)}\n`, 'utf8');
    } finally {
      await file.close();
    }
    await chmod(temporary, 0o600);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
};

/**
 * Reads a status file; undefined when there is none.
 * @throws DynasyncError `poller.statusCorrupt` when the file is not a status file.
 */
export const readStatusFile = async (path: string): Promise<PollerStatus | undefined> => {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw corrupt(path, 'it is not valid JSON');
  }
  const parsed = statusSchema.safeParse(document);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where =
      issue === undefined || issue.path.length === 0 ? '' : `${issue.path.map(String).join('.')}: `;
    throw corrupt(
      path,
      `it does not hold a poller status (${where}${issue?.message ?? 'unexpected content'})`,
    );
  }
  return parsed.data;
};

const corrupt = (path: string, reason: string): DynasyncError =>
  new DynasyncError(
    ErrorCodes.poller.statusCorrupt,
    `status file ${path} is corrupt: ${reason}. Delete it: a running \`dynasync run\` writes it again at its next stats interval`,
    { payload: { path } },
  );

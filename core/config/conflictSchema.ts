import { z } from 'zod';
import type { ConfigIssue } from './types.js';

const lwwConflictSchema = z.strictObject({
  /** `lww`: the highest hybrid-logical-clock version wins, one conditional write per change. */
  strategy: z.literal('lww'),
});

const auditSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({
      type: z.literal('file'),
      /** Folder of the JSON-lines files, one per region: `conflicts-<region>.jsonl`. @default ".dynasync" */
      dir: z.string().min(1).default('.dynasync'),
    }),
  ],
  { error: 'conflict.audit.type must be "file" (with "dir")' },
);

const mergeConflictSchema = z.strictObject({
  /** `merge`: vector clocks detect concurrent writes, which are merged at the target (a read per conflict). */
  strategy: z.literal('merge'),
  /** Built-in merge per attribute: `lww` (per-attribute last-writer-wins), `counter` or `set`. @default {} */
  attributes: z
    .record(
      z.string().min(1).max(255),
      z.enum(['lww', 'counter', 'set'], { error: 'an attribute merge is "lww", "counter" or "set"' }),
    )
    .default({}),
  /** Merge of unlisted attributes: `lww` (per attribute) or `item` (whole-item last-writer-wins). @default "lww" */
  default: z.enum(['lww', 'item'], { error: 'conflict.default must be "lww" or "item"' }).default('lww'),
  /**
   * A module exporting `merge(local, remote, context)`, used instead of the built-in merges; a relative
   * path resolves against the config file's folder. @default none: the built-in merges
   */
  module: z.string().min(1).optional(),
  /** Read-merge-write attempts of one conflict before it goes to the dead-letter sink (lost races). @default 5 */
  maxAttempts: z.number().int().min(1).max(50).default(5),
  /** Where conflicts are also written, with values masked. @default none: metric and log line only */
  audit: auditSchema.optional(),
});

/** The `conflict` section: `{ "strategy": "lww" }` or `{ "strategy": "merge", ... }`. */
export const conflictSchema = z.discriminatedUnion('strategy', [lwwConflictSchema, mergeConflictSchema], {
  error: 'conflict.strategy must be "lww" or "merge"',
});

/** The merge settings of a config with defaults applied. */
export type MergeConflictConfig = z.output<typeof mergeConflictSchema>;

/** Cross-field checks of the `conflict` section. */
export const conflictIssues = (config: {
  readonly conflict: z.output<typeof conflictSchema>;
  readonly topology: { readonly type: string };
  readonly metadata: { readonly prefix: string };
}): ConfigIssue[] => {
  const { conflict } = config;
  if (conflict.strategy !== 'merge') return [];
  const issues: ConfigIssue[] = [];
  if (config.topology.type !== 'active-active')
    issues.push({
      path: 'conflict.strategy',
      message:
        '"merge" needs an active-active topology (one-way has a single writer, so nothing is concurrent); use "lww"',
    });
  for (const name of Object.keys(conflict.attributes)) {
    if (name.startsWith(config.metadata.prefix))
      issues.push({
        path: `conflict.attributes.${name}`,
        message: `"${name}" starts with the metadata prefix "${config.metadata.prefix}"; dynasync's own attributes cannot be merged`,
      });
  }
  return issues;
};

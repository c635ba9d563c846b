import { metadataNamesFor } from '../core/config/topology.js';

/** A Lambda event filter pattern (the EventBridge pattern syntax), as a JSON-ready object. */
export type FilterPattern = { readonly [field: string]: FilterPattern | readonly unknown[] };

/**
 * The filter patterns that keep every stream record except the replicator's own writes (echoes).
 * Lambda invokes the function for a record that matches *any* pattern:
 *
 * 1. every `REMOVE` (deletes; the handler skips TTL expiries itself),
 * 2. `INSERT` / `MODIFY` whose new image has no `<prefix>rep.BOOL` (application writes: the client
 *    helper removes the flag; a never-replicated item never had it),
 * 3. `INSERT` / `MODIFY` whose new image has `<prefix>rep` = `false` (nobody writes it, but it is not an echo).
 *
 * A record whose new image has `<prefix>rep` = `true` matches none and is dropped before it
 * invokes (and costs) anything. The handler's own echo check (`classifyRecord`) stays as the
 * safety net for when the filter is off.
 *
 * Only for active-active topologies: the source of a one-way topology receives no replicated writes,
 * so every record of its stream is the application's, including one whose new image still carries
 * `<prefix>rep` = `true` (an item restored or copied back from a replica). The CDK app puts no filter
 * on a one-way source's mapping.
 *
 * Trade-off: an application write that bypasses the client helper on an item last written by
 * replication still carries `<prefix>rep` = `true`; with the filter on it is dropped here instead
 * of being dead-lettered loudly by the handler (`replicator.unstampedWrite`). `deploy.filterEchoes`
 * turns the filter off.
 *
 * @example
 * echoFilterPatterns('_ds_')[1]
 * // { eventName: ['INSERT', 'MODIFY'], dynamodb: { NewImage: { _ds_rep: { BOOL: [{ exists: false }] } } } }
 */
export const echoFilterPatterns = (prefix: string): readonly FilterPattern[] => {
  const replicated = metadataNamesFor(prefix).replicated;
  const writes = ['INSERT', 'MODIFY'];
  return [
    { eventName: ['REMOVE'] },
    { eventName: writes, dynamodb: { NewImage: { [replicated]: { BOOL: [{ exists: false }] } } } },
    { eventName: writes, dynamodb: { NewImage: { [replicated]: { BOOL: [false] } } } },
  ];
};

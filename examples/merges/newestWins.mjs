// A user merge for `conflict.module`: whole-item last-writer-wins by HLC version, with the larger
// `status` rank kept whatever the version (orders never move backwards: placed < paid < shipped).
// It is commutative, associative and idempotent: `npx dynasync check-merge examples/merges/newestWins.mjs`.

const RANK = { placed: 1, paid: 2, shipped: 3 };
const rank = (item) => RANK[item.status?.S] ?? 0;

/**
 * @param {Record<string, object>} local  the stored item (AttributeValue map, no dynasync metadata)
 * @param {Record<string, object>} remote the incoming item
 * @param {{ localVersion: string, remoteVersion: string }} context both clocks and versions
 */
export const merge = (local, remote, context) => {
  const newer = context.remoteVersion > context.localVersion ? remote : local;
  const status = rank(local) >= rank(remote) ? local.status : remote.status;
  const merged = { ...newer };
  if (status === undefined) delete merged.status;
  else merged.status = status;
  return merged;
};

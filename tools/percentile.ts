/** The p-th percentile (0-100) of samples by nearest rank; `undefined` for no samples. */
export const percentile = (samples: readonly number[], p: number): number | undefined => {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
};

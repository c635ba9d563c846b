/**
 * An abort signal that fires when `parent` does or when {@link abort} is called: lets the first
 * failing worker stop its siblings without aborting the caller's signal.
 */
export const linkedAbort = (
  parent: AbortSignal | undefined,
): { readonly signal: AbortSignal; abort(): void; dispose(): void } => {
  const controller = new AbortController();
  const onAbort = () => controller.abort(parent?.reason);
  if (parent?.aborted === true) controller.abort(parent.reason);
  else parent?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    abort: () => controller.abort(),
    dispose: () => parent?.removeEventListener('abort', onAbort),
  };
};

/**
 * A signal that aborts when `parent` aborts or after `timeoutMs`. Call `dispose` when done: it
 * clears the timer and detaches from `parent`, so a long-lived parent collects no listeners
 * (unlike `AbortSignal.any` with `AbortSignal.timeout`, which keep one per call until it fires).
 */
export const linkedSignal = (
  parent: AbortSignal,
  timeoutMs?: number,
): { signal: AbortSignal; abort(): void; dispose(): void } => {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(parent.reason);
  if (parent.aborted) onAbort();
  else parent.addEventListener('abort', onAbort, { once: true });
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(
          () => controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError')),
          timeoutMs,
        );
  return {
    signal: controller.signal,
    abort: () => controller.abort(),
    dispose: () => {
      clearTimeout(timer);
      parent.removeEventListener('abort', onAbort);
    },
  };
};

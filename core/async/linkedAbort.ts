/**
 * A signal that aborts when `parent` does, when {@link LinkedAbort.abort} is called, or after
 * `timeoutMs` (with a `TimeoutError`): lets the first failing worker stop its siblings, or bounds
 * one request, without aborting the caller's signal. Call `dispose` when done: it clears the timer
 * and detaches from `parent`, so a long-lived parent collects no listeners (unlike `AbortSignal.any`
 * with `AbortSignal.timeout`, which keep one per call until it fires).
 *
 * ```
 * parent ──abort──► signal aborts (with the parent's reason)
 * abort() ────────► signal aborts; parent untouched
 * timeoutMs ──────► signal aborts with TimeoutError "no answer within … ms"
 * dispose() ──────► timer cleared, listener on parent removed
 * ```
 * @example
 * const link = linkedAbort(options.signal, 30_000);
 * try { await client.send(command, { abortSignal: link.signal }); } finally { link.dispose(); }
 */
export const linkedAbort = (parent: AbortSignal | undefined, timeoutMs?: number): LinkedAbort => {
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(parent?.reason);
  if (parent?.aborted === true) controller.abort(parent.reason);
  else parent?.addEventListener('abort', onAbort, { once: true });
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
      parent?.removeEventListener('abort', onAbort);
    },
  };
};

/** What {@link linkedAbort} returns. */
export interface LinkedAbort {
  readonly signal: AbortSignal;
  /** Aborts `signal` (not the parent). */
  abort(): void;
  /** Clears the timer and detaches from the parent. */
  dispose(): void;
}

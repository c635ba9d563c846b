import type { EventEmitter } from 'node:events';
import type { ReplicatorLogger } from '../processBatch.js';
import type { StreamPoller } from './StreamPoller.js';

/** Options of {@link runUntilSignal}. */
export interface RunUntilSignalOptions {
  /** Signals that stop the poller gracefully. @default ['SIGINT', 'SIGTERM'] */
  readonly signals?: readonly NodeJS.Signals[];
  /** Where the signals come from. @default process */
  readonly emitter?: EventEmitter;
  /** @default no logging */
  readonly logger?: Pick<ReplicatorLogger, 'info' | 'warn'>;
  /** Called when a second signal arrives while stopping. @default exits the process with code 130 */
  readonly onForceExit?: () => void;
}

/**
 * Starts a poller and runs it until SIGINT or SIGTERM: the first signal stops it gracefully
 * (batches in flight finish, the checkpoint is saved), a second one exits at once.
 * Resolves when the poller has stopped; rejects with the error that stopped it.
 * @example
 * await runUntilSignal(poller, { logger });
 */
export const runUntilSignal = async (
  poller: Pick<StreamPoller, 'start' | 'stop' | 'stopped'>,
  options: RunUntilSignalOptions = {},
): Promise<void> => {
  const emitter = options.emitter ?? process;
  const signals = options.signals ?? ['SIGINT', 'SIGTERM'];
  let received = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    received += 1;
    if (received === 1) {
      options.logger?.info(
        'stopping: finishing the batches in flight and saving the checkpoint (signal again to exit at once)',
        { signal },
      );
      poller.stop().catch(() => undefined);
      return;
    }
    options.logger?.warn(
      'second signal: exiting without waiting; batches in flight are read again on the next start',
      { signal },
    );
    (options.onForceExit ?? (() => process.exit(130)))();
  };
  for (const signal of signals) emitter.on(signal, onSignal);
  try {
    await poller.start();
    await poller.stopped;
  } finally {
    for (const signal of signals) emitter.off(signal, onSignal);
  }
};

/** An abort signal fired by the first of `signals`; {@link dispose} removes the listeners. */
export interface SignalAbort {
  readonly signal: AbortSignal;
  /** The signal that fired it, once one has. */
  readonly received: () => NodeJS.Signals | undefined;
  dispose(): void;
}

/**
 * Aborts a signal on the first SIGINT or SIGTERM (or `options.signals` of `options.emitter`): for
 * start-up work that must stop at once (DescribeTable in flight), before {@link runUntilSignal}
 * takes the signals over. The abort reason is an `AbortError` naming the signal.
 * @example
 * const startup = abortOnSignals();
 * try { await checkTables(config, clients, { signal: startup.signal }); } finally { startup.dispose(); }
 */
export const abortOnSignals = (
  options: Pick<RunUntilSignalOptions, 'signals' | 'emitter'> = {},
): SignalAbort => {
  const emitter = options.emitter ?? process;
  const signals = options.signals ?? ['SIGINT', 'SIGTERM'];
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    received ??= signal;
    controller.abort(new DOMException(`received ${signal}`, 'AbortError'));
  };
  for (const signal of signals) emitter.on(signal, onSignal);
  return {
    signal: controller.signal,
    received: () => received,
    dispose: () => {
      for (const signal of signals) emitter.off(signal, onSignal);
    },
  };
};

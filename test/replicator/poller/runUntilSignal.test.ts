import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { abortOnSignals } from '../../../replicator/poller/runUntilSignal.js';

describe('abortOnSignals', () => {
  it('aborts on the first signal with an AbortError naming it, and remembers which one', () => {
    const emitter = new EventEmitter();
    const startup = abortOnSignals({ emitter });

    emitter.emit('SIGTERM', 'SIGTERM');
    emitter.emit('SIGINT', 'SIGINT');

    expect(startup.signal.aborted).toBe(true);
    expect(startup.signal.reason).toMatchObject({ name: 'AbortError', message: 'received SIGTERM' });
    expect(startup.received()).toBe('SIGTERM');
    startup.dispose();
  });

  it('removes its listeners on dispose, so later signals go to whoever listens next', () => {
    const emitter = new EventEmitter();
    const startup = abortOnSignals({ emitter, signals: ['SIGINT', 'SIGTERM'] });
    const listening = emitter.listenerCount('SIGINT') + emitter.listenerCount('SIGTERM');

    startup.dispose();
    emitter.emit('SIGINT', 'SIGINT');

    expect(listening).toBe(2);
    expect(emitter.listenerCount('SIGINT') + emitter.listenerCount('SIGTERM')).toBe(0);
    expect(startup.signal.aborted).toBe(false);
    expect(startup.received()).toBeUndefined();
  });
});

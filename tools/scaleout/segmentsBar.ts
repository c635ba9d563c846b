import { terminalProgressBar } from '../_shared/progressBar.js';
import type { JobSpec } from './protocol.js';
import type { StepFunctionsProgress } from './stepFunctionsEngine.js';

/**
 * Renders the Step Functions engine's progress on a terminal (nothing elsewhere): segments done of
 * total, ETA from the rate so far, then the settle phase. Shared by `verify` and `backfill`.
 */
export const stepFunctionsBar = (
  stream: NodeJS.WritableStream & { readonly isTTY?: boolean },
  command: JobSpec['command'],
) => {
  const bar = terminalProgressBar(
    stream,
    `${command} [{bar}] {percentage}% {value}/{total} segments | {eta} | {phase}`,
  );
  const settling = command === 'verify' ? 'comparing and settling' : 'settling';
  return {
    update({ segmentsDone, segmentsTotal, etaMs }: StepFunctionsProgress): void {
      const phase =
        segmentsDone < segmentsTotal
          ? `scanning on Step Functions${etaMs === undefined ? '' : `, about ${Math.ceil(etaMs / 1000)} s left`}`
          : `${settling} on Step Functions`;
      bar?.update(segmentsDone, segmentsTotal, { phase });
    },
    stop(): void {
      bar?.stop();
    },
  };
};

import { userAttributes } from '../../conflict/merge/itemState.js';
import { mergeWithUserFunction } from '../../conflict/merge/userMerge.js';
import { loadMergeModule } from '../../replicator/merge/loadMergeModule.js';
import { type CheckMergeOptions, type CheckMergeReport, checkMergeLaws } from './checkMergeLaws.js';
import { HISTORY_KEYS, historyNames } from './histories.js';

/**
 * `dynasync check-merge MODULE`: imports a user merge and checks the laws on the items the replicator
 * would hand it (user attributes only, both clocks in the context). The laws compare what the user
 * merge decides: the items without dynasync metadata.
 */
export const checkMergeModule = async (
  path: string,
  options: Omit<CheckMergeOptions, 'project'> = {},
): Promise<CheckMergeReport> => {
  const merge = await loadMergeModule(path);
  const names = historyNames;
  return checkMergeLaws(
    (local, remote) =>
      mergeWithUserFunction(local, remote, merge, names, { keys: HISTORY_KEYS, region: 'eu-west-1' }),
    { ...options, project: (item) => userAttributes(item, names) },
  );
};

/** The report as lines for a terminal. */
export const formatCheckMergeReport = (path: string, report: CheckMergeReport): string[] => {
  if (report.ok)
    return [
      `${path}: all laws hold (idempotent, commutative, associative) over ${report.runs} runs each (seed ${report.seed})`,
    ];
  const equation = {
    idempotent: 'merge(a, a) = a',
    commutative: 'merge(a, b) = merge(b, a)',
    associative: 'merge(merge(a, b), c) = merge(a, merge(b, c))',
  }[report.law];
  const letters = ['a', 'b', 'c'];
  return [
    `${path}: breaks the ${report.law} law: ${equation}`,
    'shrunk counterexample (dynasync metadata left out):',
    ...report.counterexample.states.map((state, i) => `  ${letters[i]} = ${JSON.stringify(strip(state))}`),
    `  left  = ${JSON.stringify(typeof report.counterexample.left === 'string' ? report.counterexample.left : strip(report.counterexample.left))}`,
    `  right = ${JSON.stringify(typeof report.counterexample.right === 'string' ? report.counterexample.right : strip(report.counterexample.right))}`,
    `replay: dynasync check-merge ${path} --seed ${report.seed}`,
  ];
};

const strip = (item: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(item).filter(([name]) => !name.startsWith('_ds_')));

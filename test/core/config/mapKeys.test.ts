import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../core/config/loadConfig.js';
import { ErrorCodes, isDynasyncError } from '../../../core/errors.js';

/** A one-way config whose peer masks with the given rules. */
const withRules = (rules: readonly Record<string, unknown>[]) =>
  parseConfig({
    version: 1,
    name: 'mapkeys',
    regions: { 'eu-west-1': { table: 'aaa' }, 'us-east-1': { table: 'bbb' } },
    topology: { type: 'one-way', from: 'eu-west-1', to: ['us-east-1'] },
    keys: { type: 'local', env: 'K' },
    pipelines: { 'us-east-1': { key: ['pk'], stages: [{ type: 'mask', id: 'pii', rules }] } },
  });

/** The issue paths of the config error `run` throws. */
const issuePaths = (run: () => unknown): string[] => {
  try {
    run();
  } catch (error) {
    if (!isDynasyncError(error, ErrorCodes.config.invalidField)) throw error;
    return (error.payload.issues as Array<{ path: string }>).map((issue) => issue.path);
  }
  return [];
};

describe('mask rules through a map wildcard (map keys are never masked)', () => {
  it('refuses a rule that masks the values of byEmail.* and would leave the keys (emails) in clear', () => {
    expect(issuePaths(() => withRules([{ path: 'byEmail.*', action: 'tokenize' }]))).toEqual([
      'pipelines.us-east-1.stages[0].rules[0].mapKeys',
    ]);
    expect(issuePaths(() => withRules([{ path: 'profile.byEmail.*.note', action: 'redact' }]))).toEqual([
      'pipelines.us-east-1.stages[0].rules[0].mapKeys',
    ]);
  });

  it('accepts it when the rule says the names are not personal data, drops that remove the members, whole maps and list wildcards', () => {
    expect(
      issuePaths(() =>
        withRules([
          { path: 'settings.*', action: 'encrypt', mapKeys: 'clear' },
          { path: 'byEmail.*', action: 'drop' },
          { path: 'byPhone', action: 'tokenize' },
          { path: 'contacts[*].email', action: 'tokenize' },
        ]),
      ),
    ).toEqual([]);
  });

  it('knows only "clear" as mapKeys', () => {
    expect(
      issuePaths(() => withRules([{ path: 'byEmail.*', action: 'tokenize', mapKeys: 'tokenize' }])),
    ).toEqual(['pipelines.us-east-1.stages[0].rules[0].mapKeys']);
  });
});

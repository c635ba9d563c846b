import { describe, expect, it } from 'vitest';
import { isDynasyncError } from '../../../core/errors.js';
import { engineOf, type VerifyCommandOptions } from '../../../tools/verify/command.js';
import { VerifyErrorCodes } from '../../../tools/verify/errors.js';

/* `verify --from-export/--to-export`: the flags go together, on the one-process local run, checked before any config is read. */
const base: VerifyCommandOptions = {
  config: '/nonexistent/dynasync.json',
  from: 'eu-west-1',
  to: 'us-east-1',
  fromExport: 's3://exports/a/AWSDynamoDB/01-a',
  toExport: 's3://exports/b/AWSDynamoDB/01-b',
};

const rejectedOption = (options: VerifyCommandOptions): unknown => {
  try {
    engineOf(options);
  } catch (error) {
    expect(isDynasyncError(error) && error.code).toBe(VerifyErrorCodes.invalidOption);
    return isDynasyncError(error) ? error.payload?.option : undefined;
  }
  return expect.unreachable('no error thrown');
};

describe('verify --from-export option validation', () => {
  it('takes both exports on the local engine, with S3 through --aws-endpoint-url', () => {
    expect(engineOf(base)).toBe('local');
    expect(engineOf({ ...base, awsEndpointUrl: 'http://127.0.0.1:5000' })).toBe('local');
    expect(engineOf({ ...base, repair: true })).toBe('local');
  });

  it('names the missing half of the pair', () => {
    const { toExport: _t, ...onlyFrom } = base;
    const { fromExport: _f, ...onlyTo } = base;
    expect(rejectedOption(onlyFrom)).toBe('to-export');
    expect(rejectedOption(onlyTo)).toBe('from-export');
  });

  it('refuses the segment-job flags and the Step Functions engine with exports', () => {
    expect(rejectedOption({ ...base, workers: 2 })).toBe('workers');
    expect(rejectedOption({ ...base, jobId: 'j' })).toBe('job-id');
    expect(rejectedOption({ ...base, sample: 0.5 })).toBe('sample');
    expect(rejectedOption({ ...base, engine: 'stepfunctions' })).toBe('engine');
  });
});

import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../core/config/loadConfig.js';
import {
  applyProfile,
  nonNegative,
  oneOf,
  positive,
  positiveInt,
  regionOption,
  regionPair,
  wholeNumber,
} from '../../../tools/_shared/cliOptions.js';

const regions = {
  'eu-west-1': { table: 'orders-eu' },
  'us-east-1': { table: 'orders-us' },
  'ap-south-1': { table: 'orders-ap' },
};
const activeActive = parseConfig({ version: 1, name: 'x', regions, topology: { type: 'active-active' } });
const oneWay = parseConfig({
  version: 1,
  name: 'x',
  regions,
  topology: { type: 'one-way', from: 'eu-west-1', to: ['us-east-1'] },
});
const fanOut = parseConfig({
  version: 1,
  name: 'x',
  regions,
  topology: { type: 'one-way', from: 'eu-west-1', to: ['us-east-1', 'ap-south-1'] },
});
const usage = (option: string) => expect.objectContaining({ code: 'cli.usage', payload: { option } });

describe('option parsers', () => {
  const rejection = (parse: (value: string) => unknown, value: string) => {
    try {
      parse(value);
    } catch (error) {
      return { name: (error as Error).name, message: (error as Error).message };
    }
    return undefined;
  };

  it('accept what they name and reject the rest with an InvalidArgumentError (commander exits 2)', () => {
    expect([positiveInt('1'), wholeNumber('0'), nonNegative('0.5'), positive('0.5')]).toEqual([
      1, 0, 0.5, 0.5,
    ]);
    for (const [parse, value] of [
      [positiveInt, '0'],
      [positiveInt, '1.5'],
      [wholeNumber, '-1'],
      [wholeNumber, '1.5'],
      [wholeNumber, '9007199254740993'],
      [nonNegative, '-0.1'],
      [positive, '0'],
    ] as const)
      expect(rejection(parse, value), `${parse.name} ${value}`).toMatchObject({
        name: 'InvalidArgumentError',
      });
  });

  it('oneOf returns the choice and names every choice when the value is none of them', () => {
    const logFormat = oneOf(['pretty', 'json']);
    expect(logFormat('json')).toBe('json');
    expect(rejection(logFormat, 'yaml')).toEqual({
      name: 'InvalidArgumentError',
      message: 'expected "pretty" or "json"',
    });
  });
});

describe('regionPair', () => {
  it("defaults --from/--to to a one-way topology's source and only replica; given values win", () => {
    expect(regionPair('verify', oneWay, {})).toEqual({ from: 'eu-west-1', to: 'us-east-1' });
    expect(regionPair('verify', oneWay, { from: 'us-east-1', to: 'eu-west-1' })).toEqual({
      from: 'us-east-1',
      to: 'eu-west-1',
    });
    expect(regionPair('verify', activeActive, { from: 'eu-west-1', to: 'ap-south-1' })).toEqual({
      from: 'eu-west-1',
      to: 'ap-south-1',
    });
  });

  it('refuses with cli.usage what the topology cannot supply', () => {
    expect(() => regionPair('verify', activeActive, { to: 'us-east-1' })).toThrow(usage('from'));
    expect(() => regionPair('verify', activeActive, { from: 'eu-west-1' })).toThrow(usage('to'));
    expect(() => regionPair('backfill', fanOut, {})).toThrow(usage('to'));
    expect(regionPair('backfill', fanOut, { to: 'ap-south-1' })).toEqual({
      from: 'eu-west-1',
      to: 'ap-south-1',
    });
  });
});

describe('regionOption', () => {
  it('defaults to the source for run/redrive and to the only replica for decrypt/tokenize', () => {
    expect(regionOption('run', oneWay, undefined, 'source')).toBe('eu-west-1');
    expect(regionOption('tokenize', oneWay, undefined, 'replica')).toBe('us-east-1');
    expect(regionOption('run', activeActive, 'us-east-1', 'source')).toBe('us-east-1');
    expect(() => regionOption('run', activeActive, undefined, 'source')).toThrow(usage('region'));
    expect(() => regionOption('decrypt', fanOut, undefined, 'replica')).toThrow(usage('region'));
  });
});

describe('applyProfile', () => {
  it('sets DYNASYNC_PROFILE (DynamoDB clients) and AWS_PROFILE (the others); nothing without --profile', () => {
    const env: NodeJS.ProcessEnv = {};

    applyProfile(undefined, env);
    const before = { ...env };
    applyProfile('audit', env);

    expect(before).toEqual({});
    expect(env).toEqual({ DYNASYNC_PROFILE: 'audit', AWS_PROFILE: 'audit' });
  });
});

import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import type { Config } from '../../core/config/types.js';
import { DynasyncError, ErrorCodes } from '../../core/errors.js';
import { addDynasyncStacks, type DynasyncStacksOptions } from '../../infra/addDynasyncStacks.js';
import { iamStatements, removeSynthOutputs, synthesise, testConfig } from './helpers.js';

afterAll(removeSynthOutputs);

const XRAY_ACTIONS = ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'];

/** The eu-west-1 template of a config, with construct options (bundling skipped). */
const templateOf = (config: Config, options: DynasyncStacksOptions = {}): Template => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stacks = addDynasyncStacks(app, config, options);
  return Template.fromStack(stacks.find((stack) => stack.regionName === 'eu-west-1')!);
};

const xrayStatements = (template: Template) =>
  iamStatements(template).filter(({ statement }) =>
    [statement.Action].flat().some((action) => action.startsWith('xray:')),
  );

const replicatorFunction = (template: Template) => {
  const functions = template.findResources('AWS::Lambda::Function', {
    Properties: { Description: Match.stringLikeRegexp('replicates') },
  });
  expect(Object.keys(functions)).toHaveLength(1);
  return Object.values(functions)[0]!.Properties as Record<string, unknown>;
};

describe('the replicator function: tracing, memory, reserved concurrency', () => {
  it('traces actively by default, with the X-Ray permissions, 512 MB and no reserved concurrency', () => {
    // Prepare / Act
    const { templates } = synthesise(testConfig());
    const template = templates['eu-west-1']!;

    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('replicates'),
      TracingConfig: { Mode: 'Active' },
      MemorySize: 512,
      ReservedConcurrentExecutions: Match.absent(),
    });
    expect(replicatorFunction(template).Environment).not.toMatchObject({
      Variables: { POWERTOOLS_TRACE_ENABLED: expect.anything() },
    });
    const xray = xrayStatements(template);
    expect(xray).toHaveLength(1);
    expect([xray[0]!.statement.Action].flat().sort()).toStrictEqual(XRAY_ACTIONS);
    expect(xray[0]!.statement.Resource).toBe('*');
  });

  it('switches tracing off with deploy.lambda.tracing false: no TracingConfig, no X-Ray grant, tracer disabled', () => {
    // Prepare / Act
    const template = templateOf(testConfig({ deploy: { lambda: { tracing: false } } }));

    // Assess
    const fn = replicatorFunction(template);
    expect(fn.TracingConfig).toBeUndefined();
    expect(fn.Environment).toMatchObject({ Variables: { POWERTOOLS_TRACE_ENABLED: 'false' } });
    expect(xrayStatements(template)).toStrictEqual([]);
  });

  it('reserves concurrency and sizes memory from deploy.lambda', () => {
    // Prepare / Act
    const template = templateOf(
      testConfig({ deploy: { lambda: { reservedConcurrency: 8, memoryMb: 1024 } } }),
    );

    // Assess
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('replicates'),
      ReservedConcurrentExecutions: 8,
      MemorySize: 1024,
    });
  });

  it('takes construct options over deploy.lambda, through addDynasyncStacks to every region', () => {
    // Prepare
    const config = testConfig({
      deploy: { lambda: { reservedConcurrency: 8, memoryMb: 1024, tracing: true } },
    });

    // Act
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stacks = addDynasyncStacks(app, config, {
      replicatorFunction: { reservedConcurrency: 3, memorySize: 256, tracing: false },
    });

    // Assess
    expect(stacks).toHaveLength(2);
    for (const stack of stacks) {
      const fn = replicatorFunction(Template.fromStack(stack));
      expect([fn.ReservedConcurrentExecutions, fn.MemorySize, fn.TracingConfig]).toStrictEqual([
        3,
        256,
        undefined,
      ]);
    }
  });

  it.each([
    [{ reservedConcurrency: 0 }, 'reservedConcurrency'],
    [{ reservedConcurrency: 2.5 }, 'reservedConcurrency'],
    [{ memorySize: 64 }, 'memorySize'],
    [{ memorySize: 20_000 }, 'memorySize'],
  ])('rejects %o naming the option', (replicatorFunction, path) => {
    // Act
    let caught: unknown;
    try {
      templateOf(testConfig(), { replicatorFunction });
    } catch (error) {
      caught = error;
    }

    // Assess
    expect(caught).toBeInstanceOf(DynasyncError);
    expect((caught as DynasyncError).code).toBe(ErrorCodes.config.invalidField);
    expect((caught as DynasyncError).payload).toMatchObject({ path });
  });

  it('names the construct that rejected a prop (its path in the tree), beside the field', () => {
    // Act
    let caught: unknown;
    try {
      templateOf(testConfig(), { replicatorFunction: { memorySize: 64 } });
    } catch (error) {
      caught = error;
    }

    // Assess
    expect((caught as DynasyncError).code).toBe(ErrorCodes.config.invalidField);
    expect((caught as DynasyncError).payload).toMatchObject({
      path: 'memorySize',
      construct: expect.stringMatching(/\/Replicator$/),
    });
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleConfig, removeSynthOutputs, type SynthesisedApp, synthesise, testConfig } from './helpers.js';

afterAll(removeSynthOutputs);

/**
 * Every acknowledged (suppressed) rule in a construct tree, with where it was acknowledged. The CDK
 * keeps them as metadata `{ "<kind>::<rule id>": "<reason>" }` on the construct.
 */
const acknowledgments = (root: IConstruct) =>
  root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([key, reason]) => ({
          path: construct.node.path,
          // The rule id itself may hold "::" (`AwsSolutions-IAM5[Resource::*]`).
          id: key.slice(key.indexOf('AwsSolutions-')),
          reason,
        })),
      ),
  );

describe('cdk-nag (AwsSolutions)', () => {
  const apps: Record<string, SynthesisedApp> = {};

  beforeAll(() => {
    // The example with the CDK's built-in CloudFormation validation on; the variants without (it is slow).
    apps.example = synthesise(exampleConfig(), { validate: true });
    apps.imported = synthesise(testConfig());
    apps.crossAccount = synthesise(
      testConfig({
        deploy: {
          maskingKeys: false,
          regions: {
            'eu-west-1': { account: '111111111111', writerRoleArn: 'arn:aws:iam::111111111111:role/writer' },
            'us-east-1': { account: '222222222222', writerRoleArn: 'arn:aws:iam::222222222222:role/writer' },
          },
        },
      }),
    );
  });

  it.each(['example', 'imported', 'crossAccount'])('finds nothing unacknowledged in the %s app', (name) => {
    const { app } = apps[name]!;
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(
      report.violations.map(
        (violation) =>
          `${violation.ruleName} at ${violation.violatingResources.map((r) => r.constructPath).join(', ')}`,
      ),
    ).toEqual([]);
    expect(report.success).toBe(true);
  });

  it('gives every acknowledgment a written reason', () => {
    const found = Object.values(apps).flatMap((synth) => acknowledgments(synth.app));
    expect(found.length).toBeGreaterThan(0);
    for (const rule of found) {
      expect(rule.id, rule.path).toMatch(/^AwsSolutions-[A-Z]+\d+/);
      expect(rule.reason.split(/\s+/).length, `${rule.id} at ${rule.path}`).toBeGreaterThanOrEqual(12);
    }
    // What is acknowledged, and only that: review this list when it changes.
    expect(
      [...new Set(found.map((rule) => `${rule.id} ${rule.path.split('/').slice(1).join('/')}`))].sort(),
    ).toEqual(
      [
        'AwsSolutions-SQS3 Replicator/DeadLetterQueue/Queue',
        // X-Ray's two actions take no resource: tracing (deploy.lambda.tracing, on by default) needs "*".
        'AwsSolutions-IAM5[Resource::*] Replicator/Role/DefaultPolicy',
      ].sort(),
    );
  });

  it('passes the CDK built-in CloudFormation template validation with no finding', () => {
    const report = JSON.parse(
      readFileSync(join(apps.example!.app.outdir, 'validation-report.json'), 'utf8'),
    ) as {
      pluginReports: { pluginName: string; violations: unknown[] }[];
    };
    expect(report.pluginReports.flatMap((plugin) => plugin.violations)).toEqual([]);
  });
});

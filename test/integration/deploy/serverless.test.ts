/**
 * `sls package` of the real serverless.yml with no AWS credentials at all (no AWS_* variables, an empty HOME), as a
 * CI job or a new contributor would run it: the template must carry every Kafka mapping with the provisioned-mode
 * error handling that only resources.extensions can set.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OSLS, ROOT, slsEnv } from '../offline-helpers';

interface Template {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
}

test('sls package works without AWS credentials and emits the Kafka mappings with their extensions', () => {
  // Arrange
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'sls-package-'));
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sls-home-'));

  // Act
  const result = spawnSync(process.execPath, [OSLS, 'package', '--package', out], {
    cwd: ROOT,
    env: slsEnv({ HOME: home }),
    encoding: 'utf8',
    // Bundling twelve functions (the AWS SDK included) takes one to two minutes on a loaded 2-core machine.
    timeout: 280_000,
  });

  // Assert
  try {
    expect({ status: result.status, output: result.status === 0 ? '' : `${result.stdout}${result.stderr}` }).toEqual({
      status: 0,
      output: '',
    });
    const template = JSON.parse(
      fs.readFileSync(path.join(out, 'cloudformation-template-update-stack.json'), 'utf8'),
    ) as Template;
    const validate = template.Resources.ValidateTradesEventSourceMappingMSKPosttradeTradescaptured;
    expect(validate?.Type).toBe('AWS::Lambda::EventSourceMapping');
    expect(validate?.Properties).toMatchObject({
      Topics: ['trades.captured'],
      StartingPosition: 'TRIM_HORIZON',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
      DestinationConfig: { OnFailure: { Destination: 'kafka://trades.deadletter' } },
    });
    expect(template.Resources.PersistTradesEventSourceMappingMSKPosttradeTradesvalidated?.Properties).toMatchObject({
      Topics: ['trades.validated'],
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    // Every resources.extensions entry must extend a resource osls generated; a stale key would fail the deploy.
    const mappings = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::EventSourceMapping');
    expect(mappings.length).toBeGreaterThanOrEqual(2);
    for (const [, r] of mappings)
      expect(r.Properties.EventSourceArn).toMatch(/^arn:aws:kafka:[a-z0-9-]+:\d{12}:cluster\/posttrade\//);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
    fs.rmSync(home, { recursive: true, force: true });
  }
}, 300_000);

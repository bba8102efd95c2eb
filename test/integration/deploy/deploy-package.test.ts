/**
 * `sls package --stage prod` of the real serverless.yml with no AWS credentials (no AWS_* variables, an empty HOME),
 * the account's identifiers given as a deployer gives them (environment variables, as `.env.prod` would), packaged
 * once for the whole file. The assertions read the CloudFormation it writes: what a reviewer of a production
 * deployment would check before letting it near an account.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { deadLetterTopic } from '../../../lib/kafka/dead-letter';
import { Topics } from '../../../lib/kafka/topics';
import { OSLS, ROOT, slsEnv } from '../offline-helpers';

type Json = unknown;
interface Resource {
  readonly Type: string;
  readonly Properties: Record<string, Json>;
  readonly Condition?: string;
  readonly DependsOn?: Json;
}
interface Template {
  readonly Resources: Record<string, Resource>;
  readonly Conditions?: Record<string, Json>;
}
interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: Json;
}

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const CLUSTER = `arn:aws:kafka:${REGION}:${ACCOUNT}:cluster/posttrade/0f3c2a1e-1111-2222-3333-444455556666-3`;
const DB_SECRET = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:posttrade/prod/db-AbCdEf`;
const ISSUER = `https://cognito-idp.${REGION}.amazonaws.com/${REGION}_AbCdEfGhI`;
const DEPLOYER_ENV = {
  POSTTRADE_MSK_CLUSTER_ARN: CLUSTER,
  POSTTRADE_LAMBDA_SUBNET_IDS: 'subnet-0aaa1111bbbb2222c,subnet-0ddd3333eeee4444f',
  POSTTRADE_LAMBDA_SECURITY_GROUP_ID: 'sg-0123456789abcdef0',
  POSTTRADE_DB_HOST: `posttrade.proxy-abcdefghijkl.${REGION}.rds.amazonaws.com`,
  POSTTRADE_DB_SECRET_ARN: DB_SECRET,
  POSTTRADE_JWT_ISSUER_URL: ISSUER,
  POSTTRADE_JWT_AUDIENCE: '1example23456789clientid',
  POSTTRADE_ALARM_EMAIL: 'ops@example.com',
  AWS_REGION: REGION,
};

/** What each function may read and write on Kafka, and whether it reaches the database: least privilege, spelled out. */
const ACCESS: Record<string, { reads: string[]; writes: string[]; database: boolean }> = {
  captureTrades: { reads: [], writes: [Topics.TRADES_CAPTURED], database: true },
  queryApi: { reads: [], writes: [], database: true },
  health: { reads: [], writes: [], database: true },
  validateTrades: {
    reads: [Topics.TRADES_CAPTURED],
    writes: [Topics.TRADES_VALIDATED, Topics.TRADES_REJECTED, Topics.TRADES_DEAD_LETTER],
    database: true,
  },
  persistTrades: {
    reads: [Topics.TRADES_VALIDATED],
    writes: [Topics.TRADES_BOOKED, Topics.TRADES_REJECTED, Topics.TRADES_DEAD_LETTER],
    database: true,
  },
  settleTrades: {
    reads: [Topics.TRADES_BOOKED],
    writes: [Topics.SETTLEMENT_INSTRUCTIONS, Topics.TRADES_DEAD_LETTER],
    database: true,
  },
  settlementStatus: { reads: [Topics.SETTLEMENT_STATUS], writes: [Topics.SETTLEMENT_DEAD_LETTER], database: true },
  reconcile: {
    reads: [Topics.CUSTODY_STATEMENTS],
    writes: [Topics.RECON_BREAKS, Topics.CUSTODY_DEAD_LETTER],
    database: true,
  },
  positions: {
    reads: [Topics.TRADES_BOOKED],
    writes: [Topics.POSITIONS_CHANGED, Topics.TRADES_DEAD_LETTER],
    database: true,
  },
  riskPositions: {
    reads: [Topics.POSITIONS_CHANGED],
    writes: [Topics.RISK_ALERTS, Topics.POSITIONS_DEAD_LETTER],
    database: true,
  },
  eodPrices: {
    reads: [Topics.PRICES_EOD],
    writes: [Topics.POSITIONS_CHANGED, Topics.PRICES_DEAD_LETTER],
    database: true,
  },
  dailyPnl: { reads: [], writes: [], database: true },
  riskEndOfDay: { reads: [], writes: [Topics.RISK_ALERTS], database: true },
  checkDailyReport: { reads: [], writes: [], database: true },
  sweepPendingEvents: { reads: [], writes: [Topics.TRADES_REJECTED], database: true },
  migrate: { reads: [], writes: [], database: true },
};

/** The mappings' tuning as serverless.yml declares it (group, batch size, window, pollers). */
const MAPPINGS: Record<string, { topic: string; batch: number; window: number; pollers: [number, number] }> = {
  validateTrades: { topic: Topics.TRADES_CAPTURED, batch: 500, window: 1, pollers: [1, 4] },
  persistTrades: { topic: Topics.TRADES_VALIDATED, batch: 500, window: 1, pollers: [1, 4] },
  settleTrades: { topic: Topics.TRADES_BOOKED, batch: 1000, window: 5, pollers: [1, 4] },
  settlementStatus: { topic: Topics.SETTLEMENT_STATUS, batch: 200, window: 5, pollers: [1, 1] },
  reconcile: { topic: Topics.CUSTODY_STATEMENTS, batch: 20, window: 10, pollers: [1, 1] },
  positions: { topic: Topics.TRADES_BOOKED, batch: 1000, window: 2, pollers: [1, 4] },
  eodPrices: { topic: Topics.PRICES_EOD, batch: 2000, window: 10, pollers: [1, 1] },
  riskPositions: { topic: Topics.POSITIONS_CHANGED, batch: 1000, window: 2, pollers: [1, 2] },
};

/** VPC functions and MSK pollers need these, which IAM cannot scope to a resource: the one allowed `*` resource. */
const ENI_ACTIONS = new Set([
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeVpcs',
  'ec2:DeleteNetworkInterface',
  'ec2:DescribeSubnets',
  'ec2:DescribeSecurityGroups',
]);
/** Active tracing's writes to X-Ray, which take no resource-level restriction either. */
const XRAY_ACTIONS = new Set(['xray:PutTraceSegments', 'xray:PutTelemetryRecords']);

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const logicalId = (fn: string) => `${fn[0]?.toUpperCase() ?? ''}${fn.slice(1)}`;
const topicArn = (topic: string) => CLUSTER.replace(':cluster/', ':topic/') + `/${topic}`;
const groupArn = (group: string) => CLUSTER.replace(':cluster/', ':group/') + `/${group}`;

/** Evaluates the intrinsics the template uses in ARNs (Join, Select, Split, Sub with pseudo parameters). */
function evaluate(value: Json): Json {
  if (Array.isArray(value)) return value.map(evaluate);
  if (value === null || typeof value !== 'object') return value;
  const obj = value as Record<string, Json>;
  if ('Fn::Join' in obj) {
    const [sep, parts] = obj['Fn::Join'] as [string, Json[]];
    return (evaluate(parts) as Json[]).map(String).join(sep);
  }
  if ('Fn::Select' in obj) {
    const [index, list] = obj['Fn::Select'] as [number, Json];
    return (evaluate(list) as Json[])[index];
  }
  if ('Fn::Split' in obj) {
    const [sep, text] = obj['Fn::Split'] as [string, Json];
    return String(evaluate(text)).split(sep);
  }
  if ('Fn::GetAtt' in obj) {
    const [id, attribute] = obj['Fn::GetAtt'] as [string, string];
    // The only attribute the statements read is a bucket's ARN.
    return attribute === 'Arn' && id.endsWith('Bucket') ? `arn:aws:s3:::${id}` : `${id}.${attribute}`;
  }
  if ('Fn::Sub' in obj && typeof obj['Fn::Sub'] === 'string') {
    return obj['Fn::Sub']
      .replace(/\$\{AWS::Partition\}/g, 'aws')
      .replace(/\$\{AWS::Region\}/g, REGION)
      .replace(/\$\{AWS::AccountId\}/g, ACCOUNT);
  }
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, evaluate(v)]));
}

const list = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

describe('sls package --stage prod (no AWS credentials)', () => {
  let out: string;
  let template: Template;
  let resources: Record<string, Resource>;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

  beforeAll(() => {
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'sls-package-prod-'));
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'sls-home-'));
    try {
      const result = spawnSync(process.execPath, [OSLS, 'package', '--stage', 'prod', '--package', out], {
        cwd: ROOT,
        env: { ...slsEnv({ HOME: home }), ...DEPLOYER_ENV },
        encoding: 'utf8',
        timeout: 280_000,
      });
      if (result.status !== 0)
        throw new Error(`sls package failed (${result.status}):\n${result.stdout}${result.stderr}`);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
    template = JSON.parse(
      fs.readFileSync(path.join(out, 'cloudformation-template-update-stack.json'), 'utf8'),
    ) as Template;
    resources = template.Resources;
  }, 300_000);

  afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

  it('gives every Kafka consumer one mapping: its topic, its own group, its batch size, window and pollers', () => {
    const mappings = ofType('AWS::Lambda::EventSourceMapping');
    const byFunction = Object.fromEntries(
      mappings.map(([, r]) => [
        String((r.Properties.FunctionName as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]).replace(
          /LambdaFunction$/,
          '',
        ),
        r.Properties,
      ]),
    );

    expect(Object.keys(byFunction).sort()).toEqual(Object.keys(MAPPINGS).map(logicalId).sort());
    for (const [fn, expected] of Object.entries(MAPPINGS)) {
      expect({ fn, ...byFunction[logicalId(fn)] }).toMatchObject({
        fn,
        EventSourceArn: CLUSTER,
        Topics: [expected.topic],
        StartingPosition: 'TRIM_HORIZON',
        AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: `posttrade-prod-${kebab(fn)}` },
        BatchSize: expected.batch,
        MaximumBatchingWindowInSeconds: expected.window,
        ProvisionedPollerConfig: { MinimumPollers: expected.pollers[0], MaximumPollers: expected.pollers[1] },
        MetricsConfig: { Metrics: expect.arrayContaining(['EventCount', 'ErrorCount', 'KafkaMetrics']) as unknown },
      });
    }
  });

  it('declares failure handling on every mapping: bisect, bounded retries, the source family’s dead-letter topic', () => {
    const mappings = ofType('AWS::Lambda::EventSourceMapping');

    expect(mappings).toHaveLength(Object.keys(MAPPINGS).length);
    for (const [id, r] of mappings) {
      const topic = String((r.Properties.Topics as string[])[0]);
      expect({ id, properties: r.Properties }).toMatchObject({
        id,
        properties: {
          BisectBatchOnFunctionError: true,
          MaximumRetryAttempts: expect.any(Number) as unknown,
          DestinationConfig: { OnFailure: { Destination: `kafka://${deadLetterTopic(topic)}` } },
        },
      });
      // The destination is written with the function's role.
      const fn = id.replace(/EventSourceMapping.*$/, '');
      const access = Object.entries(ACCESS).find(([name]) => logicalId(name) === fn)?.[1];
      expect({ id, writes: access?.writes.includes(deadLetterTopic(topic)) }).toEqual({ id, writes: true });
    }
  });

  it('gives each function a role of its own and no other role', () => {
    const functions = ofType('AWS::Lambda::Function');
    const roles = functions.map(([, r]) => (r.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]);

    expect(functions.map(([id]) => id.replace(/LambdaFunction$/, '')).sort()).toEqual(
      Object.keys(ACCESS).map(logicalId).sort(),
    );
    expect(new Set(roles).size).toBe(functions.length);
    // A runtime Lambda still lets one create and update functions on.
    expect([...new Set(functions.map(([, r]) => r.Properties.Runtime))]).toEqual(['nodejs22.x']);
    expect(
      ofType('AWS::IAM::Role')
        .map(([id]) => id)
        .sort(),
    ).toEqual([...roles].sort());
  });

  it('traces every function (X-Ray active tracing) and lets each role write its traces', () => {
    for (const [id, fn] of ofType('AWS::Lambda::Function')) {
      expect({ id, tracing: fn.Properties.TracingConfig }).toEqual({ id, tracing: { Mode: 'Active' } });
    }
    for (const [roleId, role] of ofType('AWS::IAM::Role')) {
      const statements = (role.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap(
        (policy) => policy.PolicyDocument.Statement,
      );
      const xray = statements.filter((statement) => list(statement.Action).some((a) => XRAY_ACTIONS.has(a)));
      expect({ roleId, xray: xray.map((s) => [list(s.Action).sort(), s.Resource]) }).toEqual({
        roleId,
        xray: [[[...XRAY_ACTIONS].sort(), '*']],
      });
    }
  });

  it('names every action and scopes every data action to its resources; only the ENI and X-Ray actions take *', () => {
    for (const [roleId, role] of ofType('AWS::IAM::Role')) {
      const statements = (role.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap(
        (policy) => policy.PolicyDocument.Statement,
      );
      for (const statement of statements) {
        const actions = list(statement.Action);
        const targets = list(evaluate(statement.Resource)).map(String);
        expect({ roleId, effect: statement.Effect, wildcardActions: actions.filter((a) => a.includes('*')) }).toEqual({
          roleId,
          effect: 'Allow',
          wildcardActions: [],
        });
        if (targets.includes('*')) {
          expect({ roleId, actions: actions.filter((a) => !ENI_ACTIONS.has(a) && !XRAY_ACTIONS.has(a)) }).toEqual({
            roleId,
            actions: [],
          });
        }
        for (const target of targets.filter((t) => t !== '*')) {
          // Kafka topics and groups, secrets and buckets are named exactly; the wildcards left are the streams of
          // the function's own log group and the reports' object prefix.
          if (target.includes('*')) {
            expect(target).toMatch(
              /^(arn:aws:logs:[a-z0-9-]+:\d{12}:log-group:\/aws\/lambda\/posttrade-prod-[A-Za-z]+:\*:\*|arn:aws:s3:::ReportsBucket\/reports\/\*)$/,
            );
          }
        }
      }
      expect(list(role.Properties.ManagedPolicyArns as Json[]).map((arn) => JSON.stringify(arn))).toEqual(
        list(role.Properties.ManagedPolicyArns as Json[]).length === 0
          ? []
          : [expect.stringContaining('AWSLambdaVPCAccessExecutionRole') as unknown],
      );
    }
  });

  it('lets each function read and write exactly its topics and group, and reach the database only if it must', () => {
    for (const [fn, access] of Object.entries(ACCESS)) {
      const role = resources[`${logicalId(fn)}IamRoleLambdaExecution`];
      const statements = (role?.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap(
        (policy) => policy.PolicyDocument.Statement,
      );
      const allowed = (action: string) =>
        statements
          .filter((s) => list(s.Action).includes(action))
          .flatMap((s) => list(evaluate(s.Resource)).map(String));

      expect({ fn, reads: allowed('kafka-cluster:ReadData').sort() }).toEqual({
        fn,
        reads: access.reads.map(topicArn).sort(),
      });
      expect({ fn, writes: allowed('kafka-cluster:WriteData').sort() }).toEqual({
        fn,
        writes: access.writes.map(topicArn).sort(),
      });
      // Every producer of the platform is idempotent (lib/kafka/producer.ts): without this, its first send fails.
      expect({ fn, idempotent: allowed('kafka-cluster:WriteDataIdempotently').length > 0 }).toEqual({
        fn,
        idempotent: access.writes.length > 0,
      });
      expect({ fn, groups: allowed('kafka-cluster:AlterGroup') }).toEqual({
        fn,
        groups: access.reads.length === 0 ? [] : [groupArn(`posttrade-prod-${kebab(fn)}`)],
      });
      expect({ fn, secrets: allowed('secretsmanager:GetSecretValue') }).toEqual({
        fn,
        secrets: access.database ? [DB_SECRET] : [],
      });
      expect({ fn, objects: allowed('s3:PutObject').length > 0 }).toEqual({ fn, objects: fn === 'queryApi' });
    }
  });

  it('puts no secret in any environment variable: identifiers only, and no local token or URL', () => {
    for (const [id, fn] of ofType('AWS::Lambda::Function')) {
      const variables = (fn.Properties.Environment as { Variables: Record<string, Json> }).Variables;
      expect({
        id,
        names: Object.keys(variables).filter((n) => /PASSWORD|TOKEN|DATABASE_URL|SECRET(?!_ARN)/.test(n)),
      }).toEqual({ id, names: [] });
      for (const value of Object.values(variables).filter((v): v is string => typeof v === 'string')) {
        expect({ id, value }).not.toEqual({ id, value: expect.stringMatching(/:\/\/[^/\s]*@|password|dev-token/i) });
      }
      expect(variables).toMatchObject({
        KAFKA_MSK_CLUSTER_ARN: CLUSTER,
        KAFKA_AUTH: 'aws-iam',
        DB_SECRET_ARN: DB_SECRET,
        DB_SSL: 'verify-full',
        NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
      });
    }
    expect(JSON.stringify(template)).not.toContain('dev-token');
  });

  it('schedules the daily P&L on weekday evenings, its check an hour later and the held-event sweep every 5 minutes', () => {
    const rules = Object.fromEntries(
      ofType('AWS::Events::Rule').map(([, r]): [string, Json] => [
        (r.Properties.Targets as { Arn: { 'Fn::GetAtt': string[] } }[])[0]?.Arn['Fn::GetAtt'][0] ?? '',
        r.Properties,
      ]),
    );

    expect(rules.DailyPnlLambdaFunction).toMatchObject({
      ScheduleExpression: 'cron(30 21 ? * MON-FRI *)',
      State: 'ENABLED',
      Name: 'posttrade-prod-daily-pnl',
    });
    expect(rules.CheckDailyReportLambdaFunction).toMatchObject({
      ScheduleExpression: 'cron(30 22 ? * MON-FRI *)',
      Name: 'posttrade-prod-check-daily-pnl',
    });
    expect(rules.SweepPendingEventsLambdaFunction).toMatchObject({
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
      Name: 'posttrade-prod-sweep-pending-events',
    });
  });

  it('routes the HTTP API behind a JWT authorizer of the configured issuer; no token authorizer function', () => {
    const authorizers = ofType('AWS::ApiGatewayV2::Authorizer');
    const routes: Record<string, Resource> = Object.fromEntries(
      ofType('AWS::ApiGatewayV2::Route').map(([, r]) => [String(r.Properties.RouteKey), r]),
    );

    expect(authorizers).toHaveLength(1);
    expect(authorizers[0]?.[1].Properties).toMatchObject({
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: { Issuer: ISSUER, Audience: ['1example23456789clientid'] },
    });
    expect(Object.keys(routes).sort()).toEqual(
      [
        'POST /trades',
        'GET /trades',
        'GET /trades/{id}',
        'GET /positions',
        'GET /risk',
        'GET /pnl/daily',
        'GET /reports/daily/{date}',
        'GET /settlements',
        'GET /breaks',
        'GET /openapi.json',
        'GET /health',
      ].sort(),
    );
    for (const [key, route] of Object.entries(routes)) {
      expect({ key, type: route.Properties.AuthorizationType }).toEqual({
        key,
        type: key === 'GET /openapi.json' || key === 'GET /health' ? undefined : 'JWT',
      });
    }
    expect(resources.AuthorizerLambdaFunction).toBeUndefined();
  });

  it('alarms to one SNS topic: errors and throttles per function, lag per mapping, failures, dead letters, the report', () => {
    const alarms: Record<string, Json>[] = ofType('AWS::CloudWatch::Alarm').map(([id, r]) => ({ id, ...r.Properties }));
    const notifying = (alarm: Record<string, Json>) => JSON.stringify(alarm.AlarmActions) === '[{"Ref":"AlarmTopic"}]';
    const onFunction = (metric: string) =>
      alarms
        .filter((a) => a.MetricName === metric)
        .map((a) => JSON.stringify((a.Dimensions as { Value: Json }[])[0]?.Value))
        .sort();

    expect(alarms.filter((a) => !notifying(a)).map((a) => a.id)).toEqual([]);
    expect(resources.AlarmTopic?.Type).toBe('AWS::SNS::Topic');
    const everyFunction = Object.keys(ACCESS)
      .map((fn) => JSON.stringify({ Ref: `${logicalId(fn)}LambdaFunction` }))
      .sort();
    expect(onFunction('Errors')).toEqual(everyFunction);
    expect(onFunction('Throttles')).toEqual(everyFunction);
    expect(onFunction('OffsetLag')).toEqual(
      Object.keys(MAPPINGS)
        .map((fn) => JSON.stringify({ Ref: `${logicalId(fn)}LambdaFunction` }))
        .sort(),
    );
    const withDestination = ofType('AWS::Lambda::EventSourceMapping')
      .filter(([, r]) => r.Properties.DestinationConfig !== undefined)
      .map(([id]) => JSON.stringify({ Ref: id }))
      .sort();
    for (const metric of ['OnFailureDestinationDeliveredEventCount', 'OnFailureDestinationDeliveryErrorCount']) {
      expect({
        metric,
        mappings: alarms
          .filter((a) => a.MetricName === metric)
          .map((a) => JSON.stringify((a.Dimensions as { Name: string; Value: Json }[])[0]?.Value))
          .sort(),
      }).toEqual({ metric, mappings: withDestination });
    }
    const deadLetters = alarms.find((a) => a.id === 'DeadLetterTopicTradesdeadletterAlarm');
    expect(String(evaluate((deadLetters?.Metrics as { Expression: Json }[])[0]?.Expression))).toBe(
      `SELECT SUM(MessagesInPerSec) FROM SCHEMA("AWS/Kafka", "Broker ID", "Cluster Name", Topic) WHERE "Cluster Name" = 'posttrade' AND Topic = '${Topics.TRADES_DEAD_LETTER}'`,
    );
    const notRun = JSON.stringify(alarms.find((a) => a.id === 'DailyReportNotRunAlarm')?.Metrics);
    expect(notRun).toContain('"Ref":"CheckDailyReportLambdaFunction"');
    expect(notRun).toContain('posttrade-prod-daily-pnl');
    expect(notRun).toContain('posttrade-prod-check-daily-pnl');
    expect(resources.AlarmEmailSubscription?.Properties).toMatchObject({
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
  });

  it('keeps every function log group for 30 days and the reports bucket private, TLS-only and self-emptying', () => {
    const logGroups = ofType('AWS::Logs::LogGroup');

    expect(logGroups).toHaveLength(Object.keys(ACCESS).length);
    for (const [, group] of logGroups) expect(group.Properties.RetentionInDays).toBe(30);
    expect(resources.ReportsBucket?.Properties).toMatchObject({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, RestrictPublicBuckets: true },
      LifecycleConfiguration: { Rules: [{ Status: 'Enabled', Prefix: 'reports/', ExpirationInDays: 1 }] },
    });
    expect(JSON.stringify(resources.ReportsBucketTlsOnly?.Properties)).toContain('"aws:SecureTransport":"false"');
  });

  it('packages the migrations beside the migrate function', () => {
    const zip = fs.readFileSync(path.join(out, 'migrate.zip')).toString('latin1');
    const migrations = fs.readdirSync(path.join(ROOT, 'migrations')).filter((name) => name.endsWith('.sql'));

    expect(migrations.length).toBeGreaterThan(0);
    for (const name of migrations) expect(zip).toContain(`migrations/${name}`);
  });
});

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { jest } from '@jest/globals';
import { CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { testApp } from './fixture.js';

// Every other test file synthesises the real stacks with the checks on: zero findings there.
describe('cdk-nag AwsSolutions checks', () => {
  it('fail synth on an unacknowledged finding, naming the resource and the rule', () => {
    const { stacks } = testApp();
    new s3.Bucket(stacks.dev.stateful, 'Careless', { enforceSSL: true });
    expect(() => Template.fromStack(stacks.dev.stateful)).toThrow(/Careless[\s\S]*AwsSolutions-S1/);
  });
});

interface ValidationReport {
  pluginReports: {
    pluginName: string;
    violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[];
  }[];
}

// The other files synthesise without it (`testApp`): its engine costs ~4 s of CPU a synth.
describe("aws-cdk-lib's built-in CloudFormation validation", () => {
  it('finds nothing in the real stacks of both stages, and is on: it reports a bad property', () => {
    const { app } = testApp(undefined, { cloudFormationValidation: true });
    const probe = new Stack(app, 'probe', {
      env: { account: '111111111111', region: 'eu-west-1' },
    });
    new CfnResource(probe, 'Bad', {
      type: 'AWS::SQS::Queue',
      properties: { DelaySeconds: 'soon' },
    });
    const printed = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const assembly = app.synth();
      const report = JSON.parse(
        readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8'),
      ) as ValidationReport;
      const findings = report.pluginReports.flatMap((r) =>
        r.violations.flatMap((v) =>
          v.violatingConstructs.map((c) => `${r.pluginName} ${v.ruleName} ${c.constructPath}`),
        ),
      );
      expect(findings).toEqual(['CloudFormation Validate F3012 probe/Bad']);
      expect(printed.mock.calls.join('\n')).toMatch(/DelaySeconds: 'soon' is not of type/);
    } finally {
      printed.mockRestore();
    }
  });
});

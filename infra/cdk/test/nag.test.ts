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

import { Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { testApp } from './fixture.js';

describe('cdk-nag AwsSolutions checks', () => {
  it('fail synth on an unacknowledged finding, and pass once it is acknowledged with a reason', () => {
    const { stacks } = testApp();
    new s3.Bucket(stacks.dev.stateful, 'Careless', { enforceSSL: true });
    expect(() => Template.fromStack(stacks.dev.stateful)).toThrow(/Careless[\s\S]*AwsSolutions-S1/);

    const again = testApp();
    const ok = new s3.Bucket(again.stacks.dev.stateful, 'Careless', { enforceSSL: true });
    Validations.of(ok).acknowledge({ id: 'AwsSolutions-S1', reason: 'test' });
    expect(() => Template.fromStack(again.stacks.dev.stateful)).not.toThrow();
  });
});

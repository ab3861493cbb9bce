import { Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { claimKey } from '../../src/core/registry';

describe('claimKey', () => {
  test('the first claim wins within an app; the same owner may claim again; apps are separate', () => {
    const chart = Testing.chart();
    const a = new Construct(chart, 'a');
    const b = new Construct(chart, 'b');
    expect(claimKey(a, 'K')).toBeUndefined();
    expect(claimKey(a, 'K')).toBeUndefined();
    expect(claimKey(b, 'K')).toBe(a);
    expect(claimKey(b, 'L')).toBeUndefined();
    expect(claimKey(new Construct(Testing.chart(), 'c'), 'K')).toBeUndefined();
  });
});

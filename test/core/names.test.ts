import { Testing } from 'cdk8s';
import * as fc from 'fast-check';
import { assertDnsLabel, assertPort, objectName } from '../../src/core/names';
import { checkDns1123Label } from '../../src/validation/kubernetes-names';

describe('objectName', () => {
  test('joins parts with "-" and skips empty parts', () => {
    expect(objectName(['reviews', '', 'allow'])).toBe('reviews-allow');
  });

  test('long names are truncated with a stable hash suffix, never over the limit', () => {
    const long = objectName(['a'.repeat(40), 'b'.repeat(40)]);
    expect(long).toHaveLength(63);
    expect(long).toMatch(/^a+-b+-[0-9a-f]{8}$/);
    expect(objectName(['a'.repeat(40), 'b'.repeat(40)])).toBe(long);
    expect(objectName(['a'.repeat(40), 'b'.repeat(39), 'c'])).not.toBe(long);
  });

  test('property: names built from DNS labels stay valid DNS labels and are collision-free', () => {
    const label = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
    fc.assert(fc.property(fc.array(label, { minLength: 1, maxLength: 4 }), fc.array(label, { minLength: 1, maxLength: 4 }), (a, b) => {
      const na = objectName(a);
      expect(checkDns1123Label(na)).toEqual([]);
      if (a.join('-') !== b.join('-')) expect(na).not.toBe(objectName(b));
    }));
  });
});

describe('guards', () => {
  const scope = Testing.chart();

  test('assertDnsLabel names the construct path and the field', () => {
    expect(() => assertDnsLabel(scope, 'namespace', 'Team_A')).toThrow(/^\[test\] namespace: "Team_A" a lowercase RFC 1123 label.*\. Use lower-case letters/);
    expect(() => assertDnsLabel(scope, 'namespace', 'team-a')).not.toThrow();
  });

  test('assertPort', () => {
    expect(() => assertPort(scope, 'ports[0].port', 0)).toThrow(/ports\[0\]\.port: 0 is not a valid port\. Use an integer from 1 to 65535/);
    expect(() => assertPort(scope, 'p', 65536)).toThrow(/65536/);
    expect(() => assertPort(scope, 'p', 80.5)).toThrow(/80\.5/);
    expect(() => assertPort(scope, 'p', 9080)).not.toThrow();
  });
});

import * as fc from 'fast-check';
import { checkDnsHostname } from '../../src/mesh/hostname';

describe('checkDnsHostname', () => {
  test.each([['api.example.com'], ['www.googleapis.com'], ['a-b.c-d.example']])('accepts %s', (host) => {
    expect(checkDnsHostname(host)).toEqual([]);
  });

  test.each([
    ['', /must not be empty/],
    ['https://api.example.com', /must not include a scheme/],
    ['api.example.com/v1', /must not include a path/],
    ['api.example.com:443', /must not include a port/],
    ['*.example.com', /must not be a wildcard/],
    ['10.0.0.1', /is an IP address/],
    ['API.example.com', /must be lower case/],
    ['localhost', /fully qualified name/],
    ['-bad.example.com', /invalid DNS labels: "-bad"/],
    ['a_b.example.com', /invalid DNS labels: "a_b"/],
    [`${'a'.repeat(250)}.com`, /no more than 253/],
  ])('rejects %j', (host, error) => {
    expect(checkDnsHostname(host).join()).toMatch(error);
  });

  test('property: dot-joined DNS labels with at least two labels are accepted', () => {
    const label = fc.stringMatching(/^[a-z]([-a-z0-9]{0,20}[a-z0-9])?$/);
    fc.assert(fc.property(fc.array(label, { minLength: 2, maxLength: 5 }), (labels) => {
      expect(checkDnsHostname(labels.join('.'))).toEqual([]);
    }));
  });
});

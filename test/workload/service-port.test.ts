import { AppProtocol } from '../../src/mesh/app-protocol';
import { checkServicePorts, ServicePort } from '../../src/workload/service-port';

const HTTP: ServicePort = { name: 'http', port: 80, targetPort: 8080, protocol: AppProtocol.HTTP };
const GRPC: ServicePort = { name: 'grpc', port: 9090, protocol: AppProtocol.GRPC };

describe('checkServicePorts', () => {
  test('accepts a valid list', () => {
    expect(checkServicePorts([HTTP])).toEqual([]);
    expect(checkServicePorts([HTTP, GRPC])).toEqual([]);
  });

  test.each(Object.values(AppProtocol))('accepts protocol %s', (protocol) => {
    expect(checkServicePorts([{ name: 'p', port: 1, protocol }])).toEqual([]);
  });

  test('accepts the edges of the port range', () => {
    expect(checkServicePorts([{ name: 'low', port: 1, targetPort: 65535, protocol: AppProtocol.TCP }])).toEqual([]);
    expect(checkServicePorts([{ name: 'high', port: 65535, targetPort: 1, protocol: AppProtocol.TCP }])).toEqual([]);
  });

  test('accepts IANA names up to 15 characters with single hyphens and digits', () => {
    expect(checkServicePorts([{ ...HTTP, name: 'http-metrics-01' }])).toEqual([]);
    expect(checkServicePorts([{ ...HTTP, name: 'h2c' }])).toEqual([]);
  });

  test('rejects an empty list', () => {
    expect(checkServicePorts([])).toEqual(['a service needs at least one port']);
    expect(checkServicePorts(undefined as unknown as ServicePort[])).toEqual(['ports must be a list']);
    // A SecureService that only calls declares no port; an imported service always has some.
    expect(checkServicePorts([], true)).toEqual([]);
  });

  describe('names', () => {
    test.each([
      ['http-metrics-001', /ports\[0\]\.name "http-metrics-001" must be no more than 15 characters \(is 16\)/],
      ['HTTP', /ports\[0\]\.name "HTTP" must contain only alpha-numeric characters \(a-z, 0-9\), and hyphens/],
      ['http_web', /ports\[0\]\.name "http_web" must contain only alpha-numeric/],
      ['http--web', /ports\[0\]\.name "http--web" must not contain consecutive hyphens/],
      ['-http', /ports\[0\]\.name "-http" must not begin or end with a hyphen/],
      ['http-', /must not begin or end with a hyphen/],
      ['8080', /ports\[0\]\.name "8080" must contain at least one letter/],
      ['', /ports\[0\]\.name "" /],
    ])('rejects %j', (name, message) => {
      const problems = checkServicePorts([{ ...HTTP, name }]);
      expect(problems.length).toBeGreaterThan(0);
      expect(problems.join('\n')).toMatch(message);
    });

    test('a missing name is reported, not thrown', () => {
      const problems = checkServicePorts([{ port: 80, protocol: AppProtocol.HTTP } as unknown as ServicePort]);
      expect(problems.join('\n')).toMatch(/ports\[0\]\.name "undefined"/);
    });

    test('the index names the offending port', () => {
      expect(checkServicePorts([HTTP, { ...GRPC, name: 'GRPC' }]).join('\n')).toMatch(/^ports\[1\]\.name "GRPC"/);
    });
  });

  describe('numbers', () => {
    test.each([0, -1, 65536, 1.5, Infinity])('rejects port %p', (port) => {
      expect(checkServicePorts([{ ...GRPC, port }])).toEqual([`ports[0].port ${String(port)} is outside 1-65535`]);
    });

    test('rejects port NaN', () => {
      expect(checkServicePorts([{ ...GRPC, port: NaN }])).toContain('ports[0].port NaN is outside 1-65535');
    });

    test.each([0, 65536, 80.5])('rejects targetPort %p', (targetPort) => {
      expect(checkServicePorts([{ ...HTTP, targetPort }])).toEqual([`ports[0].targetPort ${String(targetPort)} is outside 1-65535`]);
    });

    test('rejects a port given as a string', () => {
      expect(checkServicePorts([{ ...GRPC, port: '9090' as unknown as number }])).toEqual(['ports[0].port 9090 is outside 1-65535']);
    });

    test('rejects a missing port', () => {
      expect(checkServicePorts([{ name: 'grpc', protocol: AppProtocol.GRPC } as unknown as ServicePort]).join('\n'))
        .toMatch(/ports\[0\]\.port undefined is outside 1-65535/);
    });
  });

  describe('duplicates', () => {
    test('port names', () => {
      expect(checkServicePorts([HTTP, { ...GRPC, name: 'http' }])).toEqual(['duplicate port name http']);
    });

    test('ports', () => {
      expect(checkServicePorts([HTTP, { ...GRPC, port: 80 }])).toEqual(['duplicate port 80']);
    });

    test('container ports, explicit', () => {
      expect(checkServicePorts([HTTP, { ...GRPC, targetPort: 8080 }])).toEqual(['duplicate container port 8080']);
    });

    test('container ports, one defaulting to its port', () => {
      expect(checkServicePorts([HTTP, { ...GRPC, port: 8080 }])).toEqual(['duplicate container port 8080']);
    });

    test('same port and container port: both reported', () => {
      expect(checkServicePorts([GRPC, { ...GRPC, name: 'grpc2' }])).toEqual(['duplicate port 9090', 'duplicate container port 9090']);
    });

    test('each duplicate is reported once, however often it repeats', () => {
      expect(checkServicePorts([GRPC, { ...GRPC, port: 1 }, { ...GRPC, port: 2 }])).toEqual(['duplicate port name grpc']);
    });

    test('swapping port and targetPort between two ports is fine', () => {
      expect(checkServicePorts([
        { name: 'a', port: 80, targetPort: 8080, protocol: AppProtocol.HTTP },
        { name: 'b', port: 8080, targetPort: 80, protocol: AppProtocol.HTTP },
      ])).toEqual([]);
    });
  });

  describe('protocols', () => {
    test.each(['udp', 'HTTP', 'https', ''])('rejects unknown %j, listing the known ones', (protocol) => {
      expect(checkServicePorts([{ ...HTTP, protocol: protocol as AppProtocol }]))
        .toEqual([`ports[0].protocol "${protocol}" is not one of http, http2, grpc, tcp, tls`]);
    });
  });

  test('reports every problem of every port', () => {
    const problems = checkServicePorts([
      { name: 'Web', port: 0, protocol: 'udp' as AppProtocol },
      { name: 'web', port: 80, targetPort: 70000, protocol: AppProtocol.HTTP },
    ]);
    expect(problems).toEqual([
      'ports[0].name "Web" must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
      'ports[0].port 0 is outside 1-65535',
      'ports[0].protocol "udp" is not one of http, http2, grpc, tcp, tls',
      'ports[1].targetPort 70000 is outside 1-65535',
    ]);
  });
});

describe('invalid numbers are not reported as duplicates (regression)', () => {
  test('a single NaN port is one problem, not a duplicate of itself', () => {
    expect(checkServicePorts([{ name: 'a', port: NaN, protocol: AppProtocol.HTTP }])).toEqual(['ports[0].port NaN is outside 1-65535']);
  });
});

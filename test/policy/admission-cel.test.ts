import { admits, admitsExpression, toAdmissionValue } from '../../src/policy/admission-cel';
import { AdmissionCheck, RuleObject } from '../../src/policy/rule';

const POD: RuleObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } },
  spec: { replicas: 3, ratio: 1.5, ports: [80, 443], hostNetwork: false, nothing: null },
};
const check = (expression: string): AdmissionCheck => ({
  resources: [{ apiGroups: [''], apiVersions: ['*'], resources: ['pods'] }], expression, message: 'test',
});

describe('toAdmissionValue', () => {
  test('integers become bigint (CEL int), other numbers stay doubles', () => {
    expect(toAdmissionValue(0)).toBe(0n);
    expect(toAdmissionValue(42)).toBe(42n);
    expect(toAdmissionValue(-7)).toBe(-7n);
    expect(toAdmissionValue(2 ** 53)).toBe(9007199254740992n);
    expect(toAdmissionValue(1.5)).toBe(1.5);
    expect(toAdmissionValue(-0.25)).toBe(-0.25);
  });

  test('null and undefined become null; strings and booleans are unchanged', () => {
    expect(toAdmissionValue(null)).toBeNull();
    expect(toAdmissionValue(undefined)).toBeNull();
    expect(toAdmissionValue('')).toBe('');
    expect(toAdmissionValue('x')).toBe('x');
    expect(toAdmissionValue(true)).toBe(true);
    expect(toAdmissionValue(false)).toBe(false);
  });

  test('objects become Maps and arrays stay arrays, recursively', () => {
    const v = toAdmissionValue({ a: 1, b: [1.5, null, 'x', true, { c: 2 }], d: { e: { f: -2 } }, g: {}, h: [] });
    expect(v).toEqual(new Map<string, unknown>([
      ['a', 1n],
      ['b', [1.5, null, 'x', true, new Map([['c', 2n]])]],
      ['d', new Map([['e', new Map([['f', -2n]])]])],
      ['g', new Map()],
      ['h', []],
    ]));
    expect(v).toBeInstanceOf(Map);
    expect(toAdmissionValue([1, [2, [3.5]]])).toEqual([1n, [2n, [3.5]]]);
  });

  test('Map keys keep their order and spelling', () => {
    const v = toAdmissionValue({ 'z': 1, 'traffic.sidecar.istio.io/x': 'y', 'a': 2 }) as Map<string, unknown>;
    expect([...v.keys()]).toEqual(['z', 'traffic.sidecar.istio.io/x', 'a']);
  });
});

describe('admitsExpression', () => {
  test('true and false results', () => {
    expect(admitsExpression('true', POD)).toBe(true);
    expect(admitsExpression('false', POD)).toBe(false);
    expect(admitsExpression("object.kind == 'Pod'", POD)).toBe(true);
    expect(admitsExpression("object.metadata.labels.app == 'db'", POD)).toBe(false);
    expect(admitsExpression("has(object.metadata.namespace) && object.metadata.namespace == 'shop'", POD)).toBe(true);
    expect(admitsExpression('has(object.spec.hostPID)', POD)).toBe(false);
  });

  test('JSON integers are CEL ints and fractions CEL doubles', () => {
    expect(admitsExpression('object.spec.replicas == 3', POD)).toBe(true);
    expect(admitsExpression('type(object.spec.replicas) == int', POD)).toBe(true);
    expect(admitsExpression('type(object.spec.ratio) == double && object.spec.ratio == 1.5', POD)).toBe(true);
    expect(admitsExpression('object.spec.ports.all(p, type(p) == int) && 443 in object.spec.ports', POD)).toBe(true);
    expect(admitsExpression('object.spec.nothing == null', POD)).toBe(true);
  });

  test('Kubernetes CEL library functions are available', () => {
    expect(admitsExpression("object.metadata.name.lowerAscii() == 'web'", POD)).toBe(true);
    expect(admitsExpression("'WEB'.lowerAscii() == object.metadata.name", POD)).toBe(true);
  });

  test('params: null when not given, the converted value when given', () => {
    expect(admitsExpression('params == null', POD)).toBe(true);
    expect(admitsExpression('params == null', POD, undefined)).toBe(true);
    expect(admitsExpression('params == null', POD, null)).toBe(true);
    expect(admitsExpression('params != null', POD, { data: {} })).toBe(true);
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', data: { 'Pod.shop.web': 'RULE-A,RULE-B' }, n: 2 };
    expect(admitsExpression("params.data['Pod.shop.web'].split(',').exists(r, r == 'RULE-B')", POD, cm)).toBe(true);
    expect(admitsExpression("'Pod.shop.other' in params.data", POD, cm)).toBe(false);
    expect(admitsExpression('params.n == 2 && type(params.n) == int', POD, cm)).toBe(true);
    expect(admitsExpression('has(params.data)', POD, { kind: 'ConfigMap' })).toBe(false);
  });

  test('a CEL evaluation error throws, naming the object and the expression', () => {
    expect(() => admitsExpression('object.spec.missing == 1', POD)).toThrow(/admission CEL failed on Pod\/web: .*\n\s+object\.spec\.missing == 1/);
    expect(() => admitsExpression('1 / 0 == 1', POD)).toThrow(/Pod\/web.*divide by zero[\s\S]*1 \/ 0 == 1/);
    expect(() => admitsExpression('params.data.x == 1', POD)).toThrow(/params\.data\.x == 1/);
    expect(() => admitsExpression("'a'.matches('[')", POD)).toThrow(/'a'\.matches\('\['\)/);
  });

  test('a non-boolean result throws, naming the type and the expression', () => {
    expect(() => admitsExpression('object.kind', POD)).toThrow('admission CEL returned string, not a bool: object.kind');
    expect(() => admitsExpression('object.spec.replicas', POD)).toThrow(/returned bigint, not a bool: object\.spec\.replicas/);
    expect(() => admitsExpression('object.spec.ports', POD)).toThrow(/not a bool: object\.spec\.ports/);
    expect(() => admitsExpression('params', POD)).toThrow(/not a bool: params/);
  });

  test('a syntax error throws', () => {
    expect(() => admitsExpression('object.spec.replicas +', POD)).toThrow();
    expect(() => admitsExpression('', POD)).toThrow();
  });
});

describe('admits', () => {
  test('evaluates the check expression', () => {
    expect(admits(check("object.kind == 'Pod'"), POD)).toBe(true);
    expect(admits(check('object.spec.hostNetwork == true'), POD)).toBe(false);
  });

  test('passes params through', () => {
    expect(admits(check("params.data.allowed == 'yes'"), POD, { data: { allowed: 'yes' } })).toBe(true);
    expect(admits(check("params.data.allowed == 'yes'"), POD, { data: { allowed: 'no' } })).toBe(false);
    expect(admits(check('params == null'), POD)).toBe(true);
  });

  test('errors and non-boolean results throw with the expression', () => {
    expect(() => admits(check('object.nope'), POD)).toThrow(/object\.nope/);
    expect(() => admits(check("'x'"), POD)).toThrow(/not a bool: 'x'/);
  });

  test('same answer as admitsExpression on the same expression', () => {
    for (const e of ['true', 'false', "object.metadata.name.startsWith('w')", 'object.spec.replicas > 5']) {
      expect(admits(check(e), POD)).toBe(admitsExpression(e, POD));
    }
  });
});

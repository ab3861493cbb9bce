import type { ErrorObject, ValidateFunction } from 'ajv';

/**
 * The mesh contract as a document: what a platform repository publishes for app teams'
 * repositories (see MeshContract). Plain data; rendered and read here, with a JSON Schema that
 * names the field of every problem.
 */

/** `apiVersion` of the document. */
export const CONTRACT_API_VERSION = 'secure-mesh.cdk8s.io/v1alpha1';
/** `kind` of the document. */
export const CONTRACT_KIND = 'MeshContract';
/**
 * The version of the contract's content this library writes and reads. Raised when a field
 * changes meaning, so an app repository never reads a contract it would misunderstand.
 */
export const CONTRACT_VERSION = 1;

/** The mesh, as MeshBaseline.fromAttributes takes it. */
export interface ContractMesh {
  readonly trustDomain: string;
  readonly rootNamespace: string;
  readonly controlPlaneNamespace: string;
  readonly revision?: string;
  readonly allowedRegistries: string[];
  readonly proxyImageRepositories: string[];
  readonly monitoringNamespace?: string;
  readonly monitoringPodLabels?: { [key: string]: string };
  readonly ambient: boolean;
  readonly defaultDataPlane: string;
}

/** A namespace the platform created for an app team (AppTeamNamespace). */
export interface ContractNamespace {
  readonly name: string;
  readonly dataPlane: string;
  readonly podSecurityVersion: string;
  readonly allowedRegistries: string[];
  readonly sensitiveData: boolean;
  readonly metricsScrapingPorts: number[];
}

/** An end-user token issuer accepted at an ingress gateway. */
export interface ContractIssuer {
  readonly issuer: string;
  readonly jwksUri: string;
  readonly audiences: string[];
  readonly outputClaimToHeaders?: { readonly claim: string; readonly header: string }[];
}

/** A route of an ingress gateway to a service of an app team's repository. */
export interface ContractRoute {
  /** `namespace/service`. */
  readonly service: string;
  readonly host: string;
  readonly port: number;
  /** Sorted; `['/*']`: every path. */
  readonly paths: string[];
  /** Sorted; empty: every method. */
  readonly methods: string[];
  readonly publicAccess: boolean;
}

/** An ingress gateway (IngressGateway or GatewayApiIngress) and its routes into app teams' namespaces. */
export interface ContractIngressGateway {
  readonly name: string;
  readonly namespace: string;
  /**
   * The API it is programmed with: `istio` (IngressGateway: a VirtualService in the gateway's
   * namespace) or `gateway-api` (GatewayApiIngress: an HTTPRoute there, which the service's
   * namespace must consent to with a ReferenceGrant).
   */
  readonly api: 'istio' | 'gateway-api';
  readonly serviceAccountName: string;
  readonly podLabels: { [key: string]: string };
  readonly hosts: string[];
  readonly externalIssuers: ContractIssuer[];
  readonly tokenExchange?: {
    readonly provider: string;
    readonly internalIssuer: { readonly issuer: string; readonly jwksUri: string; readonly audiences: string[] };
  };
  readonly routes: ContractRoute[];
}

/** An external host the platform routes out of the mesh, and the callers it admits. */
export interface ContractExternalHost {
  readonly host: string;
  /** The external port. */
  readonly port: number;
  /** How callers reach it: an EgressGateway (sidecar callers) or an AmbientEgressGateway (ambient callers). */
  readonly via: {
    readonly kind: 'EgressGateway' | 'AmbientEgressGateway';
    readonly namespace: string;
    readonly podLabels: { [key: string]: string };
    /** The port callers' pods connect to (the gateway's HTTPS container port, or HBONE). */
    readonly port: number;
    /** The gateway's Service FQDN (EgressGateway only: callers' sidecars import it). */
    readonly serviceHost?: string;
  };
  /** The principals admitted, sorted. */
  readonly callers: string[];
}

/** The whole document. */
export interface ContractDocument {
  readonly apiVersion: string;
  readonly kind: string;
  readonly contractVersion: number;
  readonly mesh: ContractMesh;
  readonly meshAdminGroups: string[];
  readonly operatorGroups: string[];
  readonly ruleSet?: string;
  readonly maxExceptionDays: number;
  readonly appNamespaces: ContractNamespace[];
  readonly ingressGateways: ContractIngressGateway[];
  readonly externalHosts: ContractExternalHost[];
}

const LABEL = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
const str = { type: 'string', minLength: 1 };
const strings = { type: 'array', items: str };
const labels = { type: 'object', additionalProperties: { type: 'string' } };
const port = { type: 'integer', minimum: 1, maximum: 65535 };
const closed = (properties: object, required: string[]) => ({ type: 'object', additionalProperties: false, properties, required });
const issuer = closed({
  issuer: str,
  jwksUri: str,
  audiences: strings,
  outputClaimToHeaders: { type: 'array', items: closed({ claim: str, header: str }, ['claim', 'header']) },
}, ['issuer', 'jwksUri', 'audiences']);

/** The JSON Schema of the document (every object closed: an unknown field is an error, not ignored). */
export const CONTRACT_SCHEMA = closed({
  apiVersion: { const: CONTRACT_API_VERSION },
  kind: { const: CONTRACT_KIND },
  contractVersion: { const: CONTRACT_VERSION },
  mesh: closed({
    trustDomain: str,
    rootNamespace: { type: 'string', pattern: LABEL },
    controlPlaneNamespace: { type: 'string', pattern: LABEL },
    revision: { type: 'string', pattern: LABEL },
    allowedRegistries: strings,
    proxyImageRepositories: strings,
    monitoringNamespace: { type: 'string', pattern: LABEL },
    monitoringPodLabels: labels,
    ambient: { type: 'boolean' },
    defaultDataPlane: { enum: ['sidecar', 'ambient'] },
  }, ['trustDomain', 'rootNamespace', 'controlPlaneNamespace', 'allowedRegistries', 'proxyImageRepositories', 'ambient', 'defaultDataPlane']),
  meshAdminGroups: strings,
  operatorGroups: strings,
  ruleSet: str,
  maxExceptionDays: { type: 'integer', minimum: 1 },
  appNamespaces: {
    type: 'array',
    items: closed({
      name: { type: 'string', pattern: LABEL },
      dataPlane: { enum: ['sidecar', 'ambient'] },
      podSecurityVersion: str,
      allowedRegistries: strings,
      sensitiveData: { type: 'boolean' },
      metricsScrapingPorts: { type: 'array', items: port },
    }, ['name', 'dataPlane', 'podSecurityVersion', 'allowedRegistries', 'sensitiveData', 'metricsScrapingPorts']),
  },
  ingressGateways: {
    type: 'array',
    items: closed({
      name: { type: 'string', pattern: LABEL },
      namespace: { type: 'string', pattern: LABEL },
      api: { enum: ['istio', 'gateway-api'] },
      serviceAccountName: str,
      podLabels: labels,
      hosts: strings,
      externalIssuers: { type: 'array', items: issuer },
      tokenExchange: closed({ provider: str, internalIssuer: closed({ issuer: str, jwksUri: str, audiences: strings }, ['issuer', 'jwksUri', 'audiences']) },
        ['provider', 'internalIssuer']),
      routes: {
        type: 'array',
        items: closed({
          service: { type: 'string', pattern: '^[a-z0-9-]+/[a-z0-9-]+$' },
          host: str,
          port,
          paths: strings,
          methods: strings,
          publicAccess: { type: 'boolean' },
        }, ['service', 'host', 'port', 'paths', 'methods', 'publicAccess']),
      },
    }, ['name', 'namespace', 'api', 'serviceAccountName', 'podLabels', 'hosts', 'externalIssuers', 'routes']),
  },
  externalHosts: {
    type: 'array',
    items: closed({
      host: str,
      port,
      via: closed({
        kind: { enum: ['EgressGateway', 'AmbientEgressGateway'] },
        namespace: { type: 'string', pattern: LABEL },
        podLabels: labels,
        port,
        serviceHost: str,
      }, ['kind', 'namespace', 'podLabels', 'port']),
      callers: strings,
    }, ['host', 'port', 'via', 'callers']),
  },
}, ['apiVersion', 'kind', 'contractVersion', 'mesh', 'meshAdminGroups', 'operatorGroups', 'maxExceptionDays', 'appNamespaces', 'ingressGateways',
  'externalHosts']);

/**
 * Reads a contract document. Throws one error naming `source` and, for each problem, the field
 * (`appNamespaces[0].dataPlane: must be one of sidecar, ambient`).
 */
export function parseContract(text: string, source: string): ContractDocument {
  let doc: unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    doc = (require('yaml') as typeof import('yaml')).parse(text);
  } catch (e) {
    throw new Error(`${source}: not valid YAML: ${(e as Error).message}`);
  }
  const version = (doc as { contractVersion?: unknown } | null)?.contractVersion;
  if (typeof version === 'number' && version > CONTRACT_VERSION) {
    throw new Error(`${source}: contractVersion ${version} is newer than this library reads (${CONTRACT_VERSION}). Upgrade cdk8s-secure-mesh to the `
      + 'version the platform repository uses');
  }
  const validate = contractValidator();
  if (!validate(doc)) {
    const problems = [...new Set((validate.errors ?? []).map(describe))].sort();
    throw new Error(`${source}: not a ${CONTRACT_KIND} this library reads: ${problems.join('; ')}. Write it with MeshContract.yamlOf(app) in the platform repository`);
  }
  return doc as unknown as ContractDocument;
}

let compiled: ValidateFunction | undefined;

/** The schema, compiled once (on first use: loading ajv costs every app that never reads a contract). */
function contractValidator(): ValidateFunction {
  if (!compiled) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Ajv = (require('ajv') as typeof import('ajv')).default;
    compiled = new Ajv({ allErrors: true, strict: false }).compile(CONTRACT_SCHEMA);
  }
  return compiled;
}

function describe(e: ErrorObject): string {
  const at = e.instancePath.split('/').slice(1).map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`)).join('').replace(/^\./, '') || '(document)';
  if (e.keyword === 'additionalProperties') return `${at}: unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"`;
  if (e.keyword === 'required') return `${at}: missing "${(e.params as { missingProperty: string }).missingProperty}"`;
  if (e.keyword === 'enum') return `${at}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
  if (e.keyword === 'const') return `${at}: must be ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}`;
  return `${at}: ${e.message}`;
}

/** The document as YAML, with a header saying what it is (deterministic: same content, same bytes). */
export function renderContract(doc: ContractDocument): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { stringify } = require('yaml') as typeof import('yaml');
  return [
    '# The mesh contract of the platform repository (cdk8s-secure-mesh MeshContract): the mesh, the namespaces',
    '# it gives app teams, its gateways and routes, and the external hosts it routes. Generated from the',
    '# platform app with MeshContract.yamlOf(app); app teams\' repositories read it with MeshContract.fromFile.',
    '# Do not edit: change the platform app and generate it again.',
    stringify(doc, { lineWidth: 0, sortMapEntries: false }),
  ].join('\n');
}

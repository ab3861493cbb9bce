import { checkDnsHostname } from './hostname';
import { checkDns1123Subdomain } from '../validation/kubernetes-names';

/** How traffic to an external host is encrypted on its way out of the mesh (EGRESS-1). */
export enum ExternalHostMode {
  /**
   * The application speaks TLS to the external host itself; the egress gateway forwards the
   * application's TLS stream unchanged and authorizes it on its SNI.
   */
  HTTPS = 'https',
  /**
   * The application speaks plain HTTP inside the mesh (mTLS to the egress gateway); the egress
   * gateway originates TLS to the external host and verifies its certificate.
   */
  HTTPS_ORIGINATED = 'https-originated',
}

/** Options of `ExternalHost.httpsOriginated`. */
export interface HttpsOriginatedOptions {
  /**
   * Name of the Secret, in the egress gateway's namespace, holding the CA certificate (key
   * `ca.crt`) the egress gateway verifies the external host's certificate against
   * (DestinationRule `credentialName`). Required: TLS without a CA to verify against would
   * encrypt traffic to whoever answers.
   */
  readonly caCredentialName: string;
  /**
   * Names the external host's certificate must carry (DestinationRule `subjectAltNames`).
   *
   * @default - [host]: the certificate must be issued for the host that was called
   */
  readonly subjectAltNames?: string[];
  /**
   * The port the external host serves TLS on.
   *
   * @default 443 - the HTTPS port
   */
  readonly port?: number;
  /**
   * The port the application calls `http://<host>:<appPort>` on inside the mesh; its sidecar
   * sends the request to the egress gateway over mTLS.
   *
   * @default 80 - so applications call `http://<host>/...`
   */
  readonly appPort?: number;
}

/**
 * A host outside the mesh that workloads may be granted through an `EgressGateway` (EGRESS-1).
 *
 * Two kinds exist, and no others:
 * - `ExternalHost.https(host, port)`: the application opens TLS to `host:port` itself. Its
 *   sidecar wraps the stream in mesh mTLS to the egress gateway, which learns the caller's
 *   identity, authorizes the caller on the SNI (`connection.sni`) and forwards the application's
 *   TLS stream unchanged to the host (the gateway never sees the plaintext).
 * - `ExternalHost.httpsOriginated(host, { caCredentialName, ... })`: the application calls
 *   `http://host` inside the mesh; the request travels mTLS to the egress gateway, which
 *   authorizes the caller on the Host header and opens TLS to `host:port` itself (SNI `host`),
 *   verifying the server's certificate against the CA in `caCredentialName` and its names
 *   against `subjectAltNames`. TLS is originated at the egress gateway, never in app sidecars.
 *
 * Deliberately absent: plain HTTP to the outside, wildcard hosts (`*.example.com`) and IP or
 * CIDR destinations. Each widens what a granted workload can reach or sends data unencrypted,
 * so they will only come behind a named, justified `PolicyException`. Hosts are fully qualified
 * DNS names without scheme, path, port or wildcard.
 */
export class ExternalHost {
  /**
   * A host the application speaks TLS to itself (HTTPS, or any TLS protocol).
   *
   * @param host the DNS name, e.g. `api.example.com` (no scheme, port, path or wildcard)
   * @param port the TLS port of the host; @default 443
   */
  public static https(host: string, port: number = 443): ExternalHost {
    const where = `ExternalHost.https("${host}")`;
    checkHost(where, host);
    checkPort(where, 'port', port);
    return new ExternalHost(ExternalHostMode.HTTPS, host, port, undefined, undefined, []);
  }

  /**
   * A host the egress gateway opens TLS to on the application's behalf; the application sends
   * plain HTTP, which never leaves the mesh unencrypted (mTLS to the gateway, TLS beyond it).
   *
   * @param host the DNS name, e.g. `api.example.com` (no scheme, port, path or wildcard)
   * @param options the CA to verify the host with, and the ports
   */
  public static httpsOriginated(host: string, options: HttpsOriginatedOptions): ExternalHost {
    const where = `ExternalHost.httpsOriginated("${host}")`;
    checkHost(where, host);
    const ca = options?.caCredentialName;
    if (ca === undefined || ca === null || ca === '') {
      throw new Error(`${where} caCredentialName: a CA is required, TLS origination without verifying the server would encrypt traffic to whoever answers. `
        + 'Create a Secret with the CA certificate (key "ca.crt") in the egress gateway namespace and pass its name');
    }
    const caProblems = checkDns1123Subdomain(ca);
    if (caProblems.length > 0) {
      throw new Error(`${where} caCredentialName: "${ca}" ${caProblems.join('; ')}. Use the name of a Secret in the egress gateway namespace`);
    }
    const port = options.port ?? 443;
    const appPort = options.appPort ?? 80;
    checkPort(where, 'port', port);
    checkPort(where, 'appPort', appPort);
    if (port === appPort) {
      throw new Error(`${where} appPort: ${appPort} is also the external TLS port, so plain HTTP and TLS would share one port. `
        + 'Use different ports, e.g. appPort 80 and port 443');
    }
    const sans = options.subjectAltNames ?? [host];
    if (sans.length === 0) {
      throw new Error(`${where} subjectAltNames: an empty list would accept a certificate issued for any name. Omit it to require "${host}", or list the names`);
    }
    const bad = sans.filter((s) => typeof s !== 'string' || s.trim() === '' || /\s/.test(s));
    if (bad.length > 0) {
      throw new Error(`${where} subjectAltNames: ${bad.map((s) => JSON.stringify(s)).join(', ')} is not a name. List the DNS or URI names of the server certificate`);
    }
    return new ExternalHost(ExternalHostMode.HTTPS_ORIGINATED, host, port, appPort, ca, [...new Set(sans)].sort());
  }

  /** The DNS name of the external host. */
  public readonly host: string;
  /** The port of the external host (where TLS is spoken). */
  public readonly port: number;
  /** Who speaks TLS to the host: the application, or the egress gateway. */
  public readonly mode: ExternalHostMode;
  /** For `HTTPS_ORIGINATED`: the port the application calls in plain HTTP inside the mesh. */
  public readonly appPort?: number;
  /** For `HTTPS_ORIGINATED`: the Secret with the CA that verifies the host's certificate. */
  public readonly caCredentialName?: string;
  /** For `HTTPS_ORIGINATED`: the names the host's certificate must carry, sorted (empty otherwise). */
  public readonly subjectAltNames: string[];

  private constructor(mode: ExternalHostMode, host: string, port: number, appPort: number | undefined,
    caCredentialName: string | undefined, subjectAltNames: string[]) {
    this.mode = mode;
    this.host = host;
    this.port = port;
    this.appPort = appPort;
    this.caCredentialName = caCredentialName;
    this.subjectAltNames = subjectAltNames;
  }

  /** Whether `other` is the same host with the same settings (mode, ports, CA, names). */
  public sameAs(other: ExternalHost): boolean {
    return this.host === other.host && this.port === other.port && this.mode === other.mode && this.appPort === other.appPort
      && this.caCredentialName === other.caCredentialName && this.subjectAltNames.join(',') === other.subjectAltNames.join(',');
  }

  /**
   * Human-readable form for messages and reviews, e.g. `https://api.example.com:443 (TLS from
   * the app)` or `https://api.example.com:443 (TLS originated by the egress gateway from
   * http port 80, CA secret "api-ca", SANs [api.example.com])`.
   */
  public toString(): string {
    const base = `https://${this.host}:${this.port}`;
    if (this.mode === ExternalHostMode.HTTPS) return `${base} (TLS from the app)`;
    return `${base} (TLS originated by the egress gateway from http port ${this.appPort}, CA secret "${this.caCredentialName}", SANs [${this.subjectAltNames.join(', ')}])`;
  }
}

function checkHost(where: string, host: string): void {
  const problems = typeof host === 'string' ? checkDnsHostname(host) : [`host ${JSON.stringify(host)} is not a string`];
  if (problems.length > 0) {
    throw new Error(`${where} host: ${problems.join('; ')}. Name one external host by its fully qualified DNS name, e.g. "api.example.com"; `
      + 'wildcards, IPs and plain HTTP are not offered (they need a PolicyException)');
  }
}

function checkPort(where: string, field: string, port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${where} ${field}: ${port} is not a valid port. Use an integer from 1 to 65535`);
  }
}

import { checkDns1123Subdomain } from '../validation/kubernetes-names';

/** Minimum TLS version a gateway accepts from clients. */
export enum TlsVersion {
  /** TLS 1.2 and newer. */
  TLSV1_2 = 'TLSV1_2',
  /** TLS 1.3 only. */
  TLSV1_3 = 'TLSV1_3',
}

/** How a gateway terminates TLS: which certificate it serves, and whether it asks clients for one. */
export enum GatewayTlsMode {
  /** Server certificate only. */
  SIMPLE = 'SIMPLE',
  /** Server certificate, and clients must present a certificate signed by the client CA. */
  MUTUAL = 'MUTUAL',
}

/**
 * TLS settings of an ingress gateway (INGRESS-1). Certificates always come from Kubernetes
 * Secrets named by `credentialName` in the gateway namespace, never from files on the pod.
 */
export class GatewayTls {
  /** TLS with the server certificate and key of Secret `credentialName`. */
  public static simple(credentialName: string): GatewayTls {
    return new GatewayTls(GatewayTlsMode.SIMPLE, credentialName);
  }

  /**
   * Mutual TLS: clients must present a certificate signed by the CA in `clientCaCredentialName`.
   * Istio reads the CA from the `ca.crt` key of `credentialName` itself (pass the same name) or
   * from the Secret `<credentialName>-cacert`.
   */
  public static mutual(credentialName: string, clientCaCredentialName: string): GatewayTls {
    return new GatewayTls(GatewayTlsMode.MUTUAL, credentialName, clientCaCredentialName);
  }

  /** The TLS mode. */
  public readonly mode: GatewayTlsMode;
  /** Secret holding the server certificate and key. */
  public readonly credentialName: string;
  /** Secret holding the client CA (MUTUAL only). */
  public readonly clientCaCredentialName?: string;

  private constructor(mode: GatewayTlsMode, credentialName: string, clientCaCredentialName?: string) {
    const problems: string[] = [];
    if (!credentialName) problems.push('TLS needs a credential: name the Secret holding the server certificate and key');
    else problems.push(...checkDns1123Subdomain(credentialName).map((p) => `credentialName "${credentialName}" ${p}`));
    if (mode === GatewayTlsMode.MUTUAL) {
      if (!clientCaCredentialName) {
        problems.push('MUTUAL TLS needs a client CA: name the Secret holding it');
      } else if (clientCaCredentialName !== credentialName && clientCaCredentialName !== `${credentialName}-cacert`) {
        problems.push(`client CA "${clientCaCredentialName}" would not be found: Istio reads it from "${credentialName}" (key ca.crt) or "${credentialName}-cacert"`);
      }
    }
    if (problems.length > 0) throw new Error(`GatewayTls.${mode.toLowerCase()}: ${problems.join('; ')}`);
    this.mode = mode;
    this.credentialName = credentialName;
    this.clientCaCredentialName = clientCaCredentialName;
  }
}

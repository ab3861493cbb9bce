/**
 * What one `allowFrom` call created: the caller it admits, the container ports, paths and
 * methods it admits it to, and the objects that carry it. Returned by grant verbs so tests and
 * reviews can see exactly which traffic a line of code opened.
 */
export class AccessGrant {
  /** The caller's principal, e.g. `cluster.local/ns/bookinfo/sa/productpage`. */
  public readonly callerPrincipal: string;
  /** The target, as `namespace/service`. */
  public readonly target: string;
  /** Container (target) ports the caller may reach; these are the ports in the policies. */
  public readonly targetPorts: number[];
  /** Paths the caller may request (empty: any path on the granted ports). */
  public readonly paths: string[];
  /** Methods the caller may use (empty: any method). */
  public readonly methods: string[];
  /** The objects that carry the grant, as `Kind/namespace/name`. */
  public readonly objects: string[];

  constructor(props: AccessGrantProps) {
    this.callerPrincipal = props.callerPrincipal;
    this.target = props.target;
    this.targetPorts = props.targetPorts;
    this.paths = props.paths;
    this.methods = props.methods;
    this.objects = props.objects;
  }

  /** One line for reviews: `caller -> namespace/service ports [paths] [methods]`. */
  public toString(): string {
    const parts = [`${this.callerPrincipal} -> ${this.target}:${this.targetPorts.join(',')}`];
    if (this.methods.length) parts.push(this.methods.join(','));
    if (this.paths.length) parts.push(this.paths.join(','));
    return parts.join(' ');
  }
}

/** Fields of an AccessGrant. */
export interface AccessGrantProps {
  /** The caller's principal. */
  readonly callerPrincipal: string;
  /** The target, as `namespace/service`. */
  readonly target: string;
  /** Container ports admitted. */
  readonly targetPorts: number[];
  /** Paths admitted (empty: any). */
  readonly paths: string[];
  /** Methods admitted (empty: any). */
  readonly methods: string[];
  /** Objects carrying the grant, as `Kind/namespace/name`. */
  readonly objects: string[];
}

import { DataPlane } from './data-plane';

/**
 * What namespaces and services need to know about the mesh they join (MTLS-1, AUTHZ-1, CP-1,
 * IMG-1). Implemented by `MeshBaseline`, and by `MeshBaseline.fromAttributes(...)` for a mesh
 * whose baseline is managed in another repository.
 */
export interface IMesh {
  /** The mesh root namespace: mesh-wide policies live here (Istio's `rootNamespace`). */
  readonly rootNamespace: string;
  /** The namespace istiod runs in. */
  readonly controlPlaneNamespace: string;
  /** The SPIFFE trust domain of workload identities (`<trustDomain>/ns/<ns>/sa/<sa>`). */
  readonly trustDomain: string;
  /** The control-plane revision (`istio.io/rev`), or undefined for the default revision. */
  readonly revision?: string;
  /** Registries images may come from (IMG-1); empty means any registry, images still pinned by digest. */
  readonly allowedRegistries: string[];
  /** Labels that make a namespace part of the mesh (sidecar injection): `istio-injection: enabled` or `istio.io/rev: <rev>`. */
  readonly injectionLabels: { [key: string]: string };
  /** Labels that select the istiod pods in the control-plane namespace. */
  readonly istiodPodLabels: { [key: string]: string };
  /** The repositories the injected proxy comes from (no tag or digest): Istio's official hubs unless the mesh names others. */
  readonly proxyImageRepositories: string[];
  /**
   * The namespace Prometheus runs in: it may scrape istiod (15014) and the proxies of every
   * HardenedNamespace (15020, 15090). Undefined: nothing is open to any scraper.
   */
  readonly monitoringNamespace?: string;
  /**
   * Labels of the Prometheus pods in `monitoringNamespace`: only those pods may scrape. Undefined:
   * every pod of the monitoring namespace.
   */
  readonly monitoringPodLabels?: { [key: string]: string };
  /** The data plane HardenedNamespaces use unless they choose one. */
  readonly defaultDataPlane: DataPlane;
  /** Whether the cluster runs Istio's ambient components (ztunnel), so namespaces may choose `DataPlane.AMBIENT`. */
  readonly ambientEnabled: boolean;
}

/** Attributes of a mesh whose baseline is managed elsewhere. */
export interface MeshAttributes {
  /** @default 'istio-system' */
  readonly rootNamespace?: string;
  /** @default - the root namespace */
  readonly controlPlaneNamespace?: string;
  /** @default 'cluster.local' */
  readonly trustDomain?: string;
  /** @default - the default revision (`istio-injection: enabled`) */
  readonly revision?: string;
  /** @default - any registry (images must still be pinned by digest) */
  readonly allowedRegistries?: string[];
  /** @default ['docker.io/istio/proxyv2', 'gcr.io/istio-release/proxyv2'] - Istio's official hubs */
  readonly proxyImageRepositories?: string[];
  /**
   * The namespace Prometheus runs in, as MeshBaseline `monitoringNamespace`: HardenedNamespaces of
   * this mesh let its pods scrape their proxies (15020, 15090).
   *
   * @default - none: no HardenedNamespace opens anything to a scraper
   */
  readonly monitoringNamespace?: string;
  /**
   * Labels of the Prometheus pods in `monitoringNamespace`, as MeshBaseline `monitoringPodLabels`.
   *
   * @default - every pod of the monitoring namespace
   */
  readonly monitoringPodLabels?: { [key: string]: string };
  /**
   * Whether the cluster runs Istio's ambient components, as MeshBaseline `ambient`.
   *
   * @default - true when `defaultDataPlane` is AMBIENT, else false
   */
  readonly ambient?: boolean;
  /**
   * The data plane HardenedNamespaces use unless they choose one, as MeshBaseline `defaultDataPlane`.
   *
   * @default DataPlane.SIDECAR
   */
  readonly defaultDataPlane?: DataPlane;
}

/** The injection labels for a revision: `istio.io/rev: <rev>` or `istio-injection: enabled`. */
export function injectionLabelsFor(revision: string | undefined): { [key: string]: string } {
  return revision ? { 'istio.io/rev': revision } : { 'istio-injection': 'enabled' };
}

/** The istiod pod labels for a revision (`app: istiod`, plus `istio.io/rev` for a revision). */
export function istiodPodLabelsFor(revision: string | undefined): { [key: string]: string } {
  return revision ? { 'app': 'istiod', 'istio.io/rev': revision } : { app: 'istiod' };
}

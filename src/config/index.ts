export { SecureMeshConfig } from './secure-mesh-config';
export type { SecureMeshSettings } from './secure-mesh-config';

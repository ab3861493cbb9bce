export { SecureMeshConfig, SecureMeshSettings } from './secure-mesh-config';

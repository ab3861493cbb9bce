// The public API of the mesh contract (platform repository -> app teams' repositories).
export { ImportedIngressGateway, MeshContract } from './mesh-contract';

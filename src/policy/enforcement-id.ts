/**
 * The construct id of the one PolicyEnforcement at the root of every app that uses a library
 * construct. Its own module, so that readers of the enforcement's state (SecureMeshConfig.fromApp)
 * find it without importing the enforcement (no import cycle).
 */
export const ENFORCEMENT_ID = 'cdk8s-secure-mesh-policy';

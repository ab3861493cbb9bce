// The public API of the audit domain: the offline access matrix ("who can call whom, and why")
// and its shapes (every export of these two files is public). The evaluators, reporters and the
// manifest audit behind it stay internal: the CLI imports them directly.
export * from './access-matrix';
export * from './access-types';
export { PathNormalization } from './path-normalization';

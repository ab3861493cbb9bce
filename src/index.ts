export * from './mesh';
export * from './policy';
export * from './rbac';
export * from './workload';
export * from './validation';
export * from './audit';
export * from './config';
export * from './contract';

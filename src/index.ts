export * from './mesh';
export * from './rbac';
export * from './workload';
export * from './validation';

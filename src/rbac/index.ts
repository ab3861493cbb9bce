export * from './rbac-subject';
export * from './namespace-team-roles';
export * from './mesh-role-sets';

export * from './rbac-subject';
export * from './namespace-team-roles';

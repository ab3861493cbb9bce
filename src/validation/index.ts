export * from './finding';
export * from './validation';

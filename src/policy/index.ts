export * from './admission-guardrails';
export * from './policy-enforcement';
export * from './policy-exception';
export * from './rule-catalog';

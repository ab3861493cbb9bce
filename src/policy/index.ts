// The public API of the policy domain; internal helpers stay out of the package root.
export { AdmissionGuardrails } from './admission-guardrails';
export { AdmissionRollout } from './admission-rollout';
export type { AdmissionWarnPhaseProps } from './admission-rollout';
export { ExceptionRegistry } from './exception-registry';
export type { ExceptionRegistryProps } from './exception-registry';
export type { AdmissionGuardrailsProps } from './admission-guardrails';
export { PolicyEnforcement } from './policy-enforcement';
export type { ExceptionRecord, PolicyFinding, PolicyReport } from './policy-enforcement';
export { PolicyException } from './policy-exception';
export type { PolicyExceptionProps } from './policy-exception';
export { PolicyRules } from './rule-catalog';
export type { RuleInfo } from './rule-catalog';

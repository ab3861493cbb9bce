// The public API of the policy domain; internal helpers stay out of the package root.
export { AdmissionGuardrails, AdmissionGuardrailsProps } from './admission-guardrails';
export { ExceptionRecord, PolicyEnforcement, PolicyFinding, PolicyReport } from './policy-enforcement';
export { PolicyException, PolicyExceptionProps } from './policy-exception';
export { PolicyRules, RuleInfo } from './rule-catalog';

import { writeFileSync } from 'fs';
import { Command } from 'commander';
import { stringify } from 'yaml';
import type { CliIo } from './main';
import { formatIssue, loadManifests } from '../audit/manifest-loader';
import { RequesterlessReview, gatekeeperDocuments } from '../policy/gatekeeper-translation';

/** Flags of `gatekeeper`. */
interface GatekeeperFlags {
  readonly output?: string;
  readonly scopedEnforcementActions?: boolean;
}

/**
 * `cdk8s-secure-mesh gatekeeper <paths...>`: the admission guardrails of synthesized manifests
 * (their ValidatingAdmissionPolicies, bindings and exception registries) as OPA Gatekeeper / GKE
 * Policy Controller ConstraintTemplates and Constraints (the K8sNativeValidation CEL engine):
 * the same CEL, a fourth place for one rule definition. What Gatekeeper cannot reproduce is
 * printed as notes on stderr. Exit 0, or 2 on unreadable input or no policy found.
 */
export function registerGatekeeperCommand(program: Command, io: CliIo, setExitCode: (code: number) => void): Command {
  return program.command('gatekeeper')
    .description('Translate the admission guardrails in synthesized manifests into Gatekeeper / Policy Controller ConstraintTemplates and Constraints.')
    .argument('<paths...>', 'files, directories (recursive: .yaml, .yml, .json) or - for stdin: the synth output with the guardrails and registries')
    .option('-o, --output <file>', 'write the YAML to this file instead of stdout')
    .option('--scoped-enforcement-actions', 'use enforcementAction: scoped at Gatekeeper\'s own enforcement points (Gatekeeper 3.17+), never vap.k8s.io')
    .action((paths: string[], flags: GatekeeperFlags) => {
      const loaded = loadManifests(paths, { readStdin: io.readStdin, checkKinds: false });
      const errors = loaded.issues.filter((i) => i.severity === 'error');
      for (const issue of errors) io.stderr.write(`${formatIssue(issue)}\n`);
      const documents = loaded.manifests.map((m) => m.object);
      if (errors.length > 0 || !documents.some((d) => d.kind === 'ValidatingAdmissionPolicy')) {
        if (errors.length === 0) io.stderr.write('error: no ValidatingAdmissionPolicy in the input: synthesize an app with AdmissionGuardrails first\n');
        setExitCode(2);
        return;
      }
      const translation = gatekeeperDocuments(documents, {
        scopedEnforcementActions: flags.scopedEnforcementActions ?? false,
        // Audit has no requester: the registry guard is only about who writes, which audit cannot judge.
        requesterlessReviewFor: { 'secure-mesh-exception-registries': RequesterlessReview.ADMIT },
      });
      const yaml = translation.documents.map((d) => stringify(d, { lineWidth: 0 })).join('---\n');
      if (flags.output) writeFileSync(flags.output, yaml);
      else io.stdout.write(yaml);
      for (const p of translation.problems) io.stderr.write(`note: ${p}\n`);
    });
}

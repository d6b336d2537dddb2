import type { Claim, Facts, LabContext, LabDefinition, LabObservation } from './types.ts';

/**
 * Declares a lab. The facts' type is inferred from what `run` returns, so a claim that names a
 * fact the lab does not record (`fact: 'synMs'`) fails the type check. `NoInfer` keeps the claims
 * from widening that type.
 */
export function defineLab<F extends Facts>(lab: {
  title: string;
  verifies: string;
  takeaway?: string;
  probes: string[];
  run: (ctx: LabContext) => Promise<LabObservation<F>>;
  claims: NoInfer<Claim<F>>[];
}): LabDefinition<F> {
  return lab;
}

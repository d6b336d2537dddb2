/**
 * Whether live lab tests run here. A machine that cannot run labs skips them with the reason;
 * in CI (CI=true) or with LABS_REQUIRED=1 it fails instead, so a broken environment never
 * passes as green.
 */
import { labsAvailability } from './cli.ts';

export const availability = await labsAvailability();
export const labsRequired = process.env.CI === 'true' || process.env.LABS_REQUIRED === '1';
/** True when the live tests of this file should be skipped. */
export const skipLive = !availability.ok && !labsRequired;
if (skipLive)
  console.warn(`Skipping live labs: this machine cannot run them.\n${availability.reason}`);

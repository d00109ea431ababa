/**
 * Must be the first import of the entry point. zod 4 probes `new Function` when the shared
 * schemas are built, and under our CSP (no 'unsafe-eval') that probe is reported as a
 * securitypolicyviolation on every page load, even though zod catches it. zod reads its
 * config from this global when it loads, so setting `jitless` first skips the probe. The
 * renderer may not import zod itself (layer rule), hence the global.
 */
const holder = globalThis as { __zod_globalConfig?: { jitless?: boolean } };
holder.__zod_globalConfig = { ...holder.__zod_globalConfig, jitless: true };

export const ZOD_JITLESS = true;

import { defaultAnalysisOptions } from './audio-analysis.js';
import type { Config } from './config.js';

/**
 * What `promptprep.config.json` amounts to when there is none, without loading zod.
 * Most runs have no config file, and zod takes longer to load (~45 ms) than checking a
 * folder of prompts takes, so config.ts (the schema) loads only when a file is there.
 * test/config.test.ts holds this equal to the schema's own defaults.
 */

export function defaultConfig(): Config {
  return {
    profile: 'huawei-privatenumber',
    profiles: {},
    strict: false,
    analysis: { ...defaultAnalysisOptions },
    convert: { rename: false, onOversize: 'fail', normalize: false, trimSilence: false, bandLimit: false },
    watch: { root: 'watch', stableMs: 2000, scanIntervalMs: 250, poll: false, pollIntervalMs: 1000, batchSize: 64 },
    prompts: {},
    ledger: {},
    review: { overdueWorkingDays: 1 },
    cec: {
      baseUrl: 'http://127.0.0.1:8790',
      locale: 'zh_CN',
      defaultVoiceType: '1',
      voiceTypes: {},
      tokenExpireSeconds: 600,
      callback: { host: '127.0.0.1', port: 8791, path: '/promptprep/cec-callback', maxBodyBytes: 16 * 1024, timeoutMs: 10_000, maxConnections: 256, maxConnectionsPerAddress: 32 },
    },
    upload: { platform: 'huawei-console', outbox: 'outbox' },
  };
}

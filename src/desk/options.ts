import type { Config } from '../config.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Logger } from '../logger.js';
import type { Profile } from '../profile.js';

/** What a desk serves and how (see startDesk in server.ts). */
export interface DeskOptions {
  config: Config;
  profile: Profile;
  ledger: Ledger;
  platform: string;
  /** The project folder relative paths are resolved against (the watch root, the output folder). */
  cwd: string;
  host: string;
  port: number;
  /** Where dropped files are converted when there is no watch inbox. */
  outDir: string;
  /** Where dropped sources are kept when converted here (they stay the versions' sources). */
  dropsDir: string;
  /** Largest dropped file accepted, in bytes. */
  maxUploadBytes: number;
  /** PROMPTPREP_DESK_TOKEN: required beyond loopback. */
  token?: string;
  logger: Logger;
  /** How often other processes' ledger changes are looked for (ms). Default 500. */
  pollMs?: number;
}


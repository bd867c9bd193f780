import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BINDING_MODES, bindingsFor } from '../bindings.js';
import { checkFile } from '../check.js';
import { noSceneHint, resolvePromptInfo } from '../catalog.js';
import { recordReview } from '../ledger/record-review.js';
import type { StatusQuery, StatusRow, VersionRow } from '../ledger/ledger.js';
import type { DropRecord } from './drop-record.js';
import { isReviewAction, REVIEW_ACTIONS, REVIEW_STATES, TransitionError } from '../ledger/states.js';
import { projectStatusQuery } from '../commands/ledger-common.js';
import { CEC_PLATFORM } from '../platforms.js';
import { isScene } from '../scenes.js';
import { sendAlawPreview, sendFileRange } from './audio-preview.js';
import { computePeaks } from './peaks.js';
import { readPromptCodes, sourceFile } from './prompt-audio.js';
import { receiveDrop } from './drop.js';
import type { DeskOptions } from './options.js';

/**
 * What the desk's page reads and does, in the library's own terms: the same status rows,
 * the same review recording (and sentences), the same outbox staging and CEC upload, the
 * same bindings and the same conversion as the CLI. Results are {status, body} so the
 * HTTP layer only carries them.
 */

type Result = { status: number; body: unknown };
const ok = (body: unknown): Result => ({ status: 200, body });
const refused = (status: number, error: string): Result => ({ status, body: { error } });

export type { DropRecord } from './drop-record.js';

export class DeskApi {
  private readonly drops: DropRecord[] = [];
  private convertQueue: Promise<void> = Promise.resolve();
  /** While dropped files wait in the watch inbox: how often to look whether watch took them. */
  private inboxTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly o: DeskOptions,
    private readonly changed: (kind?: string) => void,
  ) {}

  private get ledger() {
    return this.o.ledger;
  }

  /** The same query `status` runs: the config's scenes and descriptions, its overdue rule and calendar. */
  statusQuery(): StatusQuery {
    return projectStatusQuery(this.o.config, this.o.platform);
  }

  private rows(): StatusRow[] {
    return this.ledger.status(this.statusQuery());
  }

  /** The watch inbox drops go to, when the project has a watch root set up. */
  private async inbox(): Promise<string | null> {
    const inbox = path.resolve(this.o.cwd, this.o.config.watch.root, 'inbox');
    return fs.stat(inbox).then((s) => (s.isDirectory() ? inbox : null), () => null);
  }

  async prompts(): Promise<unknown> {
    const rows = this.rows();
    const summary: Record<string, number> = { total: rows.length, overdue: 0, attention: 0 };
    for (const s of REVIEW_STATES) summary[s] = 0;
    for (const r of rows) {
      summary[r.state] = (summary[r.state] ?? 0) + 1;
      if (r.overdue) summary.overdue = (summary.overdue ?? 0) + 1;
      if (r.attention) summary.attention = (summary.attention ?? 0) + 1;
    }
    const inbox = await this.inbox();
    return {
      platform: this.o.platform,
      prompts: rows,
      summary,
      noSceneHint: noSceneHint(rows.filter((r) => r.scene === null).map((r) => r.name)),
      drop: inbox
        ? { into: 'inbox', folder: path.relative(this.o.cwd, inbox) || '.', maxBytes: this.o.maxUploadBytes }
        : { into: 'convert', folder: path.relative(this.o.cwd, this.o.outDir) || '.', maxBytes: this.o.maxUploadBytes },
      cec: this.o.platform === CEC_PLATFORM,
    };
  }

  prompt(name: string): unknown | null {
    const versions = this.ledger.versions(name, this.o.platform);
    if (versions.length === 0) return null;
    const row = this.rows().find((r) => r.name === name) ?? null;
    const events = this.ledger.events(name).filter((e) => e.platform === '*' || e.platform === this.o.platform);
    return {
      row,
      versions: versions
        .map((v) => ({
          id: v.versionId,
          number: v.number,
          state: v.state,
          since: v.since,
          reason: v.reason,
          createdAt: v.createdAt,
          bytes: v.bytes,
          durationSeconds: v.durationSeconds,
          platformName: v.platformName,
          remoteId: v.remoteId,
          remoteName: v.remoteName,
          lastError: v.lastError,
          // The source's file name only: the page never needs (or gets) a path.
          sourceName: v.source ? path.basename(v.source) : null,
          events: events.filter((e) => e.version === v.number),
        }))
        .reverse(),
    };
  }

  private version(id: number): VersionRow | null {
    try {
      return this.ledger.versionById(id, this.o.platform);
    } catch {
      return null;
    }
  }

  async analysis(id: number): Promise<Result> {
    const v = this.version(id);
    if (!v?.filePath) return refused(404, `version ${id} has no prepared file on record`);
    const scene = v.scene && isScene(v.scene) ? v.scene : (resolvePromptInfo(this.o.config.prompts, v.name).scene ?? undefined);
    const check = await checkFile(v.filePath, {
      profile: this.o.profile,
      ...(this.o.config.maxBytes ? { maxBytes: this.o.config.maxBytes } : {}),
      analysis: this.o.config.analysis,
      ...(scene ? { scene } : {}),
    });
    return ok({ ok: check.ok, errors: check.errors, warnings: check.warnings, stats: check.stats ?? null, file: path.basename(v.filePath) });
  }

  async peaks(id: number, buckets: number): Promise<Result> {
    const v = this.version(id);
    if (!v) return refused(404, `no version ${id} in the ledger`);
    const read = await readPromptCodes(v);
    if ('problem' in read) return refused(404, read.problem);
    return ok(computePeaks(read.codes, read.sampleRate, buckets, { analysis: this.o.config.analysis }));
  }

  async sendPromptAudio(id: number, req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const v = this.version(id);
    if (!v) return reply.code(404).send({ error: `no version ${id} in the ledger` });
    const read = await readPromptCodes(v);
    if ('problem' in read) return reply.code(404).send({ error: read.problem });
    return sendAlawPreview(req, reply, read.codes, read.sampleRate);
  }

  async sendSourceAudio(id: number, req: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const v = this.version(id);
    const file = v ? await sourceFile(v) : null;
    if (!file) return reply.code(404).send({ error: 'the source recording of this version is not on this machine' });
    // Named by the ledger (looked up by id above), never by the request.
    return sendFileRange(req, reply, file);
  }

  bindings(): unknown {
    const rows = this.rows();
    const modes = BINDING_MODES.map((mode) => ({ mode, ...bindingsFor(mode, rows, this.o.platform) }));
    return { platform: this.o.platform, modes, noSceneHint: noSceneHint(rows.filter((r) => r.scene === null).map((r) => r.name)) };
  }

  outbox(): unknown {
    const outbox = path.resolve(this.o.cwd, this.o.config.upload.outbox);
    const waiting = this.rows().filter((r) => r.state === 'awaiting-upload' && r.platformName);
    const prepared = this.rows().filter((r) => r.state === 'prepared').map((r) => r.name);
    return {
      platform: this.o.platform,
      folder: path.relative(this.o.cwd, outbox) || '.',
      waiting: waiting.map((r) => ({ name: r.name, version: r.version, platformName: r.platformName, scene: r.scene, description: r.description })),
      prepared,
    };
  }

  review(name: string, body: { action?: unknown; reason?: unknown; version?: unknown }): Result {
    const action = typeof body.action === 'string' ? body.action : '';
    if (!isReviewAction(action)) return refused(400, `action must be one of: ${Object.keys(REVIEW_ACTIONS).join(', ')} (got "${action}")`);
    if (body.reason !== undefined && typeof body.reason !== 'string') return refused(400, 'reason must be text');
    if (body.version !== undefined && !(Number.isSafeInteger(body.version) && (body.version as number) >= 1)) {
      return refused(400, `expected a positive whole number, got "${String(body.version)}"`);
    }
    const reason = typeof body.reason === 'string' && body.reason.trim() !== '' ? body.reason.trim() : undefined;
    try {
      const res = recordReview(
        this.ledger,
        {
          name,
          action,
          ...(body.version !== undefined ? { version: body.version as number } : {}),
          ...(reason !== undefined ? { reason } : {}),
          platform: this.o.platform,
          actor: 'desk',
        },
        this.statusQuery(),
      );
      if (res.changed) this.changed();
      return ok({ changed: res.changed, lines: res.lines, notes: res.notes, state: res.version.state });
    } catch (err) {
      // The CLI's own refusal, word for word; nothing was recorded (one transaction).
      if (err instanceof TransitionError) return refused(409, err.message);
      throw err;
    }
  }

  async upload(body: { names?: unknown }): Promise<Result> {
    const names = Array.isArray(body.names) ? body.names.filter((n): n is string => typeof n === 'string') : [];
    const known = new Set(this.rows().map((r) => r.name));
    const unknown = names.filter((n) => !known.has(n));
    if (unknown.length > 0) {
      return refused(400, `no prompt named ${unknown.join(', ')} in the ledger; \`npx promptprep status\` lists the prompts it knows (names as in the output folder, e.g. wait_voice1.wav)`);
    }
    if (this.o.platform === CEC_PLATFORM) return this.uploadCec(names);
    const { consoleChecklist, stageForConsole } = await import('../upload/huawei-console.js');
    const outbox = path.resolve(this.o.cwd, this.o.config.upload.outbox);
    const result = await stageForConsole({ ledger: this.ledger, profile: this.o.profile, outbox, names, actor: 'desk', promptInfo: this.statusQuery().promptInfo });
    this.changed();
    return ok({
      platform: this.o.platform,
      checklist: consoleChecklist(result, path.relative(this.o.cwd, outbox) || '.'),
      staged: result.staged.map((s) => ({ ...s, stagedPath: path.relative(this.o.cwd, s.stagedPath) })),
      removed: result.removed,
      problems: result.problems,
    });
  }

  private async uploadCec(names: string[]): Promise<Result> {
    const [{ callbackUrlFromConfig, clientFromConfig }, { uploadToCec }] = await Promise.all([import('../cec/setup.js'), import('../cec/uploader.js')]);
    let client;
    let callbackUrl: string | null;
    try {
      client = clientFromConfig(this.o.config);
      callbackUrl = callbackUrlFromConfig(this.o.config);
    } catch (err) {
      return refused(400, (err as Error).message);
    }
    try {
      const outcome = await uploadToCec({ ledger: this.ledger, client, cec: this.o.config.cec, callbackUrl, names, logger: this.o.logger, promptInfo: this.statusQuery().promptInfo });
      return ok({ platform: this.o.platform, ...outcome });
    } catch (err) {
      if (err instanceof TransitionError) return refused(409, err.message);
      throw err;
    } finally {
      this.changed();
    }
  }

  dropsList(): unknown {
    return { drops: this.drops.slice(-50) };
  }

  /**
   * A dropped file: into the watch inbox when the project has one (watch converts it and
   * records it, or rejects it with a note), else converted here as `convert` would, into
   * the output folder, and recorded in the ledger.
   */
  async drop(name: string, body: Readable): Promise<Result> {
    const inbox = await this.inbox();
    const id = randomBytes(6).toString('hex');
    if (inbox) {
      const got = await receiveDrop(body, inbox, name, this.o.maxUploadBytes);
      const rec = this.note({ id, name, bytes: got.bytes, at: new Date().toISOString(), state: 'queued', message: `in ${path.relative(this.o.cwd, inbox) || '.'}/, waiting for watch` });
      this.inboxTimer ??= setInterval(() => void this.followInbox(inbox), 1000);
      return ok(rec);
    }
    // Kept as the version's source (so the page can play it), under the project's own folder.
    const dir = path.join(this.o.dropsDir, id);
    const got = await receiveDrop(body, dir, name, this.o.maxUploadBytes);
    const rec = this.note({ id, name, bytes: got.bytes, at: new Date().toISOString(), state: 'converting', message: 'converting' });
    // One conversion at a time: a drop of many files must not start an ffmpeg each.
    this.convertQueue = this.convertQueue.then(() => this.convertDrop(rec, got.path)).catch(() => undefined);
    return ok(rec);
  }

  /**
   * What watch made of the files dropped into its inbox: rejected (its note beside the
   * file in rejected/ says why) or taken (gone from the inbox; its row arrives through
   * the ledger).
   */
  private async followInbox(inbox: string): Promise<void> {
    const waiting = this.drops.filter((d) => d.state === 'queued');
    if (waiting.length === 0) {
      this.stopFollowing();
      return;
    }
    const rejected = path.join(path.dirname(inbox), 'rejected');
    let changed = false;
    for (const d of waiting) {
      const note = await fs.readFile(path.join(rejected, `${d.name}.reason.json`), 'utf8').then((t) => JSON.parse(t) as { rejectedAt?: string; errors?: { code: string; message: string }[] }, () => null);
      if (note && (note.rejectedAt ?? '') >= d.at) {
        d.state = 'failed';
        d.message = (note.errors ?? []).map((e) => `${e.code}: ${e.message}`).join('; ') || 'rejected by watch';
        changed = true;
      } else if (!(await fs.stat(path.join(inbox, d.name)).then(() => true, () => false)) && !note) {
        d.state = 'converted';
        d.message = 'taken by watch';
        changed = true;
      }
    }
    if (changed) this.changed('drops');
  }

  private stopFollowing(): void {
    if (this.inboxTimer) clearInterval(this.inboxTimer);
    this.inboxTimer = null;
  }

  close(): void {
    this.stopFollowing();
  }

  private note(rec: DropRecord): DropRecord {
    this.drops.push(rec);
    if (this.drops.length > 200) this.drops.splice(0, this.drops.length - 200);
    this.changed('drops');
    return rec;
  }

  private async convertDrop(rec: DropRecord, file: string): Promise<void> {
    const c = this.o.config;
    try {
      const [{ convertFiles }, { recordConversions }] = await Promise.all([import('../convert/index.js'), import('../ledger/project.js')]);
      const report = await convertFiles([file], {
        outDir: this.o.outDir,
        profile: this.o.profile,
        maxBytes: c.maxBytes ?? this.o.profile.maxBytes,
        rename: c.convert.rename,
        onOversize: c.convert.onOversize,
        normalize: c.convert.normalize,
        trimSilence: c.convert.trimSilence,
        bandLimit: c.convert.bandLimit,
        ...(c.convert.jobs ? { jobs: c.convert.jobs } : {}),
        dryRun: false,
        force: false,
        analysis: c.analysis,
        sceneFor: (item) => resolvePromptInfo(c.prompts, path.basename(item.output)).scene ?? undefined,
      });
      const f = report.files[0];
      if (f && (f.status === 'converted' || f.status === 'skipped') && f.output) {
        recordConversions(this.ledger, report, c, 'desk');
        rec.state = 'converted';
        rec.prompt = path.basename(f.output);
        rec.message = [`${rec.name} -> ${rec.prompt}`, ...f.warnings.map((w) => `${w.code}: ${w.message}`)].join('; ');
      } else {
        rec.state = 'failed';
        rec.message = f ? f.errors.map((e) => `${e.code}: ${e.message}`).join('; ') || 'not converted' : 'not converted';
        await fs.rm(path.dirname(file), { recursive: true, force: true });
      }
    } catch (err) {
      rec.state = 'failed';
      rec.message = (err as Error).message;
    }
    this.changed('ledger');
  }
}

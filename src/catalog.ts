import type { PromptInfo } from './config.js';
import { isScene, SCENES, type Scene } from './scenes.js';

/**
 * What a prompt is for: its scene and its console description, from the config's
 * `prompts` (exact names and patterns) and from the inbox folder it was dropped in.
 *
 * Precedence, most specific first: an exact name in the config, then the inbox folder
 * (`inbox/callerHintTone/x.mp3`), then the first matching pattern in the config.
 */

export interface ResolvedPromptInfo {
  scene: Scene | null;
  description: string | null;
  sceneFrom: 'config-name' | 'folder' | 'config-pattern' | null;
}

function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

function isPattern(key: string): boolean {
  return /[*?]/.test(key);
}

/** The scene named by a folder in a path relative to the inbox, if any (innermost wins). */
export function sceneFromFolder(relPath: string): Scene | null {
  const parts = relPath.split(/[\\/]/).slice(0, -1).reverse();
  for (const part of parts) if (isScene(part)) return part;
  return null;
}

export function resolvePromptInfo(
  prompts: Record<string, PromptInfo>,
  name: string,
  relPathInInbox?: string,
): ResolvedPromptInfo {
  const exact = Object.prototype.hasOwnProperty.call(prompts, name) && !isPattern(name) ? prompts[name] : undefined;
  const pattern = Object.entries(prompts).find(([key]) => isPattern(key) && globToRegExp(key).test(name))?.[1];
  const folder = relPathInInbox ? sceneFromFolder(relPathInInbox) : null;
  let scene: Scene | null = null;
  let sceneFrom: ResolvedPromptInfo['sceneFrom'] = null;
  if (exact?.scene) {
    scene = exact.scene;
    sceneFrom = 'config-name';
  } else if (folder) {
    scene = folder;
    sceneFrom = 'folder';
  } else if (pattern?.scene) {
    scene = pattern.scene;
    sceneFrom = 'config-pattern';
  }
  return { scene, description: exact?.description ?? pattern?.description ?? null, sceneFrom };
}

/** Scene and description as kept in the ledger: only what the config cannot say again. */
export interface RecordedPromptInfo {
  scene: string | null;
  description: string | null;
}

/**
 * Scene and description of a recorded prompt as every command shows and uses them: the
 * config as it is now, so adding or changing an entry takes effect at once, without
 * converting again. The ledger keeps only what the config cannot say again (the inbox
 * folder a file was dropped in, `convert --scene`), and that keeps its place in the
 * precedence: an exact name in the config, then what was recorded, then a pattern.
 */
export function currentPromptInfo(prompts: Record<string, PromptInfo>, name: string, recorded: RecordedPromptInfo): ResolvedPromptInfo {
  const configured = resolvePromptInfo(prompts, name);
  const kept = recorded.scene !== null && isScene(recorded.scene) ? recorded.scene : null;
  const fromConfigName = configured.sceneFrom === 'config-name';
  const scene = fromConfigName ? configured.scene : (kept ?? configured.scene);
  const sceneFrom = fromConfigName ? 'config-name' : kept ? 'folder' : configured.sceneFrom;
  return { scene, description: configured.description ?? recorded.description, sceneFrom };
}

/** What to tell a user whose prompts have no scene: bindings cannot place them until they do. */
export function noSceneHint(names: readonly string[]): string | null {
  if (names.length === 0) return null;
  const shown = names.length > 5 ? `${names.slice(0, 5).join(', ')}, ... (${names.length} in all)` : names.join(', ');
  const example = names[0] as string;
  return (
    `${names.length === 1 ? `${shown} has no scene` : `${names.length} prompts have no scene (${shown})`}, so no binding uses ${names.length === 1 ? 'it' : 'them'}: ` +
    `name one in promptprep.config.json, e.g. "prompts": {${JSON.stringify(example)}: {"scene": "callerHintTone"}} ` +
    `(or drop the recording in inbox/<scene>/). Scenes: ${SCENES.join(', ')}. No conversion needed: every command reads the config as it is.`
  );
}

import type { PromptInfo } from './config.js';
import { isScene, type Scene } from './scenes.js';

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

import type { StatusRow } from './ledger/ledger.js';
import type { Scene } from './scenes.js';

/**
 * The binding parameters each PrivateNumber mode takes a voice file in (PLATFORM.md,
 * "Where a prompt is used"), as paths into the binding request's JSON.
 */
export const BINDING_MODES = ['AX', 'AXB', 'AXYB', 'AXE', 'X'] as const;
export type BindingMode = (typeof BINDING_MODES)[number];

const MODE_PARAMS: Record<BindingMode, { scene: Scene; path: string[] }[]> = {
  AX: [
    { scene: 'callerHintTone', path: ['preVoice', 'callerHintTone'] },
    { scene: 'calleeHintTone', path: ['preVoice', 'calleeHintTone'] },
    { scene: 'recordHintTone', path: ['recordHintTone'] },
    { scene: 'lastMinVoice', path: ['lastMinVoice'] },
  ],
  AXB: [
    { scene: 'callerHintTone', path: ['preVoice', 'callerHintTone'] },
    { scene: 'calleeHintTone', path: ['preVoice', 'calleeHintTone'] },
    { scene: 'recordHintTone', path: ['recordHintTone'] },
    { scene: 'lastMinVoice', path: ['lastMinVoice'] },
  ],
  AXYB: [
    { scene: 'preVoiceX', path: ['preVoiceX'] },
    { scene: 'preVoiceY', path: ['preVoiceY'] },
    { scene: 'recordHintTone', path: ['recordHintTone'] },
  ],
  AXE: [{ scene: 'callbackTone', path: ['callbackTone'] }],
  X: [
    { scene: 'waitVoice', path: ['waitVoice'] },
    { scene: 'closeHintTone', path: ['closeHintTone'] },
  ],
};

export interface BindingsResult {
  fragment: Record<string, unknown>;
  /** Sentences for stderr: scenes with no approved prompt, scenes with several. */
  notes: string[];
}

/**
 * Binding parameters filled with approved file names only. A version that is not
 * approved never appears, whatever else is in the ledger.
 */
export function bindingsFor(mode: BindingMode, rows: StatusRow[], platform = 'huawei-console'): BindingsResult {
  const fragment: Record<string, unknown> = {};
  const notes: string[] = [];
  for (const param of MODE_PARAMS[mode]) {
    const candidates = rows.filter((r) => r.scene === param.scene && r.inUse !== null);
    const where = param.path.join('.');
    if (candidates.length === 0) {
      const pending = rows.filter((r) => r.scene === param.scene);
      notes.push(
        pending.length > 0
          ? `${where}: no prompt approved on ${platform} yet (${pending.map((r) => `${r.name} is ${r.state}`).join('; ')}); left out.`
          : `${where}: no prompt has the scene ${param.scene}; left out.`,
      );
      continue;
    }
    // Several approved prompts for one scene: the most recently changed wins, and we say so.
    const chosen = [...candidates].sort((a, b) => (a.since < b.since ? 1 : a.since > b.since ? -1 : 0))[0] as StatusRow;
    if (candidates.length > 1) {
      notes.push(`${where}: several approved prompts have the scene ${param.scene} (${candidates.map((c) => c.name).join(', ')}); using ${chosen.name}.`);
    }
    let node = fragment;
    for (const key of param.path.slice(0, -1)) {
      node[key] = (node[key] as Record<string, unknown> | undefined) ?? {};
      node = node[key] as Record<string, unknown>;
    }
    node[param.path[param.path.length - 1] as string] = (chosen.inUse as { platformName: string }).platformName;
  }
  return { fragment, notes };
}

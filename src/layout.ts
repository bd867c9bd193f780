import path from 'node:path';

/**
 * Where a prompt goes inside a target's folder, by the platform's layout. A platform
 * plays a prompt by its place in a tree, not by its name alone: Asterisk looks in
 * `sounds/<lang>/` (and is given the name without its extension), FreeSWITCH in
 * `<rate>/` folders beside each other and plays the best matching rate. The output of a
 * run is copied into that tree as it is, so the layout is made here, not by hand.
 */

export type LayoutId = 'flat' | 'asterisk' | 'freeswitch';

/** What a layout reads of a profile (every Profile has these). */
export interface LayoutRules {
  layout?: LayoutId;
  /** Asterisk's language folder; "en" when the profile names none (Asterisk's own default). */
  language?: string;
  /** The rates the platform asks for, the primary first; FreeSWITCH lists several. */
  sampleRates?: readonly number[];
  sampleRate: number;
}

/** One file a prompt becomes: its path under the target's folder and the rate it is encoded at. */
export interface Placement {
  rate: number;
  /** Relative to the target's folder, in the platform's layout. */
  path: string;
}

export const ASTERISK_DEFAULT_LANGUAGE = 'en';

/** The rates a profile's prompts are made at: every rate it lists, the primary first, once each. */
export function layoutRates(rules: LayoutRules): number[] {
  const rates = rules.sampleRates && rules.sampleRates.length > 0 ? rules.sampleRates : [rules.sampleRate];
  return [...new Set(rates)];
}

/**
 * Every file `fileName` (a prompt's name, extension included) becomes under a target's
 * folder. Flat and Asterisk: one; FreeSWITCH: one per rate the profile asks for.
 */
export function placements(fileName: string, rules: LayoutRules): Placement[] {
  const layout = rules.layout ?? 'flat';
  const rates = layoutRates(rules);
  const primary = rates[0] as number;
  switch (layout) {
    case 'flat':
      return [{ rate: primary, path: fileName }];
    case 'asterisk':
      return [{ rate: primary, path: path.join('sounds', rules.language ?? ASTERISK_DEFAULT_LANGUAGE, fileName) }];
    case 'freeswitch':
      return rates.map((rate) => ({ rate, path: path.join(String(rate), fileName) }));
  }
}

/** The layout in words, for help texts and reports: `sounds/en/<name>.wav`. */
export function describeLayout(rules: LayoutRules & { extension: string }): string {
  const name = `<name>${rules.extension}`;
  return placements(name, rules)
    .map((p) => p.path.split(path.sep).join('/'))
    .join(', ');
}

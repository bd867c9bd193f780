import type { CodecId } from './codec-info.js';

/**
 * What a profile says, as written in its data (src/profiles/) or in a user's config: a
 * platform's published rules for a voice prompt. profile.ts adds the fields derived from
 * these. A rule the vendor does not publish is left out (undefined), never guessed; where
 * convert must choose what the vendor leaves open, `note` says what we chose.
 */

export type ContainerId = 'wav' | 'raw' | 'mp3';

/** Where the files of a target go: flat; Asterisk `sounds/<lang>/<name>.<ext>`; FreeSWITCH `<rate>/<name>.wav`. */
export type LayoutId = 'flat' | 'asterisk' | 'freeswitch';

/** Working days a review is counted in, where the platform reviews prompts. */
export type WorkingDaysId = 'china' | 'weekends';

/**
 * How a platform names a prompt. Character rules apply to the name without the profile's
 * extension (the extension rule is the profile's `extension`); `maxLength` counts the
 * extension only where `lengthWithExtension` says so (Huawei's String(1-128) carries it).
 */
export interface NameRule {
  /** Body of a regular-expression character class (u flag) listing every allowed character. */
  charset: string;
  /** The charset in words, for messages: "digits, ASCII letters and - _ . @". */
  charsetText: string;
  /** Body of a character class the first character must match. */
  first?: string;
  firstText?: string;
  maxLength?: number;
  /** True where maxLength counts the extension too. */
  lengthWithExtension?: boolean;
  /** Body of a character class of characters the platform refuses for a reason of its own (Asterisk's `&`). */
  forbidden?: string;
  /** Why, in words: "& (Asterisk reads it as the separator between files)". */
  forbiddenText?: string;
}

export interface ProfileSpec {
  id: string;
  title: string;
  /** 'huawei' | 'amazon' | 'genesys' | 'asterisk' | ...: profiles of one vendor share it. */
  family: string;
  codec: CodecId;
  container: ContainerId;
  /** Exact case, with the dot: Asterisk's `.wav` is 16-bit PCM, its `.WAV` is GSM. */
  extension: string;
  /** Sample rates in Hz; the first is the primary one (FreeSWITCH lists a folder per rate). */
  sampleRates: number[];
  channels: 1;
  /** Largest accepted file, header included, in bytes. */
  maxBytes?: number;
  minSeconds?: number;
  maxSeconds?: number;
  /** MP3 bitrate in bits a second (MP3 profiles only). */
  mp3Bitrate?: number;
  name: NameRule;
  layout: LayoutId;
  /** The language folder of the asterisk layout ('en'). */
  language?: string;
  /** Scenes played before a call connects are cut off after this many seconds. */
  preCallMaxSeconds?: number;
  /** The platform has PrivateNumber-style playback scenes (src/scenes.ts). */
  scenes: boolean;
  workingDays?: WorkingDaysId;
  /** What we chose where the vendor is silent (it is our default, not the vendor's rule). */
  note?: string;
}

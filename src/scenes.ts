/**
 * The playback scenes of PrivateNumber (shared PLATFORM.md, "Where a prompt is used"),
 * named by the binding parameter that carries the file name.
 */
export const SCENES = [
  'callerHintTone',
  'calleeHintTone',
  'recordHintTone',
  'lastMinVoice',
  'preVoiceX',
  'preVoiceY',
  'callbackTone',
  'waitVoice',
  'closeHintTone',
  'app',
] as const;
export type Scene = (typeof SCENES)[number];

/** Scenes that play before the call connects, where ringing cuts the tone off after ~5 s. */
export const PRE_CALL_SCENES: ReadonlySet<Scene> = new Set<Scene>([
  'callerHintTone',
  'calleeHintTone',
  'preVoiceX',
  'preVoiceY',
  'waitVoice',
]);

export function isScene(value: string): value is Scene {
  return (SCENES as readonly string[]).includes(value);
}

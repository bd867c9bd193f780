/**
 * The codec and container ids the encoders speak. They are the Profile contract's
 * (codec-info.ts and profile.ts); declared here as well so the encoders need no more of a
 * profile than these few fields.
 */
export type CodecId = 'alaw' | 'mulaw' | 'pcm16' | 'gsm' | 'mp3';
export type ContainerId = 'wav' | 'raw' | 'mp3';

/** What encoding needs to know of a profile: its codec, its container and, for MP3, its bitrate. */
export interface EncodeTarget {
  codec: CodecId;
  container: ContainerId;
  /** bits a second; MP3 only. */
  mp3Bitrate?: number;
  /** For messages: the profile the bytes are for. */
  id?: string;
}

/**
 * The codec and container ids the encoders speak are the Profile contract's; encoding
 * needs no more of a profile than the few fields of EncodeTarget.
 */
import type { CodecId } from '../codec-info.js';
import type { ContainerId } from '../profile-spec.js';

export type { CodecId, ContainerId };

/** What encoding needs to know of a profile: its codec, its container and, for MP3, its bitrate. */
export interface EncodeTarget {
  codec: CodecId;
  container: ContainerId;
  /** Bits a second; MP3 only. */
  mp3Bitrate?: number;
  /** For messages: the profile the bytes are for. */
  id?: string;
}

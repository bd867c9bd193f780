import { z } from 'zod';
import type { Profile } from './profile.js';

/** Validates a profile object (one built by a library user, say) against the shape profile.ts declares. */
export const ProfileSchema = z.object({
  id: z.string().min(1),
  title: z.string().min(1),
  formatTag: z.union([z.literal(6), z.literal(7)]),
  codecName: z.string().min(1),
  sampleRate: z.number().int().positive(),
  channels: z.number().int().positive(),
  bitsPerSample: z.number().int().positive(),
  maxBytes: z.number().int().positive(),
  nameCharset: z.string().min(1),
  nameCharsetText: z.string().min(1),
  maxNameLength: z.number().int().positive(),
  extension: z.string().regex(/^\.[A-Za-z0-9]+$/),
  preCallMaxSeconds: z.number().positive(),
}) satisfies z.ZodType<Profile>;

// The schema and the interface must describe the same object: a compile error here means they drifted.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameShape: Same<z.infer<typeof ProfileSchema>, Profile> = true;
void sameShape;

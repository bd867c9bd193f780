/**
 * The life of one version of a prompt on one platform. Every change goes through
 * `assertTransition`, so an illegal one (approving what was never submitted, say) is
 * refused with a sentence, not recorded.
 */
export const REVIEW_STATES = [
  'prepared',
  'awaiting-upload',
  'uploading',
  'in-review',
  'approved',
  'rejected',
  'superseded',
  'retired',
] as const;
export type ReviewState = (typeof REVIEW_STATES)[number];

const TRANSITIONS: Record<ReviewState, readonly ReviewState[]> = {
  // prepared → awaiting-upload (staged for the console) or uploading (API upload under way)
  prepared: ['awaiting-upload', 'uploading', 'superseded'],
  'awaiting-upload': ['in-review', 'uploading', 'superseded'],
  // uploading → in-review once the platform acknowledged; back to prepared when it refused
  uploading: ['in-review', 'prepared', 'rejected'],
  'in-review': ['approved', 'rejected', 'superseded'],
  approved: ['superseded'],
  rejected: [],
  // superseded → retired: a person deleted the old file in the console
  superseded: ['retired'],
  retired: [],
};

export function canTransition(from: ReviewState, to: ReviewState): boolean {
  return TRANSITIONS[from].includes(to);
}

export class TransitionError extends Error {
  override name = 'TransitionError';
}

const HINTS: Partial<Record<`${ReviewState}>${ReviewState}`, string>> = {
  'prepared>approved': 'stage it with `promptprep upload` and record `review <name> submitted` first',
  'prepared>in-review': 'stage it with `promptprep upload` first',
  'awaiting-upload>approved': 'record `review <name> submitted` when it is submitted in the console first',
  'approved>rejected': 'an approved file stays approved; upload a new version instead',
  'rejected>approved': 'a rejected file stays rejected; fix the prompt and prepare a new version',
};

export function assertTransition(name: string, version: number, from: ReviewState, to: ReviewState): void {
  if (canTransition(from, to)) return;
  const allowed = TRANSITIONS[from];
  const hint = HINTS[`${from}>${to}`];
  throw new TransitionError(
    `${name} version ${version} is ${from}; it cannot become ${to}` +
      (allowed.length > 0 ? ` (from ${from} it can become: ${allowed.join(', ')})` : ` (${from} is final)`) +
      (hint ? `. Hint: ${hint}.` : '.'),
  );
}

export function isReviewState(value: string): value is ReviewState {
  return (REVIEW_STATES as readonly string[]).includes(value);
}

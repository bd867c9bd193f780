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

/**
 * What a person records with `promptprep review <name> <action>`: the words the console
 * shows, each meaning one state. Refusals speak in these words, not in state names.
 */
export const REVIEW_ACTIONS = {
  submitted: 'in-review',
  approved: 'approved',
  rejected: 'rejected',
  retired: 'retired',
} as const satisfies Record<string, ReviewState>;
export type ReviewAction = keyof typeof REVIEW_ACTIONS;

export function isReviewAction(value: string): value is ReviewAction {
  return Object.prototype.hasOwnProperty.call(REVIEW_ACTIONS, value);
}

/** What a version in a state is waiting for, as something the user can do or type. */
function nextStep(from: ReviewState, ref: string, platform: string): string {
  const review = (action: string) => `\`promptprep review ${ref} ${action}\``;
  switch (from) {
    case 'prepared':
      return platform === 'huawei-cec'
        ? `upload it first: \`promptprep upload --platform huawei-cec ${ref}\` (or \`watch --upload\`)`
        : `stage it first with \`promptprep upload\`, then record ${review('submitted')} once you submitted it in the console (提交)`;
    case 'awaiting-upload':
      return `record ${review('submitted')} once you submitted it in the console (提交)`;
    case 'uploading':
      return 'its upload has not finished; `promptprep status` says what to check';
    case 'in-review':
      return `you can record ${review('approved')} or ${review('rejected --reason "<审核说明>"')}`;
    case 'approved':
      return 'an approved file stays approved; to change it, convert a new recording (a new version) and upload that';
    case 'rejected':
      return 'a rejected file stays rejected; fix the recording and convert it again (a new version)';
    case 'superseded':
      return `once you deleted it in the console, record ${review('retired')}`;
    case 'retired':
      return 'it was deleted in the console; nothing more to record';
  }
}

/** The word the user typed for a state ("submitted" for in-review), or the state itself. */
function asAction(to: ReviewState): string {
  return (Object.keys(REVIEW_ACTIONS) as ReviewAction[]).find((a) => REVIEW_ACTIONS[a] === to) ?? to;
}

export interface TransitionSubject {
  name: string;
  version: number;
  platform: string;
  /** How the user names this version on the command line (adds --version when not the latest). */
  ref?: string;
}

/**
 * Refuses an illegal change with one sentence: where the version stands (and on which
 * platform), and what the user can do instead, in words they can type.
 */
export function assertTransition(subject: TransitionSubject, from: ReviewState, to: ReviewState): void {
  if (canTransition(from, to)) return;
  const { name, version, platform } = subject;
  throw new TransitionError(
    `${name} version ${version} is ${from} on ${platform}; it cannot be recorded as ${asAction(to)}. ` +
      `${capitalize(nextStep(from, subject.ref ?? name, platform))}.`,
  );
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function isReviewState(value: string): value is ReviewState {
  return (REVIEW_STATES as readonly string[]).includes(value);
}

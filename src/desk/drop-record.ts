/**
 * A file dropped on the desk page, as the server keeps it and the page shows it: one
 * definition for both sides of /api/drops (no imports, so the page's bundle can take it).
 */
export interface DropRecord {
  id: string;
  name: string;
  bytes: number;
  at: string;
  /** received → queued (in the watch inbox) or converting → converted | failed */
  state: 'queued' | 'converting' | 'converted' | 'failed';
  message: string;
  prompt?: string;
}

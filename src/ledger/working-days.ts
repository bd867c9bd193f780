import chineseDays from 'chinese-days';

/**
 * Review is promised "within 1 working day". Which days are working days:
 * - `weekends`: every day but Saturday and Sunday (UTC dates);
 * - `china`: the official calendar of mainland China, where the reviewers work: public
 *   holidays (Spring Festival, National Day, ...) do not count and make-up working days
 *   (调休, often a Saturday or Sunday) do, on Beijing-time dates. The dates come from the
 *   `chinese-days` package, which follows the State Council's yearly notice; a year it
 *   does not know yet counts weekends only.
 */
export type WorkCalendar = 'china' | 'weekends';
export const WORK_CALENDARS: readonly WorkCalendar[] = ['china', 'weekends'];

const DAY_MS = 86_400_000;
const BEIJING_OFFSET_MS = 8 * 3_600_000;

export function isWorkingDay(at: Date, calendar: WorkCalendar = 'weekends'): boolean {
  if (calendar === 'china') return chineseDays.isWorkday(new Date(at.getTime() + BEIJING_OFFSET_MS).toISOString().slice(0, 10));
  const day = at.getUTCDay();
  return day !== 0 && day !== 6;
}

export function addWorkingDays(start: Date, days: number, calendar: WorkCalendar = 'weekends'): Date {
  const d = new Date(start.getTime());
  let remaining = days;
  while (remaining > 0) {
    const step = Math.min(1, remaining);
    d.setTime(d.getTime() + step * DAY_MS);
    if (!isWorkingDay(d, calendar)) continue; // a day off does not count
    remaining -= step;
  }
  // Landing on a day off moves the deadline to the next working day, same time.
  while (!isWorkingDay(d, calendar)) d.setTime(d.getTime() + DAY_MS);
  return d;
}

export function isOverdue(since: Date, now: Date, workingDays: number, calendar: WorkCalendar = 'weekends'): boolean {
  return now.getTime() > addWorkingDays(since, workingDays, calendar).getTime();
}

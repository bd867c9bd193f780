/**
 * Review is promised "within 1 working day". Weekends do not count; public holidays are
 * not known here (the platform says reviews take longer then), so the limit is configurable.
 */
export function addWorkingDays(start: Date, days: number): Date {
  const d = new Date(start.getTime());
  let remaining = days;
  while (remaining > 0) {
    const step = Math.min(1, remaining);
    d.setTime(d.getTime() + step * 86_400_000);
    const day = d.getUTCDay();
    if (day === 0 || day === 6) continue; // a weekend day does not count
    remaining -= step;
  }
  // Landing on a weekend moves the deadline to Monday, same time.
  while (d.getUTCDay() === 0 || d.getUTCDay() === 6) d.setTime(d.getTime() + 86_400_000);
  return d;
}

export function isOverdue(since: Date, now: Date, workingDays: number): boolean {
  return now.getTime() > addWorkingDays(since, workingDays).getTime();
}

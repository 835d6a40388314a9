/**
 * The instant clock-driven tests start from: noon UTC yesterday. Tests move a ManualClock
 * from here, so nothing depends on the minute a test starts; it is still recent, so every
 * retention (TTL) the store applies by its own wall clock keeps the test's rows, whatever
 * the date the suite runs on.
 */
export const TEST_EPOCH = (() => {
  const today = new Date();
  return Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate() - 1, 12);
})();

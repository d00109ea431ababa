/**
 * A workstation machine whose clock is off (clock-2's e2e): loaded with `--import` into the
 * workstation process, it sets that process's clock `WORKSTATION_CLOCK_SKEW_MS` from the true
 * time, as a wrong system clock would. Only `Date.now`: what the core reads for the time of day
 * (its timers and the socket's heartbeats run on the monotonic clock, which a set clock does not move).
 */
const skewMs = Number(process.env.WORKSTATION_CLOCK_SKEW_MS ?? '0');
if (Number.isFinite(skewMs) && skewMs !== 0) {
  const trueNow = Date.now.bind(Date);
  Date.now = () => trueNow() + skewMs;
}

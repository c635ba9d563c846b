/**
 * A clock that only moves when the code under test sleeps or a call says it took time (`clock.ms += 25`):
 * retries and budgets are tested by counted waits, never by the wall clock.
 * @example
 * const clock = fakeClock();
 * await retry(call, { ..., now: clock.now, sleep: clock.sleep });
 * expect(clock.delays).toEqual([10, 10]);
 */
export const fakeClock = () => {
  const clock = {
    ms: 0,
    delays: [] as number[],
    now: () => clock.ms,
    sleep: async (ms: number) => {
      clock.delays.push(ms);
      clock.ms += ms;
    },
  };
  return clock;
};

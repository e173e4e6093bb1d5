export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock stopped at one instant: what dates several records of one change alike. */
export const fixedClock = (at: Date): Clock => ({ now: () => at });

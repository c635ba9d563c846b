/** Thrown inside a merge send when a conditional put or read found the peer changed (a lost race). */
export class LostRace extends Error {}

/** Thrown inside a merge send when the deadline leaves no room for another try; carries the last transient error. */
export class OutOfTime extends Error {
  public constructor(public readonly lastError: unknown) {
    super('out of time');
  }
}

/** The colours dynasync's summaries use: green for a good result, red for a bad one, yellow for a warning. */
export const Colours = {
  green: 32,
  red: 31,
  yellow: 33,
} as const;

/** A name of {@link Colours}. */
export type Colour = keyof typeof Colours;

/** Wraps `text` in a colour, or returns it as it is when colour is off. */
export type Paint = (text: string, colour: Colour) => string;

/** What decides whether a summary is coloured. */
export interface ColourContext {
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Whether the summary's stream is a terminal (`process.stdout.isTTY`). */
  readonly isTTY: boolean | undefined;
  /** `--json`: never coloured, whatever the environment says. @default false */
  readonly json?: boolean;
}

/**
 * Whether to colour a summary, by Node's own rules: never for `--json`; `FORCE_COLOR` (any value
 * but `0` or `false`) forces it on, `FORCE_COLOR=0` off; else `NO_COLOR` (non-empty) turns it off;
 * else on only on a terminal that is not `TERM=dumb`, so a pipe or a file gets plain text.
 */
export const colourEnabled = ({ env = process.env, isTTY, json = false }: ColourContext): boolean => {
  if (json) return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force !== 'false';
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return isTTY === true && env.TERM !== 'dumb';
};

/** Leaves text as it is. */
export const plain: Paint = (text) => text;

/** The {@link Paint} of a decision of {@link colourEnabled}: SGR colour codes, or none. */
export const painter = (enabled: boolean): Paint =>
  enabled ? (text, colour) => `\u001b[${Colours[colour]}m${text}\u001b[39m` : plain;

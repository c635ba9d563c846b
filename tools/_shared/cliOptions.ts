import { InvalidArgumentError } from 'commander';

/** Commander parser of a whole number > 0. */
export const positiveInt = (value: string): number => {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0)
    throw new InvalidArgumentError('expected a positive whole number');
  return parsed;
};

/** Commander parser of a number ≥ 0. */
export const nonNegative = (value: string): number => {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0) throw new InvalidArgumentError('expected a number ≥ 0');
  return parsed;
};

/** Commander parser of a number > 0. */
export const positive = (value: string): number => {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new InvalidArgumentError('expected a number > 0');
  return parsed;
};

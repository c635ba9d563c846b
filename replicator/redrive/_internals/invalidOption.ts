import { DynasyncError, ErrorCodes } from '../../../core/errors.js';

/** `redrive.invalidOption` naming the option that is off. */
export const invalidOption = (option: string, message: string): DynasyncError =>
  new DynasyncError(ErrorCodes.redrive.invalidOption, `redrive: ${message}`, { payload: { option } });

import { z } from 'zod';

/** A key of `regions`: an AWS region name or any name of the same shape. */
export const regionName = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,62}$/,
    'a region name is lower-case letters, digits and dashes, like "eu-west-1"',
  );

/** A DynamoDB table name. */
export const tableName = z
  .string()
  .regex(
    /^[a-zA-Z0-9_.-]{3,255}$/,
    'a DynamoDB table name is 3-255 characters of a-z, A-Z, 0-9, "_", "-" and "."',
  );

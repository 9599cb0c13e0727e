import { MongoServerError, type WriteError } from 'mongodb';

/** MongoDB's code for a write a unique index refused. */
const DUPLICATE_KEY = 11000;

/** Whether `err` is a write a unique index refused. */
export const isDuplicateKey = (err: unknown): boolean => err instanceof MongoServerError && err.code === DUPLICATE_KEY;

/** Whether one write of a bulk write was refused by a unique index. */
export const isDuplicateKeyWrite = (write: WriteError): boolean => write.code === DUPLICATE_KEY;

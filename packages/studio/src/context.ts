import type { Reader } from '@model-data-collector/reader/internal';
import type { Workspace } from 'model-data-collector/internal';
import { Serial } from './serial.js';

/** What every route needs: the workspace, the one reader, and the clock. */
export class StudioContext {
  private readonly serial = new Serial();
  constructor(
    readonly workspace: Workspace,
    private readonly reader: Reader,
    readonly clock: () => number,
    readonly metricsUrls: readonly string[],
  ) {}

  /** Runs `job` with the reader, one job at a time (one DuckDB connection runs one query at a time). */
  withReader<T>(job: (reader: Reader) => Promise<T>): Promise<T> {
    return this.serial.run(async () => {
      try {
        return await job(this.reader);
      } finally {
        // The studio reads the same files again and again: keep the reader's warning list from growing.
        this.reader.warnings.length = 0;
      }
    });
  }
}

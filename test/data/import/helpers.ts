/** Shared by the importer tests: records imported into an in-memory bag. */
import { BagWriter, MemoryBagFolder } from '../../../src/data/bags/index.js';
import { importDrivingLog, type ImportOptions, type ImportStats } from '../../../src/data/import/bag-import.js';
import type { RecordResult } from '../../../src/data/import/driving-log.js';

export const MAX_STEER = 0.45;
export const MAX_SPEED = 4;

export async function importInto(records: AsyncIterable<RecordResult>, options: Partial<ImportOptions> = {}): Promise<{ folder: MemoryBagFolder; stats: ImportStats }> {
  const folder = new MemoryBagFolder('imported');
  const writer = await BagWriter.create(folder, { name: 'imported' });
  try {
    const stats = await importDrivingLog(records, writer, { maxSteeringRad: MAX_STEER, maxSpeedMps: MAX_SPEED, ...options });
    return { folder, stats };
  } finally {
    await writer.close();
  }
}

/** Import of other tools' driving logs into rosbag2 bags: DonkeyCar tubs (v1, v2) and Udacity-simulator CSV logs. */
export {
  GapTracker,
  ImportError,
  missingRanges,
  nsFromMs,
  SKIP_REASONS,
  toNumber,
  type DrivingRecord,
  type ImportErrorCode,
  type LogFacts,
  type RecordPlace,
  type RecordResult,
  type SkipReason,
  type TimeGap,
} from './driving-log.js';
export { donkeyLayout, readDonkeyTub, type DonkeyLayout, type DonkeyOptions } from './donkey.js';
export { MPH_TO_MPS, pathStyle, readUdacityLog, resolveImage, splitCsvLine, timeFromImageName, UDACITY_MAX_STEERING_RAD, type PathStyle, type UdacityOptions } from './udacity.js';
export { checkImage, importDrivingLog, type ImportOptions, type ImportStats, type ValueStats } from './bag-import.js';
export { formatGap, formatRanges, importSummary, summaryLines, type ImportSummary } from './import-summary.js';

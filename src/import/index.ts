/** Import of other tools' driving logs into rosbag2 bags: DonkeyCar tubs (v1, v2) and Udacity-simulator CSV logs. */
export { ImportError, nsFromMs, toNumber, type DrivingRecord, type ImportErrorCode, type RecordResult } from './driving-log.js';
export { donkeyLayout, readDonkeyTub, type DonkeyLayout, type DonkeyOptions } from './donkey.js';
export { MPH_TO_MPS, readUdacityLog, resolveImage, splitCsvLine, timeFromImageName, UDACITY_MAX_STEERING_RAD, type UdacityOptions } from './udacity.js';
export { importDrivingLog, type ImportOptions, type ImportStats } from './bag-import.js';

/**
 * promptprep as a library: the same functions the CLI is a thin layer over.
 *
 *   import { checkFiles, convertFiles, runWatch, Ledger } from 'promptprep';
 */
export { checkFile, checkFiles, checkFilesEach, checkWavBytes, wavFindings } from './check.js';
export type { CheckFilesOptions, CheckOptions, CheckReport, CheckSummary, FileCheck } from './check.js';
export { renderCheckReport, writeCheckReport, CHECK_FORMATS } from './report/check-report.js';
export type { CheckFormat } from './report/check-report.js';
export { convertFiles, convertFilesEach, convertItems, statsPathFor } from './convert/index.js';
export type { ConvertFileResult, ConvertItem, ConvertOptions, ConvertReport, ConvertStats, ConvertStatus } from './convert/index.js';
export { runWatch } from './watch/watcher.js';
export type { WatchOptions, WatchSummary } from './watch/watcher.js';
export type { WatchEvent, WatchEventType } from './watch/processor.js';
export { huaweiPrivateNumber, getProfile, listProfiles, deriveProfile, specOf, bytesPerSecond, sizeLimit, UnknownProfileError } from './profile.js';
export { ProfileSchema, ProfileSpecSchema, NameRuleSchema } from './profile-schema.js';
export type { Profile, ProfileSpec, NameRule, ContainerId, LayoutId } from './profile.js';
export { CODECS, codecInfo } from './codec-info.js';
export type { CodecId, CodecInfo } from './codec-info.js';
export { validateFileName, suggestFileName, isValidFileName, nameForProfile, mapFileName } from './file-name.js';
export type { NameForProfile } from './file-name.js';
export { loadConfig, parseConfig, ConfigSchema, ConfigError, CONFIG_FILE_NAME } from './config.js';
export type { Config } from './config.js';
export { analyzeSamples, analyzeCodes } from './audio-analysis.js';
export type { AudioStats, AnalysisOptions } from './audio-analysis.js';
export { parseWav, readWavInfo, buildCanonicalWav, CANONICAL_HEADER_BYTES } from './wav.js';
export { encodeAlaw, decodeAlaw } from './alaw.js';
export { encodeForProfile, encodeMulaw, decodeMulaw, encodePcm16, decodePcm16, buildCodecWav, MissingEncoderError } from './codecs/index.js';
export type { EncodeTarget } from './codecs/index.js';
export { locateFfmpeg, searchFfmpeg, ffmpegNeeds, FfmpegNotFoundError, FFMPEG_SOURCES } from './ffmpeg.js';
export { runDoctor } from './doctor.js';
export type { DoctorOptions, DoctorReport } from './doctor.js';
export type { FfmpegBinary, FfmpegCandidate, FfmpegFeatures, FfmpegNeed, FfmpegSearch, FfmpegSource } from './ffmpeg.js';
export { ERROR_CODES, WARNING_CODES, CONVERT_ERROR_CODES, CONVERT_WARNING_CODES } from './findings.js';
export type { Finding } from './findings.js';
export { SCENES, PRE_CALL_SCENES } from './scenes.js';
export type { Scene } from './scenes.js';
export { Ledger, DEFAULT_LEDGER_PATH } from './ledger/ledger.js';
export type { StatusRow, VersionRow } from './ledger/ledger.js';
export { REVIEW_STATES, TransitionError } from './ledger/states.js';
export type { ReviewState } from './ledger/states.js';
export { bindingsFor, BINDING_MODES } from './bindings.js';
export { stageForConsole, consoleChecklist } from './upload/huawei-console.js';
export { CecClient, CecError } from './cec/client.js';
export { uploadToCec } from './cec/uploader.js';
export { startCallbackReceiver } from './cec/callbacks.js';
export { startEmulator } from './cec/emulator.js';
